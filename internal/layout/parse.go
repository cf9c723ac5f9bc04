package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// ErrInvalidSource is wrapped by every error ParseLayer returns.
var ErrInvalidSource = errors.New("layout: invalid layer source")

// LayerMeta is the "layer" member of a source FeatureCollection.
type LayerMeta struct {
	ID           string `json:"id"`
	TitleZH      string `json:"title_zh"`
	TitleEN      string `json:"title_en"`
	GeometryType string `json:"geometry_type"`
	Description  string `json:"description"`
}

type sourceFile struct {
	Type     string             `json:"type"`
	Layer    *LayerMeta         `json:"layer"`
	Features []*geojson.Feature `json:"features"`
}

var layerIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseLayer parses one layer source: a GeoJSON FeatureCollection with a
// "layer" member carrying the layer's id, titles, geometry type and
// description. Every feature must have a string id equal to its "id"
// property, finite WGS84 coordinates and the layer's geometry type.
func ParseLayer(b []byte) (*Layer, error) {
	var src sourceFile
	if err := json.Unmarshal(b, &src); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	if src.Type != "FeatureCollection" {
		return nil, fmt.Errorf("%w: type is %q, want FeatureCollection", ErrInvalidSource, src.Type)
	}
	if src.Layer == nil {
		return nil, fmt.Errorf("%w: missing \"layer\" member", ErrInvalidSource)
	}
	m := src.Layer
	if !layerIDPattern.MatchString(m.ID) {
		return nil, fmt.Errorf("%w: layer id %q must be lowercase letters, digits and underscores", ErrInvalidSource, m.ID)
	}
	ly := &Layer{ID: m.ID, TitleZH: m.TitleZH, TitleEN: m.TitleEN, Description: m.Description, GeometryType: m.GeometryType}
	for i, gf := range src.Features {
		f, err := featureFromGeoJSON(gf)
		if err != nil {
			return nil, fmt.Errorf("%w: layer %s feature %d: %w", ErrInvalidSource, m.ID, i, err)
		}
		if t := f.Geometry.GeoJSONType(); t != ly.GeometryType {
			return nil, fmt.Errorf("%w: layer %s feature %s is a %s, layer declares %s", ErrInvalidSource, m.ID, f.ID, t, ly.GeometryType)
		}
		ly.Features = append(ly.Features, f)
	}
	return ly, nil
}

func featureFromGeoJSON(gf *geojson.Feature) (*Feature, error) {
	if gf == nil {
		return nil, errors.New("null feature")
	}
	id, ok := gf.ID.(string)
	if !ok || id == "" {
		return nil, fmt.Errorf("feature id %v is not a non-empty string", gf.ID)
	}
	if pid, _ := gf.Properties[PropID].(string); pid != id {
		return nil, fmt.Errorf("feature %s: property id %q differs from feature id", id, pid)
	}
	if gf.Geometry == nil {
		return nil, fmt.Errorf("feature %s has no geometry", id)
	}
	if err := CheckLonLat(gf.Geometry); err != nil {
		return nil, fmt.Errorf("feature %s: %w", id, err)
	}
	props := make(map[string]any, len(gf.Properties))
	for k, v := range gf.Properties {
		if v != nil {
			props[k] = v
		}
	}
	return &Feature{ID: id, Properties: props, Geometry: gf.Geometry}, nil
}

// CheckLonLat reports an error when g has a coordinate that is not finite or
// not a plausible WGS84 longitude/latitude.
func CheckLonLat(g orb.Geometry) error {
	var bad error
	EachPoint(g, func(p orb.Point) {
		if bad != nil {
			return
		}
		lon, lat := p[0], p[1]
		switch {
		case math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
			bad = fmt.Errorf("coordinate (%v, %v) is not a finite number", lon, lat)
		case lon < -180 || lon > 180 || lat < -90 || lat > 90:
			bad = fmt.Errorf("coordinate (%v, %v) is outside longitude [-180,180] / latitude [-90,90]", lon, lat)
		}
	})
	return bad
}

// EachPoint calls fn for every coordinate of g, in order (both corners of a Bound).
func EachPoint(g orb.Geometry, fn func(orb.Point)) {
	switch x := g.(type) {
	case orb.Point:
		fn(x)
	case orb.MultiPoint:
		for _, p := range x {
			fn(p)
		}
	case orb.LineString:
		for _, p := range x {
			fn(p)
		}
	case orb.Ring:
		for _, p := range x {
			fn(p)
		}
	case orb.MultiLineString:
		for _, l := range x {
			EachPoint(l, fn)
		}
	case orb.Polygon:
		for _, r := range x {
			EachPoint(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			EachPoint(p, fn)
		}
	case orb.Collection:
		for _, c := range x {
			EachPoint(c, fn)
		}
	case orb.Bound:
		fn(x.Min)
		fn(x.Max)
	}
}
