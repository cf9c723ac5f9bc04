package gdaltest

import (
	"github.com/paulmach/orb"

	"hetang/internal/layout"
)

// Points flattens a geometry into its vertices in order (rings closed as
// stored), for comparing coordinates vertex by vertex.
func Points(g orb.Geometry) []orb.Point {
	var out []orb.Point
	layout.EachPoint(g, func(p orb.Point) { out = append(out, p) })
	return out
}

// MaxDiff returns the largest coordinate difference between two vertex lists
// of the same length, and false when the lengths differ.
func MaxDiff(a, b []orb.Point) (float64, bool) {
	if len(a) != len(b) {
		return 0, false
	}
	worst := 0.0
	for i := range a {
		for k := 0; k < 2; k++ {
			d := a[i][k] - b[i][k]
			if d < 0 {
				d = -d
			}
			worst = max(worst, d)
		}
	}
	return worst, true
}
