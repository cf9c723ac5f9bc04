package spatial

import (
	"testing"

	"github.com/paulmach/orb"
)

// kNearestFullScan is kNearest without skipping any feature: every
// feature measured, the k+2 best by (distance, order) ranked along the
// geodesic. The reference kNearest, which measures features nearest box
// first and stops at the first box beyond the worst kept, must match.
func (li *layerIndex) kNearestFullScan(p orb.Point, fr localFrame, k int) []Nearest {
	var inside uint64
	if li.grid != nil {
		in, bd := li.grid.locate(p[0], p[1])
		inside = in | bd
	}
	var all []nearCand
	for i, fi := range li.feats {
		c := nearCand{i: i, q: p}
		if !(fi.kind == kindPolygon && (inside&(1<<uint(i)) != 0 || (li.grid == nil && fi.covers(p)))) {
			c.q, c.d2 = fi.lines.nearest(p, fr)
		}
		all = append(all, c)
	}
	for i := 1; i < len(all); i++ { // stable: equal distances keep feature order
		for j := i; j > 0 && all[j].d2 < all[j-1].d2; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return li.rankGeodesic(p, all[:min(k+2, len(all))], k, nil)
}

// TestKNearestMatchesFullScan checks that measuring features nearest box
// first, and stopping early, finds exactly what measuring every feature
// finds: for every layer, several k, over the district and beyond it.
func TestKNearestMatchesFullScan(t *testing.T) {
	ix := mustIndex(t)
	pts := probePoints(ix, 3000, 11)[:3000]
	pts = append(pts, orb.Point{112.5, 27.0}, orb.Point{114.0, 28.5}, orb.Point{113.2, 30.0}, orb.Point{0, 0})
	var got []Nearest
	n := 0
	for id, li := range ix.layers {
		if len(li.feats) > 64 {
			continue // the inside bit mask covers 64 features
		}
		for _, k := range []int{1, 3, 5, 50} {
			for _, p := range pts {
				fr := newLocalFrame(p[1])
				got = li.kNearest(p, fr, k, got[:0])
				want := li.kNearestFullScan(p, fr, k)
				if len(got) != len(want) {
					t.Fatalf("%s k=%d at %v: %d features, full scan %d", id, k, p, len(got), len(want))
				}
				for i := range got {
					if got[i].Feature != want[i].Feature || got[i].Point != want[i].Point || got[i].Meters != want[i].Meters {
						t.Fatalf("%s k=%d at %v, rank %d: %s at %.3f m, full scan %s at %.3f m", id, k, p, i,
							got[i].Feature.ID, got[i].Meters, want[i].Feature.ID, want[i].Meters)
					}
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no layer checked")
	}
	t.Logf("%d queries agree", n)
}
