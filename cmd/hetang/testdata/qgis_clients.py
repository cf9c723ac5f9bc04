"""Loads the service's layers in QGIS (PyQGIS, offscreen) the ways a planner
would: OGC API - Features, WFS 2.0 (also through the OGC API address, as
QGIS's connection dialog probes it), the GeoPackage (through the layer
picker's sublayer query), KML and DXF. Checks each layer's feature count and
fields against the expected table and prints one line per check. Exits 1 on
any failure.

usage: qgis_clients.py BASE_URL DOWNLOAD_DIR EXPECTED.tsv
EXPECTED.tsv: id, title_zh, title_en, feature count, comma-separated fields.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsProviderRegistry, QgsVectorLayer  # noqa: E402

base, folder, expected_path = sys.argv[1:4]
expected = []
with open(expected_path, encoding="utf-8") as f:
    for line in f:
        lid, zh, en, count, fields = line.rstrip("\n").split("\t")
        expected.append((lid, zh, en, int(count), [x for x in fields.split(",") if x]))

app = QgsApplication([], False)
app.initQgis()
failures = []
keep = []  # QGIS crashes at exit if layers are freed after the application


def check(what, layer, count, fields):
    keep.append(layer)
    if not layer.isValid():
        failures.append(f"{what}: not valid: {layer.error().summary()}")
        print("FAIL", what, "not valid")
        return
    got = [f.name() for f in layer.fields()]
    missing = [f for f in fields if f not in got]
    n = layer.featureCount()
    if n != count or missing:
        failures.append(f"{what}: {n} features (want {count}), missing fields {missing}")
        print("FAIL", what, n, "features, missing", missing)
        return
    print("ok", what, n, "features,", len(got), "fields")


gpkg = os.path.join(folder, "hetang.gpkg")
subs = QgsProviderRegistry.instance().querySublayers(gpkg)
names = sorted(s.name() for s in subs)
want_names = sorted(e[0] for e in expected)
if names != want_names:
    failures.append(f"GeoPackage layer picker lists {names}, want {want_names}")
    print("FAIL GeoPackage layer picker", names)
else:
    print("ok GeoPackage layer picker lists exactly the", len(names), "layers")

for lid, zh, en, count, fields in expected:
    check(f"OAPIF {lid}", QgsVectorLayer(f"url='{base}/ogcapi/' typename='{lid}'", lid, "OAPIF"), count, fields)
    check(f"WFS {lid}", QgsVectorLayer(f"url='{base}/wfs' typename='hetang:{lid}' version='2.0.0'", lid, "WFS"), count, fields)
    layer = QgsVectorLayer(f"{gpkg}|layername={lid}", lid, "ogr")
    check(f"GeoPackage {lid}", layer, count, fields)
    title = layer.dataProvider().layerMetadata().title() if layer.isValid() else ""
    if title != f"{zh} {en}":
        failures.append(f"GeoPackage {lid}: title {title!r}, want {zh} {en!r}")
        print("FAIL GeoPackage title", lid, repr(title))
    check(f"KML {lid}", QgsVectorLayer(os.path.join(folder, "hetang.kml") + f"|layername={zh} {en}", lid, "ogr"), count, fields)
    dxf = QgsVectorLayer(os.path.join(folder, "hetang.dxf") + "|layername=entities", "dxf", "ogr")
    keep.append(dxf)
    labels = [f for f in dxf.getFeatures() if f["Layer"] == zh and "AcDbText" in (f["SubClasses"] or "")]
    if len(labels) != count:
        failures.append(f"DXF {lid}: {len(labels)} labels on CAD layer {zh}, want {count}")
        print("FAIL DXF", lid, len(labels))
    else:
        print("ok DXF", lid, "CAD layer", zh, "with", len(labels), "labels")

probe = QgsVectorLayer(f"url='{base}/ogcapi/' typename='hetang:places' version='auto'", "probe", "WFS")
check("WFS through the OGC API address", probe, [e for e in expected if e[0] == "places"][0][3], [])

print(len(failures), "failed")
sys.stdout.flush()
os._exit(1 if failures else 0)
