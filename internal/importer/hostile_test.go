package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/importer"
	"hetang/internal/shapes"
)

// TestHostileImports replaces the first area with geometry chosen to be
// expensive to validate and checks that each import is rejected, quickly,
// with the finding that says why: over the vertex or part limits or too
// tangled (counted before GEOS sees it), invalid (GEOS, before the
// layout-wide overlays), or failing the layout checks.
func TestHostileImports(t *testing.T) {
	fx := newFixture(t)
	c := shapes.District
	var same orb.MultiPolygon
	for range 1000 {
		same = append(same, shapes.Square(113.2, 27.87, 0.01))
	}
	cases := []struct {
		name  string
		g     orb.Geometry
		check string // the finding's check
		want  string // in its message
	}{
		{"star of 1,001 vertices", orb.MultiPolygon{shapes.Star(c, 1001, 0.05)}, "import-limits", "HETANG_PARCEL_MAX_CROSSINGS"},
		{"star of 20,001 vertices far away", orb.MultiPolygon{shapes.Star(orb.Point{10, 50}, 20001, 5)}, "import-limits", "repair it first"},
		{"circle of 200,000 vertices", orb.MultiPolygon{shapes.Circle(c, 200_000, 0.05)}, "import-limits", "HETANG_PARCEL_MAX_VERTICES"},
		{"50,000 parts", shapes.Grid(orb.Point{113.0, 27.7}, 50_000, 250, 0.001, 0.002), "import-limits", "HETANG_PARCEL_MAX_PARTS"},
		{"1,000 identical squares", same, "import-limits", "cross or touch"},
		{"bow-tie", orb.MultiPolygon{{{{113.2, 27.89}, {113.22, 27.91}, {113.22, 27.89}, {113.2, 27.91}, {113.2, 27.89}}}}, "valid", "Self-intersection"},
		{"the whole world", orb.MultiPolygon{{{{-180, -90}, {180, -90}, {180, 90}, {-180, 90}, {-180, -90}}}}, "areas-overlap", "overlaps"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc, err := geojson.UnmarshalFeatureCollection(layerGeoJSON(t, fx.orig, "areas", crs.CRS84))
			if err != nil {
				t.Fatal(err)
			}
			fc.Features[0].Geometry = tc.g
			b, _ := json.Marshal(fc)
			start := time.Now()
			_, err = importer.Prepare(context.Background(), fx.orig, fixture.Gazetteer(t), importer.Request{Layer: "areas", Format: importer.FormatGeoJSON, Data: b})
			el := time.Since(start)
			var rej *importer.RejectedError
			if !errors.As(err, &rej) {
				t.Fatalf("got %v, want a rejection", err)
			}
			found := false
			for _, f := range rej.Findings {
				found = found || (f.Check == tc.check && strings.Contains(f.Message, tc.want))
			}
			if !found {
				t.Errorf("findings %v lack %s with %q", rej.Findings, tc.check, tc.want)
			}
			t.Logf("%v: %.300s", el, rej.Detail())
			if el > 5*time.Second {
				t.Errorf("took %v", el)
			}
		})
	}
}
