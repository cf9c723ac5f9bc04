// Package ogcapi serves the layout as OGC API – Features under /ogcapi:
// Part 1 Core with the GeoJSON, HTML and OpenAPI 3.0 conformance classes,
// Part 2 (coordinate reference systems by reference) and Part 3 (filtering
// with Basic CQL2 text plus S_INTERSECTS, and queryables).
//
// Every layer of the layout is one collection, named by the layer id (dots,
// which OGC API clients treat as format suffixes, become underscores). Data
// is stored in CRS84; responses can be requested in EPSG:4326, EPSG:4490,
// EPSG:4547 and EPSG:3857, with coordinates in the axis order of the CRS
// authority as Part 2 requires (latitude/northing first for 4326, 4490 and
// 4547; CRS84 and 3857 x first).
//
// Behaviour the standards leave to the server:
//   - limit defaults to 10; values above 10000 are clamped to 10000 (Part 1
//     forbids an error there); values below 1 or not integers are a 400.
//   - paging is offset-based (offset=N), with next/prev links; an offset of
//     any size past the end gives an empty page.
//   - bbox takes exactly 4 numbers; a box whose minimum exceeds its maximum
//     (including antimeridian-crossing boxes) is a 400.
//   - datetime must be an RFC 3339 date-time, a date or an interval of them
//     (a 400 otherwise); the layout has no temporal data, so every feature
//     matches a valid one.
//   - unknown query parameters are a 400 that names the parameter;
//     version=N (a layout version, as on every data endpoint) is known.
//   - crs, bbox-crs and filter-crs take OGC URIs and, leniently, short names
//     such as EPSG:4547; GCJ-02 and BD-09 are not offered here (no URI).
//   - a property name as query parameter selects features whose property
//     equals the value (queryables-query-parameters).
package ogcapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

// Link relations of OGC API – Features (the IANA ones shared with the
// layer service are in package links).
const (
	RelServiceDesc = "service-desc"
	RelServiceDoc  = "service-doc"
	RelConformance = "conformance"
	RelData        = "data"
	RelQueryables  = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
)

// Conformance classes declared at /conformance.
const (
	ConfCore                  = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	ConfGeoJSON               = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	ConfHTML                  = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
	ConfOAS30                 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
	ConfCRS                   = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
	ConfQueryables            = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables"
	ConfQueryablesQueryParams = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters"
	ConfFilter                = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter"
	ConfFeaturesFilter        = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter"
	ConfCQL2Text              = "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text"
	ConfBasicCQL2             = "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2"
	ConfBasicSpatialFunctions = "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions"
	// ConfBasicSpatialOperators is the draft name of basic-spatial-functions,
	// still looked for by some clients.
	ConfBasicSpatialOperators = "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators"
)

// conformance is the list served at /conformance.
var conformance = []string{
	ConfCore, ConfGeoJSON, ConfHTML, ConfOAS30, ConfCRS,
	ConfQueryables, ConfQueryablesQueryParams, ConfFilter, ConfFeaturesFilter,
	ConfCQL2Text, ConfBasicCQL2, ConfBasicSpatialFunctions, ConfBasicSpatialOperators,
}

// Query parameter names.
const (
	ParamF          = "f"
	ParamLimit      = "limit"
	ParamOffset     = "offset"
	ParamBBox       = "bbox"
	ParamBBoxCRS    = "bbox-crs"
	ParamCRS        = "crs"
	ParamDatetime   = "datetime"
	ParamFilter     = "filter"
	ParamFilterLang = "filter-lang"
	ParamFilterCRS  = "filter-crs"
)

// Values of the f parameter.
const (
	FormatJSON    = "json"
	FormatGeoJSON = "geojson"
	FormatHTML    = "html"
)

// FilterLangCQL2Text is the only supported filter-lang.
const FilterLangCQL2Text = "cql2-text"

// Paging limits.
const (
	DefaultLimit = 10
	MaxLimit     = 10000
)

// GeometryProperty is the name of the geometry queryable used in filters.
const GeometryProperty = "geometry"

// RelWFS links the landing page to the WFS serving the same layers (OGC's
// link relation for a service of that kind is not registered; "service" is
// the IANA relation for a service end point).
const RelWFS = "service"

// Server serves the OGC API from a store.
type Server struct {
	store *store.Store
	cache *httpapi.ResponseCache
}

// New returns the OGC API server for st.
func New(st *store.Store) *Server {
	return &Server{store: st, cache: httpapi.NewResponseCache(maxCacheBytes, maxCachedBody)}
}

// Mount registers the routes under /ogcapi with the standard middleware.
func (s *Server) Mount(r httpapi.Routes) {
	e := r.Echo
	// "/ogcapi/" is exempt from trailing-slash removal; "/ogcapi" is the same page.
	e.GET(links.OGCAPI+"/", s.landing, r.Std...)
	e.GET(links.OGCAPI, s.landing, r.Std...)
	// Middleware goes on each route, not on a group: an echo group with
	// middleware adds catch-all routes, which would turn 405 into 404.
	for path, h := range map[string]echo.HandlerFunc{
		"/conformance":                                s.conformance,
		"/api":                                        s.openAPI,
		"/collections":                                s.collections,
		"/collections/:collectionId":                  s.collection,
		"/collections/:collectionId/queryables":       s.queryables,
		"/collections/:collectionId/schema":           s.schema,
		"/collections/:collectionId/schema/feature":   s.featureSchema,
		"/collections/:collectionId/items":            s.items,
		"/collections/:collectionId/items/:featureId": s.item,
	} {
		e.GET(links.OGCAPI+path, h, r.Std...)
	}
}

// baseURL is the absolute URL of the API root as the client reached it.
func baseURL(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host + links.OGCAPI
}

func (s *Server) snapshotLayer(c echo.Context) (*layout.Layout, *layout.Layer, error) {
	lay := s.store.SnapshotFor(c.Request().Context()).Layout
	id := c.Param("collectionId")
	for _, ly := range lay.Layers {
		if links.CollectionID(ly.ID) == id {
			return lay, ly, nil
		}
	}
	return nil, nil, apierr.NotFound(fmt.Sprintf("collection %q does not exist; GET %s/collections lists the collections", id, links.OGCAPI))
}

// format picks the representation: the f parameter first, then the Accept
// header (HTML only when the client prefers text/html to JSON, as browsers
// do), else JSON. allowGeoJSON says whether f=geojson is meaningful here.
func format(c echo.Context, allowGeoJSON bool) (string, error) {
	switch f := c.QueryParam(ParamF); f {
	case FormatJSON, FormatHTML:
		return f, nil
	case FormatGeoJSON:
		if allowGeoJSON {
			return f, nil
		}
		return FormatJSON, nil
	case "":
	default:
		allowed := "json or html"
		if allowGeoJSON {
			allowed = "json, geojson or html"
		}
		return "", apierr.BadRequest(fmt.Sprintf("unsupported format f=%q; use %s", f, allowed))
	}
	for _, part := range strings.Split(c.Request().Header.Get(echo.HeaderAccept), ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch {
		case mt == mediatype.HTML || mt == "application/xhtml+xml":
			return FormatHTML, nil
		case strings.HasSuffix(mt, "json"):
			return FormatJSON, nil
		}
	}
	return FormatJSON, nil
}

// checkParams refuses query parameters outside allowed (and extra).
// ?version=N, which every data endpoint takes (httpapi pins the request to
// that layout version before the handler runs), is always allowed.
func checkParams(c echo.Context, allowed []string, extra func(string) bool) error {
	for name := range c.QueryParams() {
		if name == httpapi.ParamVersion || slices.Contains(allowed, name) || (extra != nil && extra(name)) {
			continue
		}
		return apierr.BadRequest(fmt.Sprintf("unknown query parameter %q; this resource accepts %s", name, strings.Join(allowed, ", ")))
	}
	return nil
}

// etag is a weak ETag keyed by the data version and everything else the
// response depends on.
func etag(version string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf(`W/"%s.%s"`, version, hex.EncodeToString(h.Sum(nil))[:16])
}

// Cache bounds: at most maxCacheBytes of bodies, each of at most
// maxCachedBody bytes (larger ones are rebuilt per request).
const (
	maxCacheBytes = 32 << 20
	maxCachedBody = 512 << 10
)
