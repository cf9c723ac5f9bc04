package spatial

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestGeodesicAgreesWithGeodCLI checks PROJ's proj_geod through go-proj, and
// the pure-Go Vincenty used in hot loops, against PROJ's geod command-line
// tool (GeographicLib's algorithm), to < 1 mm.
func TestGeodesicAgreesWithGeodCLI(t *testing.T) {
	geodBin, err := exec.LookPath("geod")
	if err != nil {
		t.Skip("geod (proj-bin) not installed")
	}
	r := rand.New(rand.NewPCG(11, 12))
	var in bytes.Buffer
	var pairs [][2]orb.Point
	for i := range 300 {
		a := orb.Point{113.0 + r.Float64()*0.4, 27.7 + r.Float64()*0.4}
		b := orb.Point{a[0] + (r.Float64()-0.5)*0.3, a[1] + (r.Float64()-0.5)*0.3}
		if i%50 == 0 { // a few long lines across China too
			b = orb.Point{75 + r.Float64()*60, 18 + r.Float64()*35}
		}
		pairs = append(pairs, [2]orb.Point{a, b})
		fmt.Fprintf(&in, "%.12f %.12f %.12f %.12f\n", a[1], a[0], b[1], b[0])
	}
	cmd := exec.Command(geodBin, "+ellps=WGS84", "-I", "-f", "%.12f")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	i := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			t.Fatalf("geod output line %q", sc.Text())
		}
		want, _ := strconv.ParseFloat(f[2], 64)
		wantAz, _ := strconv.ParseFloat(f[0], 64)
		a, b := pairs[i][0], pairs[i][1]
		d, az1, _, err := Geodesic(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(d-want) > 1e-3 {
			t.Errorf("PROJ Geodesic %v→%v = %.6f m, geod says %.6f m", a, b, d, want)
		}
		if math.Abs(az1-wantAz) > 1e-7 {
			t.Errorf("PROJ azimuth %v→%v = %.9f°, geod says %.9f°", a, b, az1, wantAz)
		}
		if v := GeodesicMeters(a, b); math.Abs(v-want) > 1e-3 {
			t.Errorf("GeodesicMeters %v→%v = %.6f m, geod says %.6f m", a, b, v, want)
		}
		i++
	}
	if i != len(pairs) {
		t.Fatalf("geod answered %d of %d lines", i, len(pairs))
	}
}

// TestLineMetersAgreesWithGeodCLI checks the short-distance formula of the
// nearest-feature answers against PROJ's geod: within 1e-6 of the distance.
func TestLineMetersAgreesWithGeodCLI(t *testing.T) {
	geodBin, err := exec.LookPath("geod")
	if err != nil {
		t.Skip("geod (proj-bin) not installed")
	}
	r := rand.New(rand.NewPCG(21, 22))
	var in bytes.Buffer
	var pairs [][2]orb.Point
	for range 2000 {
		a := orb.Point{113.0 + r.Float64()*0.4, 27.7 + r.Float64()*0.4}
		b := orb.Point{a[0] + (r.Float64()-0.5)*0.2, a[1] + (r.Float64()-0.5)*0.2}
		pairs = append(pairs, [2]orb.Point{a, b})
		fmt.Fprintf(&in, "%.12f %.12f %.12f %.12f\n", a[1], a[0], b[1], b[0])
	}
	cmd := exec.Command(geodBin, "+ellps=WGS84", "-I", "-f", "%.12f")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		want, _ := strconv.ParseFloat(strings.Fields(line)[2], 64)
		got := lineMeters(pairs[i][0], pairs[i][1])
		// geod prints distances to the millimetre.
		rel := math.Abs(got-want) / want
		worst = math.Max(worst, rel)
		if math.Abs(got-want) > 1e-6*want+0.0006 {
			t.Errorf("lineMeters %v→%v = %.4f m, geod %.4f m (rel %.1e)", pairs[i][0], pairs[i][1], got, want, rel)
		}
	}
	t.Logf("worst relative error %.1e", worst)
}

// TestGeodesicKnownValues checks zero distance and a meridian arc.
func TestGeodesicKnownValues(t *testing.T) {
	if d := GeodesicMeters(orb.Point{113.2, 27.9}, orb.Point{113.2, 27.9}); d != 0 {
		t.Errorf("same point: %v", d)
	}
	// One degree of meridian from 0° to 1° N on WGS84: 110574.388 m (GeographicLib).
	if d := GeodesicMeters(orb.Point{0, 0}, orb.Point{0, 1}); math.Abs(d-110574.3886) > 1e-3 {
		t.Errorf("meridian degree: %.4f", d)
	}
	// Nearly antipodal: Vincenty fails to converge and PROJ takes over.
	if d := GeodesicMeters(orb.Point{0, 0}, orb.Point{179.5, 0.5}); math.IsNaN(d) || d < 19e6 {
		t.Errorf("near-antipodal: %v", d)
	}
}

// denseGeod densifies the geodesic a→b with PROJ's geod tool (points every
// ≤ 1 m), the independent reference for point-to-line distances.
func denseGeod(t *testing.T, a, b orb.Point) []orb.Point {
	t.Helper()
	d := GeodesicMeters(a, b)
	n := max(1, int(math.Ceil(d/0.9)))
	out, err := exec.Command("geod", "+ellps=WGS84",
		fmt.Sprintf("+lat_1=%.15g", a[1]), fmt.Sprintf("+lon_1=%.15g", a[0]),
		fmt.Sprintf("+lat_2=%.15g", b[1]), fmt.Sprintf("+lon_2=%.15g", b[0]),
		fmt.Sprintf("+n_S=%d", n), "-f", "%.12f").Output()
	if err != nil {
		t.Fatal(err)
	}
	var pts []orb.Point
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		lat, _ := strconv.ParseFloat(f[0], 64)
		lon, _ := strconv.ParseFloat(f[1], 64)
		pts = append(pts, orb.Point{lon, lat})
	}
	return pts
}

// TestPointToLineAgreesWithDenseGeodesic compares the distances to the axis,
// the chain and the roads with a reference computed independently: each
// original segment near the answer densified to < 1 m along its geodesic by
// PROJ's geod tool, and the least PROJ geodesic distance to those points.
func TestPointToLineAgreesWithDenseGeodesic(t *testing.T) {
	if _, err := exec.LookPath("geod"); err != nil {
		t.Skip("geod (proj-bin) not installed")
	}
	ix := mustIndex(t)
	r := rand.New(rand.NewPCG(5, 6))
	b := ix.district.layer.Bound()
	cache := map[[2]orb.Point][]orb.Point{}
	cases := 120
	if testing.Short() {
		cases = 20
	}
	type target struct {
		name string
		line orb.LineString
		got  func(p orb.Point) float64
	}
	var targets []target
	for _, id := range []string{"axis", "chain", "roads"} {
		for _, fi := range ix.layers[id].feats {
			fi := fi
			targets = append(targets, target{fi.f.ID, fi.f.Geometry.(orb.LineString), func(p orb.Point) float64 {
				q, _ := fi.lines.nearest(p, newLocalFrame(p[1]))
				return GeodesicMeters(p, q)
			}})
		}
	}
	worst := 0.0
	for i := range cases {
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		tg := targets[i%len(targets)]
		got := tg.got(p)
		// Reference: segments whose endpoint-based lower bound can beat got.
		want := math.Inf(1)
		for j := 1; j < len(tg.line); j++ {
			a, c := tg.line[j-1], tg.line[j]
			segLen := GeodesicMeters(a, c)
			lower := math.Min(GeodesicMeters(p, a), GeodesicMeters(p, c)) - segLen/2
			if lower > got*1.01+10 {
				continue
			}
			key := [2]orb.Point{a, c}
			pts, ok := cache[key]
			if !ok {
				pts = denseGeod(t, a, c)
				cache[key] = pts
			}
			for _, q := range pts {
				if d, _, _, err := Geodesic(p, q); err == nil && d < want {
					want = d
				}
			}
		}
		rel := math.Abs(got-want) / math.Max(want, 1)
		worst = math.Max(worst, rel)
		if rel > 1e-3 {
			t.Errorf("%s from %v: got %.3f m, dense geodesic reference %.3f m (%.4f %%)", tg.name, p, got, want, rel*100)
		}
	}
	t.Logf("%d cases, worst relative difference %.2e", cases, worst)
}
