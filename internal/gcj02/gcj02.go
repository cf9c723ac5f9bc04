// Package gcj02 converts between WGS84 and the two obfuscated coordinate
// frames used by web maps in mainland China: GCJ-02 (国测局坐标, used by Amap/Gaode
// and Tencent) and BD-09 (百度坐标, used by Baidu).
//
// The forward transform WGS84 → GCJ-02 is the widely published polynomial
// offset evaluated on the Krasovsky 1940 ellipsoid. It has no closed-form inverse;
// ToWGS84 inverts it by fixed-point iteration until the residual is below
// 1e-9 degrees (about 0.1 mm), which takes a handful of steps. BD-09 is a further
// rotation-and-shift of GCJ-02; its inverse is likewise refined iteratively.
//
// All functions take and return longitude first, in degrees. Outside the
// rough bounding box of mainland China the frames coincide with WGS84 and the
// functions return their input unchanged, as the published algorithm does.
package gcj02

import "math"

const (
	// krasovskyA is the semi-major axis of the Krasovsky 1940 ellipsoid in metres.
	krasovskyA = 6378245.0
	// krasovskyE2 is the first eccentricity squared of the Krasovsky 1940 ellipsoid.
	krasovskyE2 = 0.00669342162296594323
	// bdXPi is the BD-09 rotation constant (π·3000/180).
	bdXPi = math.Pi * 3000.0 / 180.0

	// inverseTolerance is the convergence threshold of the iterative inverses, in degrees.
	inverseTolerance = 1e-10
	maxIterations    = 30
)

// InChina reports whether the point lies in the box where the GCJ-02 offset is
// applied. Outside it the obfuscated frames equal WGS84.
func InChina(lon, lat float64) bool {
	return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271
}

// FromWGS84 converts WGS84 longitude/latitude to GCJ-02.
func FromWGS84(lon, lat float64) (float64, float64) {
	if !InChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := offset(lon, lat)
	return lon + dLon, lat + dLat
}

// ToWGS84 converts GCJ-02 longitude/latitude to WGS84 by iterating the forward
// transform: it finds the WGS84 point whose GCJ-02 image is the input.
func ToWGS84(gLon, gLat float64) (float64, float64) {
	if !InChina(gLon, gLat) {
		return gLon, gLat
	}
	// Start from a first-order guess: subtract the offset evaluated at the input.
	dLon, dLat := offset(gLon, gLat)
	lon, lat := gLon-dLon, gLat-dLat
	for range maxIterations {
		fLon, fLat := FromWGS84(lon, lat)
		eLon, eLat := fLon-gLon, fLat-gLat
		lon -= eLon
		lat -= eLat
		if math.Abs(eLon) < inverseTolerance && math.Abs(eLat) < inverseTolerance {
			break
		}
	}
	return lon, lat
}

// GCJ02ToBD09 converts GCJ-02 longitude/latitude to BD-09.
func GCJ02ToBD09(lon, lat float64) (float64, float64) {
	z := math.Hypot(lon, lat) + 0.00002*math.Sin(lat*bdXPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*bdXPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// BD09ToGCJ02 converts BD-09 longitude/latitude to GCJ-02. The published
// closed-form inverse is only approximate (errors of a few centimetres), so it
// is used as a starting point and refined against GCJ02ToBD09.
func BD09ToGCJ02(bLon, bLat float64) (float64, float64) {
	x, y := bLon-0.0065, bLat-0.006
	z := math.Hypot(x, y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	lon, lat := z*math.Cos(theta), z*math.Sin(theta)
	for range maxIterations {
		fLon, fLat := GCJ02ToBD09(lon, lat)
		eLon, eLat := fLon-bLon, fLat-bLat
		lon -= eLon
		lat -= eLat
		if math.Abs(eLon) < inverseTolerance && math.Abs(eLat) < inverseTolerance {
			break
		}
	}
	return lon, lat
}

// WGS84ToBD09 converts WGS84 longitude/latitude to BD-09.
func WGS84ToBD09(lon, lat float64) (float64, float64) {
	return GCJ02ToBD09(FromWGS84(lon, lat))
}

// BD09ToWGS84 converts BD-09 longitude/latitude to WGS84.
func BD09ToWGS84(lon, lat float64) (float64, float64) {
	return ToWGS84(BD09ToGCJ02(lon, lat))
}

// offset returns the GCJ-02 minus WGS84 shift, in degrees, at a WGS84 point.
func offset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105.0, lat-35.0
	dLat = shiftLat(x, y)
	dLon = shiftLon(x, y)
	radLat := lat / 180.0 * math.Pi
	magic := 1 - krasovskyE2*math.Sin(radLat)*math.Sin(radLat)
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyE2)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

func shiftLat(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func shiftLon(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}
