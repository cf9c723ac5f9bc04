package layout

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// CheckLonLat reports an error when g has a coordinate that is not finite or
// not a plausible WGS84 longitude/latitude.
func CheckLonLat(g orb.Geometry) error {
	var bad error
	EachPoint(g, func(p orb.Point) {
		if bad != nil {
			return
		}
		lon, lat := p[0], p[1]
		switch {
		case math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
			bad = fmt.Errorf("coordinate (%v, %v) is not a finite number", lon, lat)
		case lon < -180 || lon > 180 || lat < -90 || lat > 90:
			bad = fmt.Errorf("coordinate (%v, %v) is outside longitude [-180,180] / latitude [-90,90]", lon, lat)
		}
	})
	return bad
}

// EachPoint calls fn for every coordinate of g, in order (both corners of a Bound).
func EachPoint(g orb.Geometry, fn func(orb.Point)) {
	switch x := g.(type) {
	case orb.Point:
		fn(x)
	case orb.MultiPoint:
		for _, p := range x {
			fn(p)
		}
	case orb.LineString:
		for _, p := range x {
			fn(p)
		}
	case orb.Ring:
		for _, p := range x {
			fn(p)
		}
	case orb.MultiLineString:
		for _, l := range x {
			EachPoint(l, fn)
		}
	case orb.Polygon:
		for _, r := range x {
			EachPoint(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			EachPoint(p, fn)
		}
	case orb.Collection:
		for _, c := range x {
			EachPoint(c, fn)
		}
	case orb.Bound:
		fn(x.Min)
		fn(x.Max)
	}
}
