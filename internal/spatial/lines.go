package spatial

import (
	"math"

	"github.com/paulmach/orb"
)

// maxSegmentMeters is the longest piece a line is cut into (along its
// geodesic) before indexing, so that a straight lon/lat chord stays within a
// fraction of a millimetre of the geodesic it stands for.
const maxSegmentMeters = 250

// segCellDeg is the cell size, in degrees, of the nearest-segment grids.
const segCellDeg = 0.002

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
	omega := math.Acos(max(-1, min(1, dot)))
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
// pieces within U of the cell can be nearest (the candidates, kept with 1 %
// and 1 m of slack), and those are within U+h of c.
//
// The work is shared over blocks of cells (see pieceFilter): a block keeps
// the pieces any of its cells may need, a cell measures only its block's.
// A cell settles most pieces by bounds (its centre's distance, bounding
// boxes, corner distances) and leaves the exact segment–rectangle distance
// to the few a bound cannot decide. The grid is the same, candidate for
// candidate and in the same order, as measuring every piece from every cell
// (TestBuildGridMatchesBruteForce).
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
	ms := make([]rawSeg, len(ls.segs))
	for i, s := range ls.segs {
		ms[i] = newRawSeg((s.ax-b.Min[0])*fr.kx, (s.ay-b.Min[1])*fr.ky, (s.bx-b.Min[0])*fr.kx, (s.by-b.Min[1])*fr.ky)
	}
	cw, ch := segCellDeg*fr.kx, segCellDeg*fr.ky
	h := math.Hypot(cw, ch) / 2
	g.start = make([]int32, g.nx*g.ny+1)
	pf := newPieceFilter(ms, g.nx, cw, ch, h)
	var (
		cand []int32
		d    []float64 // d[k]: squared distance from the cell's centre to piece list[k]
	)
	for r := range g.ny {
		pf.row(r, g.ny)
		for c := range g.nx {
			list := pf.cellList(c)
			x0, y0 := float64(c)*cw, float64(r)*ch
			x1, y1 := x0+cw, y0+ch
			cx, cy := x0+cw/2, y0+ch/2
			d = d[:0]
			best, bk := math.Inf(1), 0
			for k, i := range list {
				s := &ms[i]
				dd := pointSegDist2(cx, cy, s.ax, s.ay, s.bx, s.by)
				d = append(d, dd)
				if dd < best {
					best, bk = dd, k
				}
			}
			lim := (math.Sqrt(best) + 2*h) * 1.01
			lim2 := lim * lim
			// upper: the least largest corner distance. A piece's largest
			// corner distance is at least its centre distance (distance to
			// a segment is convex) and at least the largest corner distance
			// to its bounding box, so pieces beyond the least found so far
			// by either cannot lower it.
			corners := [4][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
			upper := maxCornerDist2(&ms[list[bk]], &corners)
			for k, i := range list {
				if k == bk || d[k] > lim2 {
					continue
				}
				over := upper + slack2(upper)
				if s := &ms[i]; d[k] > over || s.maxCornerBoxDist2(x0, y0, x1, y1) > over {
					continue
				}
				upper = min(upper, maxCornerDist2(&ms[i], &corners))
			}
			limit := math.Sqrt(upper)*1.01 + 1
			limit2 := limit * limit
			// A piece's distance to the cell is at most its centre
			// distance and at least that less h.
			far := limit + h
			far2 := far*far + slack2(far*far)
			in2, out2 := limit2-slack2(limit2), limit2+slack2(limit2)
			for k, i := range list {
				dk := d[k]
				if dk > lim2 || dk > far2 {
					continue
				}
				s := &ms[i]
				// The gap between the piece's bounding box and the cell
				// is a lower bound of their distance: a cheap refusal.
				gx := max(0, max(x0-s.maxx, s.minx-x1))
				gy := max(0, max(y0-s.maxy, s.miny-y1))
				if gx*gx+gy*gy > limit2 {
					continue
				}
				if dk < in2 {
					cand = append(cand, i)
					continue
				}
				if gx > 0 || gy > 0 {
					// Apart, the piece and the cell are nearest at an end
					// of the piece or a corner of the cell.
					v := min(pointBoxDist2(s.ax, s.ay, x0, y0, x1, y1), pointBoxDist2(s.bx, s.by, x0, y0, x1, y1))
					for _, p := range corners {
						v = min(v, pointSegDist2(p[0], p[1], s.ax, s.ay, s.bx, s.by))
					}
					if v < in2 {
						cand = append(cand, i)
						continue
					}
					if v > out2 {
						continue
					}
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

// rawSeg is a piece in the grid's local frame (metres from the box's
// corner) with its bounding box.
type rawSeg struct{ ax, ay, bx, by, minx, miny, maxx, maxy float64 }

func newRawSeg(ax, ay, bx, by float64) rawSeg {
	return rawSeg{ax, ay, bx, by, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)}
}

// maxCornerBoxDist2 is the largest squared distance from a corner of the
// rectangle to the piece's bounding box: at most the largest to the piece.
func (s *rawSeg) maxCornerBoxDist2(x0, y0, x1, y1 float64) float64 {
	dx := max(s.minx-x0, x0-s.maxx, s.minx-x1, x1-s.maxx, 0)
	dy := max(s.miny-y0, y0-s.maxy, s.miny-y1, y1-s.maxy, 0)
	return dx*dx + dy*dy
}

// pointBoxDist2 is the squared distance from a point to a rectangle.
func pointBoxDist2(px, py, x0, y0, x1, y1 float64) float64 {
	dx := max(x0-px, px-x1, 0)
	dy := max(y0-py, py-y1, 0)
	return dx*dx + dy*dy
}

// slack2 is the margin, for a squared distance v, that buildGrid's bounds
// are given over floating-point rounding (about 1e-16 of the coordinates'
// squares): far more than the rounding, far less than anything that
// matters. Only decisions a bound makes with this margin to spare are
// taken from the bound; the others are measured exactly.
func slack2(v float64) float64 { return v*1e-9 + 1e-3 }

// maxCornerDist2 is the largest squared distance from the piece to a corner.
func maxCornerDist2(s *rawSeg, corners *[4][2]float64) float64 {
	m := 0.0
	for _, p := range corners {
		m = max(m, pointSegDist2(p[0], p[1], s.ax, s.ay, s.bx, s.by))
	}
	return m
}

// blockLevels are the sides, in cells, of the nested blocks pieceFilter
// keeps pieces for, largest first; each divides the one before.
var blockLevels = [...]int{16, 4}

// pieceFilter keeps, for each block of cells, the pieces some cell of the
// block may need. For any cell of a block, the centre's nearest piece is no
// farther than M, the least over pieces of their largest distance to the
// block (reached at a corner); so the cell's U is at most M+h and its
// candidates are within 1.01·(M+h)+1 of the cell, hence of the block. A
// block inside a larger one needs only pieces the larger one keeps, so each
// level looks only at the pieces of the level above, and a cell at those of
// its smallest block.
type pieceFilter struct {
	ms        []rawSeg
	nx        int
	cw, ch, h float64
	lists     [len(blockLevels)][][]int32 // per level, per block of the current rows
	all       []int32
	d         []float64
}

func newPieceFilter(ms []rawSeg, nx int, cw, ch, h float64) *pieceFilter {
	pf := &pieceFilter{ms: ms, nx: nx, cw: cw, ch: ch, h: h}
	for l, side := range blockLevels {
		pf.lists[l] = make([][]int32, (nx+side-1)/side)
	}
	pf.all = make([]int32, len(ms))
	for i := range pf.all {
		pf.all[i] = int32(i)
	}
	return pf
}

// row prepares the lists for cell row r of ny.
func (pf *pieceFilter) row(r, ny int) {
	for l, side := range blockLevels {
		if r%side != 0 {
			continue
		}
		y0, y1 := float64(r)*pf.ch, float64(min(r+side, ny))*pf.ch
		for i := range pf.lists[l] {
			from := pf.all
			if l > 0 {
				from = pf.lists[l-1][i*side/blockLevels[l-1]]
			}
			x0, x1 := float64(i*side)*pf.cw, float64(min((i+1)*side, pf.nx))*pf.cw
			pf.lists[l][i] = pf.keep(from, x0, y0, x1, y1, pf.lists[l][i][:0])
		}
	}
}

// cellList is the pieces cell column c of the current row may need.
func (pf *pieceFilter) cellList(c int) []int32 {
	const l = len(blockLevels) - 1
	return pf.lists[l][c/blockLevels[l]]
}

// keep appends to dst the pieces of from that a cell of the rectangle may
// need, in order.
func (pf *pieceFilter) keep(from []int32, x0, y0, x1, y1 float64, dst []int32) []int32 {
	if len(from) == 0 {
		return dst
	}
	ms := pf.ms
	cx, cy := (x0+x1)/2, (y0+y1)/2
	pf.d = pf.d[:0]
	best, bk := math.Inf(1), 0
	for k, i := range from {
		s := &ms[i]
		d := pointSegDist2(cx, cy, s.ax, s.ay, s.bx, s.by)
		pf.d = append(pf.d, d)
		if d < best {
			best, bk = d, k
		}
	}
	corners := [4][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
	m2 := maxCornerDist2(&ms[from[bk]], &corners)
	for k, i := range from {
		over := m2 + slack2(m2)
		if s := &ms[i]; k == bk || pf.d[k] > over || s.maxCornerBoxDist2(x0, y0, x1, y1) > over {
			continue
		}
		m2 = min(m2, maxCornerDist2(&ms[i], &corners))
	}
	bound := (math.Sqrt(m2)+pf.h)*1.01 + 1
	bound2 := bound*bound + slack2(bound*bound)
	for _, i := range from {
		s := &ms[i]
		gx := max(0, x0-s.maxx, s.minx-x1)
		gy := max(0, y0-s.maxy, s.miny-y1)
		if gx*gx+gy*gy <= bound2 {
			dst = append(dst, i)
		}
	}
	return dst
}

// pointSegDist2 is the squared planar distance from p to the segment a–b.
func pointSegDist2(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = max(0, min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
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
		d = min(d, pointSegDist2(e[0], e[1], ax, ay, bx, by))
	}
	d = min(d, pointSegDist2(ax, ay, x0, y0, x1, y0))
	d = min(d, pointSegDist2(ax, ay, x1, y0, x1, y1))
	d = min(d, pointSegDist2(ax, ay, x1, y1, x0, y1))
	d = min(d, pointSegDist2(ax, ay, x0, y1, x0, y0))
	d = min(d, pointSegDist2(bx, by, x0, y0, x1, y0))
	d = min(d, pointSegDist2(bx, by, x1, y0, x1, y1))
	d = min(d, pointSegDist2(bx, by, x1, y1, x0, y1))
	d = min(d, pointSegDist2(bx, by, x0, y1, x0, y0))
	return d
}

// segsIntersect reports whether the segments a–b and c–d share a point. The
// orientations are exact; collinear segments intersect only where their
// extents overlap.
func segsIntersect(ax, ay, bx, by, cx, cy, dx, dy float64) bool {
	o1 := orient(ax, ay, bx, by, cx, cy)
	o2 := orient(ax, ay, bx, by, dx, dy)
	o3 := orient(cx, cy, dx, dy, ax, ay)
	o4 := orient(cx, cy, dx, dy, bx, by)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return o1 == 0 && inBox(cx, cy, ax, ay, bx, by) || o2 == 0 && inBox(dx, dy, ax, ay, bx, by) ||
		o3 == 0 && inBox(ax, ay, cx, cy, dx, dy) || o4 == 0 && inBox(bx, by, cx, cy, dx, dy)
}

// inBox reports whether p is in the bounding box of a–b (for p collinear
// with them: on the segment).
func inBox(px, py, ax, ay, bx, by float64) bool {
	return px >= min(ax, bx) && px <= max(ax, bx) && py >= min(ay, by) && py <= max(ay, by)
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
