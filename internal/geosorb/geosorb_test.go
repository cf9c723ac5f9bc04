package geosorb_test

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/geosorb"
)

func TestRoundTrip(t *testing.T) {
	geoms := []orb.Geometry{
		orb.Point{113.2, 27.9},
		orb.LineString{{113.1, 27.8}, {113.2, 27.9}, {113.25, 27.85}},
		orb.Polygon{{{113, 27}, {114, 27}, {114, 28}, {113, 28}, {113, 27}}, {{113.2, 27.2}, {113.2, 27.4}, {113.4, 27.4}, {113.2, 27.2}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{2, 2}, {3, 2}, {3, 3}, {2, 2}}}},
	}
	for _, g := range geoms {
		gg, err := geosorb.ToGEOS(nil, g)
		if err != nil {
			t.Fatal(err)
		}
		back, err := geosorb.FromGEOS(gg)
		if err != nil {
			t.Fatal(err)
		}
		if !orb.Equal(g, back) {
			t.Errorf("%s: round trip gave %v", g.GeoJSONType(), back)
		}
	}
	if _, err := geosorb.ToGEOS(nil, nil); !errors.Is(err, geosorb.ErrEmpty) {
		t.Errorf("nil geometry: %v", err)
	}
}

func TestPolygonal(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	tests := []struct {
		name string
		in   orb.Geometry
		want orb.Geometry
	}{
		{"polygon", sq, sq},
		{"collection with a line", orb.Collection{orb.LineString{{0, 0}, {1, 1}}, sq}, sq},
		{"two polygons", orb.Collection{sq, sq}, orb.MultiPolygon{sq, sq}},
		{"only a point", orb.Point{1, 2}, nil},
	}
	for _, tt := range tests {
		got := geosorb.Polygonal(tt.in)
		if (got == nil) != (tt.want == nil) || (got != nil && !orb.Equal(got, tt.want)) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
