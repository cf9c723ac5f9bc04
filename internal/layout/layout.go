// Package layout owns the Hetang District spatial layout as data: the layers of
// the 14th Five-Year Plan's spatial structure (一轴两城一链五片区), road grid (五纵七横)
// and industrial layout (一廊五基地), their features, properties and provenance.
//
// All geometry inside the program is WGS84 longitude/latitude (EPSG:4326 with
// the GIS-traditional lon,lat axis order) held as orb geometries. Bytes become
// geometry only at the edges (the GeoJSON sources in geodata/, the GeoPackage
// store, HTTP bodies).
//
// This package is the model only, in pure Go: building the layout from
// geodata/ and checking it (which need GEOS) are package plandata's.
package layout

import (
	"errors"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// ErrNotFound is returned when a layer or feature does not exist.
var ErrNotFound = errors.New("layout: not found")

// Common property names carried by every feature.
const (
	PropID          = "id"
	PropNameZH      = "name_zh"
	PropNameEN      = "name_en"
	PropKind        = "kind"
	PropPlanRef     = "plan_ref"
	PropDescription = "description"
	PropSource      = "source"
	PropAccuracy    = "accuracy"
	// PropExtendsBeyond marks a feature that the plan itself places partly
	// outside the district (for example the corridor that runs on to 云龙 and 芦淞).
	PropExtendsBeyond = "extends_beyond_district"
)

// Chinese forms every feature carries besides the English ones: its
// description in Chinese, and zh labels of its kind, source and accuracy
// (the same value always has the same label).
const (
	PropDescriptionZH = "description_zh"
	PropKindZH        = "kind_zh"
	PropSourceZH      = "source_zh"
	PropAccuracyZH    = "accuracy_zh"
)

// ZHProperties returns the names of the Chinese-form properties every
// feature carries.
func ZHProperties() []string {
	return []string{PropDescriptionZH, PropKindZH, PropSourceZH, PropAccuracyZH}
}

// AccuracySchematic is the accuracy of everything drawn from the plan's text.
const AccuracySchematic = "schematic"

// commonProps is the canonical order of the properties every feature has.
var commonProps = []string{PropID, PropNameZH, PropNameEN, PropKind, PropPlanRef, PropDescription, PropSource, PropAccuracy}

// Layout is the whole set of layers plus the version of the data they came from.
type Layout struct {
	// Version identifies the data (a content hash); it changes whenever any
	// layer changes and is used for ETags and /healthz.
	Version string
	Layers  []*Layer
}

// Layer is one thematic layer: a titled, typed, ordered list of features.
type Layer struct {
	ID           string
	TitleZH      string
	TitleEN      string
	Description  string
	GeometryType string // OGC simple-feature type name: Point, LineString, Polygon, MultiPolygon…
	Features     []*Feature
}

// Feature is one feature: a stable id, its properties and a WGS84 geometry.
type Feature struct {
	ID         string
	Properties map[string]any
	Geometry   orb.Geometry
}

// Field describes one property column of a layer.
type Field struct {
	Name string
	Type FieldType
}

// FieldType is the storage type of a property column.
type FieldType string

// Field types, named as GeoPackage names its column types.
const (
	FieldText    FieldType = "TEXT"
	FieldInteger FieldType = "INTEGER"
	FieldReal    FieldType = "REAL"
	FieldBoolean FieldType = "BOOLEAN"
)

// Layer returns the layer with the given id.
func (l *Layout) Layer(id string) (*Layer, error) {
	for _, ly := range l.Layers {
		if ly.ID == id {
			return ly, nil
		}
	}
	return nil, ErrNotFound
}

// Feature returns the feature with the given id.
func (ly *Layer) Feature(id string) (*Feature, error) {
	for _, f := range ly.Features {
		if f.ID == id {
			return f, nil
		}
	}
	return nil, ErrNotFound
}

// Bound returns the bounding box of all features of the layer (features
// without geometry are skipped).
func (ly *Layer) Bound() orb.Bound {
	var b orb.Bound
	first := true
	for _, f := range ly.Features {
		if f.Geometry == nil {
			continue
		}
		if first {
			b, first = f.Geometry.Bound(), false
			continue
		}
		b = b.Union(f.Geometry.Bound())
	}
	return b
}

// Fields returns the property columns of the layer: the common properties
// first in canonical order, then the others alphabetically. A column's type is
// inferred from its values (bool → BOOLEAN, whole numbers → INTEGER, other
// numbers → REAL, anything else → TEXT).
func (ly *Layer) Fields() []Field {
	types := map[string]FieldType{}
	for _, f := range ly.Features {
		for k, v := range f.Properties {
			if v == nil {
				// A null says nothing about the column's type.
				if _, ok := types[k]; !ok {
					types[k] = ""
				}
				continue
			}
			t := fieldTypeOf(v)
			if old, ok := types[k]; ok && old == "" {
				types[k] = t
				continue
			}
			if old, ok := types[k]; ok && old != t {
				if (old == FieldInteger && t == FieldReal) || (old == FieldReal && t == FieldInteger) {
					t = FieldReal
				} else {
					t = FieldText
				}
			}
			types[k] = t
		}
	}
	for k, t := range types {
		if t == "" {
			types[k] = FieldText // null in every feature
		}
	}
	var fields []Field
	for _, name := range commonProps {
		if t, ok := types[name]; ok {
			fields = append(fields, Field{Name: name, Type: t})
			delete(types, name)
		}
	}
	rest := make([]string, 0, len(types))
	for k := range types {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		fields = append(fields, Field{Name: k, Type: types[k]})
	}
	return fields
}

func fieldTypeOf(v any) FieldType {
	switch x := v.(type) {
	case bool:
		return FieldBoolean
	case int, int32, int64:
		return FieldInteger
	case float64:
		if x == float64(int64(x)) {
			return FieldInteger
		}
		return FieldReal
	default:
		return FieldText
	}
}

// CommonProperties returns the names of the properties every feature
// carries, in canonical order.
func CommonProperties() []string { return slices.Clone(commonProps) }

// Notice is the data-honesty statement carried by responses and downloads.
const Notice = "The layout geometry is a schematic digitisation of the Hetang 14th Five-Year Plan's text and schematic maps, not a survey; only the district boundary (generalised web-map data) and a few gazetteer points come from coordinates. Each feature's source and accuracy properties say which."

// Attribution credits both kinds of data (see geodata/LICENCE.md), for map
// attributions and file headers.
const Attribution = "Hetang spatial layout, schematic digitisation of the 14th Five-Year Plan (hetang project), CC BY 4.0; boundaries: DataV.GeoAtlas, © 高德地图 (Amap) data"

// absentValues are the values of properties whose absence is not unknown:
// a feature without the extends_beyond_district flag lies within the district
// (the data checks hold it to that).
var absentValues = map[string]any{PropExtendsBeyond: false}

// Complete gives every feature of ly every property of the layer, so that
// clients which learn a layer's columns from its first features (GDAL, QGIS)
// see them all: a property a feature leaves out becomes null, except
// extends_beyond_district, which is false where absent.
func (ly *Layer) Complete() {
	for _, fd := range ly.Fields() {
		for _, f := range ly.Features {
			if _, ok := f.Properties[fd.Name]; ok {
				continue
			}
			if f.Properties == nil {
				f.Properties = map[string]any{}
			}
			f.Properties[fd.Name] = absentValues[fd.Name]
		}
	}
}
