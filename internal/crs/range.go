package crs

import "math"

// WebMercatorMax is the largest |x| and |y| of EPSG:3857 in metres: half
// the equator's length on the sphere of radius 6378137 m. Beyond it the
// projection wraps around the Earth, so larger values are refused rather
// than taken for the point they wrap to.
const WebMercatorMax = math.Pi * 6378137

// projectedMax is the largest |x| and |y| accepted in the other projected
// systems: more than any point on the Earth in any of them.
const projectedMax = 1e8

// MaxAbsXY returns the largest |x| and |y| a projected system c accepts
// (WebMercatorMax for EPSG:3857), or 0 for geographic systems, whose range
// is longitude [-180, 180] and latitude [-90, 90].
func (c CRS) MaxAbsXY() float64 {
	switch {
	case !c.Projected:
		return 0
	case c.EPSG == WebMerc.EPSG:
		return WebMercatorMax
	}
	return projectedMax
}
