package spatial

import (
	"context"
	"math/bits"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"hetang/geodata"
	"hetang/internal/cputime"
	"hetang/internal/geosorb"
	"hetang/internal/layout"
	"hetang/internal/plandata"
)

var testLayout = sync.OnceValues(func() (*layout.Layout, error) { return plandata.Build(geodata.FS) })

var testIndex = sync.OnceValues(func() (*Index, error) {
	lay, err := testLayout()
	if err != nil {
		return nil, err
	}
	return Build(context.Background(), lay)
})

func mustIndex(tb testing.TB) *Index {
	tb.Helper()
	ix, err := testIndex()
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

// probePoints returns random points over the district's bounding box plus
// points exactly on and within 1e-9° of every vertex and edge midpoint of
// the polygon layers.
func probePoints(ix *Index, n int, seed uint64) []orb.Point {
	r := rand.New(rand.NewPCG(seed, 7))
	b := ix.district.layer.Bound()
	var pts []orb.Point
	for range n {
		pts = append(pts, orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])})
	}
	for _, id := range pointLayers {
		for _, e := range ix.layers[id].grid.all {
			mid := orb.Point{(e.ax + e.bx) / 2, (e.ay + e.by) / 2}
			for _, base := range []orb.Point{{e.ax, e.ay}, mid} {
				pts = append(pts, base)
				for _, d := range [][2]float64{{1e-9, 0}, {-1e-9, 0}, {0, 1e-9}, {0, -1e-9}, {1e-9, 1e-9}, {-1e-9, -1e-9}} {
					pts = append(pts, orb.Point{base[0] + d[0], base[1] + d[1]})
				}
			}
		}
	}
	return pts
}

// TestPointInPolygonAgreesWithGEOS compares every polygon layer's grid with
// GEOS prepared Covers/Contains (the independent truth) on ≥100,000 random
// points plus points on and 1e-9° around every vertex and edge midpoint.
func TestPointInPolygonAgreesWithGEOS(t *testing.T) {
	ix := mustIndex(t)
	pts := probePoints(ix, 100_000, 1)
	t.Logf("%d probe points", len(pts))
	onBoundary := 0
	for _, id := range pointLayers {
		li := ix.layers[id]
		for i, fi := range li.feats {
			gg, err := geosorb.ToGEOS(nil, fi.poly)
			if err != nil {
				t.Fatal(err)
			}
			prep := gg.Prepare()
			bit := uint64(1) << uint(i)
			bad := 0
			for _, p := range pts {
				in, bd := li.grid.locate(p[0], p[1])
				pg := geos.NewPointFromXY(p[0], p[1])
				wantCovers := prep.Covers(pg)
				wantContains := prep.Contains(pg)
				gotCovers := (in|bd)&bit != 0
				gotContains := in&bit != 0
				if bd&bit != 0 {
					onBoundary++
				}
				if gotCovers != wantCovers || gotContains != wantContains {
					bad++
					if bad <= 5 {
						t.Errorf("%s %s at (%.17g, %.17g): covers %v contains %v, GEOS says covers %v contains %v",
							id, fi.f.ID, p[0], p[1], gotCovers, gotContains, wantCovers, wantContains)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%s %s: %d of %d points disagree with GEOS", id, fi.f.ID, bad, len(pts))
			}
		}
	}
	if onBoundary == 0 {
		t.Error("no probe point was on a boundary; the boundary cases were not exercised")
	}
	t.Logf("%d (point, feature) pairs exactly on a boundary", onBoundary)
}

// TestBoundaryRule checks the documented rule: a point on the edge shared by
// two areas belongs to the area that comes first and is on_boundary.
func TestBoundaryRule(t *testing.T) {
	ix := mustIndex(t)
	ar := ix.areas
	found := 0
	for _, e := range ar.grid.all {
		mid := orb.Point{(e.ax + e.bx) / 2, (e.ay + e.by) / 2}
		in, bd := ar.grid.locate(mid[0], mid[1])
		if bits.OnesCount64(bd) < 2 {
			continue
		}
		found++
		var hit PointHit
		ix.Locate(mid, &hit)
		want := ar.feats[bits.TrailingZeros64(bd|in)].f
		if hit.Area != want || !hit.OnBoundary || !hit.InsideDistrict {
			t.Fatalf("shared-edge point %v: area %v on_boundary %v inside %v; want %s, true, true", mid, hit.Area.ID, hit.OnBoundary, hit.InsideDistrict, want.ID)
		}
		// Deterministic: same answer again.
		var again PointHit
		ix.Locate(mid, &again)
		if again.Area != hit.Area {
			t.Fatal("Locate is not deterministic")
		}
	}
	if found == 0 {
		t.Skip("no exactly shared area edges found at edge midpoints (midpoints may round off the edge)")
	}
	t.Logf("%d shared-edge midpoints checked", found)
}

// TestEveryDistrictPointHasAnArea checks that the five areas partition the
// district as far as Locate is concerned.
func TestEveryDistrictPointHasAnArea(t *testing.T) {
	ix := mustIndex(t)
	var hit PointHit
	for _, p := range probePoints(ix, 20_000, 2) {
		ix.Locate(p, &hit)
		if hit.InsideDistrict != (hit.Area != nil) {
			t.Fatalf("%v: inside_district %v but area %v", p, hit.InsideDistrict, hit.Area)
		}
	}
}

func TestKnownPlaces(t *testing.T) {
	ix := mustIndex(t)
	tests := []struct {
		name   string
		p      orb.Point
		inside bool
	}{
		{"far outside", orb.Point{110, 20}, false},
		{"district government (WGS84, Wikipedia)", orb.Point{113.16591, 27.85927}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hit PointHit
			ix.Locate(tc.p, &hit)
			if hit.InsideDistrict != tc.inside {
				t.Errorf("inside = %v, want %v", hit.InsideDistrict, tc.inside)
			}
		})
	}
}

// BenchmarkBuild is a full index build of the layout (what every store
// open pays). cpu-ms/op counts every thread's CPU time (the grids are built
// in parallel), the steadier measure on a shared machine.
func BenchmarkBuild(b *testing.B) {
	lay, err := testLayout()
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cputime.Used()
	for b.Loop() {
		if _, err := Build(context.Background(), lay); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

// reportCPU reports the process's CPU time per iteration since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(cputime.Used()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkAreaOf is the point-in-area query (what PostGIS's ST_Intersects
// with a GiST index is compared with), on random points over the district's
// bounding box.
func BenchmarkAreaOf(b *testing.B) {
	ix := mustIndex(b)
	pts := probePoints(ix, 1<<16, 3)[:1<<16]
	i := 0
	cpu0 := cputime.Used()
	for b.Loop() {
		ix.AreaOf(pts[i&(1<<16-1)])
		i++
	}
	cputime.ReportRates(b, b.N, "points", cpu0)
}

// BenchmarkLocate is the full polygon part of a point answer: district,
// area, cities, bases, corridor, services and agriculture.
func BenchmarkLocate(b *testing.B) {
	ix := mustIndex(b)
	pts := probePoints(ix, 1<<16, 3)[:1<<16]
	var hit PointHit
	i := 0
	cpu0 := cputime.Used()
	for b.Loop() {
		ix.Locate(pts[i&(1<<16-1)], &hit)
		i++
	}
	cputime.ReportRates(b, b.N, "points", cpu0)
}

// BenchmarkLocateWithDistances adds the geodesic distances to the axis,
// chain, corridor, district boundary and the 3 nearest roads.
func BenchmarkLocateWithDistances(b *testing.B) {
	ix := mustIndex(b)
	pts := probePoints(ix, 1<<16, 3)[:1<<16]
	var hit PointHit
	var d Distances
	i := 0
	cpu0 := cputime.Used()
	for b.Loop() {
		p := pts[i&(1<<16-1)]
		ix.Locate(p, &hit)
		ix.Distances(p, 3, &d)
		i++
	}
	cputime.ReportRates(b, b.N, "points", cpu0)
}

// BenchmarkLocateBrief is what a batch record costs: Locate plus the
// distances to the axis, chain, corridor and nearest road.
func BenchmarkLocateBrief(b *testing.B) {
	ix := mustIndex(b)
	pts := probePoints(ix, 1<<16, 3)[:1<<16]
	var hit PointHit
	var d Distances
	i := 0
	cpu0 := cputime.Used()
	for b.Loop() {
		p := pts[i&(1<<16-1)]
		ix.Locate(p, &hit)
		ix.NearestBrief(p, &d)
		i++
	}
	cputime.ReportRates(b, b.N, "points", cpu0)
}
