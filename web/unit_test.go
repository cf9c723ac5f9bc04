package web_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"hetang/internal/gcj02"
	"hetang/internal/locate"
)

var update = flag.Bool("update", false, "rewrite web/test/unit/testdata/go-values.json from the Go code and PROJ's cs2cs")

// goValuesFile is what the page's node unit tests (web/test/unit/*.test.mjs)
// compare the page's JavaScript modules against.
const goValuesFile = "test/unit/testdata/go-values.json"

// goValues are values computed by the server's Go code (internal/gcj02, orb's
// planar functions) and by PROJ's cs2cs, for the page's modules gcj02.js,
// geometry.js and tmerc.js.
type goValues struct {
	Comment  string        `json:"comment"`
	GCJ02    []gcjCase     `json:"gcj02"`
	TMerc    []tmercCase   `json:"tmerc_epsg4547"`
	Polygons []polygonCase `json:"polygons"`
}

type gcjCase struct {
	WGS84 [2]float64 `json:"wgs84"`
	GCJ02 [2]float64 `json:"gcj02"`
	// Back is internal/gcj02.ToWGS84 of GCJ02: the iterative inverse.
	Back [2]float64 `json:"back"`
}

type tmercCase struct {
	LonLat [2]float64 `json:"lonlat"`
	EN     [2]float64 `json:"en"` // cs2cs EPSG:4490 → EPSG:4547, easting first
}

type polygonCase struct {
	ID       string       `json:"id"`
	Geometry orb.Polygon  `json:"coordinates"`
	Area     float64      `json:"area"`     // planar.Area
	CCW      bool         `json:"ccw"`      // outer ring counter-clockwise
	Centroid [2]float64   `json:"centroid"` // planar.CentroidArea of the outer ring
	Probes   [][2]float64 `json:"probes"`
	Inside   []bool       `json:"inside"` // planar.PolygonContains per probe
}

// TestGoValuesForPage recomputes go-values.json and fails when the committed
// file differs (go test ./web -run TestGoValuesForPage -update rewrites it).
// The EPSG:4547 values come from PROJ's cs2cs.
func TestGoValuesForPage(t *testing.T) {
	var want goValues
	b, err := os.ReadFile(goValuesFile)
	if err != nil && !*update {
		t.Fatal(err)
	}
	if err == nil {
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
	}
	got := goValues{Comment: "Values from the Go code (internal/gcj02, orb/planar) and PROJ's cs2cs for the page's node unit tests; regenerate with: go test ./web -run TestGoValuesForPage -update"}
	// GCJ-02: a grid over the district and beyond, and points outside China.
	for _, p := range [][2]float64{{113.131, 27.831}, {113.285, 28.017}, {113.2, 27.9}, {113.17, 27.86}, {116.391, 39.907},
		{121.4737, 31.2304}, {87.6, 43.8}, {72.1, 1.0}, {-0.1276, 51.5072}, {139.69, 35.69}, {113.0, 0.5}} {
		g0, g1 := gcj02.FromWGS84(p[0], p[1])
		w0, w1 := gcj02.ToWGS84(g0, g1)
		got.GCJ02 = append(got.GCJ02, gcjCase{WGS84: p, GCJ02: [2]float64{g0, g1}, Back: [2]float64{w0, w1}})
	}
	// Transverse Mercator: points across the district and the zone.
	tm := [][2]float64{{113.131104, 27.831029}, {113.284861, 28.017051}, {113.2, 27.9}, {114, 28}, {112.5, 27}, {115.5, 29},
		{113.1722, 27.8706}, {114, 0.5}, {112.6, 40}, {115.4, 18.2}}
	if *update || want.TMerc == nil {
		en, err := cs2cs(tm)
		if err != nil {
			t.Fatalf("cs2cs: %v (install proj-bin: scripts/deps.sh test)", err)
		}
		for i, p := range tm {
			got.TMerc = append(got.TMerc, tmercCase{LonLat: p, EN: en[i]})
		}
	} else {
		got.TMerc = want.TMerc
		if en, err := cs2cs(tm); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("cs2cs: %v (install proj-bin)", err)
			}
			t.Logf("cs2cs not run (%v): the committed EPSG:4547 values are not re-checked", err)
		} else {
			for i := range tm {
				if i >= len(want.TMerc) || want.TMerc[i].LonLat != tm[i] || math.Abs(want.TMerc[i].EN[0]-en[i][0]) > 1e-4 || math.Abs(want.TMerc[i].EN[1]-en[i][1]) > 1e-4 {
					t.Errorf("cs2cs gives %v for %v; go-values.json has a different entry %d: run with -update", en[i], tm[i], i)
				}
			}
		}
	}
	// Polygons: the plan's bases and cities as drawn in geodata/.
	for _, layer := range []string{"bases", "cities"} {
		b, err := os.ReadFile(filepath.Join("..", "geodata", "layers", layer+".geojson"))
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			poly, ok := f.Geometry.(orb.Polygon)
			if !ok {
				continue
			}
			c, _ := planar.CentroidArea(orb.Polygon{poly[0]})
			pc := polygonCase{ID: fmt.Sprint(f.ID), Geometry: poly, Area: planar.Area(poly), CCW: poly[0].Orientation() == orb.CCW, Centroid: [2]float64(c)}
			bb := poly.Bound()
			for i := 0; i <= 6; i++ {
				for j := 0; j <= 6; j++ {
					p := orb.Point{bb.Min[0] + (bb.Max[0]-bb.Min[0])*(float64(i)+0.37)/7, bb.Min[1] + (bb.Max[1]-bb.Min[1])*(float64(j)+0.61)/7}
					pc.Probes = append(pc.Probes, [2]float64(p))
					pc.Inside = append(pc.Inside, planar.PolygonContains(poly, p))
				}
			}
			got.Polygons = append(got.Polygons, pc)
		}
	}
	out, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(goValuesFile, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(out, b) {
		t.Errorf("%s is out of date with the Go code: run go test ./web -run TestGoValuesForPage -update", goValuesFile)
	}
}

// cs2cs projects lon/lat (CGCS2000, EPSG:4490) to EPSG:4547 with PROJ's
// command-line tool; both EPSG orders are latitude/northing first.
func cs2cs(pts [][2]float64) ([][2]float64, error) {
	var in strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&in, "%.9f %.9f\n", p[1], p[0])
	}
	cmd := exec.Command("cs2cs", "-f", "%.6f", "EPSG:4490", "EPSG:4547")
	cmd.Stdin = strings.NewReader(in.String())
	b, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(pts) {
		return nil, fmt.Errorf("cs2cs answered %d lines for %d points", len(lines), len(pts))
	}
	out := make([][2]float64, len(pts))
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 {
			return nil, fmt.Errorf("cs2cs line %q", l)
		}
		n, err1 := strconv.ParseFloat(f[0], 64)
		e, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("cs2cs line %q", l)
		}
		out[i] = [2]float64{e, n}
	}
	return out, nil
}

// TestNodeUnit runs the page modules' unit tests (web/test/unit/*.test.mjs)
// with node's built-in test runner.
func TestNodeUnit(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is missing; run make deps-test")
		}
		t.Skip("node is missing")
	}
	files, err := filepath.Glob(filepath.Join("test", "unit", "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no unit tests found: %v", err)
	}
	for _, f := range append(files, goValuesFile) { // so that edits invalidate go test's cache
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range mustGlob(t, filepath.Join("static", "js", "*.js")) {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, append([]string{"--test"}, files...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node --test failed: %v", err)
	}
}

// TestBatchMembersMatchServer: the page's list of the members the batch adds
// to each GeoJSON row's properties (BATCH_MEMBERS in static/js/api.js, which
// batchRow leaves out of the input columns) is internal/locate's.
func TestBatchMembersMatchServer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("static", "js", "api.js"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)export const BATCH_MEMBERS = \[(.*?)\];`).FindSubmatch(b)
	if m == nil {
		t.Fatal("api.js has no BATCH_MEMBERS")
	}
	var got []string
	for _, q := range regexp.MustCompile(`'([^']+)'`).FindAllSubmatch(m[1], -1) {
		got = append(got, string(q[1]))
	}
	want := []string{locate.MemberAnswer, locate.MemberLocate, locate.MemberLocateError}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("BATCH_MEMBERS in api.js: %v; the server's batch members: %v", got, want)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
