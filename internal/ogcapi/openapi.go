package ogcapi

import (
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// obj is a JSON object in the OpenAPI document (encoding/json sorts its keys,
// so the document is stable).
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/" + name} }

// OpenAPI returns the OpenAPI 3.0 document of the API for the given data,
// with servers[0] = base. Every collection has its own items path whose
// parameters include the collection's queryable properties, so that clients
// such as GDAL's OAPIF driver can send attribute filters to the server.
func OpenAPI(lay *layout.Layout, base string) obj {
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Hetang District spatial layout — OGC API Features",
			"version":     "1.0.0",
			"description": "OGC API – Features (Parts 1, 2 and 3) over the layout of the Hetang 14th Five-Year Plan. Data version " + lay.Version + ".",
			"license":     obj{"name": "see the data's provenance properties"},
		},
		"servers": []any{obj{"url": base}},
		"paths":   openAPIPaths(lay),
		"components": obj{
			"parameters": openAPIParameters(),
			"headers": obj{
				"Content-Crs": obj{"description": "The CRS of the coordinates in the response, as <URI>.", "schema": obj{"type": "string"}},
			},
			"schemas": openAPISchemas(),
		},
	}
}

// jsonContent is a JSON response body with the given schema.
func jsonContent(schema obj) obj { return obj{mediatype.JSON: obj{"schema": schema}} }

// geoJSONContent is a GeoJSON response body with the given schema, or HTML.
func geoJSONContent(schema obj) obj {
	return withHTML(obj{mediatype.GeoJSON: obj{"schema": schema}})
}

// withHTML adds the HTML representation to the response contents c.
func withHTML(c obj) obj {
	out := obj{mediatype.HTML: obj{"schema": obj{"type": "string"}}}
	for k, v := range c {
		out[k] = v
	}
	return out
}

// errResp is an error response: a problem document.
func errResp(desc string) obj {
	return obj{"description": desc, "content": obj{mediatype.Problem: obj{"schema": ref("schemas/problem")}}}
}

// getOp is a path whose GET answers content, 400 or 404.
func getOp(summary, opID string, params []any, content obj) obj {
	return obj{"get": obj{
		"summary": summary, "operationId": opID, "parameters": params,
		"responses": obj{
			"200": obj{"description": summary, "content": content},
			"400": errResp("Bad request: the detail says which parameter is wrong and how."),
			"404": errResp("No such resource."),
		},
	}}
}

// withContentCRS adds the Content-Crs header to the 200 response of op.
func withContentCRS(op obj) obj {
	op["get"].(obj)["responses"].(obj)["200"].(obj)["headers"] = obj{"Content-Crs": ref("headers/Content-Crs")}
	return op
}

// openAPIPaths lists the resources: the fixed ones and four per collection.
func openAPIPaths(lay *layout.Layout) obj {
	fParam := []any{ref("parameters/f")}
	paths := obj{
		"/": getOp("Landing page", "getLandingPage", fParam, withHTML(jsonContent(ref("schemas/landingPage")))),
		"/conformance": getOp("Conformance classes implemented by the server", "getConformance", fParam,
			withHTML(jsonContent(ref("schemas/conformance")))),
		"/api": getOp("This API definition", "getAPI", []any{},
			obj{mediatype.OpenAPI: obj{"schema": obj{"type": "object"}}}),
		"/collections": getOp("The feature collections", "getCollections", fParam,
			withHTML(jsonContent(ref("schemas/collections")))),
	}
	for _, ly := range lay.Layers {
		id := links.CollectionID(ly.ID)
		p := "/collections/" + id
		paths[p] = getOp(ly.TitleEN+": collection metadata", "describeCollection_"+id, fParam,
			withHTML(jsonContent(ref("schemas/collection"))))
		paths[p+"/queryables"] = getOp(ly.TitleEN+": queryable properties", "getQueryables_"+id, []any{},
			obj{mediatype.SchemaJSON: obj{"schema": obj{"type": "object"}}})
		paths[p+"/schema"] = getOp(ly.TitleEN+": schema of the features (Part 5)", "getSchema_"+id, []any{},
			obj{mediatype.SchemaJSON: obj{"schema": obj{"type": "object"}}})
		paths[p+"/schema/feature"] = getOp(ly.TitleEN+": JSON Schema of one GeoJSON feature", "getFeatureSchema_"+id, []any{},
			obj{mediatype.SchemaJSON: obj{"schema": obj{"type": "object"}}})
		paths[p+"/items"] = withContentCRS(getOp(ly.TitleEN+": features", "getFeatures_"+id, itemsParameters(ly),
			geoJSONContent(ref("schemas/featureCollectionGeoJSON"))))
		paths[p+"/items/{featureId}"] = withContentCRS(getOp(ly.TitleEN+": one feature", "getFeature_"+id,
			[]any{ref("parameters/featureId"), ref("parameters/f"), ref("parameters/crs")},
			geoJSONContent(ref("schemas/featureGeoJSON"))))
	}
	return paths
}

// itemsParameters are the parameters of a collection's items: the standard
// ones and one per queryable property.
func itemsParameters(ly *layout.Layer) []any {
	params := []any{
		ref("parameters/f"), ref("parameters/limit"), ref("parameters/offset"), ref("parameters/bbox"),
		ref("parameters/bbox-crs"), ref("parameters/crs"), ref("parameters/datetime"),
		ref("parameters/filter"), ref("parameters/filter-lang"), ref("parameters/filter-crs"),
	}
	for _, f := range ly.Fields() {
		params = append(params, obj{
			"name": f.Name, "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Select the features whose " + f.Name + " equals this value.",
			"schema":      obj{"type": jsonType(f.Type)},
		})
	}
	return params
}

// queryParam is a query parameter definition.
func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "style": "form", "explode": false, "description": desc, "schema": schema}
}

// openAPIParameters defines the shared parameters.
func openAPIParameters() obj {
	crsEnum := crsURIs()
	return obj{
		"f": queryParam(ParamF, "Response format (default: by the Accept header, else JSON).",
			obj{"type": "string", "enum": []string{FormatJSON, FormatGeoJSON, FormatHTML}}),
		"limit": queryParam(ParamLimit, "Maximum number of features in the page; larger values are reduced to the maximum.",
			obj{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}),
		"offset": queryParam(ParamOffset, "Number of matching features to skip (paging).",
			obj{"type": "integer", "minimum": 0, "default": 0}),
		"bbox": queryParam(ParamBBox, "Only features intersecting the box xmin,ymin,xmax,ymax in bbox-crs (in that CRS's authority axis order).",
			obj{"type": "array", "minItems": 4, "maxItems": 4, "items": obj{"type": "number"}}),
		"bbox-crs": queryParam(ParamBBoxCRS, "CRS of bbox (default CRS84).",
			obj{"type": "string", "format": "uri", "enum": crsEnum}),
		"crs": queryParam(ParamCRS, "CRS of the response coordinates (default CRS84), in the CRS's authority axis order.",
			obj{"type": "string", "format": "uri", "enum": crsEnum}),
		"datetime": queryParam(ParamDatetime, "An RFC 3339 date-time, a date or an interval of them (open ends as ..); checked, then ignored: the layout has no temporal data.",
			obj{"type": "string"}),
		"filter": queryParam(ParamFilter, "A CQL2 text filter (Basic CQL2 plus S_INTERSECTS).",
			obj{"type": "string"}),
		"filter-lang": queryParam(ParamFilterLang, "The filter language; only cql2-text.",
			obj{"type": "string", "enum": []string{FilterLangCQL2Text}, "default": FilterLangCQL2Text}),
		"filter-crs": queryParam(ParamFilterCRS, "CRS of geometry literals in filter (default CRS84).",
			obj{"type": "string", "format": "uri", "enum": crsEnum}),
		"featureId": obj{"name": "featureId", "in": "path", "required": true, "description": "Feature id.", "schema": obj{"type": "string"}},
	}
}

// openAPISchemas defines the response bodies.
func openAPISchemas() obj {
	linkArray := obj{"type": "array", "items": ref("schemas/link")}
	return obj{
		"link": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
			"href": obj{"type": "string"}, "rel": obj{"type": "string"},
			"type": obj{"type": "string"}, "title": obj{"type": "string"},
		}},
		"landingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{"title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": linkArray}},
		"conformance": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{"conformsTo": obj{"type": "array", "items": obj{"type": "string"}}}},
		"collection": obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
			"id": obj{"type": "string"}, "title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": linkArray,
			"extent": obj{"type": "object"}, "itemType": obj{"type": "string"},
			"crs": obj{"type": "array", "items": obj{"type": "string"}}, "storageCrs": obj{"type": "string"},
		}},
		"collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
			"links": linkArray, "collections": obj{"type": "array", "items": ref("schemas/collection")},
		}},
		"featureGeoJSON": obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
			"type": obj{"type": "string", "enum": []string{"Feature"}}, "id": obj{"type": "string"},
			"geometry": obj{"type": "object", "nullable": true}, "properties": obj{"type": "object", "nullable": true}, "links": linkArray,
		}},
		"featureCollectionGeoJSON": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
			"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "features": obj{"type": "array", "items": ref("schemas/featureGeoJSON")},
			"links": linkArray, "numberMatched": obj{"type": "integer", "minimum": 0}, "numberReturned": obj{"type": "integer", "minimum": 0},
		}},
		"problem": obj{"type": "object", "properties": obj{
			"type": obj{"type": "string"}, "title": obj{"type": "string"}, "status": obj{"type": "integer"}, "detail": obj{"type": "string"},
		}},
	}
}
