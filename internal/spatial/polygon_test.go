package spatial

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/project"
	"github.com/twpayne/go-proj/v11"

	"hetang/internal/geosorb"
)

// ogrArea computes the ellipsoidal area with GDAL's SQLite dialect
// (SpatiaLite ST_Area(geom, 1) on the WGS84 ellipsoid): the independent truth.
func ogrArea(t *testing.T, g orb.Geometry) float64 {
	t.Helper()
	out, err := exec.Command("ogrinfo", "-q", "-dialect", "SQLite", "-sql",
		"SELECT ST_Area(ST_GeomFromText('"+wkt.MarshalString(g)+"',4326), 1) AS a", "testdata/one.geojson").CombinedOutput()
	if err != nil {
		t.Skipf("ogrinfo: %v %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if _, v, ok := strings.Cut(line, "a (Real) = "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Skipf("ogrinfo gave no area: %s", out)
	return 0
}

// laeaArea is the area of g (edges as geodesics, densified) in PROJ's
// ellipsoidal Lambert azimuthal equal-area projection centred on it: an
// independent ellipsoidal area (equal-area projections preserve area exactly).
func laeaArea(t *testing.T, g orb.Geometry) float64 {
	t.Helper()
	c := g.Bound().Center()
	pj, err := proj.NewCRSToCRS("+proj=longlat +ellps=WGS84 +type=crs",
		fmt.Sprintf("+proj=laea +lat_0=%.6f +lon_0=%.6f +ellps=WGS84 +type=crs", c[1], c[0]), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := project.Geometry(orb.Clone(densify(g)), func(pt orb.Point) orb.Point {
		v, err := pj.Forward(proj.NewCoord(pt[0], pt[1], 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return orb.Point{v[0], v[1]}
	})
	gg, err := geosorb.ToGEOS(nil, q)
	if err != nil {
		t.Fatal(err)
	}
	return gg.Area()
}

// TestPolygonAreaAgreesWithIndependentAreas checks parcel and overlap areas
// (EPSG:4547 with scale correction) against PROJ's equal-area projection and,
// for parcels of a few km² where its spheroid formula is accurate, against
// SpatiaLite's ST_Area(geom, 1) through GDAL. (For the 168 km² triangle
// SpatiaLite is 5.7e-4 off both; it is not used as truth there.)
func TestPolygonAreaAgreesWithIndependentAreas(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo not installed")
	}
	ix := mustIndex(t)
	parcels := map[string]orb.Polygon{
		"square 2 km":   {{{113.2, 27.89}, {113.22, 27.89}, {113.22, 27.91}, {113.2, 27.91}, {113.2, 27.89}}},
		"small 100 m":   {{{113.15, 27.85}, {113.151, 27.85}, {113.151, 27.851}, {113.15, 27.851}, {113.15, 27.85}}},
		"big triangle":  {{{113.12, 27.82}, {113.30, 27.84}, {113.20, 28.00}, {113.12, 27.82}}},
		"with hole":     {{{113.2, 27.89}, {113.22, 27.89}, {113.22, 27.91}, {113.2, 27.91}, {113.2, 27.89}}, {{113.205, 27.895}, {113.205, 27.9}, {113.21, 27.9}, {113.21, 27.895}, {113.205, 27.895}}},
		"outside far e": {{{114.5, 27.89}, {114.52, 27.89}, {114.52, 27.91}, {114.5, 27.91}, {114.5, 27.89}}},
	}
	for name, p := range parcels {
		t.Run(name, func(t *testing.T) {
			hit, err := ix.LocatePolygon(context.Background(), p, 3)
			if err != nil {
				t.Fatal(err)
			}
			want := laeaArea(t, p)
			if rel := math.Abs(hit.SquareMeters-want) / want; rel > 1e-6 {
				t.Errorf("area %.3f m², PROJ LAEA %.3f m² (rel %.2e)", hit.SquareMeters, want, rel)
			}
			if want < 10e6 {
				if sl := ogrArea(t, p); math.Abs(hit.SquareMeters-sl)/sl > 1e-6 {
					t.Errorf("area %.3f m², SpatiaLite %.3f m²", hit.SquareMeters, sl)
				}
			}
			sum := 0.0
			for _, o := range hit.Areas {
				sum += o.Share
				ov := laeaArea(t, mustIntersection(t, densify(p).(orb.Polygon), densify(o.Feature.Geometry)))
				if rel := math.Abs(o.SquareMeters-ov) / math.Max(ov, 1); rel > 1e-5 {
					t.Errorf("overlap with %s %.3f m², SpatiaLite %.3f m²", o.Feature.ID, o.SquareMeters, ov)
				}
			}
			if len(hit.Areas) > 0 && (hit.PrimaryArea == nil || hit.PrimaryArea.Feature != hit.Areas[0].Feature) {
				t.Error("primary area is not the largest overlap")
			}
			if sum > 1+1e-9 {
				t.Errorf("area shares sum to %v > 1", sum)
			}
		})
	}
}

func mustIntersection(t *testing.T, a orb.Polygon, b orb.Geometry) orb.Geometry {
	t.Helper()
	ga, err := geosorb.ToGEOS(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := geosorb.ToGEOS(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	g, err := geosorb.FromGEOS(ga.Intersection(gb))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestLocatePolygonRepairsAndRejects(t *testing.T) {
	ix := mustIndex(t)
	ctx := context.Background()
	bowtie := orb.Polygon{{{113.2, 27.89}, {113.22, 27.91}, {113.22, 27.89}, {113.2, 27.91}, {113.2, 27.89}}}
	hit, err := ix.LocatePolygon(ctx, bowtie, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !hit.Repaired || !strings.Contains(hit.RepairNote, "MakeValid") {
		t.Errorf("bow-tie: repaired %v note %q", hit.Repaired, hit.RepairNote)
	}
	// The place GEOS names is where the edges cross, in the lon/lat given
	// (not the EPSG:4547 metres the overlay works in).
	if !strings.Contains(hit.RepairNote, "Self-intersection at lon 113.21000") || !strings.Contains(hit.RepairNote, "lat 27.900") {
		t.Errorf("bow-tie: note %q does not name the crossing in lon/lat", hit.RepairNote)
	}
	unclosed := orb.Polygon{{{113.2, 27.89}, {113.22, 27.89}, {113.22, 27.91}, {113.2, 27.91}}}
	hit, err = ix.LocatePolygon(ctx, unclosed, 3)
	if err != nil || !hit.Repaired || !strings.Contains(hit.RepairNote, "unclosed") {
		t.Errorf("unclosed: %v %+v", err, hit)
	}
	holeFirst := orb.Polygon{{{113.205, 27.895}, {113.205, 27.9}, {113.21, 27.9}, {113.21, 27.895}, {113.205, 27.895}}, {{113.2, 27.89}, {113.22, 27.89}, {113.22, 27.91}, {113.2, 27.91}, {113.2, 27.89}}}
	if hit, err = ix.LocatePolygon(ctx, holeFirst, 3); err != nil || !hit.Repaired {
		t.Errorf("wrong ring order: %v repaired=%v", err, hit != nil && hit.Repaired)
	}
	for name, g := range map[string]orb.Geometry{
		"nil":       nil,
		"point":     orb.Point{113.2, 27.9},
		"line":      orb.LineString{{113.2, 27.9}, {113.3, 27.9}},
		"collapsed": orb.Polygon{{{113.2, 27.9}, {113.3, 27.9}, {113.2, 27.9}}},
		// Along a meridian and along the equator (geodesics); three points
		// on another parallel enclose the area between their geodesic edges
		// (see "triangle on the district's parallel" in hostileParcels).
		"flat":       orb.Polygon{{{113.2, 27.8}, {113.2, 27.9}, {113.2, 28.0}, {113.2, 27.8}}},
		"equatorial": orb.Polygon{{{113.2, 0}, {113.3, 0}, {113.4, 0}, {113.2, 0}}},
		"empty":      orb.MultiPolygon{},
	} {
		if _, err := ix.LocatePolygon(ctx, g, 3); !errors.Is(err, ErrNotAreal) {
			t.Errorf("%s: err %v, want ErrNotAreal", name, err)
		}
	}
}
