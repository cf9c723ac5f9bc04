// Package shapes makes the parcels the hostile corpus, the memory-budget
// tests, the stress test and the load generator send: stars whose every
// edge crosses almost every other, circles of any number of vertices, rings
// that wind twice with a set number of self-crossings, grids of squares,
// and boxes. Coordinates are WGS84 lon/lat; every ring is closed.
package shapes

import (
	"math"

	"github.com/paulmach/orb"
)

// District is a point inside the Hetang District (the Shuizhuhu area).
var District = orb.Point{113.2, 27.87}

// Star is the self-intersecting star polygon {n/k}, k = (n-1)/2, of the
// given radius (degrees) around c: for odd n every edge crosses almost
// every other, n(n-3)/2 self-crossings in all.
func Star(c orb.Point, n int, radius float64) orb.Polygon {
	k := (n - 1) / 2
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i*k%n) / float64(n)
		r = append(r, orb.Point{c[0] + radius*math.Cos(a), c[1] + radius*math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}

// Circle is a simple polygon of n vertices on a circle of the given radius
// (degrees) around c.
func Circle(c orb.Point, n int, radius float64) orb.Polygon {
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		r = append(r, orb.Point{c[0] + radius*math.Cos(a), c[1] + radius*math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}

// DoubleLoop is a ring of n vertices that goes twice around c at about the
// given radius (degrees), its two laps waving out of phase by m periods
// each, so that they cross each other 2m times, and once more where the
// laps join (m ≤ n/8): a self-crossing parcel whose crossing count is
// chosen.
func DoubleLoop(c orb.Point, n, m int, radius float64) orb.Polygon {
	r := make(orb.Ring, 0, n+1)
	half := n / 2
	for i := range 2 * half {
		lap, j := i/half, i%half
		a := 2 * math.Pi * float64(j) / float64(half)
		phase := 0.5
		if lap == 1 {
			phase += math.Pi
		}
		rr := radius * (1 + 0.02*math.Sin(float64(m)*a+phase))
		r = append(r, orb.Point{c[0] + rr*math.Cos(a), c[1] + rr*math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}

// Square is the square of the given side (degrees) with its south-west
// corner at lon, lat.
func Square(lon, lat, side float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side}, {lon, lat}}}
}

// Grid is n squares of the given side (degrees), cols to a row, step
// degrees apart, the first with its south-west corner at sw.
func Grid(sw orb.Point, n, cols int, side, step float64) orb.MultiPolygon {
	mp := make(orb.MultiPolygon, 0, n)
	for i := range n {
		mp = append(mp, Square(sw[0]+float64(i%cols)*step, sw[1]+float64(i/cols)*step, side))
	}
	return mp
}

// Box is the lon/lat box from (w, s) to (e, n) with a vertex every step
// degrees along each side (step ≤ 0: corners only), so that its edges
// follow the parallels and meridians closely even though parcel edges are
// geodesics.
func Box(w, s, e, n, step float64) orb.Polygon {
	r := orb.Ring{}
	side := func(a, b orb.Point) {
		steps := 1
		if step > 0 {
			steps = max(1, int(math.Ceil(math.Max(math.Abs(b[0]-a[0]), math.Abs(b[1]-a[1]))/step)))
		}
		for i := range steps {
			t := float64(i) / float64(steps)
			r = append(r, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
		}
	}
	side(orb.Point{w, s}, orb.Point{e, s})
	side(orb.Point{e, s}, orb.Point{e, n})
	side(orb.Point{e, n}, orb.Point{w, n})
	side(orb.Point{w, n}, orb.Point{w, s})
	return orb.Polygon{append(r, r[0])}
}
