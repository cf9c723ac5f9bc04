package gcj02_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/gcj02"
	"hetang/internal/spatial"
)

// randomChina returns n random points inside mainland China's box.
func randomChina(n int, seed uint64) []orb.Point {
	r := rand.New(rand.NewPCG(seed, 1))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{73.5 + r.Float64()*61.5, 18 + r.Float64()*35.5}
	}
	return pts
}

// TestRoundTrips converts random WGS84 points to GCJ-02 and BD-09 and back;
// the round trip must land within 1 cm (WGS84 geodesic distance).
func TestRoundTrips(t *testing.T) {
	worstG, worstB := 0.0, 0.0
	for _, p := range randomChina(20000, 1) {
		gx, gy := gcj02.FromWGS84(p[0], p[1])
		bx, by := gcj02.WGS84ToBD09(p[0], p[1])
		if gx == p[0] && gy == p[1] {
			t.Fatalf("%v: GCJ-02 equals WGS84 inside China", p)
		}
		wx, wy := gcj02.ToWGS84(gx, gy)
		dg := spatial.GeodesicMeters(p, orb.Point{wx, wy})
		vx, vy := gcj02.BD09ToWGS84(bx, by)
		db := spatial.GeodesicMeters(p, orb.Point{vx, vy})
		worstG, worstB = math.Max(worstG, dg), math.Max(worstB, db)
		if dg > 0.01 || db > 0.01 {
			t.Fatalf("%v: GCJ-02 round trip off by %.4f m, BD-09 by %.4f m", p, dg, db)
		}
	}
	t.Logf("worst round trip: GCJ-02 %.2e m, BD-09 %.2e m", worstG, worstB)
}

// TestOffsetMagnitude checks the GCJ-02 shift is the familiar few hundred
// metres, and BD-09 a further ~1 km, around Zhuzhou.
func TestOffsetMagnitude(t *testing.T) {
	p := orb.Point{113.2, 27.9}
	gx, gy := gcj02.FromWGS84(p[0], p[1])
	bx, by := gcj02.GCJ02ToBD09(gx, gy)
	dg := spatial.GeodesicMeters(p, orb.Point{gx, gy})
	db := spatial.GeodesicMeters(orb.Point{gx, gy}, orb.Point{bx, by})
	if dg < 100 || dg > 1000 {
		t.Errorf("GCJ-02 shift at Zhuzhou %.1f m, want a few hundred metres", dg)
	}
	if db < 500 || db > 1500 {
		t.Errorf("BD-09 shift from GCJ-02 %.1f m, want about 1 km", db)
	}
}

// TestZhuzhouStation: the 株洲站 BD-09 point of the shared gazetteer
// (public ECharts dashboard) converted to WGS84 lands within ~150 m of the
// Wikipedia WGS84 point (the gazetteer says about 100 m).
func TestZhuzhouStation(t *testing.T) {
	x, y := gcj02.BD09ToWGS84(113.163141, 27.8418)
	d := spatial.GeodesicMeters(orb.Point{x, y}, orb.Point{113.1517306, 27.8381389})
	if d > 150 {
		t.Errorf("BD-09 株洲站 → WGS84 (%.7f, %.7f) is %.1f m from the Wikipedia point, want ≤ 150 m", x, y, d)
	}
	t.Logf("BD-09 株洲站 lands %.1f m from the Wikipedia point", d)
}

func TestOutsideChinaIsIdentity(t *testing.T) {
	for _, p := range []orb.Point{{2.35, 48.85}, {-74, 40.7}, {139.7, 35.7}, {100, -5}} {
		if x, y := gcj02.FromWGS84(p[0], p[1]); x != p[0] || y != p[1] {
			t.Errorf("%v → (%v, %v), want unchanged", p, x, y)
		}
		if x, y := gcj02.ToWGS84(p[0], p[1]); x != p[0] || y != p[1] {
			t.Errorf("inverse %v → (%v, %v), want unchanged", p, x, y)
		}
	}
}

func BenchmarkToWGS84(b *testing.B) {
	for b.Loop() {
		gcj02.ToWGS84(113.2, 27.9)
	}
}
