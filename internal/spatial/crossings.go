package spatial

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// dropDuplicateParts drops polygons of a MultiPolygon that repeat an
// earlier one exactly (1,000 copies of one square are one square), so that
// the repair never has to node coincident rings.
func dropDuplicateParts(mp orb.MultiPolygon, notes []string) (orb.MultiPolygon, []string) {
	if len(mp) < 2 {
		return mp, notes
	}
	seen := make(map[string]bool, len(mp))
	out := mp[:0:0]
	key := make([]byte, 0, 64)
	for _, p := range mp {
		key = key[:0]
		for _, r := range p {
			for _, v := range r {
				key = fmt.Appendf(key, "%x,%x;", math.Float64bits(v[0]), math.Float64bits(v[1]))
			}
			key = append(key, '|')
		}
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		out = append(out, p)
	}
	if n := len(mp) - len(out); n > 0 {
		notes = append(notes, fmt.Sprintf("%d polygon(s) repeating an earlier one dropped", n))
	}
	return out, notes
}

// checkCrossings counts the places where the rings' edges cross or overlap
// one another (two edges of the same ring that share a vertex do not count)
// and fails with a *LimitError when there are more than lim.MaxCrossings,
// before the repair, whose cost grows with them. Edges are bucketed in a
// grid; the count stops as soon as the limit is passed, and so does a
// count whose grid entries or pair tests exceed a work bound (then the
// parcel is too tangled to tell cheaply, which is refused the same way).
func checkCrossings(ctx context.Context, mp orb.MultiPolygon, lim ParcelLimits) error {
	type seg struct {
		a, b      orb.Point
		ring, idx int
		n         int // ring length in edges
	}
	var segs []seg
	var bound orb.Bound
	first := true
	ringNo := 0
	for _, p := range mp {
		for _, r := range p {
			n := len(r) - 1
			for i := range n {
				segs = append(segs, seg{r[i], r[i+1], ringNo, i, n})
				for _, v := range [2]orb.Point{r[i], r[i+1]} {
					if first {
						bound, first = orb.Bound{Min: v, Max: v}, false
					} else {
						bound = bound.Extend(v)
					}
				}
			}
			ringNo++
		}
	}
	if len(segs) < 2 {
		return nil
	}
	tooMany := func() error {
		return &LimitError{What: "self-crossings", Limit: lim.MaxCrossings, Setting: "HETANG_PARCEL_MAX_CROSSINGS", TooComplex: true,
			Hint: "its rings cross one another too often to repair here; repair the polygon first (PostGIS ST_MakeValid, QGIS Fix geometries) or send its pieces as separate parcels"}
	}
	side := math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1])
	if side == 0 {
		return nil
	}
	cells := max(1, min(2048, int(math.Sqrt(float64(len(segs))))))
	size := side / float64(cells)
	cell := func(v float64, lo float64) int { return min(cells-1, max(0, int((v-lo)/size))) }
	// Grid entries are bounded as well as pair tests: long edges (a star
	// far away, whose every edge spans the grid) fill many cells, and a
	// parcel that needs more than this to tell is refused as too tangled,
	// like one with too many crossings. The bound keeps the grid's memory
	// within about 300 bytes per edge (see Parcel.Cost).
	steps, entries, maxEntries := 0, 0, 4*len(segs)+65_536
	grid := make(map[int][]int32)
	for i, s := range segs {
		x0, x1 := cell(math.Min(s.a[0], s.b[0]), bound.Min[0]), cell(math.Max(s.a[0], s.b[0]), bound.Min[0])
		y0, y1 := cell(math.Min(s.a[1], s.b[1]), bound.Min[1]), cell(math.Max(s.a[1], s.b[1]), bound.Min[1])
		if entries += (x1 - x0 + 1) * (y1 - y0 + 1); entries > maxEntries {
			return tooMany()
		}
		if err := checkCtx(ctx, &steps); err != nil {
			return err
		}
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				grid[y*cells+x] = append(grid[y*cells+x], int32(i))
			}
		}
	}
	adjacent := func(s, t seg) bool {
		if s.ring != t.ring {
			return false
		}
		d := s.idx - t.idx
		return d == 1 || d == -1 || d == s.n-1 || d == 1-s.n
	}
	count, work, maxWork := 0, 0, 64*len(segs)+64*lim.MaxCrossings+1_000_000
	for key, ids := range grid {
		cx, cy := key%cells, key/cells
		for i := 0; i < len(ids); i++ {
			if err := checkCtx(ctx, &steps); err != nil {
				return err
			}
			s := segs[ids[i]]
			for j := i + 1; j < len(ids); j++ {
				t := segs[ids[j]]
				if work++; work > maxWork {
					return tooMany()
				}
				if adjacent(s, t) || !segmentsMeet(s.a, s.b, t.a, t.b) {
					continue
				}
				// Count the pair in one cell only: the one holding the
				// lower-left corner of the overlap of their boxes.
				ox := math.Max(math.Min(s.a[0], s.b[0]), math.Min(t.a[0], t.b[0]))
				oy := math.Max(math.Min(s.a[1], s.b[1]), math.Min(t.a[1], t.b[1]))
				if cell(ox, bound.Min[0]) != cx || cell(oy, bound.Min[1]) != cy {
					continue
				}
				if count++; count > lim.MaxCrossings {
					return tooMany()
				}
			}
		}
	}
	return nil
}

// segmentsMeet reports whether the closed segments a–b and c–d share a point
// (exact orientation predicates).
func segmentsMeet(a, b, c, d orb.Point) bool {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return false
	}
	o1 := orient(a[0], a[1], b[0], b[1], c[0], c[1])
	o2 := orient(a[0], a[1], b[0], b[1], d[0], d[1])
	o3 := orient(c[0], c[1], d[0], d[1], a[0], a[1])
	o4 := orient(c[0], c[1], d[0], d[1], b[0], b[1])
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	on := func(p, q, r orb.Point) bool { // r on segment p–q, given collinear
		return math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) && math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
	}
	return (o1 == 0 && on(a, b, c)) || (o2 == 0 && on(a, b, d)) || (o3 == 0 && on(c, d, a)) || (o4 == 0 && on(c, d, b))
}
