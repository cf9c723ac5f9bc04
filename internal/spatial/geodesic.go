package spatial

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// WGS84 ellipsoid.
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
	wgs84B = wgs84A * (1 - wgs84F)
)

const deg = math.Pi / 180

// wgs84 is Karney's geodesic solver on the WGS84 ellipsoid (pure Go,
// immutable, safe for concurrent use).
var wgs84 = geodesic.WGS84

// EarthArea is the area of the WGS84 ellipsoid's surface in square metres.
var EarthArea = func() float64 {
	var a float64
	p := wgs84.PolygonInit(false)
	for _, v := range [][2]float64{{0, 0}, {0, 90}, {0, 180}, {0, -90}} {
		p.AddPoint(v[0], v[1])
	}
	p.Compute(false, false, &a, nil)
	return 2 * a
}()

// GeodesicMeters returns the distance in metres between two WGS84 lon/lat
// points along the geodesic of the WGS84 ellipsoid: Karney's algorithm
// (github.com/tidwall/geodesic, a pure-Go port of GeographicLib's C code),
// accurate to a few nanometres for any pair of points, antipodal ones
// included, with no cgo call.
func GeodesicMeters(a, b orb.Point) float64 {
	var d float64
	wgs84.Inverse(a[1], a[0], b[1], b[0], &d, nil, nil)
	return d
}

// Geodesic solves the inverse geodesic problem on the WGS84 ellipsoid with
// Karney's algorithm: the distance in metres between two lon/lat points and
// the forward azimuths, in degrees clockwise from north, at a (towards b)
// and at b (continuing away from a). It fails only for non-finite input.
func Geodesic(a, b orb.Point) (dist, az1, az2 float64, err error) {
	wgs84.Inverse(a[1], a[0], b[1], b[0], &dist, &az1, &az2)
	if math.IsNaN(dist) || math.IsNaN(az1) || math.IsNaN(az2) {
		return 0, 0, 0, fmt.Errorf("spatial: no geodesic from %v to %v", a, b)
	}
	return dist, az1, az2, nil
}

// ringArea is the area in square metres of the region a ring (WGS84
// lon/lat, edges along geodesics, closed or not) encloses on the ellipsoid:
// of the two regions it bounds, the smaller, whatever the ring's
// orientation (as PostGIS geography reads rings). Self-intersecting rings
// are summed algebraically, as Karney's polygon area does.
func ringArea(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	p := wgs84.PolygonInit(false)
	for _, v := range r[:n] {
		p.AddPoint(v[1], v[0])
	}
	var a float64
	p.Compute(false, true, &a, nil)
	return math.Abs(a)
}

// GeodesicArea is the area in square metres of a Polygon or MultiPolygon
// (WGS84 lon/lat) on the WGS84 ellipsoid with its edges taken as geodesics
// (Karney's algorithm, as PROJ's geod_polygonarea and PostGIS's
// ST_Area(geography)): outer rings less holes, parts summed. The geometry
// is taken as valid (parts not overlapping, holes inside their shell);
// other geometry types have no area.
func GeodesicArea(g orb.Geometry) float64 {
	switch x := g.(type) {
	case orb.Polygon:
		if len(x) == 0 {
			return 0
		}
		a := ringArea(x[0])
		for _, h := range x[1:] {
			a -= ringArea(h)
		}
		return math.Max(a, 0)
	case orb.MultiPolygon:
		a := 0.0
		for _, p := range x {
			a += GeodesicArea(p)
		}
		return a
	case orb.Collection:
		a := 0.0
		for _, c := range x {
			a += GeodesicArea(c)
		}
		return a
	}
	return 0
}

// localFrame maps lon/lat near a reference latitude to approximate metres
// (east, north) using the ellipsoid's radii of curvature there: good to
// about 1e-4 relative within tens of kilometres, which is all nearest-point
// searches need; the distances reported are geodesics between the points
// found.
type localFrame struct{ kx, ky float64 }

func newLocalFrame(lat float64) localFrame {
	s := math.Sin(lat * deg)
	e2 := wgs84F * (2 - wgs84F)
	w := math.Sqrt(1 - e2*s*s)
	n := wgs84A / w
	m := wgs84A * (1 - e2) / (w * w * w)
	return localFrame{kx: n * math.Cos(lat*deg) * deg, ky: m * deg}
}

// shortMaxDeg bounds the coordinate differences (degrees, about 11 km) below
// which lineMeters uses the mean-latitude formula.
const shortMaxDeg = 0.1

// lineMeters is the geodesic distance for the nearest-feature answers: for
// points less than about 11 km apart the ellipsoidal mean-latitude formula
// (meridional and prime-vertical radii of curvature at the mean latitude),
// whose error there is below 1e-6 of the distance (tested against PROJ's
// geod); Karney's geodesic (GeodesicMeters) beyond.
func lineMeters(a, b orb.Point) float64 {
	dlon, dlat := b[0]-a[0], b[1]-a[1]
	if math.Abs(dlon) > shortMaxDeg || math.Abs(dlat) > shortMaxDeg {
		return GeodesicMeters(a, b)
	}
	fr := newLocalFrame((a[1] + b[1]) / 2)
	x, y := dlon*fr.kx, dlat*fr.ky
	return math.Sqrt(x*x + y*y)
}
