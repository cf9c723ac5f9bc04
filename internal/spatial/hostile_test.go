package spatial

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/spatial/internal/projgeod"
)

// star is the self-intersecting star polygon {n/k}, k = (n-1)/2, of the
// given radius (degrees) around c: every edge crosses almost every other.
func star(c orb.Point, n int, radius float64) orb.Polygon {
	k := (n - 1) / 2
	r := orb.Ring{}
	for i := range n {
		a := 2 * math.Pi * float64(i*k%n) / float64(n)
		r = append(r, orb.Point{c[0] + radius*math.Cos(a), c[1] + radius*math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}

func square(lon, lat, side float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side}, {lon, lat}}}
}

// hostileParcels are inputs chosen to be expensive; each has an expected
// outcome: an answer, or one of the errors.
func hostileParcels() []struct {
	name string
	g    orb.Geometry
	want string // "ok", "outside", "limit", "complex", "unsupported", "notareal"
} {
	c := orb.Point{113.2, 27.87}
	many := orb.Ring{}
	for i := range 1_000_000 {
		a := 2 * math.Pi * float64(i) / 1e6
		many = append(many, orb.Point{c[0] + 0.05*math.Cos(a), c[1] + 0.05*math.Sin(a)})
	}
	many = append(many, many[0])
	var squares, parts orb.MultiPolygon
	for range 1000 {
		squares = append(squares, square(113.2, 27.87, 0.01))
	}
	for i := range 50_000 {
		parts = append(parts, square(113.0+float64(i%250)*0.002, 27.7+float64(i/250)*0.002, 0.001))
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	random := orb.Ring{}
	for range 200 {
		random = append(random, orb.Point{c[0] + (rnd.Float64()-0.5)*0.3, c[1] + (rnd.Float64()-0.5)*0.3})
	}
	random = append(random, random[0])
	return []struct {
		name string
		g    orb.Geometry
		want string
	}{
		{"world polygon", orb.Polygon{{{-180, -90}, {180, -90}, {180, 90}, {-180, 90}, {-180, -90}}}, "unsupported"},
		{"China-sized box around the district", orb.Polygon{{{75, 18}, {95, 18}, {115, 18}, {135, 18}, {135, 53}, {115, 53}, {95, 53}, {75, 53}, {75, 18}}}, "ok"},
		{"hemisphere west of the district", orb.Polygon{{{-90, -90}, {90, -90}, {90, 0}, {90, 90}, {-90, 90}, {-90, 0}, {-90, -90}}}, "outside"},
		{"hemisphere with the district", orb.Polygon{{{0, -90}, {180, -90}, {180, 0}, {180, 90}, {0, 90}, {0, 0}, {0, -90}}}, "ok"},
		{"antimeridian box", orb.Polygon{{{170, -10}, {-170, -10}, {-170, 10}, {170, 10}, {170, -10}}}, "outside"},
		{"1 M vertices", orb.Polygon{many}, "limit"},
		{"50 k parts", parts, "limit"},
		{"star 301", star(c, 301, 0.05), "complex"},
		{"star 1001", star(c, 1001, 0.05), "complex"},
		{"star 50001", star(c, 50001, 0.05), "limit"},
		{"star 1001 far away", star(orb.Point{10, 50}, 1001, 5), "complex"},
		{"star 20001 far away", star(orb.Point{10, 50}, 20001, 5), "complex"},
		{"star 21 far away", star(orb.Point{10, 50}, 21, 5), "outside"},
		{"1000 identical squares", squares, "ok"},
		{"random self-intersecting, 200 vertices", orb.Polygon{random}, "complex"},
		{"random self-intersecting, 12 vertices", orb.Polygon{append(append(orb.Ring{}, random[:12]...), random[0])}, "ok"},
		{"zero area", orb.Polygon{{{113.2, 27.87}, {113.3, 27.87}, {113.2, 27.87}}}, "notareal"},
		{"collinear along a meridian", orb.Polygon{{{113.2, 27.8}, {113.2, 27.9}, {113.2, 28.0}, {113.2, 27.8}}}, "notareal"},
		// Collinear in lon/lat but not on the ellipsoid: a ring on one
		// parallel around a pole is a polar cap (unsupported, not "no area"),
		// and a triangle on one parallel has the area between its geodesics.
		{"ring around the north pole on one parallel", orb.Polygon{{{0, 80}, {120, 80}, {-120, 80}, {0, 80}}}, "unsupported"},
		{"ring around the pole through the district's parallel", orb.Polygon{{{113, 27}, {-157, 27}, {-67, 27}, {23, 27}, {113, 27}}}, "unsupported"},
		{"triangle on the district's parallel", orb.Polygon{{{113.0, 27.87}, {113.4, 27.87}, {113.2, 27.87}, {113.0, 27.87}}}, "ok"},
	}
}

func TestHostileParcels(t *testing.T) {
	ix := mustIndex(t)
	for _, c := range hostileParcels() {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			hit, err := ix.LocatePolygon(context.Background(), c.g, 3)
			el := time.Since(start)
			var le *LimitError
			got := "ok"
			switch {
			case errors.As(err, &le) && le.TooComplex:
				got = "complex"
			case errors.As(err, &le):
				got = "limit"
			case errors.Is(err, ErrUnsupported):
				got = "unsupported"
			case errors.Is(err, ErrNotAreal):
				got = "notareal"
			case err != nil:
				got = "error: " + err.Error()
			case len(hit.Areas) == 0:
				got = "outside"
			}
			t.Logf("%s: %s in %v (err %v)", c.name, got, el, err)
			if hit != nil {
				t.Logf("  area %.6g m², areas %d, corridor %v, axis %.1f m", hit.SquareMeters, len(hit.Areas), hit.InCorridor, hit.Distances.Axis.Meters)
			}
			if got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			// Hemispheres are half the ellipsoid (geod_polygonarea agrees, see
			// TestGeodesicAreaAgreesWithPROJ); the old projected areas were 40 % off.
			if hit != nil && strings.HasPrefix(c.name, "hemisphere") && math.Abs(hit.SquareMeters-EarthArea/2) > 1e-3*EarthArea/2 {
				t.Errorf("hemisphere area %.6e m², want %.6e", hit.SquareMeters, EarthArea/2)
			}
			// A ring collinear in lon/lat keeps the area between its
			// geodesic edges, as PROJ's geod_polygonarea has it.
			if p, ok := c.g.(orb.Polygon); ok && hit != nil && strings.HasPrefix(c.name, "triangle on") {
				var lons, lats []float64
				for _, v := range p[0][:len(p[0])-1] {
					lons, lats = append(lons, v[0]), append(lats, v[1])
				}
				ref, _ := projgeod.PolygonArea(lons, lats)
				if ref = math.Abs(ref); ref < 1e5 || math.Abs(hit.SquareMeters-ref) > 1e-3*ref {
					t.Errorf("area %.6e m², PROJ geod_polygonarea %.6e m²", hit.SquareMeters, ref)
				}
			}
			if el > 2*time.Second {
				t.Errorf("took %v (limit 2 s)", el)
			}
		})
	}
}

// TestOutlineLimitNamesTheSetting: a parcel whose densified outline runs
// over HETANG_PARCEL_MAX_WORK_VERTICES in its second ring is refused with
// the limit as configured (not the internal allowance left for that ring).
func TestOutlineLimitNamesTheSetting(t *testing.T) {
	ix := mustIndex(t)
	// Near the district: two 0.5° squares, about 900 pieces of 250 m each.
	near := orb.MultiPolygon{square(112.9, 27.6, 0.5), square(113.0, 27.7, 0.5)}
	// Far away (nothing left once clipped, but the whole outline is cut
	// too): 100 squares of 0.4°, about 700 pieces each, over the 1,000 +
	// the slack allowed for the whole outline.
	far := orb.MultiPolygon{}
	for i := range 100 {
		far = append(far, square(10+float64(i%10)*0.5, 50+float64(i/10)*0.5, 0.4))
	}
	lim := ParcelLimits{MaxWorkVertices: 1000}
	var le *LimitError
	for _, c := range []orb.MultiPolygon{near, far} {
		_, err := ix.PrepareParcel(context.Background(), c, lim)
		if !errors.As(err, &le) {
			t.Fatalf("%d parts: err %v, want a LimitError", len(c), err)
		}
		if d := le.Detail("parcel"); le.Limit != 1000 || !strings.Contains(d, "the limit is 1000 (HETANG_PARCEL_MAX_WORK_VERTICES)") {
			t.Errorf("%d parts: %s", len(c), d)
		}
	}
}
