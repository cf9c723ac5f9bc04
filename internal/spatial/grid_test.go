package spatial

import (
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

// TestBuildGridMatchesBruteForce: the bucketed grid build gives exactly the
// candidates (same pieces, same order) as measuring every piece from every
// cell, for every hot layer's features and merged linework.
func TestBuildGridMatchesBruteForce(t *testing.T) {
	ix := mustIndex(t)
	for _, id := range hotLayers {
		li := ix.layers[id]
		sets := []*lineSet{}
		for _, fi := range li.feats {
			sets = append(sets, fi.lines)
		}
		if li.merged != nil {
			sets = append(sets, li.merged)
		}
		for k, ls := range sets {
			a := &lineSet{segs: ls.segs, owner: ls.owner}
			b := &lineSet{segs: ls.segs, owner: ls.owner}
			a.buildGrid(ix.world)
			b.buildGridBrute(ix.world)
			if !reflect.DeepEqual(a.grid, b.grid) || !reflect.DeepEqual(a.m, b.m) {
				t.Fatalf("%s set %d: the bucketed grid differs from the brute-force one", id, k)
			}
		}
	}
	// A box the linework only partly covers, and linework outside it.
	ls := newLineSet([]orb.LineString{{{113.0, 27.9}, {113.5, 27.95}}, {{112.9, 27.7}, {112.95, 27.72}}})
	box := orb.Bound{Min: orb.Point{113.1, 27.8}, Max: orb.Point{113.3, 28.0}}
	a := &lineSet{segs: ls.segs}
	b := &lineSet{segs: ls.segs}
	a.buildGrid(box)
	b.buildGridBrute(box)
	if !reflect.DeepEqual(a.grid, b.grid) {
		t.Fatal("the bucketed grid differs for linework partly outside the box")
	}
}

// buildGridBrute is buildGrid as it was before buckets: every piece
// measured from every cell. The reference the bucketed build must match.
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
