package ogcapi

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// Schema link relations. OGC API – Features Part 5 (Schemas) links a
// collection to the schema of its features with RelSchema; GDAL's OAPIF
// driver (3.6) reads the one linked as RelDescribedByGDAL ("describedBy",
// camel case), which it expects to describe a GeoJSON feature.
const (
	RelSchema          = "http://www.opengis.net/def/rel/ogc/1.0/schema"
	RelDescribedByGDAL = "describedBy"
)

// JSONSchemaDialect is the JSON Schema version of the schemas served.
const JSONSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// jsonTypes returns a column's JSON Schema type: the bare type when no
// feature has a null there, else the type or null. (GDAL reads a bare type
// as a typed field and anything else as text.)
func jsonTypes(ly *layout.Layer, f layout.Field) any {
	t := jsonType(f.Type)
	for _, ft := range ly.Features {
		if v, ok := ft.Properties[f.Name]; ok && v == nil {
			return []string{t, "null"}
		}
	}
	return t
}

// Schema returns the Part 5 schema of a collection's features: every
// property of the layer (each feature carries each one, null where it has no
// value), the id and the primary geometry marked with x-ogc-role.
func Schema(ly *layout.Layer, base string) map[string]any {
	props := map[string]any{
		GeometryProperty: map[string]any{
			"title":      "Geometry",
			"format":     "geometry-" + geometryFormat(ly.GeometryType),
			"x-ogc-role": "primary-geometry",
		},
	}
	var required []string
	for _, f := range ly.Fields() {
		p := map[string]any{"title": f.Name, "type": jsonTypes(ly, f)}
		if f.Name == layout.PropID {
			p["x-ogc-role"] = "id"
		}
		props[f.Name] = p
		required = append(required, f.Name)
	}
	return map[string]any{
		"$schema":     JSONSchemaDialect,
		"$id":         base + "/collections/" + links.CollectionID(ly.ID) + "/schema",
		"type":        "object",
		"title":       ly.TitleZH + " " + ly.TitleEN,
		"description": ly.Description,
		"properties":  props,
		"required":    required,
	}
}

// FeatureSchema returns the JSON Schema of one GeoJSON feature of a
// collection as the items response carries it: the properties object lists
// every property of the layer with its type.
func FeatureSchema(ly *layout.Layer, base string) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range ly.Fields() {
		props[f.Name] = map[string]any{"type": jsonTypes(ly, f), "title": f.Name}
		required = append(required, f.Name)
	}
	return map[string]any{
		"$schema":     JSONSchemaDialect,
		"$id":         base + "/collections/" + links.CollectionID(ly.ID) + "/schema/feature",
		"title":       ly.TitleZH + " " + ly.TitleEN + " (GeoJSON feature)",
		"description": "A GeoJSON feature of this collection; every feature carries every property, null where it has no value.",
		"type":        "object",
		"required":    []string{"type", "id", "geometry", "properties"},
		"properties": map[string]any{
			"type":       map[string]any{"type": "string", "enum": []string{"Feature"}},
			"id":         map[string]any{"type": "string"},
			"geometry":   map[string]any{"type": "object", "title": geometryFormat(ly.GeometryType)},
			"properties": map[string]any{"type": "object", "properties": props, "required": required},
		},
	}
}

func (s *Server) schema(c echo.Context) error        { return s.serveSchema(c, false) }
func (s *Server) featureSchema(c echo.Context) error { return s.serveSchema(c, true) }

func (s *Server) serveSchema(c echo.Context, feature bool) error {
	lay, ly, err := s.snapshotLayer(c)
	if err != nil {
		return err
	}
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	if f := c.QueryParam(ParamF); f != "" && f != FormatJSON {
		return apierr.BadRequest(fmt.Sprintf("schemas are served as JSON Schema only; use f=json, not f=%q", f))
	}
	base := baseURL(c)
	kind := "schema"
	build := func() ([]byte, error) { return marshal(Schema(ly, base)) }
	if feature {
		kind = "feature-schema"
		build = func() ([]byte, error) { return marshal(FeatureSchema(ly, base)) }
	}
	return s.cache.Serve(c, etag(lay.Version, kind, ly.ID, base), mediatype.SchemaJSON, build)
}
