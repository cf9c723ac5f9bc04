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

	"hetang/internal/spatial/internal/projgeod"
)

// TestGeodesicAgreesWithGeodCLI checks Geodesic and GeodesicMeters (Karney's
// algorithm in pure Go) against PROJ's geod command-line
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
		if i%50 == 25 { // and nearly antipodal points, where Vincenty's iteration fails
			b = orb.Point{a[0] - 180 + (r.Float64()-0.5)*0.5, -a[1] + (r.Float64()-0.5)*0.5}
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
	// Nearly antipodal (where Vincenty's iteration fails): 19936288.579 m (GeographicLib).
	if d := GeodesicMeters(orb.Point{0, 0}, orb.Point{179.5, 0.5}); math.Abs(d-19936288.579) > 1e-3 {
		t.Errorf("near-antipodal: %.4f", d)
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

// TestGeodesicAreaAgreesWithPROJ checks polygon areas of every size, from a
// parcel to a hemisphere, far from the district and across the antimeridian
// and the poles, against PROJ's geod_polygonarea (libproj's C code, called
// through cgo by the test-only package projgeod): within 1e-9 of the area,
// far inside the 0.1 % the service promises.
func TestGeodesicAreaAgreesWithPROJ(t *testing.T) {
	ring := func(pts ...[2]float64) orb.Ring {
		r := orb.Ring{}
		for _, p := range pts {
			r = append(r, orb.Point{p[0], p[1]})
		}
		return append(r, r[0])
	}
	circle := func(lon, lat, radiusDeg float64, n int, cw bool) orb.Ring {
		r := orb.Ring{}
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			if cw {
				a = -a
			}
			r = append(r, orb.Point{lon + radiusDeg*math.Cos(a)/math.Cos(lat*math.Pi/180), lat + radiusDeg*math.Sin(a)})
		}
		return append(r, r[0])
	}
	rnd := rand.New(rand.NewPCG(31, 32))
	random := func(lon, lat, spread float64, n int) orb.Ring {
		r := orb.Ring{}
		for range n {
			r = append(r, orb.Point{lon + (rnd.Float64()-0.5)*spread, lat + (rnd.Float64()-0.5)*spread})
		}
		return append(r, r[0])
	}
	cases := []struct {
		name string
		ring orb.Ring
		want float64 // when known in closed form; 0: PROJ only
	}{
		{"parcel 100 m", ring([2]float64{113.15, 27.85}, [2]float64{113.151, 27.85}, [2]float64{113.151, 27.851}, [2]float64{113.15, 27.851}), 0},
		{"district-sized triangle", ring([2]float64{113.12, 27.82}, [2]float64{113.30, 27.84}, [2]float64{113.20, 28.00}), 0},
		{"clockwise square", ring([2]float64{113.2, 27.89}, [2]float64{113.2, 27.91}, [2]float64{113.22, 27.91}, [2]float64{113.22, 27.89}), 0},
		{"northern hemisphere (equator ring)", ring([2]float64{0, 0}, [2]float64{90, 0}, [2]float64{180, 0}, [2]float64{-90, 0}), EarthArea / 2},
		{"eastern hemisphere by meridians", ring([2]float64{-90, -90}, [2]float64{90, -90}, [2]float64{90, 0}, [2]float64{90, 90}, [2]float64{-90, 90}, [2]float64{-90, 0}), EarthArea / 2},
		{"octant", ring([2]float64{0, 0}, [2]float64{90, 0}, [2]float64{0, 90}), EarthArea / 8},
		{"Europe box", ring([2]float64{-10, 35}, [2]float64{30, 35}, [2]float64{30, 60}, [2]float64{-10, 60}), 0},
		{"antimeridian box", ring([2]float64{170, -10}, [2]float64{-170, -10}, [2]float64{-170, 10}, [2]float64{170, 10}), 0},
		{"around the south pole", circle(0, -80, 5, 360, false), 0},
		{"circle 2000 km clockwise", circle(-60, -30, 18, 720, true), 0},
		{"random self-intersecting", random(113.2, 27.85, 0.3, 50), 0},
		{"random far", random(-100, 40, 20, 30), 0},
		{"triangle on one parallel", ring([2]float64{113.0, 27.87}, [2]float64{113.4, 27.87}, [2]float64{113.2, 27.87}), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var lons, lats []float64
			for _, p := range c.ring[:len(c.ring)-1] {
				lons, lats = append(lons, p[0]), append(lats, p[1])
			}
			ref, _ := projgeod.PolygonArea(lons, lats)
			ref = math.Abs(ref)
			got := ringArea(c.ring)
			if rel := math.Abs(got-ref) / ref; rel > 1e-9 {
				t.Errorf("area %.6e m², PROJ geod_polygonarea %.6e m² (rel %.1e)", got, ref, rel)
			}
			if c.want != 0 {
				if rel := math.Abs(got-c.want) / c.want; rel > 1e-9 {
					t.Errorf("area %.6e m², closed form %.6e m² (rel %.1e)", got, c.want, rel)
				}
			}
			if got := GeodesicArea(orb.Polygon{c.ring}); math.Abs(got-ref)/ref > 1e-9 {
				t.Errorf("GeodesicArea %.6e m², PROJ %.6e m²", got, ref)
			}
		})
	}
	// The WGS84 ellipsoid's area: 510,065,621.724 km² (GeographicLib).
	if math.Abs(EarthArea-5.10065621724e14) > 1e3 {
		t.Errorf("EarthArea %.6e m²", EarthArea)
	}
}
