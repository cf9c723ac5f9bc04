package pgstore_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/pgstore"
)

func TestEWKBRoundTrip(t *testing.T) {
	ring := orb.Ring{{113.1, 27.8}, {113.2, 27.8}, {113.2, 27.9}, {113.1, 27.8}}
	for _, g := range []orb.Geometry{
		orb.Point{113.123456789012345, 27.98765432109876},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.LineString{{1, 2}, {3, 4}, {5, 6}},
		orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
		orb.Polygon{ring},
		orb.MultiPolygon{{ring}, {ring}},
		orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
	} {
		t.Run(g.GeoJSONType(), func(t *testing.T) {
			b, err := pgstore.EncodeEWKB(g)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pgstore.DecodeEWKB(b)
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(got, g) {
				t.Errorf("round trip: %v, want %v", got, g)
			}
		})
	}
	// PostGIS's own EWKB for SRID=4326;POINT(1 2) (SELECT ST_AsEWKB('SRID=4326;POINT(1 2)'::geometry)).
	b, _ := hex.DecodeString("0101000020e6100000000000000000f03f0000000000000040")
	if g, err := pgstore.DecodeEWKB(b); err != nil || !orb.Equal(g, orb.Point{1, 2}) {
		t.Errorf("PostGIS EWKB: %v, %v", g, err)
	}
}

func TestEWKBBadInput(t *testing.T) {
	for name, h := range map[string]string{
		"empty":       "",
		"truncated":   "0101000020e6100000000000000000f03f",
		"other SRID":  "0101000020110f0000000000000000f03f0000000000000040", // SRID 3857
		"3D point":    "01010000a0e6100000000000000000f03f00000000000000400000000000000840",
		"bad type":    "01ff00000000000000000000f03f0000000000000040",
		"huge count":  "0102000020e6100000ffffffff",
		"empty point": "0101000020e6100000000000000000f87f000000000000f87f",
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := hex.DecodeString(h)
			if _, err := pgstore.DecodeEWKB(b); !errors.Is(err, pgstore.ErrGeometry) {
				t.Errorf("DecodeEWKB(%s) = %v, want ErrGeometry", h, err)
			}
		})
	}
}

func FuzzDecodeEWKB(f *testing.F) {
	for _, h := range []string{
		"0101000020e6100000000000000000f03f0000000000000040",
		"0102000020e610000002000000000000000000f03f000000000000004000000000000008400000000000001040",
		"0102000020e6100000ffffffff",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := pgstore.DecodeEWKB(b)
		if err != nil {
			return
		}
		// What decodes encodes again and decodes to the same.
		again, err := pgstore.EncodeEWKB(g)
		if err != nil {
			t.Fatalf("re-encoding %v: %v", g, err)
		}
		g2, err := pgstore.DecodeEWKB(again)
		if err != nil || !orb.Equal(g, g2) {
			t.Fatalf("round trip of %v: %v, %v", g, g2, err)
		}
	})
}
