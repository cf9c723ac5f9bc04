package spatial

import (
	"math"

	"github.com/paulmach/orb"
)

// maxSegmentMeters is the longest piece a line is cut into (along its
// geodesic) before indexing, so that a straight lon/lat chord stays within a
// fraction of a millimetre of the geodesic it stands for.
const maxSegmentMeters = 100

// segCellDeg is the cell size, in degrees, of the nearest-segment grids.
const segCellDeg = 0.0025

// seg is one short line piece in lon/lat.
type seg struct{ ax, ay, bx, by float64 }

// lineSet is the linework of one feature (a line, or a polygon's rings),
// densified along geodesics, with an optional grid that lists, for each
// cell, the only pieces that can be nearest to a point in that cell.
type lineSet struct {
	segs []seg
	grid *segGrid
}

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
// pieces whose distance to the cell is at most the smallest distance that
// some piece is guaranteed to be within from every point of the cell.
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
	type mseg struct{ ax, ay, bx, by, minx, miny, maxx, maxy float64 }
	ms := make([]mseg, len(ls.segs))
	for i, s := range ls.segs {
		ax, ay := (s.ax-b.Min[0])*fr.kx, (s.ay-b.Min[1])*fr.ky
		bx, by := (s.bx-b.Min[0])*fr.kx, (s.by-b.Min[1])*fr.ky
		ms[i] = mseg{ax, ay, bx, by, math.Min(ax, bx), math.Min(ay, by), math.Max(ax, bx), math.Max(ay, by)}
	}
	cw, ch := segCellDeg*fr.kx, segCellDeg*fr.ky
	g.start = make([]int32, g.nx*g.ny+1)
	var cand []int32
	for r := range g.ny {
		for c := range g.nx {
			x0, y0 := float64(c)*cw, float64(r)*ch
			x1, y1 := x0+cw, y0+ch
			corners := [4][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
			upper := math.Inf(1)
			for _, s := range ms {
				m := 0.0
				for _, p := range corners {
					m = math.Max(m, pointSegDist2(p[0], p[1], s.ax, s.ay, s.bx, s.by))
				}
				upper = math.Min(upper, m)
			}
			limit := math.Sqrt(upper)*1.01 + 1
			limit2 := limit * limit
			for i, s := range ms {
				// Quick reject by bounding boxes, then the exact rectangle distance.
				dx := math.Max(0, math.Max(s.minx-x1, x0-s.maxx))
				dy := math.Max(0, math.Max(s.miny-y1, y0-s.maxy))
				if dx*dx+dy*dy > limit2 {
					continue
				}
				if segRectDist2(s.ax, s.ay, s.bx, s.by, x0, y0, x1, y1) <= limit2 {
					cand = append(cand, int32(i))
				}
			}
			g.start[r*g.nx+c+1] = int32(len(cand))
		}
	}
	g.cand = cand
	ls.grid = g
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
	if len(ls.segs) == 0 {
		return orb.Point{}, math.Inf(1)
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
		}
	}
	best := math.Inf(1)
	var bs seg
	var bt float64
	try := func(s seg) {
		ax, ay := (s.ax-p[0])*fr.kx, (s.ay-p[1])*fr.ky
		dx, dy := (s.bx-s.ax)*fr.kx, (s.by-s.ay)*fr.ky
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
		}
		qx, qy := ax+t*dx, ay+t*dy
		if d := qx*qx + qy*qy; d < best {
			best, bs, bt = d, s, t
		}
	}
	if useAll {
		for _, s := range ls.segs {
			try(s)
		}
	} else {
		for _, i := range idx {
			try(ls.segs[i])
		}
	}
	return orb.Point{bs.ax + bt*(bs.bx-bs.ax), bs.ay + bt*(bs.by-bs.ay)}, best
}
