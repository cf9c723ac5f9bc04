// Package wfs serves the layout as an OGC Web Feature Service 2.0 (ISO
// 19142), Basic conformance class, at /wfs, for the desktop tools that speak
// WFS but not OGC API – Features (ArcGIS, SuperMap, older QGIS dialogs):
//
//   - GetCapabilities, DescribeFeatureType (an XML Schema per feature type),
//     GetFeature, GetPropertyValue (one property of each feature, as a
//     wfs:ValueCollection, with GetFeature's query and paging),
//     ListStoredQueries and DescribeStoredQueries, with the GetFeatureById
//     stored query;
//   - KVP requests by GET (and by POST as a form) and XML requests by POST;
//   - GetFeature with TYPENAMES (several at once), RESOURCEID, BBOX, FILTER
//     (FES 2.0: ResourceId, BBOX, the comparison operators, PropertyIsLike,
//     PropertyIsNull, And/Or/Not), COUNT/STARTINDEX paging with a next link,
//     RESULTTYPE=hits, PROPERTYNAME, SRSNAME and OUTPUTFORMAT GML 3.2 or
//     GeoJSON.
//
// Each layer is one feature type, hetang:{collection id}, whose properties
// are the layer's (every feature carries every one; a null is xsi:nil) and
// whose geometry property is "geometry".
//
// Coordinate systems: EPSG:4326 (the default), EPSG:4490 and EPSG:4547 (and
// CRS84, EPSG:3857). Axis order follows WFS 2.0 and GML 3.2: a CRS named by
// URN (urn:ogc:def:crs:EPSG::4326) or by OGC http URI is in the authority's
// order — latitude, longitude for 4326 and 4490, northing, easting for 4547 —
// while the legacy short form EPSG:4326 (and …/epsg.xml#4326) is x, y:
// longitude, latitude or easting, northing. The same rule reads BBOX and
// filter envelopes; a BBOX without a CRS is in the default CRS,
// urn:ogc:def:crs:EPSG::4326, latitude first. GeoJSON output is always x, y.
//
// Limits: at most MaxCount features per response (COUNT above it, or none,
// gives MaxCount and a next link); FILTER documents of at most
// MaxFilterBytes, MaxFilterNodes elements and MaxFilterDepth levels; at most
// MaxIDs resource ids. Errors are OWS 1.1 exception reports (XML), with 400
// for bad requests, 404 for an unknown feature and 501 for an operation
// that is not offered.
package wfs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"hetang/internal/httpapi"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

// Standard vocabulary.
const (
	Service         = "WFS"
	Version         = "2.0.0"
	Version202      = "2.0.2"
	NamespaceWFS    = "http://www.opengis.net/wfs/2.0"
	NamespaceOWS    = "http://www.opengis.net/ows/1.1"
	NamespaceFES    = "http://www.opengis.net/fes/2.0"
	NamespaceGML    = "http://www.opengis.net/gml/3.2"
	NamespaceXLink  = "http://www.w3.org/1999/xlink"
	NamespaceXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	NamespaceXSD    = "http://www.w3.org/2001/XMLSchema"
	SchemaWFS       = "http://schemas.opengis.net/wfs/2.0/wfs.xsd"
	SchemaGML       = "http://schemas.opengis.net/gml/3.2.1/gml.xsd"
	SchemaOWS       = "http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd"
	GetFeatureByID  = "urn:ogc:def:query:OGC-WFS::GetFeatureById"
	GeometryElement = "geometry"
)

// Namespace and Prefix qualify the feature type names (hetang:places).
const (
	Namespace = "urn:x-hetang:layout:1"
	Prefix    = "hetang"
)

// Operations.
const (
	OpGetCapabilities       = "GetCapabilities"
	OpDescribeFeatureType   = "DescribeFeatureType"
	OpGetFeature            = "GetFeature"
	OpGetPropertyValue      = "GetPropertyValue"
	OpListStoredQueries     = "ListStoredQueries"
	OpDescribeStoredQueries = "DescribeStoredQueries"
)

// Output formats.
const (
	FormatGML32   = mediatype.GML32
	FormatGeoJSON = mediatype.GeoJSON
)

// Limits of one request.
const (
	MaxCount       = 10000
	MaxFilterBytes = 64 << 10
	MaxFilterNodes = 1000
	MaxFilterDepth = 32
	MaxIDs         = 1000
	MaxTypeNames   = 100
)

// OWS exception codes.
const (
	CodeMissingParameter    = "MissingParameterValue"
	CodeInvalidParameter    = "InvalidParameterValue"
	CodeOperationNotSupport = "OperationNotSupported"
	CodeVersionNegotiation  = "VersionNegotiationFailed"
	CodeOperationParsing    = "OperationParsingFailed"
	CodeOptionNotSupported  = "OptionNotSupported"
	CodeNotFound            = "NotFound"
	CodeNoApplicableCode    = "NoApplicableCode"
	CodeOperationProcessing = "OperationProcessingFailed"
)

// Exception is a WFS error: an OWS exception code, the parameter it is
// about, and a message a person can act on. The server answers it as an OWS
// ExceptionReport.
type Exception struct {
	Code    string
	Locator string
	Text    string
}

func (e *Exception) Error() string { return "wfs: " + e.Code + " (" + e.Locator + "): " + e.Text }

// Status is the HTTP status of the exception (OWS Common 2.0, WFS 2.0.2).
func (e *Exception) Status() int {
	switch e.Code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeOperationNotSupport, CodeOptionNotSupported:
		return http.StatusNotImplemented
	case CodeNoApplicableCode, CodeOperationProcessing:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func invalid(locator, format string, args ...any) *Exception {
	return &Exception{Code: CodeInvalidParameter, Locator: locator, Text: fmt.Sprintf(format, args...)}
}

func missing(locator, text string) *Exception {
	return &Exception{Code: CodeMissingParameter, Locator: locator, Text: text}
}

// Server serves WFS from a store.
type Server struct {
	store *store.Store
	cache *httpapi.ResponseCache
}

// Cache bounds: answers of at most maxCachedBody bytes, maxCacheBytes in all.
const (
	maxCacheBytes = 32 << 20
	maxCachedBody = 4 << 20
)

// New returns the WFS on st.
func New(st *store.Store) *Server {
	return &Server{store: st, cache: httpapi.NewResponseCache(maxCacheBytes, maxCachedBody)}
}

// Mount adds GET and POST /wfs, and answers WFS requests (SERVICE=WFS) sent
// to the OGC API's root, /ogcapi/, as the WFS: QGIS's "WFS / OGC API –
// Features" dialog, ArcGIS and SuperMap ask the address they are given for
// WFS capabilities first. (Answered in place, not redirected: QGIS 3.22
// crashes on a redirected capabilities request.)
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.GET(links.WFS, s.handle, r.Std...)
	r.Echo.POST(links.WFS, s.handle, r.Std...)
	r.ChecksOwnQuery(links.WFS) // KVP names are case-insensitive; errors are exception reports
	r.Echo.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := c.Request().URL
			raw := kvpQuery(u.RawQuery)
			q, _ := url.ParseQuery(raw)
			p := u.Path
			if (p == links.OGCAPI || p == links.OGCAPI+"/") && IsWFSRequest(q) {
				u.Path, u.RawPath, p = links.WFS, "", links.WFS
			}
			if p == links.WFS {
				u.RawQuery = raw
			}
			// A WFS client's version=2.0.0 (KVP names are case-insensitive)
			// is the protocol version, not the layout version the server's
			// ?version=N selects: hand it over as VERSION.
			if vs, ok := q[httpapi.ParamVersion]; ok && p == links.WFS {
				delete(q, httpapi.ParamVersion)
				q["VERSION"] = append(q["VERSION"], vs...)
				u.RawQuery = q.Encode()
			}
			return next(c)
		}
	})
}

// kvpQuery escapes the semicolons of a KVP query string. OGC KVP (OWS Common
// 1.1, 11.3) reserves only ? & = , + : a ';' belongs to its value, as in
// OUTPUTFORMAT=text/xml; subtype=gml/3.2, the formats the capabilities list
// and GDAL's WFS driver passes on unescaped. Go's query parser drops a pair
// holding a ';', and the service's own query check refuses it.
func kvpQuery(raw string) string {
	return strings.ReplaceAll(raw, ";", "%3B")
}

// IsWFSRequest reports whether query parameters carry SERVICE=WFS (names
// and value in any case), as WFS clients' requests do.
func IsWFSRequest(q url.Values) bool {
	for k, vs := range q {
		if strings.EqualFold(k, "service") && len(vs) == 1 && strings.EqualFold(vs[0], Service) {
			return true
		}
	}
	return false
}

// handle answers one request; WFS exceptions become exception reports.
func (s *Server) handle(c echo.Context) error {
	err := s.serve(c)
	var ex *Exception
	if errors.As(err, &ex) {
		return writeException(c, ex)
	}
	return err
}

func (s *Server) serve(c echo.Context) error {
	req, err := parseRequest(c)
	if err != nil {
		return err
	}
	base := c.Scheme() + "://" + c.Request().Host
	snap := s.store.SnapshotFor(c.Request().Context())
	answer := func() (string, []byte, error) {
		switch req.op {
		case OpGetCapabilities:
			b, err := capabilities(snap.Layout, base)
			return mediatype.XML, b, err
		case OpDescribeFeatureType:
			return describe(snap.Layout, req)
		case OpGetFeature:
			return s.getFeature(c, snap, req, base)
		case OpGetPropertyValue:
			return getPropertyValue(snap, req, base)
		case OpListStoredQueries:
			b, err := listStoredQueries()
			return mediatype.XML, b, err
		case OpDescribeStoredQueries:
			b, err := describeStoredQueries()
			return mediatype.XML, b, err
		}
		return "", nil, &Exception{Code: CodeOperationNotSupport, Locator: "request", Text: fmt.Sprintf("operation %q is not offered; this WFS answers %s", req.op, strings.Join(operations, ", "))}
	}
	if c.Request().Method != http.MethodGet {
		mt, b, err := answer()
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, mt, b)
	}
	// A GET answer depends on the data version, the address the client used
	// (links in it are absolute) and the parameters: cached by those.
	mt, _ := mediaTypeOf(req)
	return s.cache.Serve(c, etagOf(snap.Layout.Version, base, c.Request().URL.Query()), mt, func() ([]byte, error) {
		_, b, err := answer()
		return b, err
	})
}

// mediaTypeOf is the media type of a request's answer.
func mediaTypeOf(req *request) (string, error) {
	switch req.op {
	case OpGetFeature:
		asJSON, err := outputJSON(req.outputFormat)
		if asJSON {
			return mediatype.GeoJSON, err
		}
		return mediatype.GML32, err
	case OpGetPropertyValue:
		return mediatype.GML32, nil
	case OpDescribeFeatureType:
		return mediatype.XMLSchema, nil
	}
	return mediatype.XML, nil
}

// etagOf is a weak ETag of a WFS answer: the data version and a hash of
// the base URL and the parameters with their names in upper case (KVP names
// are case-insensitive).
func etagOf(version, base string, q url.Values) string {
	keys := make([]string, 0, len(q))
	upper := map[string][]string{}
	for k, v := range q {
		u := strings.ToUpper(k)
		keys = append(keys, u)
		upper[u] = v
	}
	slices.Sort(keys)
	h := sha256.New()
	h.Write([]byte(base))
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
		for _, v := range upper[k] {
			h.Write([]byte{1})
			h.Write([]byte(v))
		}
	}
	return fmt.Sprintf(`W/"%s.wfs.%s"`, version, hex.EncodeToString(h.Sum(nil))[:16])
}

// operations are the operations served.
var operations = []string{OpGetCapabilities, OpDescribeFeatureType, OpGetFeature, OpGetPropertyValue, OpListStoredQueries, OpDescribeStoredQueries}

func writeException(c echo.Context, ex *Exception) error {
	c.Response().Header().Del("ETag")
	c.Response().Header().Set("Cache-Control", "no-store")
	w := newXW()
	w.open("ows:ExceptionReport", "xmlns:ows", NamespaceOWS, "xmlns:xsi", NamespaceXSI,
		"xsi:schemaLocation", NamespaceOWS+" "+SchemaOWS, "version", Version, "xml:lang", "en")
	attrs := []string{"exceptionCode", ex.Code}
	if ex.Locator != "" {
		attrs = append(attrs, "locator", ex.Locator)
	}
	w.open("ows:Exception", attrs...)
	w.text("ows:ExceptionText", ex.Text)
	w.close()
	w.close()
	b, err := w.bytes()
	if err != nil {
		return err
	}
	return c.Blob(ex.Status(), mediatype.XML+"; charset=utf-8", b)
}
