package layers_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/fixture"
	"hetang/internal/layers"
	"hetang/internal/store"
)

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

func newServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	st := fixture.Store(t)
	cfg := fixture.Config(t)
	cfg.MaxBodyBytes = 1 << 10
	return fixture.Server(t, cfg, st, layers.New(st)), st
}

func TestEndpoints(t *testing.T) {
	ts, _ := newServer(t)
	tests := []struct {
		name, path string
		status     int
		ctype      string
		body       string // a substring the body must contain
	}{
		{"health", "/healthz", 200, "application/json", `"status":"ok"`},
		{"ready", "/readyz", 200, "application/json", `"status":"ready"`},
		{"catalog", "/api/v1/layers", 200, "application/json", `"id":"areas"`},
		{"layer", "/api/v1/layers/roads", 200, "application/geo+json", `"class":"vertical"`},
		{"layer trailing slash", "/api/v1/layers/roads/", 200, "application/geo+json", `"FeatureCollection"`},
		{"feature", "/api/v1/layers/areas/features/area-cbd", 200, "application/geo+json", `"name_zh":"中央商务区"`},
		{"layer in GCJ-02", "/api/v1/layers/chain_nodes?crs=GCJ02", 200, "application/geo+json", `"crs_code":"GCJ02"`},
		{"unknown layer", "/api/v1/layers/nope", 404, "application/problem+json", `layer \"nope\" does not exist`},
		{"unknown feature", "/api/v1/layers/areas/features/nope", 404, "application/problem+json", `has no feature \"nope\"`},
		{"unknown crs", "/api/v1/layers/areas?crs=EPSG:9999", 400, "application/problem+json", `use one of CRS84`},
		{"unknown route", "/api/v2/whatever", 404, "application/problem+json", `"status":404`},
		{"path traversal", "/api/v1/layers/..%2f..%2fetc%2fpasswd", 404, "application/problem+json", `does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fixture.Get(t, ts.URL+tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if !strings.Contains(string(body), tt.body) {
				t.Errorf("body does not contain %s:\n%.400s", tt.body, body)
			}
			if strings.Contains(string(body), "/tmp/") || strings.Contains(string(body), "goroutine") {
				t.Errorf("body leaks internals: %.400s", body)
			}
		})
	}
}

func TestCatalogMatchesStore(t *testing.T) {
	ts, st := newServer(t)
	_, body := fixture.Get(t, ts.URL+"/api/v1/layers", nil)
	var cat layers.Catalog
	if err := json.Unmarshal(body, &cat); err != nil {
		t.Fatal(err)
	}
	lay := st.Current().Layout
	if cat.DataVersion != lay.Version {
		t.Errorf("data_version %q, want %q", cat.DataVersion, lay.Version)
	}
	if len(cat.Layers) != len(lay.Layers) {
		t.Fatalf("%d layers in catalog, %d in store", len(cat.Layers), len(lay.Layers))
	}
	for i, li := range cat.Layers {
		ly := lay.Layers[i]
		if li.ID != ly.ID || li.FeatureCount != len(ly.Features) || li.GeometryType != ly.GeometryType {
			t.Errorf("catalog entry %+v does not match layer %s (%d %s)", li, ly.ID, len(ly.Features), ly.GeometryType)
		}
		b := ly.Bound()
		if diff := cmp.Diff([4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, li.BBox); diff != "" {
			t.Errorf("%s bbox (-want +got):\n%s", ly.ID, diff)
		}
		// Every layer's features come back with their ids and the declared geometry type.
		_, lb := fixture.Get(t, ts.URL+"/api/v1/layers/"+ly.ID, nil)
		fc, err := geojson.UnmarshalFeatureCollection(lb)
		if err != nil {
			t.Fatalf("%s: %v", ly.ID, err)
		}
		if len(fc.Features) != len(ly.Features) {
			t.Errorf("%s: %d features served, %d stored", ly.ID, len(fc.Features), len(ly.Features))
		}
		for j, f := range fc.Features {
			if f.ID != ly.Features[j].ID || f.Geometry.GeoJSONType() != ly.GeometryType {
				t.Errorf("%s feature %d: id %v type %s", ly.ID, j, f.ID, f.Geometry.GeoJSONType())
			}
		}
	}
}

func TestETagAndGzip(t *testing.T) {
	ts, _ := newServer(t)
	resp, plain := fixture.Get(t, ts.URL+"/api/v1/layers/areas", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp, body := fixture.Get(t, ts.URL+"/api/v1/layers/areas", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("revalidation: status %d with %d bytes, want 304 and no body", resp.StatusCode, len(body))
	}
	resp, _ = fixture.Get(t, ts.URL+"/api/v1/layers/areas?crs=GCJ02", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another CRS with the same ETag: status %d, want 200", resp.StatusCode)
	}
	resp, gz := fixture.Get(t, ts.URL+"/api/v1/layers/areas", map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(gz)))
	if err != nil {
		t.Fatal(err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(unz) != string(plain) {
		t.Error("gzip body differs from the plain body")
	}
	if len(gz) >= len(plain) {
		t.Errorf("gzip body %d bytes, plain %d", len(gz), len(plain))
	}
}

func TestGCJ02LayerIsConverted(t *testing.T) {
	ts, st := newServer(t)
	_, b := fixture.Get(t, ts.URL+"/api/v1/layers/chain_nodes?crs=GCJ02", nil)
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	ly, _ := st.Current().Layout.Layer("chain_nodes")
	for i, f := range fc.Features {
		w := ly.Features[i].Geometry.Bound().Min
		g := f.Geometry.Bound().Min
		// Around Zhuzhou GCJ-02 is east and south of WGS84 by hundreds of metres.
		if dx, dy := g[0]-w[0], g[1]-w[1]; dx < 0.004 || dx > 0.007 || dy > -0.002 || dy < -0.005 {
			t.Errorf("%v: GCJ-02 offset (%.5f, %.5f)°, want about (+0.0057, -0.0033)", f.ID, dx, dy)
		}
	}
}

// TestHEAD checks that HEAD is answered like GET, without a body.
func TestHEAD(t *testing.T) {
	ts, _ := newServer(t)
	for path, want := range map[string]int{"/api/v1/layers": 200, "/api/v1/layers/areas": 200, "/api/v1/layers/nope": 404} {
		resp, err := http.Head(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || len(b) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes, want %d and none", path, resp.StatusCode, len(b), want)
		}
		if want == 200 && resp.Header.Get("ETag") == "" && path != "/api/v1/layers" {
			t.Errorf("HEAD %s: no ETag", path)
		}
	}
}
