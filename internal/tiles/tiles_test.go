package tiles_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"hetang/internal/fixture"
	"hetang/internal/mediatype"
	"hetang/internal/store"
	"hetang/internal/tiles"
)

// xianyuling is 仙庾岭 from reference/gazetteer.csv (WGS84).
var xianyuling = orb.Point{113.2534604457, 27.9373502728}

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

func newServer(t testing.TB) (*httptest.Server, *store.Store) {
	t.Helper()
	st := fixture.Store(t)
	return fixture.Server(t, fixture.Config(t), st, tiles.New(st, 0)), st
}

func tileURL(base, set string, tl maptile.Tile) string {
	return base + "/tiles/" + set + "/" + itoa(int(tl.Z)) + "/" + itoa(int(tl.X)) + "/" + itoa(int(tl.Y)) + ".mvt"
}

func itoa(i int) string { return strconv.Itoa(i) }

func featureIDs(l *mvt.Layer) []string {
	var ids []string
	for _, f := range l.Features {
		id, _ := f.Properties["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

func layerByName(ls mvt.Layers, name string) *mvt.Layer {
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func TestTileContainsXianyuling(t *testing.T) {
	ts, _ := newServer(t)
	tl := maptile.At(xianyuling, 14)
	resp, body := fixture.Get(t, tileURL(ts.URL, "areas", tl), map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != mediatype.MVT {
		t.Errorf("Content-Type = %q, want %q", got, mediatype.MVT)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	ls, err := mvt.UnmarshalGzipped(body)
	if err != nil {
		t.Fatal(err)
	}
	l := layerByName(ls, "areas")
	if l == nil || len(ls) != 1 {
		t.Fatalf("layers = %v, want just areas", ls)
	}
	if l.Extent != 4096 {
		t.Errorf("extent = %d", l.Extent)
	}
	if !slices.Contains(featureIDs(l), "area-hetang-moonlight") {
		t.Fatalf("ids %v lack area-hetang-moonlight", featureIDs(l))
	}
	// Back in WGS84 the moonlight area must contain the point (the buffer and
	// simplification move edges by well under a metre at z14).
	l.ProjectToWGS84(tl)
	for _, f := range l.Features {
		if f.Properties["id"] != "area-hetang-moonlight" {
			continue
		}
		if f.Properties["name_zh"] != "荷塘月色片区" {
			t.Errorf("name_zh = %v", f.Properties["name_zh"])
		}
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if p, isP := f.Geometry.(orb.Polygon); isP {
			mp, ok = orb.MultiPolygon{p}, true
		}
		if !ok || !planar.MultiPolygonContains(mp, xianyuling) {
			t.Errorf("decoded moonlight area (%T) does not contain 仙庾岭", f.Geometry)
		}
	}
}

func TestTileRingOrientation(t *testing.T) {
	st := fixture.Store(t)
	tl := maptile.At(xianyuling, 12)
	raw, err := tiles.Render(st.Current().Layout.Layers, tl)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range ls {
		for _, f := range l.Features {
			var polys []orb.Polygon
			switch g := f.Geometry.(type) {
			case orb.Polygon:
				polys = append(polys, g)
			case orb.MultiPolygon:
				polys = append(polys, g...)
			}
			for _, p := range polys {
				n++
				// MVT: exterior rings have positive area in tile (y-down) coordinates.
				if p[0].Orientation() != orb.CCW {
					t.Errorf("%s/%v: exterior ring has the wrong winding", l.Name, f.Properties["id"])
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no polygons decoded")
	}
}

func TestTileStatuses(t *testing.T) {
	ts, _ := newServer(t)
	tl := maptile.At(xianyuling, 14)
	tests := []struct {
		name, path string
		want       int
	}{
		{"layer tile", tileURL("", "areas", tl), 200},
		{"all tile", tileURL("", "all", tl), 200},
		{"ocean tile", "/tiles/all/14/0/8000.mvt", 204},
		{"ocean tile one layer", "/tiles/areas/3/0/0.mvt", 204},
		{"zoom too high", "/tiles/areas/23/0/0.mvt", 400},
		{"negative zoom", "/tiles/areas/-1/0/0.mvt", 400},
		{"x out of range", "/tiles/areas/2/4/0.mvt", 400},
		{"y out of range", "/tiles/areas/0/0/1.mvt", 400},
		{"negative y", "/tiles/areas/3/0/-1.mvt", 400},
		{"not a number", "/tiles/areas/a/0/0.mvt", 400},
		{"unknown layer", "/tiles/nosuch/14/0/0.mvt", 404},
		{"no suffix", "/tiles/areas/14/0/0.png", 404},
		{"tilejson", "/tiles/areas.json", 200},
		{"tilejson all", "/tiles/all.json", 200},
		{"tilejson unknown", "/tiles/nosuch.json", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := fixture.Get(t, ts.URL+tc.path, nil)
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s = %d, want %d: %s", tc.path, resp.StatusCode, tc.want, body)
			}
		})
	}
}

func TestTileGzipRoundTrip(t *testing.T) {
	ts, _ := newServer(t)
	u := tileURL(ts.URL, "all", maptile.At(xianyuling, 13))
	r1, plain := fixture.Get(t, u, nil)
	r2, zipped := fixture.Get(t, u, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	r3, refused := fixture.Get(t, u, map[string]string{"Accept-Encoding": "gzip;q=0"})
	if r1.Header.Get("Content-Encoding") != "" || r3.Header.Get("Content-Encoding") != "" {
		t.Errorf("identity responses carry Content-Encoding %q / %q", r1.Header.Get("Content-Encoding"), r3.Header.Get("Content-Encoding"))
	}
	if r2.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", r2.Header.Get("Content-Encoding"))
	}
	unzipped, err := gunzip(zipped)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain, unzipped); diff != "" || !slices.Equal(plain, refused) {
		t.Fatalf("gunzipped body differs from the identity body (-want +got):\n%s", diff)
	}
	ls, err := mvt.Unmarshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	for _, want := range []string{"district", "areas", "chain"} {
		if !slices.Contains(names, want) {
			t.Errorf("all tileset layers %v lack %s", names, want)
		}
	}
	// A conditional request with the ETag is answered 304.
	r4, _ := fixture.Get(t, u, map[string]string{"If-None-Match": r1.Header.Get("ETag")})
	if r4.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", r4.StatusCode)
	}
}

func TestTileJSON(t *testing.T) {
	ts, st := newServer(t)
	resp, body := fixture.Get(t, ts.URL+"/tiles/all.json", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var tj tiles.TileJSON
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || tj.MinZoom != 0 || tj.MaxZoom != tiles.MaxZoom || tj.Scheme != "xyz" {
		t.Errorf("tilejson %q minzoom %d maxzoom %d scheme %q, want zooms 0–%d (all served)", tj.TileJSON, tj.MinZoom, tj.MaxZoom, tj.Scheme, tiles.MaxZoom)
	}
	// The zooms advertised are served: the world tile and a street tile
	// at the centre.
	for _, z := range []int{tj.MinZoom, tj.MaxZoom} {
		tl := maptile.At(orb.Point{tj.Center[0], tj.Center[1]}, maptile.Zoom(z))
		if r, _ := fixture.Get(t, fmt.Sprintf("%s/tiles/all/%d/%d/%d.mvt", ts.URL, tl.Z, tl.X, tl.Y), nil); r.StatusCode != 200 {
			t.Errorf("tile at zoom %d: status %d", z, r.StatusCode)
		}
	}
	// The centre is the district's, inside it, at the zoom that shows the
	// whole district in a 1024-pixel view (and not at the next one).
	district, _ := st.Current().Layout.Layer("district")
	db := district.Bound()
	cen := orb.Point{tj.Center[0], tj.Center[1]}
	if cen != db.Center() {
		t.Errorf("centre %v, want the district's centre %v", cen, db.Center())
	}
	if !planar.MultiPolygonContains(district.Features[0].Geometry.(orb.MultiPolygon), cen) {
		t.Errorf("centre %v is outside the district", cen)
	}
	span := func(z float64) float64 {
		nw := maptile.Fraction(orb.Point{db.Min[0], db.Max[1]}, maptile.Zoom(z))
		se := maptile.Fraction(orb.Point{db.Max[0], db.Min[1]}, maptile.Zoom(z))
		return max(se[0]-nw[0], se[1]-nw[1]) * 256
	}
	if z := tj.Center[2]; span(z) > 1024 || span(z+1) <= 1024 {
		t.Errorf("centre zoom %v: the district spans %.0f px (at z+1 %.0f px); want the highest zoom that fits 1024", z, span(z), span(z+1))
	}
	if want := []string{ts.URL + "/tiles/all/{z}/{x}/{y}.mvt"}; !slices.Equal(tj.Tiles, want) {
		t.Errorf("tiles = %v, want %v", tj.Tiles, want)
	}
	b := tj.Bounds
	if !(b[0] > 112.5 && b[0] < 113.2 && b[2] > 113.2 && b[2] < 114.5 && b[1] > 26 && b[3] < 29) {
		t.Errorf("bounds %v not around Zhuzhou", b)
	}
	if len(tj.VectorLayers) != len(st.Current().Layout.Layers) {
		t.Errorf("%d vector layers, want %d", len(tj.VectorLayers), len(st.Current().Layout.Layers))
	}
	resp, body = fixture.Get(t, ts.URL+"/tiles/roads.json", map[string]string{"X-Forwarded-Proto": "https"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	if len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "roads" {
		t.Fatalf("vector_layers = %+v", tj.VectorLayers)
	}
	want := map[string]string{"id": "String", "name_zh": "String", "name_en": "String", "kind": "String", "class": "String"}
	if diff := cmp.Diff(want, tj.VectorLayers[0].Fields); diff != "" {
		t.Errorf("roads fields (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(tj.Tiles[0], "https://") {
		t.Errorf("tiles URL %q ignores X-Forwarded-Proto", tj.Tiles[0])
	}
}

// TestOGRReadsTile opens a tile with GDAL's MVT driver.
func TestOGRReadsTile(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo not installed")
	}
	st := fixture.Store(t)
	tl := maptile.At(xianyuling, 14)
	raw, err := tiles.Render(st.Current().Layout.Layers, tl)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tile.mvt")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-geom=NO", path,
		"-oo", "X="+itoa(int(tl.X)), "-oo", "Y="+itoa(int(tl.Y)), "-oo", "Z="+itoa(int(tl.Z))).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"Layer name: areas", "Layer name: district", "id (String) = area-hetang-moonlight", "name_zh (String) = 荷塘月色片区"} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
}

func BenchmarkRender(b *testing.B) {
	st := fixture.Store(b)
	layers := st.Current().Layout.Layers
	for _, z := range []maptile.Zoom{10, 14, 18} {
		tl := maptile.At(xianyuling, z)
		b.Run("z"+itoa(int(z)), func(b *testing.B) {
			for b.Loop() {
				if _, err := tiles.Render(layers, tl); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// gunzip decompresses a gzip body.
func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}
