package spatial

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-proj/v11"
)

// WGS84 ellipsoid.
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
	wgs84B = wgs84A * (1 - wgs84F)
)

const deg = math.Pi / 180

// ErrNoConvergence is returned by the pure-Go geodesic for (nearly)
// antipodal points, where Vincenty's iteration does not converge; callers
// fall back to PROJ's geodesic.
var ErrNoConvergence = errors.New("spatial: geodesic iteration did not converge")

// GeodesicMeters returns the distance in metres between two WGS84 lon/lat
// points along the geodesic of the WGS84 ellipsoid. It is pure Go (Vincenty's
// inverse formula, accurate to well under 1 mm for the distances this service
// deals with) so that it can run millions of times per second without a cgo
// call; for the few cases where Vincenty's iteration fails (nearly antipodal
// points) it uses PROJ's geodesic (Karney's algorithm).
func GeodesicMeters(a, b orb.Point) float64 {
	d, err := vincenty(a[0], a[1], b[0], b[1])
	if err != nil {
		d, _, _, err = Geodesic(a, b)
		if err != nil {
			return math.NaN()
		}
	}
	return d
}

// vincenty is Vincenty's inverse formula on WGS84.
func vincenty(lon1, lat1, lon2, lat2 float64) (float64, error) {
	if lon1 == lon2 && lat1 == lat2 {
		return 0, nil
	}
	L := (lon2 - lon1) * deg
	tanU1 := (1 - wgs84F) * math.Tan(lat1*deg)
	cosU1 := 1 / math.Sqrt(1+tanU1*tanU1)
	sinU1 := tanU1 * cosU1
	tanU2 := (1 - wgs84F) * math.Tan(lat2*deg)
	cosU2 := 1 / math.Sqrt(1+tanU2*tanU2)
	sinU2 := tanU2 * cosU2
	lambda := L
	var sinSigma, cosSigma, sigma, cosSqAlpha, cos2SigmaM float64
	for range 200 {
		sinLambda, cosLambda := math.Sincos(lambda)
		t1 := cosU2 * sinLambda
		t2 := cosU1*sinU2 - sinU1*cosU2*cosLambda
		sinSigma = math.Sqrt(t1*t1 + t2*t2)
		if sinSigma == 0 {
			return 0, nil
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosLambda
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinLambda / sinSigma
		cosSqAlpha = 1 - sinAlpha*sinAlpha
		if cosSqAlpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cosSqAlpha
		} else {
			cos2SigmaM = 0
		}
		C := wgs84F / 16 * cosSqAlpha * (4 + wgs84F*(4-3*cosSqAlpha))
		prev := lambda
		lambda = L + (1-C)*wgs84F*sinAlpha*(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-13 {
			uSq := cosSqAlpha * (wgs84A*wgs84A - wgs84B*wgs84B) / (wgs84B * wgs84B)
			A := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
			B := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
			deltaSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
				B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
			return wgs84B * A * (sigma - deltaSigma), nil
		}
	}
	return 0, ErrNoConvergence
}

// geod is PROJ's WGS84 ellipsoid for proj_geod (Karney's geodesics). Its
// context serialises calls, so it suits single answers, not hot loops.
var geod = sync.OnceValues(func() (*proj.PJ, error) {
	pj, err := proj.New("+proj=longlat +ellps=WGS84 +no_defs")
	if err != nil {
		return nil, fmt.Errorf("spatial: PROJ cannot build the WGS84 ellipsoid: %w", err)
	}
	return pj, nil
})

// Geodesic solves the inverse geodesic problem on the WGS84 ellipsoid with
// PROJ (Karney's algorithm): the distance in metres between two lon/lat
// points and the forward azimuths, in degrees clockwise from north, at a
// (towards b) and at b (continuing away from a).
func Geodesic(a, b orb.Point) (dist, az1, az2 float64, err error) {
	pj, err := geod()
	if err != nil {
		return 0, 0, 0, err
	}
	d, a1, a2 := pj.Geod(proj.NewCoord(a[0]*deg, a[1]*deg, 0, 0), proj.NewCoord(b[0]*deg, b[1]*deg, 0, 0))
	if math.IsNaN(d) {
		return 0, 0, 0, fmt.Errorf("spatial: PROJ geodesic of %v → %v failed", a, b)
	}
	return d, a1, a2, nil
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
// geod); Vincenty's formula (GeodesicMeters) beyond.
func lineMeters(a, b orb.Point) float64 {
	dlon, dlat := b[0]-a[0], b[1]-a[1]
	if math.Abs(dlon) > shortMaxDeg || math.Abs(dlat) > shortMaxDeg {
		return GeodesicMeters(a, b)
	}
	fr := newLocalFrame((a[1] + b[1]) / 2)
	x, y := dlon*fr.kx, dlat*fr.ky
	return math.Sqrt(x*x + y*y)
}
