package spatial

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// maxSegmentMeters is the longest piece a line is cut into (along its
// geodesic) before indexing, so that a straight lon/lat chord stays within a
// fraction of a millimetre of the geodesic it stands for.
const maxSegmentMeters = 250

// segCellDeg is the cell size, in degrees, of the nearest-segment grids.
const segCellDeg = 0.002

// gridBucket is the side, in cells, of the buckets buildGrid sorts pieces into.
const gridBucket = 8

// seg is one short line piece in lon/lat.
type seg struct{ ax, ay, bx, by float64 }

// lineSet is the linework of one feature (a line, or a polygon's rings),
// densified along geodesics, with an optional grid that lists, for each
// cell, the only pieces that can be nearest to a point in that cell.
type lineSet struct {
	segs []seg
	// owner[i] is the feature (index in its layer) of segs[i], for merged
	// line sets; nil otherwise.
	owner []int32
	grid  *segGrid
	// m holds the pieces in the grid's fixed local frame (metres from
	// (ox, oy)), precomputed for the hot nearest search.
	m      []mseg
	fr     localFrame
	ox, oy float64
}

// mseg is a piece in a fixed local metric frame: start, direction and
// 1/|direction|² (0 for a point).
type mseg struct{ ax, ay, dx, dy, inv float64 }

// segGrid is a candidate grid over a fixed box.
type segGrid struct {
	minx, miny float64
	nx, ny     int
	inv        float64 // cells per degree
	start      []int32 // len nx*ny+1, offsets into cand
	cand       []int32
}

// newLineSet densifies the lines (each a sequence of lon/lat vertices).
func newLineSet(lines []orb.LineString) *lineSet {
	ls := &lineSet{}
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			if a == b {
				continue
			}
			d := GeodesicMeters(a, b)
			n := 1
			if !math.IsNaN(d) && d > maxSegmentMeters {
				n = int(math.Ceil(d / maxSegmentMeters))
			}
			prev := a
			for k := 1; k <= n; k++ {
				next := b
				if k < n {
					next = geodesicInterpolate(a, b, float64(k)/float64(n))
				}
				ls.segs = append(ls.segs, seg{prev[0], prev[1], next[0], next[1]})
				prev = next
			}
		}
	}
	if len(lines) > 0 && len(ls.segs) == 0 {
		// A single point (or a line collapsed to one): a zero-length piece.
		for _, l := range lines {
			if len(l) > 0 {
				ls.segs = append(ls.segs, seg{l[0][0], l[0][1], l[0][0], l[0][1]})
				break
			}
		}
	}
	return ls
}

// geodesicInterpolate returns the point a fraction t along the geodesic from
// a to b. It follows the great circle on Bessel's auxiliary sphere (reduced
// latitudes), which for pieces of a few kilometres departs from the
// ellipsoidal geodesic by far less than a millimetre.
func geodesicInterpolate(a, b orb.Point, t float64) orb.Point {
	va, vb := auxVector(a), auxVector(b)
	dot := va[0]*vb[0] + va[1]*vb[1] + va[2]*vb[2]
	omega := math.Acos(math.Max(-1, math.Min(1, dot)))
	if omega < 1e-15 {
		return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	}
	s := math.Sin(omega)
	wa, wb := math.Sin((1-t)*omega)/s, math.Sin(t*omega)/s
	v := [3]float64{wa*va[0] + wb*vb[0], wa*va[1] + wb*vb[1], wa*va[2] + wb*vb[2]}
	beta := math.Atan2(v[2], math.Hypot(v[0], v[1]))
	lat := math.Atan(math.Tan(beta)/(1-wgs84F)) / deg
	lon := math.Atan2(v[1], v[0]) / deg
	return orb.Point{lon, lat}
}

func auxVector(p orb.Point) [3]float64 {
	beta := math.Atan((1 - wgs84F) * math.Tan(p[1]*deg))
	cb, sb := math.Cos(beta), math.Sin(beta)
	sl, cl := math.Sincos(p[0] * deg)
	return [3]float64{cb * cl, cb * sl, sb}
}

// buildGrid builds the candidate grid over the box b: for each cell, the
// pieces that can be nearest to some point of the cell. With c the cell's
// centre, h its half-diagonal and dc the distance from c to the nearest
// piece, every point of the cell is within U ≤ dc+h of some piece, where U is
// the least over pieces of their largest distance to a corner; so only
// pieces within U of the cell can be nearest, and those are within U+h of c.
func (ls *lineSet) buildGrid(b orb.Bound) {
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
	// The pieces are bucketed (gridBucket × gridBucket cells a bucket), and
	// each cell visits the buckets ring by ring around its own until no
	// farther bucket can hold a piece it needs: the same candidates as
	// measuring every piece from every cell, in the same order, without
	// the cost of it.
	bw, bh := gridBucket*cw, gridBucket*ch
	nbx, nby := (g.nx+gridBucket-1)/gridBucket, (g.ny+gridBucket-1)/gridBucket
	buckets := make([][]int32, nbx*nby)
	clampB := func(v float64, n int) int { return max(0, min(n-1, int(math.Floor(v)))) }
	for i, s := range ms {
		c0, c1 := clampB(math.Min(s.ax, s.bx)/bw, nbx), clampB(math.Max(s.ax, s.bx)/bw, nbx)
		r0, r1 := clampB(math.Min(s.ay, s.by)/bh, nby), clampB(math.Max(s.ay, s.by)/bh, nby)
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				buckets[r*nbx+c] = append(buckets[r*nbx+c], int32(i))
			}
		}
	}
	// A point outside the box has its nearest piece in the clamped edge
	// buckets no less than anywhere: ring k ≥ 1 around the centre's bucket
	// lies at least (k-1) bucket widths away.
	minB := math.Min(bw, bh)
	dist := make([]float64, len(ms))
	stamp := make([]int32, len(ms))
	cur := int32(0)
	var seen, near []int32
	maxRing := max(nbx, nby)
	for r := range g.ny {
		for c := range g.nx {
			x0, y0 := float64(c)*cw, float64(r)*ch
			x1, y1 := x0+cw, y0+ch
			cx, cy := x0+cw/2, y0+ch/2
			cur++
			seen = seen[:0]
			bc, br := clampB(cx/bw, nbx), clampB(cy/bh, nby)
			best := math.Inf(1)
			visit := func(k int) {
				for rr := br - k; rr <= br+k; rr++ {
					if rr < 0 || rr >= nby {
						continue
					}
					for cc := bc - k; cc <= bc+k; cc++ {
						if cc < 0 || cc >= nbx || (rr != br-k && rr != br+k && cc != bc-k && cc != bc+k) {
							continue
						}
						for _, i := range buckets[rr*nbx+cc] {
							if stamp[i] == cur {
								continue
							}
							stamp[i] = cur
							s := ms[i]
							d := pointSegDist2(cx, cy, s.ax, s.ay, s.bx, s.by)
							dist[i] = d
							seen = append(seen, i)
							best = math.Min(best, d)
						}
					}
				}
			}
			k := 0
			for ; k <= maxRing && float64(k-1)*minB <= math.Sqrt(best); k++ {
				visit(k)
			}
			dc := math.Sqrt(best)
			lim := (dc + 2*h) * 1.01
			lim2 := lim * lim
			for ; k <= maxRing && float64(k-1)*minB <= lim; k++ {
				visit(k)
			}
			near = near[:0]
			for _, i := range seen {
				if dist[i] <= lim2 {
					near = append(near, i)
				}
			}
			slices.Sort(near)
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
			limit2 := limit * limit
			for _, i := range near {
				s := ms[i]
				// The gap between the piece's bounding box and the cell
				// is a lower bound of their distance: a cheap refusal.
				gx := math.Max(0, math.Max(x0-math.Max(s.ax, s.bx), math.Min(s.ax, s.bx)-x1))
				gy := math.Max(0, math.Max(y0-math.Max(s.ay, s.by), math.Min(s.ay, s.by)-y1))
				if gx*gx+gy*gy > limit2 {
					continue
				}
				if segRectDist2(s.ax, s.ay, s.bx, s.by, x0, y0, x1, y1) <= limit2 {
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

// pointSegDist2 is the squared planar distance from p to the segment a–b.
func pointSegDist2(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	qx, qy := ax+t*dx-px, ay+t*dy-py
	return qx*qx + qy*qy
}

// segRectDist2 is the squared planar distance between a segment and a rectangle.
func segRectDist2(ax, ay, bx, by, x0, y0, x1, y1 float64) float64 {
	in := func(x, y float64) bool { return x >= x0 && x <= x1 && y >= y0 && y <= y1 }
	if in(ax, ay) || in(bx, by) {
		return 0
	}
	edges := [4][4]float64{{x0, y0, x1, y0}, {x1, y0, x1, y1}, {x1, y1, x0, y1}, {x0, y1, x0, y0}}
	for _, e := range edges {
		if segsIntersect(ax, ay, bx, by, e[0], e[1], e[2], e[3]) {
			return 0
		}
	}
	d := math.Inf(1)
	for _, e := range edges {
		d = math.Min(d, pointSegDist2(e[0], e[1], ax, ay, bx, by))
	}
	d = math.Min(d, pointSegDist2(ax, ay, x0, y0, x1, y0))
	d = math.Min(d, pointSegDist2(ax, ay, x1, y0, x1, y1))
	d = math.Min(d, pointSegDist2(ax, ay, x1, y1, x0, y1))
	d = math.Min(d, pointSegDist2(ax, ay, x0, y1, x0, y0))
	d = math.Min(d, pointSegDist2(bx, by, x0, y0, x1, y0))
	d = math.Min(d, pointSegDist2(bx, by, x1, y0, x1, y1))
	d = math.Min(d, pointSegDist2(bx, by, x1, y1, x0, y1))
	d = math.Min(d, pointSegDist2(bx, by, x0, y1, x0, y0))
	return d
}

func segsIntersect(ax, ay, bx, by, cx, cy, dx, dy float64) bool {
	o1 := orient(ax, ay, bx, by, cx, cy)
	o2 := orient(ax, ay, bx, by, dx, dy)
	o3 := orient(cx, cy, dx, dy, ax, ay)
	o4 := orient(cx, cy, dx, dy, bx, by)
	return o1*o2 <= 0 && o3*o4 <= 0
}

// nearest returns the point of the linework nearest to p (lon/lat) and the
// squared distance to it in p's local frame (approximate square metres). It
// scans the cell's candidates when p is on the grid and every piece otherwise.
func (ls *lineSet) nearest(p orb.Point, fr localFrame) (orb.Point, float64) {
	q, d, _ := ls.nearestSeg(p, fr)
	return q, d
}

// mergeLineSets concatenates the features' line sets, remembering owners.
func mergeLineSets(sets []*lineSet) *lineSet {
	m := &lineSet{}
	for i, s := range sets {
		m.segs = append(m.segs, s.segs...)
		for range s.segs {
			m.owner = append(m.owner, int32(i))
		}
	}
	return m
}

// nearestSeg is nearest that also returns the index of the piece.
func (ls *lineSet) nearestSeg(p orb.Point, fr localFrame) (orb.Point, float64, int) {
	if len(ls.segs) == 0 {
		return orb.Point{}, math.Inf(1), -1
	}
	var idx []int32
	useAll := true
	if g := ls.grid; g != nil {
		c := int(math.Floor((p[0] - g.minx) * g.inv))
		r := int(math.Floor((p[1] - g.miny) * g.inv))
		if c >= 0 && r >= 0 && c < g.nx && r < g.ny {
			k := r*g.nx + c
			idx = g.cand[g.start[k]:g.start[k+1]]
			useAll = false
			// The fixed frame's anisotropy moves the foot point by a
			// fraction of a per mille of the distance, which changes the
			// geodesic distance to it only in the second order.
			px, py := (p[0]-ls.ox)*ls.fr.kx, (p[1]-ls.oy)*ls.fr.ky
			best, bi, bt := math.Inf(1), int32(0), 0.0
			for _, i := range idx {
				s := &ls.m[i]
				ax, ay := s.ax-px, s.ay-py
				t := -(ax*s.dx + ay*s.dy) * s.inv
				if t < 0 {
					t = 0
				} else if t > 1 {
					t = 1
				}
				qx, qy := ax+t*s.dx, ay+t*s.dy
				if d := qx*qx + qy*qy; d < best {
					best, bi, bt = d, i, t
				}
			}
			bs := ls.segs[bi]
			return orb.Point{bs.ax + bt*(bs.bx-bs.ax), bs.ay + bt*(bs.by-bs.ay)}, best, int(bi)
		}
	}
	best := math.Inf(1)
	var bs seg
	var bt float64
	bi := -1
	try := func(i int, s seg) {
		ax, ay := (s.ax-p[0])*fr.kx, (s.ay-p[1])*fr.ky
		dx, dy := (s.bx-s.ax)*fr.kx, (s.by-s.ay)*fr.ky
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = -(ax*dx + ay*dy) / l2
			if t < 0 {
				t = 0
			} else if t > 1 {
				t = 1
			}
		}
		qx, qy := ax+t*dx, ay+t*dy
		if d := qx*qx + qy*qy; d < best {
			best, bs, bt, bi = d, s, t, i
		}
	}
	if useAll {
		for i, s := range ls.segs {
			try(i, s)
		}
	} else {
		for _, i := range idx {
			try(int(i), ls.segs[i])
		}
	}
	return orb.Point{bs.ax + bt*(bs.bx-bs.ax), bs.ay + bt*(bs.by-bs.ay)}, best, bi
}
