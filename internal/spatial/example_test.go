package spatial_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"hetang/internal/spatial"
)

// Geodesic distance and azimuths on the WGS84 ellipsoid (PROJ, Karney).
func ExampleGeodesic() {
	d, az1, az2, err := spatial.Geodesic(orb.Point{113.1, 27.8}, orb.Point{113.2, 27.9})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f m, azimuth %.6f° there, %.6f° on arrival\n", d, az1, az2)
	// Output: 14826.400 m, azimuth 41.608374° there, 41.655090° on arrival
}
