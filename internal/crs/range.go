package crs

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ErrOutOfRange is wrapped by the errors of coordinates outside a
// projected system's valid range (CheckXY).
var ErrOutOfRange = errors.New("crs: coordinates outside the system's valid range")

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

// CheckXY reports whether p (x-first) is inside a projected system's valid
// range (MaxAbsXY); ToWGS84 checks it first, so that EPSG:3857 coordinates
// beyond it are refused rather than wrapped around the Earth. Geographic
// systems pass (callers check longitude and latitude with their own
// messages).
func (c CRS) CheckXY(p orb.Point) error {
	lim := c.MaxAbsXY()
	if lim > 0 && !(math.Abs(p[0]) <= lim && math.Abs(p[1]) <= lim) {
		return fmt.Errorf("%w: %s (%v, %v); x and y must be within ±%.2f m", ErrOutOfRange, c.Code, p[0], p[1], lim)
	}
	return nil
}
