package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/geodata"
	"hetang/internal/crs"
	"hetang/internal/export"
	"hetang/internal/fixture"
	"hetang/internal/gpkg"
	"hetang/internal/importer"
	"hetang/internal/layers"
	"hetang/internal/layout"
	"hetang/internal/mediatype"
	"hetang/internal/plandata"
	"hetang/internal/spatial"
	"hetang/internal/store"
)

const token = "test-admin-token-0123456789"

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

// importFixture is a writable store on a fresh copy of the layout's
// GeoPackage in a temporary directory.
type importFixture struct {
	dir, path string
	st        *store.Store
	orig      *layout.Layout
}

func newFixture(t *testing.T) *importFixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "hetang.gpkg")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fixture.GPKG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return &importFixture{dir: dir, path: path, st: st, orig: st.Current().Layout}
}

// readerToken is a reader-admin token configured next to the admin token.
const readerToken = "reader-token-0123456789"

func newHTTP(t *testing.T, st *store.Store, adminToken string) *httptest.Server {
	t.Helper()
	cfg := fixture.Config(t)
	cfg.AdminToken = adminToken
	if adminToken != "" {
		cfg.TokensEnv = "auditor:reader-admin:" + readerToken
	}
	return fixture.Server(t, cfg, st, layers.New(st), importer.NewServer(cfg, st, geodata.FS, spatial.ParcelLimits{}, nil))
}

// do sends body with the Content-Type ctype and the bearer token auth (each
// when not empty), as the importer-test user agent.
func do(t *testing.T, method, url, ctype, auth string, body []byte) (*http.Response, []byte) {
	t.Helper()
	hdr := map[string]string{"User-Agent": "importer-test"}
	if ctype != "" {
		hdr["Content-Type"] = ctype
	}
	if auth != "" {
		hdr["Authorization"] = "Bearer " + auth
	}
	return fixture.Do(t, method, url, hdr, body)
}

func needTool(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// layerGeoJSON is the layer as our own GeoJSON download in c.
func layerGeoJSON(t *testing.T, lay *layout.Layout, id string, c crs.CRS) []byte {
	t.Helper()
	ly, err := lay.Layer(id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.GeoJSON(ly, c, lay.Version)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ogrShapeZip converts GeoJSON to an EPSG:4547 shapefile with ogr2ogr
// (UTF-8 attributes) and zips it.
func ogrShapeZip(t *testing.T, geojsonBytes []byte, name string) []byte {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.geojson")
	if err := os.WriteFile(src, geojsonBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4547", "-lco", "ENCODING=UTF-8", filepath.Join(dir, name+".shp"), src)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		b, err := os.ReadFile(filepath.Join(dir, name+ext))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(name + ext)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// vertices lists every point of g.
func vertices(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch x := g.(type) {
	case orb.Point:
		out = append(out, x)
	case orb.LineString:
		out = append(out, x...)
	case orb.Ring:
		out = append(out, x...)
	case orb.Polygon:
		for _, r := range x {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			out = append(out, vertices(p)...)
		}
	case orb.MultiLineString:
		for _, l := range x {
			out = append(out, l...)
		}
	}
	return out
}

// sameGeometry reports whether every vertex of a has a vertex of b within
// tol degrees and the other way round (ring direction and start may differ).
func sameGeometry(a, b orb.Geometry, tol float64) (bool, float64) {
	va, vb := vertices(a), vertices(b)
	worst := 0.0
	near := func(p orb.Point, ps []orb.Point) float64 {
		best := math.Inf(1)
		for _, q := range ps {
			d := math.Max(math.Abs(p[0]-q[0]), math.Abs(p[1]-q[1]))
			if d < best {
				best = d
			}
		}
		return best
	}
	for _, p := range va {
		worst = math.Max(worst, near(p, vb))
	}
	for _, p := range vb {
		worst = math.Max(worst, near(p, va))
	}
	return worst <= tol, worst
}

func assertSameLayer(t *testing.T, want, got *layout.Layer, tol float64) {
	t.Helper()
	if len(got.Features) != len(want.Features) {
		t.Fatalf("%d features, want %d", len(got.Features), len(want.Features))
	}
	for _, wf := range want.Features {
		gf, err := got.Feature(wf.ID)
		if err != nil {
			t.Errorf("feature %s missing", wf.ID)
			continue
		}
		if ok, worst := sameGeometry(wf.Geometry, gf.Geometry, tol); !ok {
			t.Errorf("feature %s: geometry differs by up to %g°", wf.ID, worst)
		}
		if gf.Properties["name_zh"] != wf.Properties["name_zh"] {
			t.Errorf("feature %s: name_zh %v, want %v", wf.ID, gf.Properties["name_zh"], wf.Properties["name_zh"])
		}
		if gf.Geometry.GeoJSONType() != got.GeometryType {
			t.Errorf("feature %s: %s in a %s layer", wf.ID, gf.Geometry.GeoJSONType(), got.GeometryType)
		}
	}
}

// servedLayer fetches a layer over HTTP and decodes it.
func servedLayer(t *testing.T, base, id string) (*layout.Layer, string) {
	t.Helper()
	resp, body := do(t, http.MethodGet, base+"/api/v1/layers/"+id, "", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET layer: %d %s", resp.StatusCode, body)
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil {
		t.Fatal(err)
	}
	ly := &layout.Layer{ID: id}
	for _, f := range fc.Features {
		ly.Features = append(ly.Features, &layout.Feature{ID: f.ID.(string), Properties: f.Properties, Geometry: f.Geometry})
	}
	ly.GeometryType = "MultiPolygon"
	if len(ly.Features) > 0 {
		ly.GeometryType = ly.Features[0].Geometry.GeoJSONType()
	}
	v, _ := fc.ExtraMembers["data_version"].(string)
	return ly, v
}

// TestImportShapefile4547OverHTTP is the main round trip: the areas layer
// to GeoJSON, to an EPSG:4547 shapefile by ogr2ogr, zipped, PUT back.
func TestImportShapefile4547OverHTTP(t *testing.T) {
	needTool(t, "ogr2ogr")
	fx := newFixture(t)
	ts := newHTTP(t, fx.st, token)
	zipped := ogrShapeZip(t, layerGeoJSON(t, fx.orig, "areas", crs.CRS84), "areas")

	resp, body := do(t, http.MethodPut, ts.URL+"/api/v1/layers/areas?accuracy=surveyed+2026", "application/zip", token, zipped)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT = %d: %s", resp.StatusCode, body)
	}
	var res importer.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if res.FeatureCount != 5 || res.DataVersion == fx.orig.Version || res.PreviousVersion != fx.orig.Version ||
		!strings.HasPrefix(res.DataVersion, fx.orig.Version+"+") {
		t.Errorf("result %+v (old version %s)", res, fx.orig.Version)
	}
	origAreas, _ := fx.orig.Layer("areas")
	served, version := servedLayer(t, ts.URL, "areas")
	if version != res.DataVersion {
		t.Errorf("served data version %s, want %s", version, res.DataVersion)
	}
	assertSameLayer(t, origAreas, served, 1e-7)
	// The long property names came back from their 10-character DBF forms.
	f, _ := served.Feature("area-hetang-moonlight")
	if d, _ := f.Properties["description"].(string); d == "" {
		t.Errorf("description not restored from the DBF field descriptio: %v", f.Properties)
	}
	// And the file on disk has it too.
	disk, err := gpkg.Read(context.Background(), fx.path)
	if err != nil {
		t.Fatal(err)
	}
	if disk.Version != res.DataVersion {
		t.Errorf("GeoPackage version %s, want %s", disk.Version, res.DataVersion)
	}
	diskAreas, _ := disk.Layer("areas")
	assertSameLayer(t, origAreas, diskAreas, 1e-7)
}

func shifted(t *testing.T, fc []byte, id string, dLon float64) []byte {
	t.Helper()
	c, err := geojson.UnmarshalFeatureCollection(fc)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Features {
		if f.ID == id {
			f.Geometry = moved(f.Geometry, dLon)
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func moved(g orb.Geometry, dLon float64) orb.Geometry {
	mp := orb.Clone(g).(orb.MultiPolygon)
	for _, p := range mp {
		for _, r := range p {
			for i := range r {
				r[i][0] += dLon
			}
		}
	}
	return mp
}

func dropped(t *testing.T, fc []byte, id string) []byte {
	t.Helper()
	c, err := geojson.UnmarshalFeatureCollection(fc)
	if err != nil {
		t.Fatal(err)
	}
	c.Features = slices.DeleteFunc(c.Features, func(f *geojson.Feature) bool { return f.ID == id })
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportBrokenPartitionRejected checks that areas that no longer tile
// the district are refused and that nothing changes, served or on disk.
func TestImportBrokenPartitionRejected(t *testing.T) {
	fx := newFixture(t)
	ts := newHTTP(t, fx.st, token)
	before, err := os.ReadFile(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	src := layerGeoJSON(t, fx.orig, "areas", crs.CRS84)
	// 500 m east at 27.9°N is 500 / (111320 · cos 27.9°) ≈ 0.00508°.
	dLon := 500 / (111320 * math.Cos(27.9*math.Pi/180))
	tests := []struct {
		name       string
		body       []byte
		wantChecks []string
	}{
		{"shifted 500 m", shifted(t, src, "area-cbd", dLon), []string{"areas-partition", "areas-overlap"}},
		{"area dropped", dropped(t, src, "area-shuizhuhu"), []string{"areas", "areas-partition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPut, ts.URL+"/api/v1/layers/areas", "application/geo+json", token, tc.body)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("PUT = %d, want 422: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != mediatype.Problem {
				t.Errorf("Content-Type %q, want %s", ct, mediatype.Problem)
			}
			var rej struct { // the problem document with the failed checks
				Status    int                `json:"status"`
				Detail    string             `json:"detail"`
				Findings  []plandata.Finding `json:"findings"`
				RequestID string             `json:"request_id"`
			}
			if err := json.Unmarshal(body, &rej); err != nil {
				t.Fatal(err)
			}
			if rej.Status != http.StatusUnprocessableEntity || rej.RequestID == "" {
				t.Errorf("problem status %d, request id %q; want 422 and an id", rej.Status, rej.RequestID)
			}
			var checks []string
			for _, f := range rej.Findings {
				checks = append(checks, f.Check)
			}
			for _, want := range tc.wantChecks {
				if !slices.Contains(checks, want) {
					t.Errorf("findings %v lack %s", checks, want)
				}
				if !strings.Contains(rej.Detail, want) {
					t.Errorf("detail does not list %s: %s", want, rej.Detail)
				}
			}
			served, version := servedLayer(t, ts.URL, "areas")
			if version != fx.orig.Version {
				t.Errorf("served version %s, want the old %s", version, fx.orig.Version)
			}
			origAreas, _ := fx.orig.Layer("areas")
			assertSameLayer(t, origAreas, served, 0)
			after, err := os.ReadFile(fx.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the GeoPackage on disk changed")
			}
			disk, err := gpkg.Read(context.Background(), fx.path)
			if err != nil {
				t.Fatal(err)
			}
			diskAreas, _ := disk.Layer("areas")
			if disk.Version != fx.orig.Version {
				t.Errorf("disk version %s", disk.Version)
			}
			assertSameLayer(t, origAreas, diskAreas, 0)
		})
	}
}

func TestImportAuth(t *testing.T) {
	fx := newFixture(t)
	body := layerGeoJSON(t, fx.orig, "areas", crs.CRS84)
	withToken := newHTTP(t, fx.st, token)
	noToken := newHTTP(t, fx.st, "")
	readOnly := newHTTP(t, fixture.Store(t), token)
	tests := []struct {
		name, base, method, path, ctype, auth string
		want                                  int
		wantAuthHeader                        bool
	}{
		{"no authorization", withToken.URL, "PUT", "/api/v1/layers/areas", "application/geo+json", "", 401, true},
		{"wrong token", withToken.URL, "PUT", "/api/v1/layers/areas", "application/geo+json", "wrong-token-0123456789", 401, true},
		{"token prefix", withToken.URL, "PUT", "/api/v1/layers/areas", "application/geo+json", token[:10], 401, true},
		{"reader-admin token", withToken.URL, "PUT", "/api/v1/layers/areas", "application/geo+json", readerToken, 403, true},
		{"writes disabled", noToken.URL, "PUT", "/api/v1/layers/areas", "application/geo+json", token, 403, false},
		{"read-only store", readOnly.URL, "PUT", "/api/v1/layers/areas", "application/geo+json", token, 409, false},
		{"unknown layer", withToken.URL, "PUT", "/api/v1/layers/nosuch", "application/geo+json", token, 404, false},
		{"unsupported type", withToken.URL, "POST", "/api/v1/layers/areas/import", "text/csv", token, 415, false},
		{"garbage zip", withToken.URL, "POST", "/api/v1/layers/areas/import", "application/zip", token, 400, false},
		{"reads stay public", withToken.URL, "GET", "/api/v1/layers/areas", "", "", 200, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := body
			if tc.name == "garbage zip" {
				b = []byte("PK not really")
			}
			resp, rb := do(t, tc.method, tc.base+tc.path, tc.ctype, tc.auth, b)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.want, rb)
			}
			if got := resp.Header.Get("WWW-Authenticate"); (got != "") != tc.wantAuthHeader {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if tc.want == 403 && tc.auth != readerToken && !strings.Contains(string(rb), "HETANG_ADMIN_TOKEN") {
				t.Errorf("403 does not say how to enable writes: %s", rb)
			}
			if tc.want == 409 && !strings.Contains(string(rb), "-data") {
				t.Errorf("409 does not mention -data: %s", rb)
			}
		})
	}
}

// TestImportLegacyCRSGeoJSON imports a GeoJSON in EPSG:4547 that says so
// with a legacy crs member, and one whose CRS comes from the srs parameter.
func TestImportLegacyCRSGeoJSON(t *testing.T) {
	fx := newFixture(t)
	ts := newHTTP(t, fx.st, token)
	src := layerGeoJSON(t, fx.orig, "areas", crs.CGCSGK)
	if !bytes.Contains(src, []byte(`"crs":{"properties":{"name":"EPSG:4547"},"type":"name"}`)) {
		t.Fatalf("fixture lacks the legacy crs member")
	}
	resp, body := do(t, http.MethodPost, ts.URL+"/api/v1/layers/areas/import", "application/geo+json", token, src)
	if resp.StatusCode != 200 {
		t.Fatalf("POST = %d: %s", resp.StatusCode, body)
	}
	origAreas, _ := fx.orig.Layer("areas")
	served, v1 := servedLayer(t, ts.URL, "areas")
	assertSameLayer(t, origAreas, served, 1e-7)

	// Without the member, the srs parameter says what the numbers are.
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "crs")
	bare, _ := json.Marshal(m)
	resp, body = do(t, http.MethodPut, ts.URL+"/api/v1/layers/areas", "application/geo+json", token, bare)
	if resp.StatusCode != 422 || !strings.Contains(string(body), "import-crs") {
		t.Fatalf("projected coordinates taken as CRS84: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, http.MethodPut, ts.URL+"/api/v1/layers/areas?srs=EPSG:4547", "application/geo+json", token, bare)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT srs=EPSG:4547 = %d: %s", resp.StatusCode, body)
	}
	served, v2 := servedLayer(t, ts.URL, "areas")
	assertSameLayer(t, origAreas, served, 1e-7)
	if v1 == v2 || v1 == fx.orig.Version {
		t.Errorf("versions did not change: %s → %s → %s", fx.orig.Version, v1, v2)
	}
}

// TestImportFillsProvenance imports features without source and accuracy.
func TestImportFillsProvenance(t *testing.T) {
	orig := fixture.Store(t).Current().Layout // read only: Prepare writes nothing
	c, err := geojson.UnmarshalFeatureCollection(layerGeoJSON(t, orig, "bases", crs.CRS84))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Features {
		delete(f.Properties, "source")
		delete(f.Properties, "accuracy")
		delete(f.Properties, "description")
	}
	b, _ := json.Marshal(c)
	p, err := importer.Prepare(context.Background(), orig, fixture.Gazetteer(t), importer.Request{
		Layer: "bases", Format: importer.FormatGeoJSON, Data: b, Filename: "bases-2026.geojson", Agent: "cli", Accuracy: "±5 m",
	})
	if err != nil {
		t.Fatal(err)
	}
	f := p.Layer.Features[0]
	if f.Properties["source"] != "import: bases-2026.geojson by cli" || f.Properties["accuracy"] != "±5 m" {
		t.Errorf("source %q accuracy %q", f.Properties["source"], f.Properties["accuracy"])
	}
	if d, _ := f.Properties["description"].(string); d == "" {
		t.Error("description not carried over")
	}
	if len(p.Warnings) == 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "description") {
		t.Errorf("warnings %v do not mention the carried-over description", p.Warnings)
	}
	if p.Version == orig.Version {
		t.Error("version unchanged")
	}
}

func TestImportRejectsBadFeatures(t *testing.T) {
	orig := fixture.Store(t).Current().Layout // read only: Prepare writes nothing
	c, err := geojson.UnmarshalFeatureCollection(layerGeoJSON(t, orig, "roads", crs.CRS84))
	if err != nil {
		t.Fatal(err)
	}
	c.Features[1].Properties["id"] = c.Features[0].Properties["id"]
	c.Features[1].ID = c.Features[0].ID
	delete(c.Features[2].Properties, "name_zh")
	c.Features[3].Geometry = orb.Point{113.2, 27.9}
	// A self-intersecting polygon in the cities layer is reported, not repaired.
	b, _ := json.Marshal(c)
	_, err = importer.Prepare(context.Background(), orig, fixture.Gazetteer(t), importer.Request{Layer: "roads", Format: importer.FormatGeoJSON, Data: b})
	var rej *importer.RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, importer.ErrRejected) {
		t.Fatalf("err = %v, want a rejection", err)
	}
	var checks []string
	for _, f := range rej.Findings {
		checks = append(checks, f.Check)
	}
	for _, want := range []string{"import-id", "import-name", "import-geometry-type", "structure"} {
		if !slices.Contains(checks, want) {
			t.Errorf("findings %v lack %s", checks, want)
		}
	}

	cities, _ := orig.Layer("cities")
	bow := &geojson.FeatureCollection{Type: "FeatureCollection"}
	for i, f := range cities.Features {
		gf := geojson.NewFeature(f.Geometry)
		gf.ID = f.ID
		gf.Properties = f.Properties
		if i == 0 {
			gf.Geometry = orb.Polygon{{{113.2, 27.9}, {113.21, 27.91}, {113.21, 27.9}, {113.2, 27.91}, {113.2, 27.9}}}
		}
		bow.Append(gf)
	}
	b, _ = json.Marshal(bow)
	_, err = importer.Prepare(context.Background(), orig, fixture.Gazetteer(t), importer.Request{Layer: "cities", Format: importer.FormatGeoJSON, Data: b})
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "valid: cities/") {
		t.Fatalf("bow-tie polygon: err = %v, want a validity finding", err)
	}
}

// TestImportWriteFailureKeepsOldData makes the store's write fail in two
// ways we can actually induce (even as root) and checks that the old
// GeoPackage is byte-identical and still served.
func TestImportWriteFailureKeepsOldData(t *testing.T) {
	fx := newFixture(t)
	before, err := os.ReadFile(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	src := layerGeoJSON(t, fx.orig, "areas", crs.CGCSGK)
	p, err := importer.Prepare(context.Background(), fx.orig, fixture.Gazetteer(t), importer.Request{Layer: "areas", Format: importer.FormatGeoJSON, Data: src})
	if err != nil {
		t.Fatal(err)
	}
	ly, version := p.Layer, p.Version

	t.Run("cancelled during the write", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := fx.st.Commit(ctx, fx.st.Current(), store.Change{Layers: []*layout.Layer{ly}, DataVersion: version, Kind: store.KindImport, Author: "test"}); err == nil {
			t.Fatal("a commit with a cancelled context succeeded")
		}
		after, _ := os.ReadFile(fx.path)
		if !bytes.Equal(before, after) {
			t.Error("GeoPackage changed")
		}
		entries, _ := os.ReadDir(filepath.Dir(fx.path))
		if len(entries) != 1 {
			t.Errorf("leftover files: %v", entries)
		}
		if fx.st.Current().Layout.Version != fx.orig.Version {
			t.Error("store serves a new version")
		}
	})

	t.Run("parent directory is a file", func(t *testing.T) {
		ts := newHTTP(t, fx.st, token)
		moved := filepath.Join(fx.dir, "moved")
		if err := os.Rename(filepath.Dir(fx.path), moved); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Dir(fx.path), []byte("not a directory"), 0o644); err != nil {
			t.Fatal(err)
		}
		resp, body := do(t, http.MethodPut, ts.URL+"/api/v1/layers/areas", "application/geo+json", token, src)
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "previous data is still served") {
			t.Fatalf("PUT = %d: %s", resp.StatusCode, body)
		}
		after, err := os.ReadFile(filepath.Join(moved, "hetang.gpkg"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Error("GeoPackage changed")
		}
		if _, v := servedLayer(t, ts.URL, "areas"); v != fx.orig.Version {
			t.Errorf("served version %s, want %s", v, fx.orig.Version)
		}
	})
}

// TestImportGeoPackage4547 imports an ogr2ogr-made EPSG:4547 GeoPackage
// (the CLI path, without HTTP).
func TestImportGeoPackage4547(t *testing.T) {
	needTool(t, "ogr2ogr")
	fx := newFixture(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "areas.geojson")
	if err := os.WriteFile(src, layerGeoJSON(t, fx.orig, "areas", crs.CRS84), 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "survey.gpkg")
	run(t, "ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4547", "-nln", "zones", in, src)
	res, err := importer.New(fx.st, fixture.Gazetteer(t)).Import(context.Background(), importer.Request{
		Layer: "areas", Format: importer.FormatGeoPackage, Path: in, Filename: "survey.gpkg", Agent: "cli",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.FeatureCount != 5 {
		t.Errorf("%d features", res.FeatureCount)
	}
	disk, err := gpkg.Read(context.Background(), fx.path)
	if err != nil {
		t.Fatal(err)
	}
	origAreas, _ := fx.orig.Layer("areas")
	got, _ := disk.Layer("areas")
	assertSameLayer(t, origAreas, got, 1e-7)
}

func TestNextVersion(t *testing.T) {
	a := importer.NextVersion("778712db72eaef01", []byte("x"))
	b := importer.NextVersion(a, []byte("x"))
	if !strings.HasPrefix(a, "778712db72eaef01+") || !strings.HasPrefix(b, "778712db72eaef01+") || a == b || len(a) != len(b) {
		t.Errorf("versions %q then %q", a, b)
	}
}

// TestImportChangedGeometryThrough4547 moves one city by 1 m east, sends the
// layer as an EPSG:4547 shapefile made by ogr2ogr, and checks the moved
// feature against the expected coordinates within 1e-7° (so reprojection,
// not the unchanged-feature rule, produced it).
func TestImportChangedGeometryThrough4547(t *testing.T) {
	needTool(t, "ogr2ogr")
	fx := newFixture(t)
	ts := newHTTP(t, fx.st, token)
	c, err := geojson.UnmarshalFeatureCollection(layerGeoJSON(t, fx.orig, "cities", crs.CRS84))
	if err != nil {
		t.Fatal(err)
	}
	dLon := 1 / (111320 * math.Cos(27.9*math.Pi/180))
	movedID := c.Features[0].ID.(string)
	p := orb.Clone(c.Features[0].Geometry).(orb.Polygon)
	for _, r := range p {
		for i := range r {
			r[i][0] += dLon
		}
	}
	c.Features[0].Geometry = p
	src, _ := json.Marshal(c)
	resp, body := do(t, http.MethodPut, ts.URL+"/api/v1/layers/cities", "application/zip", token, ogrShapeZip(t, src, "cities"))
	if resp.StatusCode != 200 {
		t.Fatalf("PUT = %d: %s", resp.StatusCode, body)
	}
	var res importer.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "1 of 2 feature(s) match the stored geometry") {
		t.Errorf("warnings %q", res.Warnings)
	}
	served, _ := servedLayer(t, ts.URL, "cities")
	got, err := served.Feature(movedID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, worst := sameGeometry(p, got.Geometry, 1e-7); !ok {
		t.Errorf("moved city differs from the expected coordinates by %g°", worst)
	}
	if ok, _ := sameGeometry(p, got.Geometry, 1e-13); ok {
		t.Log("note: no reprojection error at all")
	}
}
