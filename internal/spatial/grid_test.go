package spatial

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

// bruteIndex is the test layout's index with every nearest-point grid
// built by buildGridBrute: the reference the fast build must equal.
var bruteIndex = sync.OnceValues(func() (*Index, error) {
	lay, err := testLayout()
	if err != nil {
		return nil, err
	}
	ix, err := Build(context.Background(), lay)
	if err != nil {
		return nil, err
	}
	for _, id := range hotLayers {
		for _, ls := range gridded(ix.layers[id]) {
			ls.buildGridBrute(ix.world)
		}
	}
	return ix, nil
})

// gridded is the line sets of a hot layer that carry grids: its features'
// and the merged one.
func gridded(li *layerIndex) []*lineSet {
	var sets []*lineSet
	for _, fi := range li.feats {
		sets = append(sets, fi.lines)
	}
	if li.merged != nil {
		sets = append(sets, li.merged)
	}
	return sets
}

// TestBuildGridMatchesBruteForce: the fast grid build gives exactly the
// candidates (same pieces, same order) as measuring every piece from every
// cell, for every hot layer's features and merged linework, and for random
// linework: lines crossing the box's edge or lying outside it, lines along
// cell edges, single points and repeated pieces.
func TestBuildGridMatchesBruteForce(t *testing.T) {
	ix, brute := mustIndex(t), mustBrute(t)
	for _, id := range hotLayers {
		got, want := gridded(ix.layers[id]), gridded(brute.layers[id])
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d gridded line sets, the reference has %d", id, len(got), len(want))
		}
		for k := range got {
			if got[k].grid == nil || !reflect.DeepEqual(got[k].grid, want[k].grid) || !reflect.DeepEqual(got[k].m, want[k].m) {
				t.Fatalf("%s set %d: the grid differs from the brute-force one", id, k)
			}
		}
	}
	box := orb.Bound{Min: orb.Point{113.1, 27.8}, Max: orb.Point{113.16, 27.85}}
	r := rand.New(rand.NewPCG(12, 13))
	randomPoint := func() orb.Point {
		// Some points outside the box, within 0.02°.
		return orb.Point{113.08 + r.Float64()*0.1, 27.78 + r.Float64()*0.09}
	}
	for n := range randomLinework {
		var lines []orb.LineString
		for range 1 + r.IntN(4) {
			switch r.IntN(5) {
			case 0: // a single point
				lines = append(lines, orb.LineString{randomPoint()})
			case 1: // along a column's edge
				x := box.Min[0] + float64(r.IntN(31))*segCellDeg
				y0, y1 := 27.78+r.Float64()*0.09, 27.78+r.Float64()*0.09
				lines = append(lines, orb.LineString{{x, y0}, {x, y1}})
			case 2: // along a row's edge
				y := box.Min[1] + float64(r.IntN(26))*segCellDeg
				x0, x1 := 113.08+r.Float64()*0.1, 113.08+r.Float64()*0.1
				lines = append(lines, orb.LineString{{x0, y}, {x1, y}})
			default:
				l := orb.LineString{randomPoint()}
				for range 1 + r.IntN(12) {
					p := l[len(l)-1]
					l = append(l, orb.Point{p[0] + (r.Float64()-0.5)*0.02, p[1] + (r.Float64()-0.5)*0.02})
				}
				if r.IntN(3) == 0 {
					l = append(l, l[len(l)-1], l[0]) // a repeated vertex, and closed
				}
				lines = append(lines, l)
			}
		}
		ls := newLineSet(lines)
		a := &lineSet{segs: ls.segs}
		b := &lineSet{segs: ls.segs}
		a.buildGrid(box)
		b.buildGridBrute(box)
		if !reflect.DeepEqual(a.grid, b.grid) || !reflect.DeepEqual(a.m, b.m) {
			for k, shown := 0, 0; k < a.grid.nx*a.grid.ny && shown < 5; k++ {
				ga := a.grid.cand[a.grid.start[k]:a.grid.start[k+1]]
				gb := b.grid.cand[b.grid.start[k]:b.grid.start[k+1]]
				if !slices.Equal(ga, gb) {
					t.Errorf("cell (%d, %d): candidates %v, brute force %v", k%a.grid.nx, k/a.grid.nx, ga, gb)
					shown++
				}
			}
			t.Fatalf("random linework %d (%d pieces): the grid differs from the brute-force one", n, len(ls.segs))
		}
	}
}

// TestNearestAnswersMatchBruteForceBuild: every nearest answer (the axis,
// chain, corridor, district boundary and every road by distance, the batch's
// brief answer, and the k nearest of every layer) is bit for bit the same
// from the fast-built index as from the brute-force-built one, on random
// points over and around the indexed extent (some outside the grids, where
// every piece is measured) and on points on and near the linework.
func TestNearestAnswersMatchBruteForceBuild(t *testing.T) {
	ix, brute := mustIndex(t), mustBrute(t)
	r := rand.New(rand.NewPCG(21, 22))
	w := ix.world
	var pts []orb.Point
	for range 20_000 {
		// The grid box, and 0.01° beyond it on every side.
		pts = append(pts, orb.Point{w.Min[0] - 0.01 + r.Float64()*(w.Max[0]-w.Min[0]+0.02), w.Min[1] - 0.01 + r.Float64()*(w.Max[1]-w.Min[1]+0.02)})
	}
	for _, id := range hotLayers {
		for _, ls := range gridded(ix.layers[id]) {
			for _, s := range ls.segs[:min(len(ls.segs), 200)] {
				pts = append(pts, orb.Point{s.ax, s.ay}, orb.Point{(s.ax + s.bx) / 2, (s.ay + s.by) / 2},
					orb.Point{s.ax + (r.Float64()-0.5)*0.004, s.ay + (r.Float64()-0.5)*0.004})
			}
		}
	}
	var layers []string
	for id := range ix.layers {
		layers = append(layers, id)
	}
	slices.Sort(layers)
	nRoads := len(ix.roads.feats)
	var got, want Distances
	for _, p := range pts {
		ix.Distances(p, nRoads, &got)
		brute.Distances(p, nRoads, &want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("at %v: Distances %+v, brute-force build %+v", p, got, want)
		}
		ix.NearestBrief(p, &got)
		brute.NearestBrief(p, &want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("at %v: NearestBrief %+v, brute-force build %+v", p, got, want)
		}
	}
	for _, p := range pts[:2000] {
		for _, id := range layers {
			g, err := ix.NearestInLayer(id, p, 3)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := brute.NearestInLayer(id, p, 3)
			if !reflect.DeepEqual(g, b) {
				t.Fatalf("at %v, layer %s: %+v, brute-force build %+v", p, id, g, b)
			}
		}
	}
	ix.Distances(pts[0], nRoads, &got)
	if len(got.Roads) != nRoads || !got.HasAxis || !got.HasChain || !got.HasCorridor || got.DistrictBoundary.Feature == nil {
		t.Fatalf("the answers compared were incomplete: %+v", got)
	}
}

// randomLinework is how many random line sets TestBuildGridMatchesBruteForce
// compares (3,000 were run once while writing the fast build).
var randomLinework = 40

func mustBrute(tb testing.TB) *Index {
	tb.Helper()
	ix, err := bruteIndex()
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

// buildGridBrute is buildGrid as it was first written: every piece
// measured from every cell. The reference the fast build must match.
func (ls *lineSet) buildGridBrute(b orb.Bound) {
	if len(ls.segs) == 0 {
		return
	}
	g := &segGrid{minx: b.Min[0], miny: b.Min[1], inv: 1 / segCellDeg}
	g.nx = max(1, int(math.Ceil((b.Max[0]-b.Min[0])*g.inv)))
	g.ny = max(1, int(math.Ceil((b.Max[1]-b.Min[1])*g.inv)))
	fr := newLocalFrame((b.Min[1] + b.Max[1]) / 2)
	// Work in the fixed local frame; the slack covers its anisotropy (well
	// under 1 % across the box) so no true nearest piece is left out.
	type rawSeg struct{ ax, ay, bx, by float64 }
	ms := make([]rawSeg, len(ls.segs))
	for i, s := range ls.segs {
		ms[i] = rawSeg{(s.ax - b.Min[0]) * fr.kx, (s.ay - b.Min[1]) * fr.ky, (s.bx - b.Min[0]) * fr.kx, (s.by - b.Min[1]) * fr.ky}
	}
	cw, ch := segCellDeg*fr.kx, segCellDeg*fr.ky
	h := math.Hypot(cw, ch) / 2
	g.start = make([]int32, g.nx*g.ny+1)
	var cand []int32
	dist := make([]float64, len(ms))
	var near []int32
	for r := range g.ny {
		for c := range g.nx {
			x0, y0 := float64(c)*cw, float64(r)*ch
			x1, y1 := x0+cw, y0+ch
			cx, cy := x0+cw/2, y0+ch/2
			dc := math.Inf(1)
			for i, s := range ms {
				d := pointSegDist2(cx, cy, s.ax, s.ay, s.bx, s.by)
				dist[i] = d
				dc = math.Min(dc, d)
			}
			dc = math.Sqrt(dc)
			lim := (dc + 2*h) * 1.01
			lim2 := lim * lim
			near = near[:0]
			for i, d := range dist {
				if d <= lim2 {
					near = append(near, int32(i))
				}
			}
			upper := math.Inf(1)
			corners := [4][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
			for _, i := range near {
				s := ms[i]
				m := 0.0
				for _, p := range corners {
					m = math.Max(m, pointSegDist2(p[0], p[1], s.ax, s.ay, s.bx, s.by))
				}
				upper = math.Min(upper, m)
			}
			limit := math.Sqrt(upper)*1.01 + 1
			for _, i := range near {
				s := ms[i]
				if segRectDist2(s.ax, s.ay, s.bx, s.by, x0, y0, x1, y1) <= limit*limit {
					cand = append(cand, i)
				}
			}
			g.start[r*g.nx+c+1] = int32(len(cand))
		}
	}
	g.cand = cand
	ls.grid = g
	ls.fr, ls.ox, ls.oy = fr, b.Min[0], b.Min[1]
	ls.m = make([]mseg, len(ms))
	for i, s := range ms {
		dx, dy := s.bx-s.ax, s.by-s.ay
		inv := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			inv = 1 / l2
		}
		ls.m[i] = mseg{s.ax, s.ay, dx, dy, inv}
	}
}
