// Package projgeod calls PROJ's C geodesic routines (geodesic.h, Karney's
// algorithms as shipped in libproj) directly through cgo. It exists for the
// spatial package's tests: an implementation of geodesic polygon areas that
// shares no code with the pure-Go one the service uses.
package projgeod

// #cgo LDFLAGS: -lproj
// #include <stdlib.h>
// #include <geodesic.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// WGS84 semi-major axis (m) and flattening.
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
)

// PolygonArea returns geod_polygonarea on the WGS84 ellipsoid for a ring
// of lon/lat vertices (not repeating the first): the signed area in square
// metres (counter-clockwise positive, reduced to within half the Earth's
// area) and the perimeter in metres.
func PolygonArea(lons, lats []float64) (area, perimeter float64) {
	n := len(lons)
	if n == 0 || len(lats) != n {
		return 0, 0
	}
	var g C.struct_geod_geodesic
	C.geod_init(&g, C.double(wgs84A), C.double(wgs84F))
	size := C.size_t(n) * C.size_t(unsafe.Sizeof(C.double(0)))
	cl := (*C.double)(C.malloc(size))
	cp := (*C.double)(C.malloc(size))
	defer C.free(unsafe.Pointer(cl))
	defer C.free(unsafe.Pointer(cp))
	lonS := unsafe.Slice(cl, n)
	latS := unsafe.Slice(cp, n)
	for i := range n {
		lonS[i] = C.double(lons[i])
		latS[i] = C.double(lats[i])
	}
	var a, p C.double
	C.geod_polygonarea(&g, cp, cl, C.int(n), &a, &p)
	runtime.KeepAlive(lons)
	return float64(a), float64(p)
}
