package shapes

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"hetang/internal/geosorb"
)

// crossings counts a ring's self-crossings with GEOS: noding the ring as a
// line and merging the pieces between nodes leaves 2 pieces per crossing
// (each crossing is a node of degree 4), or 1 for a simple ring.
func crossings(t *testing.T, r orb.Ring) int {
	t.Helper()
	g, err := geosorb.ToGEOS(geos.NewContext(), orb.LineString(r))
	if err != nil {
		t.Fatal(err)
	}
	n := g.Node().LineMerge().NumGeometries()
	if n == 1 {
		return 0
	}
	return n / 2
}

func TestShapes(t *testing.T) {
	for _, c := range []struct {
		name string
		p    orb.Polygon
		want int
	}{
		{"circle", Circle(District, 1000, 0.05), 0},
		{"square", Square(113.2, 27.87, 0.01), 0},
		{"box", Box(112, 27, 114, 29, 0.1), 0},
		{"star of 7", Star(District, 7, 0.05), 7 * 4 / 2},
		{"star of 301", Star(District, 301, 0.05), 301 * 298 / 2},
		{"double loop, m = 50", DoubleLoop(District, 2000, 50, 0.05), 2*50 + 1},
		{"double loop, m = 700", DoubleLoop(District, 50_000, 700, 0.05), 2*700 + 1},
	} {
		r := c.p[0]
		if r[0] != r[len(r)-1] {
			t.Errorf("%s: ring not closed", c.name)
		}
		if got := crossings(t, r); got != c.want {
			t.Errorf("%s: %d self-crossings, want %d", c.name, got, c.want)
		}
	}
	if g := Grid(orb.Point{113, 27.7}, 1000, 40, 0.005, 0.008); len(g) != 1000 || g[999][0][0] != (orb.Point{113 + 39*0.008, 27.7 + 24*0.008}) {
		t.Errorf("grid: %d squares, last at %v", len(g), g[len(g)-1][0][0])
	}
}
