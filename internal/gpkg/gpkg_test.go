package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"hetang/internal/crs"
	"hetang/internal/layout"
)

// testLayout is a small layout covering every geometry type the plan uses,
// Chinese text and every property type. Integers are float64, as
// encoding/json would decode them and as Read returns them.
func testLayout() *layout.Layout {
	feature := func(id, nameZH string, g orb.Geometry, extra map[string]any) *layout.Feature {
		p := map[string]any{
			layout.PropID:       id,
			layout.PropNameZH:   nameZH,
			layout.PropNameEN:   "name of " + id,
			layout.PropAccuracy: layout.AccuracySchematic,
		}
		for k, v := range extra {
			p[k] = v
		}
		return &layout.Feature{ID: id, Properties: p, Geometry: g}
	}
	lay := &layout.Layout{
		Version: "sha256:0123abcd",
		Layers: []*layout.Layer{
			{
				ID: "bases", TitleZH: "五基地", TitleEN: "Five industrial bases",
				Description: "产业基地 — industrial bases", GeometryType: "Point",
				Features: []*layout.Feature{
					feature("base-1", "荷塘工业基地", orb.Point{113.2, 27.9}, map[string]any{"area_km2": 12.5, "firms": float64(42), "key_project": true}),
					feature("base-2", "仙庾基地", orb.Point{113.25, 27.85}, map[string]any{"area_km2": 3.0, "key_project": false}),
				},
			},
			{
				ID: "roads", TitleZH: "五纵七横", TitleEN: "Road grid",
				GeometryType: "LineString",
				Features: []*layout.Feature{
					feature("road-1", "红旗路", orb.LineString{{113.1, 27.8}, {113.2, 27.9}, {113.3, 27.95}}, map[string]any{"lanes": float64(6)}),
				},
			},
			{
				ID: "city", TitleZH: "两城", TitleEN: "Two cities", GeometryType: "Polygon",
				Features: []*layout.Feature{
					feature("city-1", "新城", orb.Polygon{{{113.0, 27.8}, {113.1, 27.8}, {113.1, 27.9}, {113.0, 27.9}, {113.0, 27.8}}}, nil),
				},
			},
			{
				ID: "zones", TitleZH: "五片区", TitleEN: "Five zones", GeometryType: "MultiPolygon",
				Features: []*layout.Feature{
					feature("zone-1", "金山片区", orb.MultiPolygon{
						{
							{{113.0, 27.0}, {114.0, 27.0}, {114.0, 28.0}, {113.0, 28.0}, {113.0, 27.0}},
							{{113.2, 27.2}, {113.2, 27.4}, {113.4, 27.4}, {113.4, 27.2}, {113.2, 27.2}}, // hole
						},
						{{{115.0, 27.0}, {115.5, 27.0}, {115.5, 27.5}, {115.0, 27.0}}},
					}, map[string]any{"extends_beyond_district": true}),
				},
			},
		},
	}
	// Every feature carries every column, null where it has no value: that is
	// what Read gives back (base-2 has no firms).
	for _, ly := range lay.Layers {
		ly.Complete()
	}
	return lay
}

func writeTestFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "layout.gpkg")
	if err := Write(context.Background(), path, testLayout()); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return path
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := writeTestFile(t)
	got, err := Read(context.Background(), path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(testLayout(), got); diff != "" {
		t.Errorf("Read after Write mismatch (-want +got):\n%s", diff)
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + suffix); err == nil {
			t.Errorf("%s left behind", path+suffix)
		}
	}
}

func TestWriteHeaderAndTables(t *testing.T) {
	path := writeTestFile(t)
	db := openTestDB(t, path)
	var appID, userVer int64
	mustQueryRow(t, db, "PRAGMA application_id", &appID)
	mustQueryRow(t, db, "PRAGMA user_version", &userVer)
	if appID != 0x47504B47 || userVer != 10300 {
		t.Errorf("application_id, user_version = %#x, %d, want 0x47504B47, 10300", appID, userVer)
	}
	var journal string
	mustQueryRow(t, db, "PRAGMA journal_mode", &journal)
	if journal == "wal" {
		t.Errorf("journal_mode = wal, want a self-contained file")
	}
	for _, id := range []int{-1, 0, 4326, 4490, 4547, 3857} {
		var n int
		mustQueryRow(t, db, "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id = "+strconv.Itoa(id), &n)
		if n != 1 {
			t.Errorf("gpkg_spatial_ref_sys has %d rows for srs_id %d, want 1", n, id)
		}
	}
	var ident, desc string
	var minX, maxY float64
	var srs int
	mustQueryRow(t, db, "SELECT identifier, description, min_x, max_y, srs_id FROM gpkg_contents WHERE table_name = 'bases'", &ident, &desc, &minX, &maxY, &srs)
	if ident != "五基地 Five industrial bases" || desc != "产业基地 — industrial bases" || minX != 113.2 || maxY != 27.9 || srs != 4326 {
		t.Errorf("gpkg_contents row for bases = %q %q %v %v %d", ident, desc, minX, maxY, srs)
	}
	// Only the feature tables are data; the layout metadata is in the
	// metadata extension, referenced from the GeoPackage and each table.
	var tables []string
	rows, err := db.Query("SELECT table_name || ':' || data_type FROM gpkg_contents ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, s)
	}
	rows.Close()
	if want := []string{"bases:features", "roads:features", "city:features", "zones:features"}; !slices.Equal(tables, want) {
		t.Errorf("gpkg_contents = %v, want %v", tables, want)
	}
	var exts, refs int
	mustQueryRow(t, db, "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata' AND table_name IN ('gpkg_metadata', 'gpkg_metadata_reference')", &exts)
	mustQueryRow(t, db, "SELECT count(*) FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id WHERE m.md_standard_uri = ?", &refs, MetadataURI)
	if exts != 2 || refs != 1+len(testLayout().Layers) {
		t.Errorf("metadata extension rows %d, references %d; want 2 and %d", exts, refs, 1+len(testLayout().Layers))
	}
	var gt string
	mustQueryRow(t, db, "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'zones'", &gt)
	if gt != "MULTIPOLYGON" {
		t.Errorf("zones geometry_type_name = %q, want MULTIPOLYGON", gt)
	}
	var boolType string
	mustQueryRow(t, db, "SELECT type FROM pragma_table_info('bases') WHERE name = 'key_project'", &boolType)
	if boolType != "BOOLEAN" {
		t.Errorf("key_project column type = %q, want BOOLEAN", boolType)
	}
	var stored int64
	mustQueryRow(t, db, "SELECT CAST(key_project AS INTEGER) FROM bases WHERE id = 'base-1'", &stored)
	if stored != 1 {
		t.Errorf("key_project stored as %d, want 1", stored)
	}
}

func TestRTreeIndex(t *testing.T) {
	path := writeTestFile(t)
	db := openTestDB(t, path)
	lay := testLayout()
	for _, ly := range lay.Layers {
		var n, ext int
		mustQueryRow(t, db, `SELECT count(*) FROM "rtree_`+ly.ID+`_geom"`, &n)
		if n != len(ly.Features) {
			t.Errorf("rtree_%s_geom has %d rows, want %d", ly.ID, n, len(ly.Features))
		}
		mustQueryRow(t, db, "SELECT count(*) FROM gpkg_extensions WHERE table_name = ? AND column_name = 'geom' AND extension_name = 'gpkg_rtree_index'", &ext, ly.ID)
		if ext != 1 {
			t.Errorf("gpkg_extensions rows for %s rtree = %d, want 1", ly.ID, ext)
		}
	}
	// A bbox around base-2 only (113.25, 27.85).
	rows, err := db.Query(`SELECT b.id FROM bases b JOIN rtree_bases_geom r ON r.id = b.fid
		WHERE r.maxx >= 113.24 AND r.minx <= 113.26 AND r.maxy >= 27.84 AND r.miny <= 27.86`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if diff := cmp.Diff([]string{"base-2"}, ids); diff != "" {
		t.Errorf("rtree bbox query (-want +got):\n%s", diff)
	}
	// Inserting through our driver keeps the index complete (the triggers call ST_ functions).
	blob, err := EncodeGeometry(orb.Point{100, 10}, 4326)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO bases (geom, id) VALUES (?, 'base-3')", blob); err != nil {
		t.Fatalf("insert through triggers: %v", err)
	}
	var minx, maxy float64
	mustQueryRow(t, db, "SELECT r.minx, r.maxy FROM rtree_bases_geom r JOIN bases b ON b.fid = r.id WHERE b.id = 'base-3'", &minx, &maxy)
	if math.Abs(minx-100) > 1e-4 || math.Abs(maxy-10) > 1e-4 {
		t.Errorf("rtree row for inserted point = %v, %v, want 100, 10", minx, maxy)
	}
}

// TestGDALReadsOurFile uses GDAL as an independent GeoPackage client.
func TestGDALReadsOurFile(t *testing.T) {
	requireTool(t, "ogrinfo")
	path := writeTestFile(t)

	out, stderr := run(t, "ogrinfo", "-ro", "-so", "-al", path)
	assertNoGDALWarnings(t, stderr)
	lay := testLayout()
	for _, ly := range lay.Layers {
		sec := layerSection(out, ly.ID)
		if sec == "" {
			t.Errorf("ogrinfo does not list layer %s:\n%s", ly.ID, out)
			continue
		}
		if want := "Geometry: " + ogrTypeName(ly.GeometryType); !strings.Contains(sec, want) {
			t.Errorf("layer %s: ogrinfo lacks %q:\n%s", ly.ID, want, sec)
		}
		if want := "Feature Count: " + strconv.Itoa(len(ly.Features)); !strings.Contains(sec, want) {
			t.Errorf("layer %s: ogrinfo lacks %q:\n%s", ly.ID, want, sec)
		}
		if !strings.Contains(sec, `ID["EPSG",4326]`) {
			t.Errorf("layer %s: ogrinfo does not report EPSG:4326:\n%s", ly.ID, sec)
		}
		if !strings.Contains(sec, "FID Column = fid") || !strings.Contains(sec, "Geometry Column = geom") {
			t.Errorf("layer %s: fid/geom columns not reported:\n%s", ly.ID, sec)
		}
	}
	if sec := layerSection(out, "bases"); !regexp.MustCompile(`key_project: Integer\(Boolean\)`).MatchString(sec) {
		t.Errorf("bases: key_project is not a GDAL Boolean field:\n%s", sec)
	}

	out, stderr = run(t, "ogrinfo", "-ro", path, "bases", "-where", "id = 'base-1'")
	assertNoGDALWarnings(t, stderr)
	for _, want := range []string{"name_zh (String) = 荷塘工业基地", "firms (Integer64) = 42", "key_project (Integer(Boolean)) = 1", "POINT (113.2 27.9)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo -sql output lacks %q:\n%s", want, out)
		}
	}
	out, stderr = run(t, "ogrinfo", "-ro", "-al", path, "zones")
	assertNoGDALWarnings(t, stderr)
	if want := "MULTIPOLYGON (((113 27,114 27,114 28,113 28,113 27),(113.2 27.2,113.2 27.4,113.4 27.4,113.4 27.2,113.2 27.2)),((115 27,115.5 27.0,115.5 27.5,115 27)))"; !strings.Contains(strings.ReplaceAll(out, "27.0,", "27,"), strings.ReplaceAll(want, "27.0,", "27,")) {
		t.Errorf("ogrinfo zones output lacks %s:\n%s", want, out)
	}
	// GDAL's GeoPackage validator, where the GDAL Python bindings are installed.
	if py, script, ok := gpkgValidator(); ok {
		out, stderr := run(t, py, script, path)
		if strings.TrimSpace(out+stderr) != "" {
			t.Errorf("validate_gpkg.py reports:\n%s%s", out, stderr)
		}
	} else {
		t.Log("validate_gpkg.py with GDAL Python bindings not found; skipping the validator")
	}
	// GDAL's own spatial index reader agrees with ours.
	out, _ = run(t, "ogrinfo", "-ro", path, "-sql", "SELECT HasSpatialIndex('roads', 'geom')")
	if !strings.Contains(out, "= 1") {
		t.Errorf("GDAL does not see a spatial index on roads:\n%s", out)
	}
}

// TestReadTableGDALFile reads a GeoPackage GDAL wrote in EPSG:4547 and checks
// the projected coordinates against gdaltransform.
func TestReadTableGDALFile(t *testing.T) {
	requireTool(t, "ogr2ogr")
	requireTool(t, "gdaltransform")
	dir := t.TempDir()
	src := filepath.Join(dir, "in.geojson")
	geojson := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"p1","name":"荷塘区政府","rank":3,"share":0.25,"ok":true},"geometry":{"type":"Point","coordinates":[113.2,27.9]}},
{"type":"Feature","properties":{"id":"p2","name":"其他","rank":null,"share":1.5,"ok":false},"geometry":{"type":"Point","coordinates":[113.3,27.8]}}]}`
	if err := os.WriteFile(src, []byte(geojson), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "gdal.gpkg")
	run(t, "ogr2ogr", "-f", "GPKG", dst, src, "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-nln", "sites")

	names, err := Tables(context.Background(), dst)
	if err != nil {
		t.Fatalf("Tables: %v", err)
	}
	if diff := cmp.Diff([]string{"sites"}, names); diff != "" {
		t.Errorf("Tables (-want +got):\n%s", diff)
	}
	tab, err := ReadTable(context.Background(), dst, "sites")
	if err != nil {
		t.Fatalf("ReadTable: %v", err)
	}
	if tab.SRSID != 4547 || tab.GeometryType != "POINT" || tab.GeometryColumn != "geom" {
		t.Errorf("ReadTable = srs %d, type %q, column %q; want 4547, POINT, geom", tab.SRSID, tab.GeometryType, tab.GeometryColumn)
	}
	wantFields := []layout.Field{
		{Name: "id", Type: layout.FieldText}, {Name: "name", Type: layout.FieldText},
		{Name: "rank", Type: layout.FieldInteger}, {Name: "share", Type: layout.FieldReal},
		{Name: "ok", Type: layout.FieldBoolean},
	}
	if diff := cmp.Diff(wantFields, tab.Fields); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
	if len(tab.Features) != 2 {
		t.Fatalf("got %d features, want 2", len(tab.Features))
	}
	wantProps := []map[string]any{
		{"id": "p1", "name": "荷塘区政府", "rank": 3.0, "share": 0.25, "ok": true},
		{"id": "p2", "name": "其他", "rank": nil, "share": 1.5, "ok": false},
	}
	for i, f := range tab.Features {
		if diff := cmp.Diff(wantProps[i], f.Properties); diff != "" {
			t.Errorf("feature %d properties (-want +got):\n%s", i, diff)
		}
	}
	f := tab.Features[0]
	if f.ID != "p1" {
		t.Errorf("feature ID = %q, want p1", f.ID)
	}
	// Independent truth: PROJ through gdaltransform.
	cmd := exec.Command("gdaltransform", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-output_xy")
	cmd.Stdin = strings.NewReader("113.2 27.9\n")
	// gdaltransform uses the CRS's authority axis order for EPSG:4326 input
	// (lat, lon) unless told otherwise; feed traditional GIS order explicitly.
	cmd.Env = append(os.Environ(), "OSR_DEFAULT_AXIS_MAPPING_STRATEGY=TRADITIONAL_GIS_ORDER")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdaltransform: %v", err)
	}
	var wantE, wantN float64
	parts := strings.Fields(string(b))
	if len(parts) < 2 {
		t.Fatalf("gdaltransform output %q", b)
	}
	wantE, _ = strconv.ParseFloat(parts[0], 64)
	wantN, _ = strconv.ParseFloat(parts[1], 64)
	if wantE < 400000 || wantE > 450000 || wantN < 3.05e6 || wantN > 3.12e6 {
		t.Fatalf("gdaltransform gave %v %v, not CM 114E Gauss-Kruger metres", wantE, wantN)
	}
	p, ok := f.Geometry.(orb.Point)
	if !ok {
		t.Fatalf("geometry is %T, want orb.Point", f.Geometry)
	}
	if math.Abs(p[0]-wantE) > 0.01 || math.Abs(p[1]-wantN) > 0.01 {
		t.Errorf("point = %v, want (%v, %v) from gdaltransform", p, wantE, wantN)
	}

	// Inserting into the GDAL-made table through our driver fires GDAL's
	// rtree triggers, which need our ST_ functions.
	db, err := sql.Open(DriverName, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blob, err := EncodeGeometry(orb.Point{430000, 3090000}, 4547)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec("INSERT INTO sites (geom, id, name) VALUES (?, 'p3', '新增')", blob)
	if err != nil {
		t.Fatalf("insert into GDAL table: %v", err)
	}
	fid, _ := res.LastInsertId()
	var n int
	mustQueryRow(t, db, "SELECT count(*) FROM rtree_sites_geom WHERE id = ? AND minx <= 430000.1 AND maxx >= 429999.9", &n, fid)
	if n != 1 {
		t.Errorf("rtree row for inserted feature: count %d, want 1", n)
	}
	db.Close()
	out, stderr := run(t, "ogrinfo", "-ro", "-so", dst, "sites")
	assertNoGDALWarnings(t, stderr)
	if !strings.Contains(out, "Feature Count: 3") {
		t.Errorf("GDAL does not see the inserted feature:\n%s", out)
	}

	// Read works on a foreign file too: name order, no version.
	lay, err := Read(context.Background(), dst)
	if err != nil {
		t.Fatalf("Read of GDAL file: %v", err)
	}
	if lay.Version != "" || len(lay.Layers) != 1 || lay.Layers[0].ID != "sites" || lay.Layers[0].GeometryType != "Point" || len(lay.Layers[0].Features) != 3 {
		t.Errorf("Read of GDAL file = version %q, %d layers %+v", lay.Version, len(lay.Layers), lay.Layers)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "text.gpkg")
	if err := os.WriteFile(notSQLite, bytes.Repeat([]byte("not a database "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.sqlite")
	db, err := sql.Open(DriverName, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ours := writeTestFile(t)

	tests := []struct {
		name    string
		read    func() error
		wantIs  error
		wantMsg string
	}{
		{"not sqlite", func() error { _, err := Read(context.Background(), notSQLite); return err }, ErrNotGeoPackage, "not a GeoPackage"},
		{"plain sqlite", func() error { _, err := Tables(context.Background(), plain); return err }, ErrNotGeoPackage, "plain.sqlite: application_id is 0x0"},
		{"missing file", func() error { _, err := Read(context.Background(), filepath.Join(dir, "nope.gpkg")); return err }, os.ErrNotExist, "nope.gpkg"},
		{"unknown table", func() error { _, err := ReadTable(context.Background(), ours, "nope"); return err }, layout.ErrNotFound, `"nope"`},
		{"attributes table is not a feature table", func() error { _, err := ReadTable(context.Background(), ours, "hetang_layers"); return err }, layout.ErrNotFound, "hetang_layers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read()
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("error = %v, want one wrapping %v", err, tt.wantIs)
			}
			if !strings.HasPrefix(err.Error(), "gpkg: ") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q: want prefix \"gpkg: \" and %q", err, tt.wantMsg)
			}
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	bad := func(mutate func(*layout.Layout)) *layout.Layout {
		lay := testLayout()
		mutate(lay)
		return lay
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		lay     *layout.Layout
		target  func(dir string) string // path to write; may prepare the directory
		wantMsg string
	}{
		{
			name:    "NaN coordinate",
			lay:     bad(func(l *layout.Layout) { l.Layers[1].Features[0].Geometry = orb.LineString{{113, 27}, {math.NaN(), 28}} }),
			wantMsg: `layer "roads": feature "road-1"`,
		},
		{
			name:    "geometry does not match the layer type",
			lay:     bad(func(l *layout.Layout) { l.Layers[0].Features[1].Geometry = orb.LineString{{113, 27}, {114, 28}} }),
			wantMsg: `feature "base-2": geometry is LINESTRING, the layer is POINT`,
		},
		{
			name:    "unsupported geometry type",
			lay:     bad(func(l *layout.Layout) { l.Layers[2].GeometryType = "Circle" }),
			wantMsg: `layer "city": unsupported geometry type "Circle"`,
		},
		{
			name:    "reserved layer id",
			lay:     bad(func(l *layout.Layout) { l.Layers[2].ID = "gpkg_contents" }),
			wantMsg: "reserved table name",
		},
		{
			name:    "property named like the geometry column",
			lay:     bad(func(l *layout.Layout) { l.Layers[0].Features[0].Properties["GEOM"] = "x" }),
			wantMsg: `property "GEOM" clashes with column "geom"`,
		},
		{
			name:    "cancelled context",
			ctx:     cancelled,
			lay:     testLayout(),
			wantMsg: "context canceled",
		},
		{
			name: "target is a directory",
			lay:  testLayout(),
			target: func(dir string) string {
				p := filepath.Join(dir, "sub")
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(p, "x"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			},
			wantMsg: "sub",
		},
		{
			name:    "directory does not exist",
			lay:     testLayout(),
			target:  func(dir string) string { return filepath.Join(dir, "missing", "layout.gpkg") },
			wantMsg: "missing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "layout.gpkg")
			old := []byte("the previous file, which must survive")
			if err := os.WriteFile(path, old, 0o644); err != nil {
				t.Fatal(err)
			}
			target := path
			if tt.target != nil {
				target = tt.target(dir)
			}
			before := listDir(t, dir)
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			err := Write(ctx, target, tt.lay)
			if err == nil {
				t.Fatal("Write succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), "gpkg: ") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q: want prefix \"gpkg: \" and %q", err, tt.wantMsg)
			}
			got, rerr := os.ReadFile(path)
			if rerr != nil || !bytes.Equal(got, old) {
				t.Errorf("existing file changed: %q, %v", got, rerr)
			}
			if diff := cmp.Diff(before, listDir(t, dir)); diff != "" {
				t.Errorf("directory contents changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestWriteReplacesExisting(t *testing.T) {
	path := writeTestFile(t)
	lay := testLayout()
	lay.Version = "v2"
	lay.Layers = lay.Layers[:1]
	if err := Write(context.Background(), path, lay); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := Read(context.Background(), path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(lay, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if names := listDir(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("directory holds %v, want only layout.gpkg", names)
	}
}

func BenchmarkWrite10k(b *testing.B) {
	ly := &layout.Layer{ID: "points", TitleZH: "点", TitleEN: "Points", GeometryType: "Point"}
	for i := range 10000 {
		id := "p" + strconv.Itoa(i)
		ly.Features = append(ly.Features, &layout.Feature{
			ID:         id,
			Properties: map[string]any{"id": id, "name_zh": "点位", "n": float64(i), "ok": i%2 == 0},
			Geometry:   orb.Point{113 + float64(i%100)/100, 27 + float64(i/100)/100},
		})
	}
	lay := &layout.Layout{Version: "bench", Layers: []*layout.Layer{ly}}
	path := filepath.Join(b.TempDir(), "bench.gpkg")
	for b.Loop() {
		if err := Write(context.Background(), path, lay); err != nil {
			b.Fatal(err)
		}
	}
}

// helpers

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not on PATH (install gdal-bin)", name)
	}
}

func run(t *testing.T, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, o.String(), e.String())
	}
	return o.String(), e.String()
}

func assertNoGDALWarnings(t *testing.T, stderr string) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "Warning") || strings.Contains(line, "ERROR") {
			t.Errorf("GDAL complained: %s", line)
		}
	}
}

// gpkgValidator finds GDAL's validate_gpkg.py and a Python that can import osgeo.
func gpkgValidator() (python, script string, ok bool) {
	for _, s := range []string{
		"/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
		"/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
	} {
		if _, err := os.Stat(s); err == nil {
			script = s
			break
		}
	}
	if script == "" {
		return "", "", false
	}
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "from osgeo import gdal").Run() == nil {
			return py, script, true
		}
	}
	return "", "", false
}

// layerSection returns the part of `ogrinfo -so -al` output about one layer.
func layerSection(out, layer string) string {
	i := strings.Index(out, "\nLayer name: "+layer+"\n")
	if i < 0 {
		return ""
	}
	sec := out[i+1:]
	if j := strings.Index(sec[1:], "\nLayer name: "); j >= 0 {
		sec = sec[:j+1]
	}
	return sec
}

// ogrTypeName is how ogrinfo names an OGC geometry type.
func ogrTypeName(t string) string {
	return map[string]string{
		"Point": "Point", "LineString": "Line String", "Polygon": "Polygon", "MultiPolygon": "Multi Polygon",
	}[t]
}

func openTestDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open(DriverName, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustQueryRow(t *testing.T, db *sql.DB, q string, dest ...any) {
	t.Helper()
	var args []any
	// Trailing non-pointer arguments are query arguments.
	for len(dest) > 0 {
		last := dest[len(dest)-1]
		switch last.(type) {
		case string, int, int64:
			args = append([]any{last}, args...)
			dest = dest[:len(dest)-1]
			continue
		}
		break
	}
	if err := db.QueryRow(q, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestReadDamagedPages overwrites pages in the middle of a valid file, which
// leaves its header and catalog readable: Read must still refuse it.
func TestReadDamagedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damaged.gpkg")
	big := testLayout()
	ly := big.Layers[0]
	for i := range 3000 {
		f := *ly.Features[0]
		f.ID = fmt.Sprintf("copy-%d", i)
		f.Properties = map[string]any{"id": f.ID, "name_zh": fmt.Sprintf("副本%d", i)}
		ly.Features = append(ly.Features, &f)
	}
	if err := Write(context.Background(), path, big); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mid := len(b) / 2
	for i := mid; i < mid+8192 && i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(context.Background(), path); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read of a damaged file: %v, want ErrCorrupt", err)
	}
}

// projectedTestLayout is testLayout with every geometry converted to c.
func projectedTestLayout(t *testing.T, c crs.CRS) *layout.Layout {
	t.Helper()
	lay := testLayout()
	for _, ly := range lay.Layers {
		for _, f := range ly.Features {
			g, err := c.GeometryFromWGS84(f.Geometry)
			if err != nil {
				t.Fatal(err)
			}
			f.Geometry = g
		}
	}
	return lay
}

// TestWriteSRS writes a layout in EPSG:4547 and checks that every place a
// GeoPackage records the SRS says so, that Read returns the coordinates as
// stored, and that GDAL sees EPSG:4547 and an extent in metres.
func TestWriteSRS(t *testing.T) {
	ctx := context.Background()
	want := projectedTestLayout(t, crs.CGCSGK)
	path := filepath.Join(t.TempDir(), "layout-4547.gpkg")
	if err := WriteSRS(ctx, path, want, SRSCGCS2000GK114E); err != nil {
		t.Fatalf("WriteSRS: %v", err)
	}
	got, err := Read(ctx, path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read after WriteSRS mismatch (-want +got):\n%s", diff)
	}

	db := openTestDB(t, path)
	for _, ly := range want.Layers {
		tab, err := ReadTable(ctx, path, ly.ID)
		if err != nil {
			t.Fatalf("ReadTable %s: %v", ly.ID, err)
		}
		if tab.SRSID != 4547 {
			t.Errorf("ReadTable(%s).SRSID = %d, want 4547", ly.ID, tab.SRSID)
		}
		var contentsSRS, columnSRS int
		var minX, minY, maxX, maxY float64
		mustQueryRow(t, db, "SELECT srs_id, min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", &contentsSRS, &minX, &minY, &maxX, &maxY, ly.ID)
		mustQueryRow(t, db, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", &columnSRS, ly.ID)
		if contentsSRS != 4547 || columnSRS != 4547 {
			t.Errorf("%s: gpkg_contents.srs_id = %d, gpkg_geometry_columns.srs_id = %d, want 4547", ly.ID, contentsSRS, columnSRS)
		}
		wb, _ := layerBound(ly)
		if minX != wb.Min[0] || minY != wb.Min[1] || maxX != wb.Max[0] || maxY != wb.Max[1] {
			t.Errorf("%s: gpkg_contents extent (%v %v, %v %v), want %v", ly.ID, minX, minY, maxX, maxY, wb)
		}
		if minX < 1e5 || maxY < 1e6 {
			t.Errorf("%s: gpkg_contents extent (%v %v, %v %v) is not in metres", ly.ID, minX, minY, maxX, maxY)
		}
		rows, err := db.Query("SELECT geom FROM " + quoteIdent(ly.ID))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			if _, srs, err := DecodeGeometry(b); err != nil || srs != 4547 {
				t.Errorf("%s: geometry blob srs_id %d (%v), want 4547", ly.ID, srs, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}

	requireTool(t, "ogrinfo")
	out, stderr := run(t, "ogrinfo", "-ro", "-so", "-al", path)
	assertNoGDALWarnings(t, stderr)
	extent := regexp.MustCompile(`Extent: \(([-0-9.]+), ([-0-9.]+)\) - \(([-0-9.]+), ([-0-9.]+)\)`)
	for _, ly := range want.Layers {
		sec := layerSection(out, ly.ID)
		if sec == "" {
			t.Errorf("ogrinfo does not list layer %s:\n%s", ly.ID, out)
			continue
		}
		if !strings.Contains(sec, `ID["EPSG",4547]`) {
			t.Errorf("layer %s: ogrinfo does not report EPSG:4547:\n%s", ly.ID, sec)
		}
		if want := "Feature Count: " + strconv.Itoa(len(ly.Features)); !strings.Contains(sec, want) {
			t.Errorf("layer %s: ogrinfo lacks %q:\n%s", ly.ID, want, sec)
		}
		m := extent.FindStringSubmatch(sec)
		if m == nil {
			t.Errorf("layer %s: ogrinfo reports no extent:\n%s", ly.ID, sec)
			continue
		}
		wb, _ := layerBound(ly)
		for i, w := range []float64{wb.Min[0], wb.Min[1], wb.Max[0], wb.Max[1]} {
			g, _ := strconv.ParseFloat(m[i+1], 64)
			if math.Abs(g-w) > 1e-3 {
				t.Errorf("layer %s: ogrinfo extent %s, want %v (metres)", ly.ID, m[0], wb)
				break
			}
		}
	}
	if py, script, ok := gpkgValidator(); ok {
		out, stderr := run(t, py, script, path)
		if strings.TrimSpace(out+stderr) != "" {
			t.Errorf("validate_gpkg.py reports:\n%s%s", out, stderr)
		}
	}
}

func TestWriteSRSUnsupported(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []int{SRSUndefinedCartesian, SRSUndefinedGeographic, 9999, 4490 + 1} {
		path := filepath.Join(dir, fmt.Sprintf("srs%d.gpkg", id))
		err := WriteSRS(context.Background(), path, testLayout(), id)
		if !errors.Is(err, ErrUnsupportedSRS) {
			t.Errorf("WriteSRS(srs %d) = %v, want ErrUnsupportedSRS", id, err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("WriteSRS(srs %d) left %s behind", id, path)
		}
	}
	if entries := listDir(t, dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
	for _, id := range []int{4326, 4490, 4547, 3857} {
		if !SupportedSRS(id) {
			t.Errorf("SupportedSRS(%d) = false", id)
		}
	}
}

// TestMetadata reads hetang_metadata: a key of a store's file, a key it
// lacks, and files without the table (an export, a file GDAL wrote): not an
// error, the value is missing.
func TestMetadata(t *testing.T) {
	requireTool(t, "ogr2ogr")
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "in.geojson")
	if err := os.WriteFile(src, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"p1"},"geometry":{"type":"Point","coordinates":[113.2,27.9]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gdalFile := filepath.Join(dir, "gdal.gpkg")
	run(t, "ogr2ogr", "-f", "GPKG", gdalFile, src, "-nln", "sites")
	// A store's file (written with an Extra) has the table.
	storeFile := filepath.Join(dir, "store.gpkg")
	if err := WriteWith(ctx, storeFile, testLayout(), func(context.Context, *sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, key, want string
		ok                    bool
	}{
		{"a store file's version", storeFile, metaVersion, testLayout().Version, true},
		{"a key it lacks", storeFile, "history_schema", "", false},
		{"an export without the table", writeTestFile(t), metaVersion, "", false},
		{"a file GDAL wrote", gdalFile, metaVersion, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := OpenReadOnly(ctx, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got, ok, err := Metadata(ctx, db, tc.key)
			if err != nil || got != tc.want || ok != tc.ok {
				t.Errorf("Metadata(%q) = %q, %v, %v; want %q, %v, nil", tc.key, got, ok, err, tc.want, tc.ok)
			}
		})
	}
}
