package geomorb

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	gwkt "github.com/twpayne/go-geom/encoding/wkt"
)

// TestToGeomMatchesWKT compares each conversion through two independent
// WKT writers (orb's and go-geom's): the same text means the same
// coordinates in the same structure.
func TestToGeomMatchesWKT(t *testing.T) {
	sq := orb.Ring{{113, 27}, {114, 27}, {114, 28}, {113, 28}, {113, 27}}
	hole := orb.Ring{{113.2, 27.2}, {113.2, 27.4}, {113.4, 27.4}, {113.2, 27.2}}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
	}{
		{"point", orb.Point{113.17123456789012, 27.86}},
		{"multipoint", orb.MultiPoint{{1, 2}, {3, 4}}},
		{"linestring", orb.LineString{{1, 2}, {3, 4}, {5, 6.5}}},
		{"multilinestring", orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}, {9, 10}}}},
		{"polygon with hole", orb.Polygon{sq, hole}},
		{"multipolygon", orb.MultiPolygon{{sq, hole}, {{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"collection", orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ToGeom(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			got, err := gwkt.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			// orb writes the WKT, go-geom parses it: the same geometry must
			// come back as the conversion gave.
			parsed, err := gwkt.Unmarshal(wkt.MarshalString(tc.g))
			if err != nil {
				t.Fatal(err)
			}
			want, err := gwkt.Marshal(parsed)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("WKT (-orb +go-geom):\n%s", diff)
			}
		})
	}
}

func TestToGeomRejects(t *testing.T) {
	for _, g := range []orb.Geometry{nil, orb.Bound{}} {
		if _, err := ToGeom(g); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ToGeom(%T) error = %v, want ErrUnsupported", g, err)
		}
	}
}
