package spatial

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// maxPolygonsPerGrid is how many polygon features one polyGrid holds: their
// memberships are the bits of a uint64.
const maxPolygonsPerGrid = 64

// gridCells is the number of cells along the longer side of a polygon grid.
const gridCells = 512

// edge is one polygon ring edge in lon/lat, with its bounding box and the
// index of the feature (bit) it belongs to.
type edge struct {
	ax, ay, bx, by         float64
	minx, maxx, miny, maxy float64
	bit                    uint64
}

// polyCell is one grid cell: when no edge comes near it, every point of
// the cell is inside exactly the features in mask.
type polyCell struct {
	mask  uint64
	mixed bool
}

// polyGrid answers point-in-polygon for up to 64 polygonal features at once,
// without cgo. The bounding box of the features is cut into rows and cells;
// a cell that no edge touches has its memberships precomputed, and a point in
// any other cell is decided by a ray cast to +x over the edges of its row
// only, with exact orientation predicates and the half-open crossing rule, so
// the answer is the same as GEOS's for every float64 point, including points
// exactly on an edge or vertex (reported in the boundary mask).
type polyGrid struct {
	minx, miny, maxx, maxy float64
	nx, ny                 int
	sx, sy                 float64 // cells per degree
	cells                  []polyCell
	rows                   [][]edge
	all                    []edge
}

// newPolyGrid indexes the polygons; polys[i] becomes bit i.
func newPolyGrid(polys []orb.MultiPolygon) (*polyGrid, error) {
	if len(polys) > maxPolygonsPerGrid {
		return nil, fmt.Errorf("spatial: %d polygon features in one layer; the point index holds at most %d", len(polys), maxPolygonsPerGrid)
	}
	g := &polyGrid{}
	var b orb.Bound
	first := true
	for i, mp := range polys {
		for _, poly := range mp {
			for _, ring := range poly {
				n := len(ring)
				if n == 0 {
					continue
				}
				for j := range n {
					a, c := ring[j], ring[(j+1)%n]
					if a == c {
						continue
					}
					for _, v := range []float64{a[0], a[1]} {
						if math.IsNaN(v) || math.IsInf(v, 0) {
							return nil, fmt.Errorf("spatial: polygon %d has a non-finite coordinate", i)
						}
					}
					e := edge{ax: a[0], ay: a[1], bx: c[0], by: c[1], bit: 1 << uint(i),
						minx: math.Min(a[0], c[0]), maxx: math.Max(a[0], c[0]),
						miny: math.Min(a[1], c[1]), maxy: math.Max(a[1], c[1])}
					g.all = append(g.all, e)
					if first {
						b = orb.Bound{Min: orb.Point{e.minx, e.miny}, Max: orb.Point{e.maxx, e.maxy}}
						first = false
					} else {
						b = b.Extend(orb.Point{e.minx, e.miny}).Extend(orb.Point{e.maxx, e.maxy})
					}
				}
			}
		}
	}
	if first {
		g.nx, g.ny = 0, 0
		return g, nil
	}
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	side := math.Max(w, h)
	if side == 0 {
		side = 1e-9
	}
	cell := side / gridCells
	g.minx, g.miny, g.maxx, g.maxy = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	g.nx = max(1, int(math.Ceil(w/cell)))
	g.ny = max(1, int(math.Ceil(h/cell)))
	g.sx = float64(g.nx) / math.Max(w, 1e-12)
	g.sy = float64(g.ny) / math.Max(h, 1e-12)
	// A margin around rows and cells absorbs rounding in the cell arithmetic.
	mx, my := 1e-6/g.sx, 1e-6/g.sy
	g.rows = make([][]edge, g.ny)
	g.cells = make([]polyCell, g.nx*g.ny)
	for _, e := range g.all {
		r0 := max(0, int((e.miny-my-g.miny)*g.sy))
		r1 := min(g.ny-1, int((e.maxy+my-g.miny)*g.sy))
		for r := r0; r <= r1; r++ {
			g.rows[r] = append(g.rows[r], e)
		}
		c0 := max(0, int((e.minx-mx-g.minx)*g.sx))
		c1 := min(g.nx-1, int((e.maxx+mx-g.minx)*g.sx))
		for r := r0; r <= r1; r++ {
			y0, y1 := g.miny+float64(r)/g.sy-my, g.miny+float64(r+1)/g.sy+my
			for c := c0; c <= c1; c++ {
				x0, x1 := g.minx+float64(c)/g.sx-mx, g.minx+float64(c+1)/g.sx+mx
				if segmentTouchesBox(e, x0, y0, x1, y1) {
					g.cells[r*g.nx+c].mixed = true
				}
			}
		}
	}
	for r := range g.ny {
		for c := range g.nx {
			pc := &g.cells[r*g.nx+c]
			if pc.mixed {
				continue
			}
			cx := g.minx + (float64(c)+0.5)/g.sx
			cy := g.miny + (float64(r)+0.5)/g.sy
			in, _ := rayCast(g.rows[r], cx, cy)
			pc.mask = in
		}
	}
	return g, nil
}

// segmentTouchesBox reports whether the segment may meet the closed box
// (a conservative test: it never says no when the answer is yes).
func segmentTouchesBox(e edge, x0, y0, x1, y1 float64) bool {
	if e.maxx < x0 || e.minx > x1 || e.maxy < y0 || e.miny > y1 {
		return false
	}
	// The box lies wholly on one side of the segment's line when all four
	// corners have the same strict orientation.
	s := 0
	for _, c := range [4][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}} {
		o := orient(e.ax, e.ay, e.bx, e.by, c[0], c[1])
		if o == 0 {
			return true
		}
		if s == 0 {
			s = o
		} else if s != o {
			return true
		}
	}
	return false
}

// locate returns the features whose interior contains (x, y) and those on
// whose boundary it lies exactly. A feature covers the point when its bit is
// in inside|boundary.
func (g *polyGrid) locate(x, y float64) (inside, boundary uint64) {
	if g.nx == 0 || !(x >= g.minx && x <= g.maxx && y >= g.miny && y <= g.maxy) {
		return 0, 0
	}
	c := min(int((x-g.minx)*g.sx), g.nx-1)
	r := min(int((y-g.miny)*g.sy), g.ny-1)
	pc := g.cells[r*g.nx+c]
	if !pc.mixed {
		return pc.mask, 0
	}
	return rayCast(g.rows[r], x, y)
}

// rayCast counts, per feature bit, the crossings of the ray from (x, y) to +x
// with the edges (half-open rule: an edge counts when exactly one endpoint is
// strictly above y), and reports the features with an edge through (x, y).
func rayCast(edges []edge, x, y float64) (inside, boundary uint64) {
	for i := range edges {
		e := &edges[i]
		if e.maxx < x || e.miny > y || e.maxy < y {
			continue
		}
		if (e.ay > y) != (e.by > y) {
			o := orient(e.ax, e.ay, e.bx, e.by, x, y)
			if o == 0 {
				boundary |= e.bit
				continue
			}
			if (e.by > e.ay) == (o > 0) {
				inside ^= e.bit
			}
			continue
		}
		// The edge does not cross the ray's line by the half-open rule; the
		// point may still lie on it (a horizontal edge, or its top vertex).
		if x >= e.minx && orient(e.ax, e.ay, e.bx, e.by, x, y) == 0 {
			boundary |= e.bit
		}
	}
	return inside &^ boundary, boundary
}
