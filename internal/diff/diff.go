// Package diff compares two versions of the layout geometrically: which
// features were added, removed or changed (by layer and feature id), how
// much area changed, and the differences themselves as geometry.
//
// For a changed polygonal feature the gained part (new minus old) and the
// lost part (old minus new) are computed by GEOS in longitude/latitude (as
// PostGIS's ST_Difference does on geometry); their union is the symmetric
// difference. Areas are ellipsoidal: the area on the WGS84 ellipsoid of the
// polygon whose edges are geodesics between its vertices (Karney's
// algorithm, github.com/tidwall/geodesic, as PostGIS computes ST_Area on
// geography). Lines report the geodesic length of their symmetric
// difference, points the geodesic distance they moved.
package diff

import (
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geos"

	"hetang/internal/geosorb"
	"hetang/internal/layout"
	"hetang/internal/spatial"
)

// Change kinds.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Feature is one difference.
type Feature struct {
	Layer  string `json:"layer"`
	ID     string `json:"id"`
	Change string `json:"change"`
	// Before and After are the feature's geometries (nil when absent).
	Before, After orb.Geometry `json:"-"`
	// Gained (After minus Before) and Lost (Before minus After): polygonal
	// features only.
	Gained, Lost orb.Geometry `json:"-"`
	// AreaBeforeM2 and AreaAfterM2 are ellipsoidal areas (polygons).
	AreaBeforeM2 float64 `json:"area_before_m2"`
	AreaAfterM2  float64 `json:"area_after_m2"`
	// GainedM2 and LostM2 are the ellipsoidal areas of Gained and Lost;
	// their sum, ChangedAreaM2, is the area of the symmetric difference.
	GainedM2      float64 `json:"gained_m2"`
	LostM2        float64 `json:"lost_m2"`
	ChangedAreaM2 float64 `json:"changed_area_m2"`
	// ChangedLengthM is the geodesic length of the symmetric difference of
	// lines; MovedM how far a point moved.
	ChangedLengthM float64 `json:"changed_length_m"`
	MovedM         float64 `json:"moved_m"`
	// GeometryChanged is false for a feature whose properties alone changed;
	// PropertiesChanged names them.
	GeometryChanged   bool     `json:"geometry_changed"`
	PropertiesChanged []string `json:"properties_changed"`
}

// Layer sums up one layer's differences.
type Layer struct {
	Layer          string  `json:"layer"`
	Added          int     `json:"added"`
	Removed        int     `json:"removed"`
	Changed        int     `json:"changed"`
	Unchanged      int     `json:"unchanged"`
	ChangedAreaM2  float64 `json:"changed_area_m2"`
	ChangedLengthM float64 `json:"changed_length_m"`
}

// Result is the difference between two layouts.
type Result struct {
	Layers   []Layer    `json:"layers"`
	Features []*Feature `json:"-"`
}

// Layouts compares from and to. Layers present in only one of them count
// all their features as added or removed.
func Layouts(ctx context.Context, from, to *layout.Layout) (*Result, error) {
	res := &Result{Layers: []Layer{}}
	ids := []string{}
	seen := map[string]bool{}
	for _, lay := range []*layout.Layout{from, to} {
		for _, ly := range lay.Layers {
			if !seen[ly.ID] {
				seen[ly.ID] = true
				ids = append(ids, ly.ID)
			}
		}
	}
	for _, id := range ids {
		a, _ := from.Layer(id)
		b, _ := to.Layer(id)
		if a == b {
			// The same stored layer: nothing to compare.
			res.Layers = append(res.Layers, Layer{Layer: id, Unchanged: len(a.Features)})
			continue
		}
		sum, feats, err := layers(ctx, id, a, b)
		if err != nil {
			return nil, err
		}
		res.Layers = append(res.Layers, sum)
		res.Features = append(res.Features, feats...)
	}
	return res, nil
}

func layers(ctx context.Context, id string, a, b *layout.Layer) (Layer, []*Feature, error) {
	sum := Layer{Layer: id}
	var out []*Feature
	before := map[string]*layout.Feature{}
	if a != nil {
		for _, f := range a.Features {
			before[f.ID] = f
		}
	}
	var afterIDs []*layout.Feature
	if b != nil {
		afterIDs = b.Features
	}
	for _, f := range afterIDs {
		if err := ctx.Err(); err != nil {
			return sum, nil, err
		}
		old, ok := before[f.ID]
		delete(before, f.ID)
		if !ok {
			d := &Feature{Layer: id, ID: f.ID, Change: Added, After: f.Geometry, GeometryChanged: true, PropertiesChanged: []string{}}
			d.AreaAfterM2 = spatial.GeodesicArea(f.Geometry)
			d.GainedM2, d.ChangedAreaM2 = d.AreaAfterM2, d.AreaAfterM2
			d.ChangedLengthM = LengthM(f.Geometry)
			sum.Added++
			sum.ChangedAreaM2 += d.ChangedAreaM2
			sum.ChangedLengthM += d.ChangedLengthM
			out = append(out, d)
			continue
		}
		d, err := feature(id, old, f)
		if err != nil {
			return sum, nil, err
		}
		if d == nil {
			sum.Unchanged++
			continue
		}
		sum.Changed++
		sum.ChangedAreaM2 += d.ChangedAreaM2
		sum.ChangedLengthM += d.ChangedLengthM
		out = append(out, d)
	}
	if a != nil {
		for _, f := range a.Features {
			if _, gone := before[f.ID]; !gone {
				continue
			}
			d := &Feature{Layer: id, ID: f.ID, Change: Removed, Before: f.Geometry, GeometryChanged: true, PropertiesChanged: []string{}}
			d.AreaBeforeM2 = spatial.GeodesicArea(f.Geometry)
			d.LostM2, d.ChangedAreaM2 = d.AreaBeforeM2, d.AreaBeforeM2
			d.ChangedLengthM = LengthM(f.Geometry)
			sum.Removed++
			sum.ChangedAreaM2 += d.ChangedAreaM2
			sum.ChangedLengthM += d.ChangedLengthM
			out = append(out, d)
		}
	}
	return sum, out, nil
}

// feature compares two versions of one feature; nil when they are equal.
func feature(layer string, a, b *layout.Feature) (*Feature, error) {
	d := &Feature{Layer: layer, ID: b.ID, Change: Changed, Before: a.Geometry, After: b.Geometry, PropertiesChanged: []string{}}
	keys := map[string]bool{}
	for k := range a.Properties {
		keys[k] = true
	}
	for k := range b.Properties {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !reflect.DeepEqual(a.Properties[k], b.Properties[k]) {
			d.PropertiesChanged = append(d.PropertiesChanged, k)
		}
	}
	d.GeometryChanged = !geomEqual(a.Geometry, b.Geometry)
	if !d.GeometryChanged && len(d.PropertiesChanged) == 0 {
		return nil, nil
	}
	d.AreaBeforeM2, d.AreaAfterM2 = spatial.GeodesicArea(a.Geometry), spatial.GeodesicArea(b.Geometry)
	if !d.GeometryChanged {
		return d, nil
	}
	switch {
	case polygonal(a.Geometry) && polygonal(b.Geometry):
		gained, err := difference(b.Geometry, a.Geometry)
		if err != nil {
			return nil, fmt.Errorf("diff: %s/%s: %w", layer, b.ID, err)
		}
		lost, err := difference(a.Geometry, b.Geometry)
		if err != nil {
			return nil, fmt.Errorf("diff: %s/%s: %w", layer, b.ID, err)
		}
		d.Gained, d.Lost = gained, lost
		d.GainedM2, d.LostM2 = spatial.GeodesicArea(gained), spatial.GeodesicArea(lost)
		d.ChangedAreaM2 = d.GainedM2 + d.LostM2
	case lineal(a.Geometry) && lineal(b.Geometry):
		sd, err := symDifference(a.Geometry, b.Geometry)
		if err != nil {
			return nil, fmt.Errorf("diff: %s/%s: %w", layer, b.ID, err)
		}
		d.ChangedLengthM = LengthM(sd)
	default:
		pa, oka := a.Geometry.(orb.Point)
		pb, okb := b.Geometry.(orb.Point)
		if oka && okb {
			d.MovedM = spatial.GeodesicMeters(pa, pb)
		}
	}
	return d, nil
}

func geomEqual(a, b orb.Geometry) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return orb.Equal(a, b)
}

func polygonal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return true
	}
	return false
}

func lineal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.LineString, orb.MultiLineString:
		return true
	}
	return false
}

// overlay runs a GEOS binary operation in longitude/latitude.
func overlay(a, b orb.Geometry, op func(x, y *geos.Geom) *geos.Geom) (orb.Geometry, error) {
	ga, err := geosorb.ToGEOS(nil, a)
	if err != nil {
		return nil, err
	}
	gb, err := geosorb.ToGEOS(nil, b)
	if err != nil {
		return nil, err
	}
	if !ga.IsValid() {
		ga = ga.MakeValid()
	}
	if !gb.IsValid() {
		gb = gb.MakeValid()
	}
	return geosorb.FromGEOS(op(ga, gb))
}

// difference is the polygonal part of a minus b (an empty MultiPolygon
// when there is none).
func difference(a, b orb.Geometry) (orb.Geometry, error) {
	g, err := overlay(a, b, (*geos.Geom).Difference)
	if err != nil {
		return nil, err
	}
	if p := geosorb.Polygonal(g); p != nil {
		return p, nil
	}
	return orb.MultiPolygon{}, nil
}

func symDifference(a, b orb.Geometry) (orb.Geometry, error) {
	return overlay(a, b, (*geos.Geom).SymDifference)
}

// LengthM is the geodesic length of the lines of g (0 for others).
func LengthM(g orb.Geometry) float64 {
	switch x := g.(type) {
	case orb.LineString:
		total := 0.0
		for i := 1; i < len(x); i++ {
			total += spatial.GeodesicMeters(x[i-1], x[i])
		}
		return total
	case orb.MultiLineString:
		total := 0.0
		for _, l := range x {
			total += LengthM(l)
		}
		return total
	case orb.Collection:
		total := 0.0
		for _, m := range x {
			total += LengthM(m)
		}
		return total
	}
	return 0
}

// GeoJSON returns the differences as a FeatureCollection: one feature per
// difference whose geometry is the symmetric difference for a changed
// polygon (as a collection of the gained and lost parts, in that order), the
// new geometry for a changed line or point or an added feature, and the old
// one for a removed feature; its properties are the Feature's fields.
func (r *Result) GeoJSON() *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, d := range r.Features {
		var g orb.Geometry
		switch {
		case d.Change == Removed:
			g = d.Before
		case d.Gained != nil || d.Lost != nil:
			g = orb.Collection{orEmpty(d.Gained), orEmpty(d.Lost)}
		default:
			g = d.After
		}
		f := geojson.NewFeature(g)
		f.ID = d.Layer + "/" + d.ID
		f.Properties = geojson.Properties{
			"layer": d.Layer, "id": d.ID, "change": d.Change,
			"geometry_changed": d.GeometryChanged, "properties_changed": d.PropertiesChanged,
			"area_before_m2": round(d.AreaBeforeM2), "area_after_m2": round(d.AreaAfterM2),
			"gained_m2": round(d.GainedM2), "lost_m2": round(d.LostM2), "changed_area_m2": round(d.ChangedAreaM2),
			"changed_length_m": round(d.ChangedLengthM), "moved_m": round(d.MovedM),
		}
		fc.Append(f)
	}
	return fc
}

func orEmpty(g orb.Geometry) orb.Geometry {
	if g == nil {
		return orb.MultiPolygon{}
	}
	return g
}

// round keeps a millimetre (m) or a square millimetre (m²) of precision.
func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }
