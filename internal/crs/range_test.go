package crs_test

import (
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
	if crs.WebMerc.MaxAbsXY() != crs.WebMercatorMax || crs.CGCSGK.MaxAbsXY() != 1e8 || crs.CRS84.MaxAbsXY() != 0 {
		t.Errorf("MaxAbsXY: 3857 %v, 4547 %v, CRS84 %v", crs.WebMerc.MaxAbsXY(), crs.CGCSGK.MaxAbsXY(), crs.CRS84.MaxAbsXY())
	}
}
