package diff_test

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"hetang/internal/diff"
	"hetang/internal/fixture"
	"hetang/internal/layout"
	"hetang/internal/pgtest"
	"hetang/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func translate(g orb.Geometry, dx, dy float64) orb.Geometry {
	g = orb.Clone(g)
	switch x := g.(type) {
	case orb.MultiPolygon:
		for _, p := range x {
			for _, r := range p {
				for i := range r {
					r[i] = orb.Point{r[i][0] + dx, r[i][1] + dy}
				}
			}
		}
	case orb.Polygon:
		for _, r := range x {
			for i := range r {
				r[i] = orb.Point{r[i][0] + dx, r[i][1] + dy}
			}
		}
	case orb.LineString:
		x[0] = orb.Point{x[0][0] + dx, x[0][1] + dy}
	case orb.MultiLineString:
		x[0][0] = orb.Point{x[0][0][0] + dx, x[0][0][1] + dy}
	case orb.Point:
		return orb.Point{x[0] + dx, x[1] + dy}
	}
	return g
}

// changed returns a copy of lay's layer id with edit applied to a copy of
// feature i (nil removes it).
func changed(t *testing.T, lay *layout.Layout, id string, i int, edit func(f *layout.Feature) *layout.Feature) *layout.Layer {
	t.Helper()
	old, err := lay.Layer(id)
	if err != nil {
		t.Fatal(err)
	}
	ly := *old
	ly.Features = nil
	for j, f := range old.Features {
		if j != i {
			ly.Features = append(ly.Features, f)
			continue
		}
		c := *f
		c.Properties = map[string]any{}
		for k, v := range f.Properties {
			c.Properties[k] = v
		}
		if nf := edit(&c); nf != nil {
			ly.Features = append(ly.Features, nf)
		}
	}
	return &ly
}

// The diff of a layout against an edited copy finds exactly the edits, and
// its areas and lengths agree with PostGIS (ST_SymDifference, ST_Area and
// ST_Length on geography) and its geometry with GEOS's symmetric difference.
func TestLayoutsAgainstPostGISAndGEOS(t *testing.T) {
	from := storetest.Layout(t)
	cities := changed(t, from, layout.LayerCities, 0, func(f *layout.Feature) *layout.Feature {
		f.Geometry = translate(f.Geometry, 0.004, -0.002)
		return f
	})
	// A new city, and a removed base.
	cities.Features = append(cities.Features, &layout.Feature{ID: "new-city", Properties: map[string]any{"id": "new-city", "name_zh": "新城"},
		Geometry: orb.MultiPolygon{{{{113.20, 27.85}, {113.21, 27.85}, {113.21, 27.86}, {113.20, 27.86}, {113.20, 27.85}}}}})
	bases := changed(t, from, layout.LayerBases, 1, func(*layout.Feature) *layout.Feature { return nil })
	places := changed(t, from, layout.LayerPlaces, 2, func(f *layout.Feature) *layout.Feature {
		f.Geometry = translate(f.Geometry, 0.001, 0.001)
		return f
	})
	roads := changed(t, from, layout.LayerRoads, 0, func(f *layout.Feature) *layout.Feature {
		f.Geometry = translate(f.Geometry, 0.002, 0)
		return f
	})
	axis := changed(t, from, layout.LayerAxis, 0, func(f *layout.Feature) *layout.Feature {
		f.Properties[layout.PropDescription] = "renamed"
		return f
	})
	to, err := from.WithLayers("to", cities, bases, places, roads, axis)
	if err != nil {
		t.Fatal(err)
	}
	res, err := diff.Layouts(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]diff.Layer{}
	for _, l := range res.Layers {
		sums[l.Layer] = l
	}
	for _, tc := range []struct {
		layer                   string
		added, removed, changed int
	}{
		{layout.LayerCities, 1, 0, 1}, {layout.LayerBases, 0, 1, 0}, {layout.LayerPlaces, 0, 0, 1},
		{layout.LayerRoads, 0, 0, 1}, {layout.LayerAxis, 0, 0, 1}, {layout.LayerAreas, 0, 0, 0},
	} {
		s := sums[tc.layer]
		if s.Added != tc.added || s.Removed != tc.removed || s.Changed != tc.changed {
			t.Errorf("%s: %+v; want added %d removed %d changed %d", tc.layer, s, tc.added, tc.removed, tc.changed)
		}
	}
	if len(res.Features) != 6 {
		t.Errorf("%d differences, want 6", len(res.Features))
	}

	c := pgtest.Require(t)
	ctx := context.Background()
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.6f, PostGIS says %.6f (off by %.3g)", what, got, want, got-want)
		}
	}
	for _, d := range res.Features {
		what := d.Layer + "/" + d.ID
		switch {
		case d.Change == diff.Changed && d.Gained != nil:
			var symArea, beforeArea, afterArea float64
			var symWKT string
			if err := conn.QueryRow(ctx, `SELECT ST_Area(ST_SymDifference(a, b)::geography), ST_Area(a::geography), ST_Area(b::geography), ST_AsText(ST_SymDifference(a, b))
				FROM (SELECT ST_GeomFromText($1, 4326) a, ST_GeomFromText($2, 4326) b) s`, wkt.MarshalString(d.Before), wkt.MarshalString(d.After)).
				Scan(&symArea, &beforeArea, &afterArea, &symWKT); err != nil {
				t.Fatal(err)
			}
			if symArea < 1e4 {
				t.Fatalf("%s: test edit too small (%g m²)", what, symArea)
			}
			near(what+" changed_area_m2", d.ChangedAreaM2, symArea, 1e-6*symArea)
			near(what+" area_before_m2", d.AreaBeforeM2, beforeArea, 1e-6*beforeArea)
			near(what+" area_after_m2", d.AreaAfterM2, afterArea, 1e-6*afterArea)
			// GEOS: gained ∪ lost is the symmetric difference.
			sym := fixture.GEOS(t, d.Before).SymDifference(fixture.GEOS(t, d.After))
			parts := fixture.GEOS(t, d.Gained).Union(fixture.GEOS(t, d.Lost))
			if rest := sym.SymDifference(parts).Area(); rest > 1e-12*sym.Area()+1e-15 {
				t.Errorf("%s: gained ∪ lost differs from GEOS's symmetric difference by %g deg²", what, rest)
			}
			if d.GainedM2 <= 0 || d.LostM2 <= 0 {
				t.Errorf("%s: a moved polygon gains %g and loses %g m²", what, d.GainedM2, d.LostM2)
			}
		case d.Change == diff.Added || d.Change == diff.Removed:
			g := d.After
			if g == nil {
				g = d.Before
			}
			var area float64
			if err := conn.QueryRow(ctx, "SELECT ST_Area(ST_GeomFromText($1, 4326)::geography)", wkt.MarshalString(g)).Scan(&area); err != nil {
				t.Fatal(err)
			}
			near(what+" changed_area_m2", d.ChangedAreaM2, area, 1e-6*area+1e-6)
		case d.Layer == layout.LayerPlaces:
			var dist float64
			if err := conn.QueryRow(ctx, "SELECT ST_Distance(ST_GeomFromText($1, 4326)::geography, ST_GeomFromText($2, 4326)::geography, true)", wkt.MarshalString(d.Before), wkt.MarshalString(d.After)).Scan(&dist); err != nil {
				t.Fatal(err)
			}
			near(what+" moved_m", d.MovedM, dist, 1e-6)
		case d.Layer == layout.LayerRoads:
			var length float64
			if err := conn.QueryRow(ctx, "SELECT ST_Length(ST_SymDifference(ST_GeomFromText($1, 4326), ST_GeomFromText($2, 4326))::geography, true)", wkt.MarshalString(d.Before), wkt.MarshalString(d.After)).Scan(&length); err != nil {
				t.Fatal(err)
			}
			near(what+" changed_length_m", d.ChangedLengthM, length, 1e-6*length+1e-6)
		case d.Layer == layout.LayerAxis:
			if d.GeometryChanged || len(d.PropertiesChanged) != 1 || d.PropertiesChanged[0] != layout.PropDescription {
				t.Errorf("%s: geometry changed %v, properties %v; want only description", what, d.GeometryChanged, d.PropertiesChanged)
			}
		default:
			t.Errorf("unexpected difference %+v", d)
		}
	}

	fc := res.GeoJSON()
	if len(fc.Features) != len(res.Features) {
		t.Fatalf("GeoJSON has %d features, want %d", len(fc.Features), len(res.Features))
	}
	for _, f := range fc.Features {
		if f.Properties["change"] == diff.Changed && f.Properties["layer"] == layout.LayerCities {
			if _, ok := f.Geometry.(orb.Collection); !ok {
				t.Errorf("changed city geometry is %T, want the gained and lost parts", f.Geometry)
			}
		}
	}
	// The same layout has no differences.
	same, err := diff.Layouts(context.Background(), from, from)
	if err != nil || len(same.Features) != 0 {
		t.Errorf("diff of a layout with itself: %d differences, %v", len(same.Features), err)
	}
}
