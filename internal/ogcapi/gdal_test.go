package ogcapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"hetang/internal/config"
	"hetang/internal/fixture"
	"hetang/internal/gdaltest"
	"hetang/internal/gpkg"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
)

// These end-to-end tests drive the real GDAL OAPIF client (ogrinfo,
// ogr2ogr) and PROJ's command-line front (gdaltransform) against the
// service with its default data, started in-process on a real port.

// requireTool skips when a GDAL tool is missing, unless CI is set.
func requireTool(t *testing.T, name string) string { return gdaltest.Require(t, name) }

// recorder remembers the request URIs the server received.
type recorder struct {
	mu   sync.Mutex
	uris []string
}

func (r *recorder) Mount(rt httpapi.Routes) {
	rt.Echo.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r.mu.Lock()
			r.uris = append(r.uris, c.Request().URL.RequestURI())
			r.mu.Unlock()
			return next(c)
		}
	})
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.uris = nil
	r.mu.Unlock()
}

func (r *recorder) saw(substr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.uris {
		if strings.Contains(u, substr) {
			return true
		}
	}
	return false
}

type liveServer struct {
	url string // …/ogcapi/
	lay *layout.Layout
	rec *recorder
}

var (
	liveOnce sync.Once
	live     *liveServer
	liveErr  error
)

// startLive serves the embedded default data on 127.0.0.1:0 for the whole
// test binary.
func startLive(t *testing.T) *liveServer {
	t.Helper()
	st := fixture.Store(t)
	liveOnce.Do(func() {
		rec := &recorder{}
		srv := httpapi.New(config.Default(), st, fixture.Logger(), "test", New(st), rec)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			liveErr = err
			return
		}
		go func() { _ = srv.Serve(context.Background(), ln) }()
		live = &liveServer{url: "http://" + ln.Addr().String() + links.OGCAPI + "/", lay: st.Current().Layout, rec: rec}
	})
	if liveErr != nil {
		t.Fatal(liveErr)
	}
	return live
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=30", "CPL_VSIL_CURL_ALLOWED_EXTENSIONS=", "GDAL_HTTP_PROXY=", "HTTP_PROXY=", "http_proxy=", "NO_PROXY=127.0.0.1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var (
	reCount = regexp.MustCompile(`(?m)^Feature Count: (\d+)`)
	reID    = regexp.MustCompile(`(?m)^  id \(String\) = (.+)$`)
)

func TestGDALListsEveryLayerWithItsCount(t *testing.T) {
	requireTool(t, "ogrinfo")
	ls := startLive(t)
	out := run(t, "ogrinfo", "-ro", "-so", "-al", "OAPIF:"+ls.url)
	got := map[string]int{}
	// Each layer's block starts with "Layer name:"; its count follows.
	blocks := strings.Split(out, "Layer name: ")[1:]
	for _, b := range blocks {
		name := strings.Fields(b)[0]
		m := reCount.FindStringSubmatch(b)
		if m == nil {
			t.Errorf("no Feature Count for layer %s", name)
			continue
		}
		got[name], _ = strconv.Atoi(m[1])
	}
	want := map[string]int{}
	for _, ly := range ls.lay.Layers {
		want[links.CollectionID(ly.ID)] = len(ly.Features)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ogrinfo layers and feature counts (-want +got):\n%s", diff)
	}
}

// gdalIDs runs ogrinfo on one layer with extra arguments and returns the
// id properties of the features it prints, sorted.
func gdalIDs(t *testing.T, ls *liveServer, layer string, args ...string) []string {
	t.Helper()
	a := append([]string{"-ro", "-q", "OAPIF:" + ls.url, layer}, args...)
	out := run(t, "ogrinfo", a...)
	var ids []string
	for _, m := range reID.FindAllStringSubmatch(out, -1) {
		ids = append(ids, strings.TrimSpace(m[1]))
	}
	slices.Sort(ids)
	return ids
}

func TestGDALSpatialFilter(t *testing.T) {
	requireTool(t, "ogrinfo")
	ls := startLive(t)
	for _, tc := range []struct {
		layer string
		box   orb.Bound
	}{
		{"areas", orb.Bound{Min: orb.Point{113.20, 27.90}, Max: orb.Point{113.21, 27.91}}},
		{"areas", orb.Bound{Min: orb.Point{113.24, 27.95}, Max: orb.Point{113.29, 28.02}}},
		{"places", orb.Bound{Min: orb.Point{113.14, 27.83}, Max: orb.Point{113.18, 27.87}}},
		{"places", orb.Bound{Min: orb.Point{113.20, 27.88}, Max: orb.Point{113.26, 27.99}}},
		{"roads", orb.Bound{Min: orb.Point{113.16, 27.88}, Max: orb.Point{113.19, 27.91}}},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.layer, tc.box), func(t *testing.T) {
			ly, err := ls.lay.Layer(tc.layer)
			if err != nil {
				t.Fatal(err)
			}
			// The truth: GEOS intersects, computed here from the source data.
			box := fixture.GEOS(t, tc.box.ToPolygon())
			var want []string
			for _, f := range ly.Features {
				if fixture.GEOS(t, f.Geometry).Intersects(box) {
					want = append(want, f.ID)
				}
			}
			slices.Sort(want)
			if len(want) == 0 || len(want) == len(ly.Features) {
				t.Fatalf("test box selects %d of %d features; choose one that discriminates", len(want), len(ly.Features))
			}
			ls.rec.reset()
			f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
			got := gdalIDs(t, ls, tc.layer, "-spat", f(tc.box.Min[0]), f(tc.box.Min[1]), f(tc.box.Max[0]), f(tc.box.Max[1]))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ogrinfo -spat ids (-want +got):\n%s", diff)
			}
			if !ls.rec.saw("/collections/"+tc.layer+"/items?") || !ls.rec.saw("bbox=") {
				t.Errorf("the server never received a bbox query for %s; requests: %v", tc.layer, ls.rec.uris)
			}
		})
	}
}

func TestGDALWhere(t *testing.T) {
	requireTool(t, "ogrinfo")
	ls := startLive(t)
	for _, tc := range []struct {
		layer, where, prop, value string
	}{
		{"places", "kind = 'village'", "kind", "village"},
		{"roads", "class = 'vertical'", "class", "vertical"},
	} {
		t.Run(tc.layer+" "+tc.where, func(t *testing.T) {
			ly, err := ls.lay.Layer(tc.layer)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range ly.Features {
				if f.Properties[tc.prop] == tc.value {
					want = append(want, f.ID)
				}
			}
			slices.Sort(want)
			if len(want) == 0 || len(want) == len(ly.Features) {
				t.Fatalf("where %q selects %d of %d features; choose one that discriminates", tc.where, len(want), len(ly.Features))
			}
			ls.rec.reset()
			got := gdalIDs(t, ls, tc.layer, "-where", tc.where)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ogrinfo -where ids (-want +got):\n%s", diff)
			}
			// The filter must have gone to the server, as a property
			// parameter or a CQL2 filter, not been applied by GDAL alone.
			if !ls.rec.saw(tc.prop+"="+tc.value) && !ls.rec.saw("filter=") {
				t.Errorf("the server never received the filter; requests: %v", ls.rec.uris)
			}
		})
	}
}

func TestGDALCopyToGeoPackage(t *testing.T) {
	requireTool(t, "ogr2ogr")
	ls := startLive(t)
	for _, layer := range []string{"roads", "areas", "places"} {
		t.Run(layer, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.gpkg")
			run(t, "ogr2ogr", "-f", "GPKG", out, "OAPIF:"+ls.url, layer)
			tbl, err := gpkg.ReadTable(context.Background(), out, layer)
			if err != nil {
				t.Fatal(err)
			}
			src, err := ls.lay.Layer(layer)
			if err != nil {
				t.Fatal(err)
			}
			if len(tbl.Features) != len(src.Features) {
				t.Fatalf("copied %d features, source has %d", len(tbl.Features), len(src.Features))
			}
			for _, f := range src.Features {
				var copied *layout.Feature
				for _, g := range tbl.Features {
					if g.Properties["id"] == f.ID {
						copied = g
					}
				}
				if copied == nil {
					t.Errorf("feature %s missing from the copy", f.ID)
					continue
				}
				if err := sameGeometry(f.Geometry, copied.Geometry, 1e-9); err != nil {
					t.Errorf("feature %s: %v", f.ID, err)
				}
			}
		})
	}
}

// sameGeometry compares two geometries coordinate by coordinate. A single
// geometry equals a multi-geometry holding just it (GDAL may promote).
func sameGeometry(want, got orb.Geometry, tol float64) error {
	flat := gdaltest.Points
	if want == nil || got == nil {
		return errors.New("nil geometry")
	}
	a, b := flat(want), flat(got)
	if len(a) != len(b) {
		return fmt.Errorf("%d coordinates, want %d (%s vs %s)", len(b), len(a), got.GeoJSONType(), want.GeoJSONType())
	}
	for i := range a {
		if math.Abs(a[i][0]-b[i][0]) > tol || math.Abs(a[i][1]-b[i][1]) > tol {
			return fmt.Errorf("coordinate %d is %v, want %v", i, b[i], a[i])
		}
	}
	return nil
}

func TestCRS4547AgreesWithPROJ(t *testing.T) {
	requireTool(t, "gdaltransform")
	ls := startLive(t)
	const uri = "http://www.opengis.net/def/crs/EPSG/0/4547"
	resp, err := http.Get(ls.url + "collections/places/items?limit=1000&crs=" + uri)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := resp.Header.Get(httpapi.HeaderContentCRS); got != "<"+uri+">" {
		t.Errorf("Content-Crs %q, want <%s>", got, uri)
	}
	var fc struct {
		Features []struct {
			ID       string
			Geometry struct{ Coordinates [2]float64 }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		t.Fatal(err)
	}
	places, err := ls.lay.Layer("places")
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(places.Features) {
		t.Fatalf("%d features, want %d", len(fc.Features), len(places.Features))
	}
	// gdaltransform reads and writes x-first (lon lat → easting northing).
	var in strings.Builder
	for _, f := range places.Features {
		p := f.Geometry.(orb.Point)
		fmt.Fprintf(&in, "%.12f %.12f\n", p[0], p[1])
	}
	cmd := exec.Command("gdaltransform", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdaltransform: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for i := 0; sc.Scan(); i++ {
		var e, n float64
		if _, err := fmt.Sscanf(sc.Text(), "%g %g", &e, &n); err != nil {
			t.Fatalf("gdaltransform output %q: %v", sc.Text(), err)
		}
		got := fc.Features[i].Geometry.Coordinates
		if fc.Features[i].ID != places.Features[i].ID {
			t.Fatalf("feature %d is %s, want %s", i, fc.Features[i].ID, places.Features[i].ID)
		}
		// Authority order for EPSG:4547: northing first.
		if math.Abs(got[0]-n) > 1e-3 || math.Abs(got[1]-e) > 1e-3 {
			t.Errorf("%s: server (northing, easting) = %v, PROJ (%.4f, %.4f)", places.Features[i].ID, got, n, e)
		}
	}
}
