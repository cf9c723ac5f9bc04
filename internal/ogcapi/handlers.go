package ogcapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/apierr"
	"hetang/internal/cql2"
	"hetang/internal/crs"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/licence"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// Link is a typed hyperlink.
type Link = links.Link

// Landing is the body of the landing page.
type Landing struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []Link `json:"links"`
}

// Conformance is the body of /conformance.
type Conformance struct {
	ConformsTo []string `json:"conformsTo"`
}

// Collections is the body of /collections.
type Collections struct {
	Links       []Link       `json:"links"`
	Collections []Collection `json:"collections"`
}

// Collection describes one collection.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Links       []Link   `json:"links"`
	Extent      Extent   `json:"extent"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	StorageCRS  string   `json:"storageCrs"`
	// Not part of the standard: handy for people and the HTML page.
	TitleZH      string `json:"title_zh,omitempty"`
	GeometryType string `json:"geometry_type,omitempty"`
	FeatureCount int    `json:"feature_count"`
}

// Extent is a collection's extent.
type Extent struct {
	Spatial SpatialExtent `json:"spatial"`
}

// SpatialExtent is a collection's spatial extent in CRS84.
type SpatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

// Feature is a GeoJSON feature as served by the API.
type Feature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Links      []Link            `json:"links,omitempty"`
}

// FeatureCollection is the body of an items response.
type FeatureCollection struct {
	Type           string    `json:"type"`
	NumberMatched  int       `json:"numberMatched"`
	NumberReturned int       `json:"numberReturned"`
	Links          []Link    `json:"links"`
	Features       []Feature `json:"features"`
}

func (s *Server) landing(c echo.Context) error {
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	f, err := format(c, false)
	if err != nil {
		return err
	}
	base := baseURL(c)
	root := strings.TrimSuffix(base, links.OGCAPI)
	body := Landing{
		Title:       "Hetang District spatial layout — OGC API Features",
		Description: "The spatial layout of the Hetang District (株洲市荷塘区) 14th Five-Year Plan as OGC API – Features. " + layout.Notice,
		Links: []Link{
			{Rel: links.RelSelf, Href: base + "/?f=json", Type: mediatype.JSON, Title: "This document"},
			{Rel: links.RelAlternate, Href: base + "/?f=html", Type: mediatype.HTML, Title: "This document as HTML"},
			{Rel: RelServiceDesc, Href: base + "/api", Type: mediatype.OpenAPI, Title: "The API definition (OpenAPI 3.0)"},
			{Rel: RelConformance, Href: base + "/conformance", Type: mediatype.JSON, Title: "Conformance classes implemented"},
			{Rel: RelData, Href: base + "/collections", Type: mediatype.JSON, Title: "The feature collections"},
			{Rel: links.RelEnclosure, Href: root + links.GPKG, Type: mediatype.GeoPackage, Title: "The whole layout as one GeoPackage"},
			{Rel: links.RelEnclosure, Href: root + links.LayerDownload(links.WholeLayout, links.SuffixKMZ), Type: mediatype.KMZ, Title: "The whole layout as KMZ (Google Earth, 奥维互动地图; ?crs=GCJ02 for Chinese map apps)"},
			{Rel: links.RelEnclosure, Href: root + links.LayerDownload(links.WholeLayout, links.SuffixDXF), Type: mediatype.DXF, Title: "The whole layout as a DXF drawing in EPSG:4547 (CAD)"},
			{Rel: RelWFS, Href: root + links.WFS + "?SERVICE=WFS&REQUEST=GetCapabilities", Type: mediatype.XML, Title: "The same layers as WFS 2.0"},
			{Rel: links.RelTiles, Href: root + links.TileJSON("all"), Type: mediatype.JSON, Title: "All layers as vector tiles (TileJSON)"},
			licence.Link(root),
		},
	}
	ver := s.store.SnapshotFor(c.Request().Context()).Layout.Version
	body.Links = selfFor(f, body.Links)
	return s.respond(c, reply{format: f, etag: etag(ver, "landing", base, f), mediaType: mediatype.JSON, body: body, template: "landing", page: body})
}

func (s *Server) conformance(c echo.Context) error {
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	f, err := format(c, false)
	if err != nil {
		return err
	}
	body := Conformance{ConformsTo: conformance}
	return s.respond(c, reply{format: f, etag: etag(s.store.SnapshotFor(c.Request().Context()).Layout.Version, "conformance", f), mediaType: mediatype.JSON, body: body, template: "conformance", page: body})
}

func (s *Server) openAPI(c echo.Context) error {
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	if f := c.QueryParam(ParamF); f != "" && f != FormatJSON {
		return apierr.BadRequest(fmt.Sprintf("the API definition is served as JSON only; use f=json, not f=%q", f))
	}
	lay := s.store.SnapshotFor(c.Request().Context()).Layout
	base := baseURL(c)
	return s.cache.Serve(c, etag(lay.Version, "api", base), mediatype.OpenAPI, func() ([]byte, error) {
		return marshal(OpenAPI(lay, base))
	})
}

func (s *Server) collectionInfo(base string, ly *layout.Layer) Collection {
	id := links.CollectionID(ly.ID)
	b := ly.Bound()
	href := base + "/collections/" + id
	root := strings.TrimSuffix(base, links.OGCAPI)
	c := Collection{
		ID: id, Title: ly.TitleEN, TitleZH: ly.TitleZH, Description: ly.Description,
		Links: []Link{
			{Rel: links.RelSelf, Href: href + "?f=json", Type: mediatype.JSON, Title: "This collection"},
			{Rel: links.RelAlternate, Href: href + "?f=html", Type: mediatype.HTML, Title: "This collection as HTML"},
			// No query string on the GeoJSON items link: GDAL and QGIS append
			// /{featureId} to it.
			{Rel: links.RelItems, Href: href + "/items", Type: mediatype.GeoJSON, Title: ly.TitleEN + " as GeoJSON"},
			{Rel: links.RelItems, Href: href + "/items?f=html", Type: mediatype.HTML, Title: ly.TitleEN + " as HTML"},
			{Rel: RelQueryables, Href: href + "/queryables", Type: mediatype.SchemaJSON, Title: "Properties usable in filters"},
			{Rel: RelSchema, Href: href + "/schema", Type: mediatype.SchemaJSON, Title: "Schema of the features (OGC API – Features Part 5)"},
			{Rel: links.RelDescribedBy, Href: href + "/schema", Type: mediatype.SchemaJSON, Title: "Schema of the features"},
			{Rel: RelDescribedByGDAL, Href: href + "/schema/feature", Type: mediatype.SchemaJSON, Title: "Schema of a GeoJSON feature (read by GDAL)"},
		},
		Extent:       Extent{Spatial: SpatialExtent{BBox: [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, CRS: crs.CRS84URI}},
		ItemType:     "feature",
		CRS:          crsURIs(),
		StorageCRS:   crs.CRS84URI,
		GeometryType: ly.GeometryType,
		FeatureCount: len(ly.Features),
	}
	c.Links = append(c.Links, downloadLinks(root, ly)...)
	c.Links = append(c.Links, licence.Link(root))
	return c
}

// downloadLinks are a layer's downloads and tiles.
func downloadLinks(root string, ly *layout.Layer) []Link {
	return []Link{
		{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixGeoJSON), Type: mediatype.GeoJSON, Title: ly.TitleEN + " as a GeoJSON file"},
		{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixShapeZip), Type: mediatype.Zip, Title: ly.TitleEN + " as a zipped ESRI Shapefile"},
		{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixKMZ), Type: mediatype.KMZ, Title: ly.TitleEN + " as KMZ (Google Earth, 奥维互动地图)"},
		{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixDXF), Type: mediatype.DXF, Title: ly.TitleEN + " as a DXF drawing in EPSG:4547 (CAD)"},
		{Rel: links.RelTiles, Href: root + links.TileJSON(ly.ID), Type: mediatype.JSON, Title: ly.TitleEN + " as vector tiles (TileJSON)"},
	}
}

func (s *Server) collections(c echo.Context) error {
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	f, err := format(c, false)
	if err != nil {
		return err
	}
	lay := s.store.SnapshotFor(c.Request().Context()).Layout
	base := baseURL(c)
	body := Collections{Links: []Link{
		{Rel: links.RelSelf, Href: base + "/collections?f=json", Type: mediatype.JSON, Title: "This document"},
		{Rel: links.RelAlternate, Href: base + "/collections?f=html", Type: mediatype.HTML, Title: "This document as HTML"},
		licence.Link(strings.TrimSuffix(base, links.OGCAPI)),
	}}
	for _, ly := range lay.Layers {
		body.Collections = append(body.Collections, s.collectionInfo(base, ly))
	}
	body.Links = selfFor(f, body.Links)
	return s.respond(c, reply{format: f, etag: etag(lay.Version, "collections", base, f), mediaType: mediatype.JSON, body: body, template: "collections", page: body})
}

func (s *Server) collection(c echo.Context) error {
	lay, ly, err := s.snapshotLayer(c)
	if err != nil {
		return err
	}
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	f, err := format(c, false)
	if err != nil {
		return err
	}
	base := baseURL(c)
	body := s.collectionInfo(base, ly)
	body.Links = selfFor(f, body.Links)
	return s.respond(c, reply{format: f, etag: etag(lay.Version, "collection", ly.ID, base, f), mediaType: mediatype.JSON, body: body, template: "collection", page: body})
}

// Queryables returns the JSON Schema of the properties of ly usable in
// filters and as query parameters.
func Queryables(ly *layout.Layer, base string) map[string]any {
	props := map[string]any{
		GeometryProperty: map[string]any{
			"title":       "Geometry",
			"format":      "geometry-" + geometryFormat(ly.GeometryType),
			"x-ogc-role":  "primary-geometry",
			"description": "The feature's geometry; use it in S_INTERSECTS.",
		},
	}
	for _, f := range ly.Fields() {
		props[f.Name] = map[string]any{"title": f.Name, "type": jsonType(f.Type)}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  base + "/collections/" + links.CollectionID(ly.ID) + "/queryables",
		"type":                 "object",
		"title":                ly.TitleEN,
		"properties":           props,
		"additionalProperties": false,
	}
}

func geometryFormat(t string) string {
	switch t {
	case "Point":
		return "point"
	case "MultiPoint":
		return "multipoint"
	case "LineString":
		return "linestring"
	case "MultiLineString":
		return "multilinestring"
	case "Polygon":
		return "polygon"
	case "MultiPolygon":
		return "multipolygon"
	}
	return "any"
}

func jsonType(t layout.FieldType) string {
	switch t {
	case layout.FieldInteger:
		return "integer"
	case layout.FieldReal:
		return "number"
	case layout.FieldBoolean:
		return "boolean"
	}
	return "string"
}

func (s *Server) queryables(c echo.Context) error {
	lay, ly, err := s.snapshotLayer(c)
	if err != nil {
		return err
	}
	if err := checkParams(c, []string{ParamF}, nil); err != nil {
		return err
	}
	if f := c.QueryParam(ParamF); f != "" && f != FormatJSON {
		return apierr.BadRequest(fmt.Sprintf("queryables are served as JSON Schema only; use f=json, not f=%q", f))
	}
	base := baseURL(c)
	return s.cache.Serve(c, etag(lay.Version, "queryables", ly.ID, base), mediatype.SchemaJSON, func() ([]byte, error) {
		return marshal(Queryables(ly, base))
	})
}

func (s *Server) items(c echo.Context) error {
	lay, ly, err := s.snapshotLayer(c)
	if err != nil {
		return err
	}
	q, err := parseItemsQuery(c, ly)
	if err != nil {
		return err
	}
	f, err := format(c, true)
	if err != nil {
		return err
	}
	base := baseURL(c)
	tag := etag(lay.Version, "items", ly.ID, base, c.QueryParams().Encode(), f)
	c.Response().Header().Set(httpapi.HeaderContentCRS, "<"+q.crs.URI()+">")
	selected := ly.Features
	if q.filter != nil {
		flt, err := cql2.Compile(q.filter)
		if err != nil {
			return apierr.BadRequest("filter: " + err.Error())
		}
		selected = nil
		for _, ft := range ly.Features {
			if flt.Match(ft.Properties, ft.Geometry) {
				selected = append(selected, ft)
			}
		}
	}
	// An offset past the end gives an empty page; sums stay below len(selected),
	// so no offset (up to the largest int) overflows.
	start := min(q.offset, len(selected))
	page := selected[start : start+min(q.limit, len(selected)-start)]
	href := base + "/collections/" + links.CollectionID(ly.ID) + "/items"
	params := c.QueryParams()
	body := FeatureCollection{
		Type: "FeatureCollection", NumberMatched: len(selected), NumberReturned: len(page),
		Links: []Link{
			{Rel: links.RelSelf, Href: withQuery(href, params, map[string]string{ParamF: FormatGeoJSON}), Type: mediatype.GeoJSON, Title: "This page"},
			{Rel: links.RelAlternate, Href: withQuery(href, params, map[string]string{ParamF: FormatHTML}), Type: mediatype.HTML, Title: "This page as HTML"},
			{Rel: links.RelCollection, Href: base + "/collections/" + links.CollectionID(ly.ID), Type: mediatype.JSON, Title: ly.TitleEN},
		},
		Features: make([]Feature, 0, len(page)),
	}
	pageFormat := FormatGeoJSON
	pageType := mediatype.GeoJSON
	if f == FormatHTML {
		pageFormat, pageType = FormatHTML, mediatype.HTML
	}
	lim := strconv.Itoa(q.limit)
	if q.offset < len(selected)-q.limit {
		body.Links = append(body.Links, Link{Rel: links.RelNext, Href: withQuery(href, params, map[string]string{ParamOffset: strconv.Itoa(q.offset + q.limit), ParamLimit: lim, ParamF: pageFormat}), Type: pageType, Title: "Next page"})
	}
	if q.offset > 0 {
		body.Links = append(body.Links, Link{Rel: links.RelPrev, Href: withQuery(href, params, map[string]string{ParamOffset: strconv.Itoa(max(0, q.offset-q.limit)), ParamLimit: lim, ParamF: pageFormat}), Type: pageType, Title: "Previous page"})
	}
	for _, ft := range page {
		jf, err := featureJSON(ft, q.crs)
		if err != nil {
			return err
		}
		body.Features = append(body.Features, jf)
	}
	body.Links = selfFor(f, body.Links)
	return s.respond(c, reply{format: f, etag: tag, mediaType: mediatype.GeoJSON, body: body, template: "items", page: itemsPage{Collection: s.collectionInfo(base, ly), Page: body, Offset: q.offset, CRS: q.crs.Code}})
}

func (s *Server) item(c echo.Context) error {
	lay, ly, err := s.snapshotLayer(c)
	if err != nil {
		return err
	}
	ft, err := ly.Feature(c.Param("featureId"))
	if err != nil {
		return apierr.NotFound(fmt.Sprintf("collection %q has no feature %q; GET %s/collections/%s/items lists its features", links.CollectionID(ly.ID), c.Param("featureId"), links.OGCAPI, links.CollectionID(ly.ID)))
	}
	if err := checkParams(c, []string{ParamF, ParamCRS}, nil); err != nil {
		return err
	}
	cr, err := httpapi.ParseCRSParam(c.QueryParams(), ParamCRS, supportedCRS)
	if err != nil {
		return err
	}
	f, err := format(c, true)
	if err != nil {
		return err
	}
	c.Response().Header().Set(httpapi.HeaderContentCRS, "<"+cr.URI()+">")
	base := baseURL(c)
	jf, err := featureJSON(ft, cr)
	if err != nil {
		return err
	}
	href := base + "/collections/" + links.CollectionID(ly.ID) + "/items/" + url.PathEscape(ft.ID)
	q := c.QueryParams()
	jf.Links = []Link{
		{Rel: links.RelSelf, Href: withQuery(href, q, map[string]string{ParamF: FormatGeoJSON}), Type: mediatype.GeoJSON, Title: "This feature"},
		{Rel: links.RelAlternate, Href: withQuery(href, q, map[string]string{ParamF: FormatHTML}), Type: mediatype.HTML, Title: "This feature as HTML"},
		{Rel: links.RelCollection, Href: base + "/collections/" + links.CollectionID(ly.ID), Type: mediatype.JSON, Title: ly.TitleEN},
	}
	jf.Links = selfFor(f, jf.Links)
	tag := etag(lay.Version, "item", ly.ID, ft.ID, base, q.Encode(), f)
	return s.respond(c, reply{format: f, etag: tag, mediaType: mediatype.GeoJSON, body: jf, template: "item", page: itemPage{Collection: s.collectionInfo(base, ly), Feature: jf, CRS: cr.Code}})
}

// selfFor makes the HTML link "self" and the JSON one "alternate" when the
// response is HTML (links are built JSON-first).
func selfFor(f string, ls []Link) []Link {
	if f != FormatHTML {
		return ls
	}
	out := make([]Link, len(ls))
	for i, l := range ls {
		switch {
		case l.Rel == links.RelSelf:
			l.Rel = links.RelAlternate
		case l.Rel == links.RelAlternate && l.Type == mediatype.HTML:
			l.Rel = links.RelSelf
		}
		out[i] = l
	}
	return out
}

// featureJSON converts a feature to its GeoJSON form in cr, in the axis order of cr's authority.
func featureJSON(ft *layout.Feature, cr crs.CRS) (Feature, error) {
	g := ft.Geometry
	if !cr.IsWGS84() {
		var err error
		if g, err = cr.GeometryFromWGS84(g); err != nil {
			return Feature{}, fmt.Errorf("ogcapi: feature %s to %s: %w", ft.ID, cr.Code, err)
		}
	}
	props := ft.Properties
	if props == nil {
		props = map[string]any{}
	}
	return Feature{Type: "Feature", ID: ft.ID, Geometry: geojson.NewGeometry(toAuthority(g, cr)), Properties: props}, nil
}

// reply is a resource in the representation the client asked for.
type reply struct {
	format    string // the f value: FormatHTML renders template with page, else body is JSON
	etag      string
	mediaType string // of the JSON representation
	body      any
	template  string
	page      any
}

// respond writes r.body as JSON (with r.mediaType) or renders r.template
// with r.page, through the ETag cache.
func (s *Server) respond(c echo.Context, r reply) error {
	if r.format == FormatHTML {
		return s.cache.Serve(c, r.etag, mediatype.HTML+"; charset=utf-8", func() ([]byte, error) {
			var buf bytes.Buffer
			if err := renderHTML(&buf, r.template, r.page); err != nil {
				return nil, fmt.Errorf("ogcapi: rendering %s: %w", r.template, err)
			}
			return buf.Bytes(), nil
		})
	}
	return s.cache.Serve(c, r.etag, r.mediaType, func() ([]byte, error) { return marshal(r.body) })
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("ogcapi: encoding JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
