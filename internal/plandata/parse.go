package plandata

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/paulmach/orb/geojson"

	"hetang/internal/layout"
)

// ErrInvalidSource is wrapped by every error ParseLayer returns.
var ErrInvalidSource = errors.New("plandata: invalid layer source")

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
func ParseLayer(b []byte) (*layout.Layer, error) {
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
	ly := &layout.Layer{ID: m.ID, TitleZH: m.TitleZH, TitleEN: m.TitleEN, Description: m.Description, GeometryType: m.GeometryType}
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

func featureFromGeoJSON(gf *geojson.Feature) (*layout.Feature, error) {
	if gf == nil {
		return nil, errors.New("null feature")
	}
	id, ok := gf.ID.(string)
	if !ok || id == "" {
		return nil, fmt.Errorf("feature id %v is not a non-empty string", gf.ID)
	}
	if pid, _ := gf.Properties[layout.PropID].(string); pid != id {
		return nil, fmt.Errorf("feature %s: property id %q differs from feature id", id, pid)
	}
	if gf.Geometry == nil {
		return nil, fmt.Errorf("feature %s has no geometry", id)
	}
	if err := layout.CheckLonLat(gf.Geometry); err != nil {
		return nil, fmt.Errorf("feature %s: %w", id, err)
	}
	props := make(map[string]any, len(gf.Properties))
	for k, v := range gf.Properties {
		if v != nil {
			props[k] = v
		}
	}
	return &layout.Feature{ID: id, Properties: props, Geometry: gf.Geometry}, nil
}
