"""Loads the service's layers in QGIS (PyQGIS, offscreen) the ways a planner
would: OGC API - Features, WFS 2.0 (also through the OGC API address, as
QGIS's connection dialog probes it), the GeoPackage (through the layer
picker's sublayer query), KML and DXF. Checks each layer's feature count and
fields against the expected table, and every value and vertex against the
layout's own features (DOWNLOAD_DIR/want-{id}.geojson, WGS84): through OAPIF,
WFS (in EPSG:4326 and, against QGIS's own PROJ transform within 1 mm, in
EPSG:4547), the GeoPackage and KML (where every value is text). Prints one
line per check. Exits 1 on any failure.

usage: qgis_clients.py BASE_URL DOWNLOAD_DIR EXPECTED.tsv
EXPECTED.tsv: id, title_zh, title_en, feature count, comma-separated fields.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (  # noqa: E402
    QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY, QgsProject,
    QgsProviderRegistry, QgsVectorLayer)

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


def check(what, layer, count, fields, lid=None, crs=None, text=False):
    """Checks count and fields; with lid, every value and vertex too. crs
    names the layer's CRS when not WGS84 (vertices within 1 mm of QGIS's
    transform, else 1e-9 degrees); text: every value arrives as text (KML)."""
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
    if lid is not None:
        bad = compare_values(layer, lid, [f for f in fields if f in got], crs, text)
        if bad:
            failures.append(f"{what}: {len(bad)} differences, first {bad[:3]}")
            print("FAIL", what, len(bad), "differences:", bad[:3])
            return
    print("ok", what, n, "features,", len(got), "fields", "and every value and vertex" if lid else "")


def vertices(g):
    t, c = g["type"], g["coordinates"]
    if t == "Point":
        return [c]
    if t in ("LineString", "MultiPoint"):
        return c
    if t in ("Polygon", "MultiLineString"):
        return [p for r in c for p in r]
    return [p for poly in c for r in poly for p in r]


def as_text(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def compare_values(layer, lid, fields, crs, text):
    with open(os.path.join(folder, f"want-{lid}.geojson"), encoding="utf-8") as f:
        want = {w["properties"]["id"]: w for w in json.load(f)["features"]}
    tr = None
    if crs:
        tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem(crs), QgsProject.instance())
    tol = 0.001 if crs else 1e-9
    bad = []
    for f in layer.getFeatures():
        fid = f["id"]
        w = want.pop(fid, None)
        if w is None:
            bad.append(f"unexpected feature {fid!r}")
            continue
        for k in fields:
            v, g = w["properties"].get(k), f[k]
            if g is None or (hasattr(g, "isNull") and g.isNull()):
                g = None
            if text and v is not None:
                v = as_text(v)
            elif isinstance(v, bool) and g in (0, 1, "true", "false"):
                # QGIS 3.22's WFS provider types xsd:boolean as text
                g = g in (1, "true")
            if g != v:
                bad.append(f"{fid} {k}: {g!r}, want {v!r}")
        pts = vertices(w["geometry"])
        if tr:
            pts = [(q.x(), q.y()) for q in (tr.transform(QgsPointXY(x, y)) for x, y in pts)]
        have = [(q.x(), q.y()) for q in f.geometry().vertices()]
        if len(have) != len(pts):
            bad.append(f"{fid}: {len(have)} vertices, want {len(pts)}")
        elif any(abs(a[0] - b[0]) > tol or abs(a[1] - b[1]) > tol for a, b in zip(have, pts)):
            bad.append(f"{fid}: vertices off by more than {tol}")
    bad += [f"feature {fid} missing" for fid in want]
    return bad


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
    check(f"OAPIF {lid}", QgsVectorLayer(f"url='{base}/ogcapi/' typename='{lid}'", lid, "OAPIF"), count, fields, lid)
    check(f"WFS {lid}", QgsVectorLayer(f"url='{base}/wfs' typename='hetang:{lid}' version='2.0.0'", lid, "WFS"), count, fields, lid)
    check(f"WFS EPSG:4547 {lid}", QgsVectorLayer(f"url='{base}/wfs' typename='hetang:{lid}' version='2.0.0' srsname='EPSG:4547'", lid, "WFS"),
          count, fields, lid, crs="EPSG:4547")
    layer = QgsVectorLayer(f"{gpkg}|layername={lid}", lid, "ogr")
    check(f"GeoPackage {lid}", layer, count, fields, lid)
    title = layer.dataProvider().layerMetadata().title() if layer.isValid() else ""
    if title != f"{zh} {en}":
        failures.append(f"GeoPackage {lid}: title {title!r}, want {zh} {en!r}")
        print("FAIL GeoPackage title", lid, repr(title))
    check(f"KML {lid}", QgsVectorLayer(os.path.join(folder, "hetang.kml") + f"|layername={zh} {en}", lid, "ogr"), count, fields, lid, text=True)
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
