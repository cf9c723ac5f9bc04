package crs_test

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/crs"
)

// TestWebMercatorMax checks the bound against PROJ: the projection of the
// antimeridian on the equator is WebMercatorMax.
func TestWebMercatorMax(t *testing.T) {
	p, err := crs.WebMerc.FromWGS84(orb.Point{180, 0})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p[0]-crs.WebMercatorMax) > 1e-6 {
		t.Errorf("EPSG:3857 x of lon 180 = %.6f, WebMercatorMax = %.6f", p[0], crs.WebMercatorMax)
	}
	for _, tc := range []struct {
		p  orb.Point
		ok bool
	}{{orb.Point{12599000, 3230000}, true}, {orb.Point{-crs.WebMercatorMax, crs.WebMercatorMax}, true}, {orb.Point{40075016, 3230000}, false}, {orb.Point{0, -2.1e7}, false}} {
		_, err := crs.WebMerc.ToWGS84(tc.p)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, crs.ErrOutOfRange) {
			t.Errorf("EPSG:3857 ToWGS84(%v): %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
	if crs.WebMerc.MaxAbsXY() != crs.WebMercatorMax || crs.CGCSGK.MaxAbsXY() != 1e8 || crs.CRS84.MaxAbsXY() != 0 {
		t.Errorf("MaxAbsXY: 3857 %v, 4547 %v, CRS84 %v", crs.WebMerc.MaxAbsXY(), crs.CGCSGK.MaxAbsXY(), crs.CRS84.MaxAbsXY())
	}
}
