package wfs

import (
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/decimal"
	"hetang/internal/httpapi"
)

// request is one parsed WFS request, from KVP or XML.
type request struct {
	op       string
	version  string
	typeName []string // local names, prefixes removed
	// GetFeature
	count        int // -1: not given
	startIndex   int
	srs          srs
	srsGiven     bool
	bbox         *envelope
	outputFormat string
	hits         bool
	resourceIDs  []string
	filter       *fesNode
	storedQuery  string
	storedID     string
	propertyName []string
	// kvp are the parameters the request was read from (a POSTed XML
	// request's as converted to KVP): the next page's link repeats them.
	kvp url.Values
	// valueReference is GetPropertyValue's property (local name).
	valueReference string
}

// kvpParams are the KVP parameter names this WFS reads (upper case).
var kvpParams = map[string]bool{
	"SERVICE": true, "VERSION": true, "REQUEST": true, "ACCEPTVERSIONS": true, "ACCEPTFORMATS": true,
	"SECTIONS": true, "UPDATESEQUENCE": true, "LANGUAGE": true,
	"TYPENAMES": true, "TYPENAME": true, "NAMESPACES": true, "NAMESPACE": true, "OUTPUTFORMAT": true,
	"COUNT": true, "MAXFEATURES": true, "STARTINDEX": true, "SRSNAME": true, "BBOX": true,
	"RESULTTYPE": true, "RESOURCEID": true, "FEATUREID": true, "FILTER": true, "FILTER_LANGUAGE": true,
	"STOREDQUERY_ID": true, "ID": true, "PROPERTYNAME": true, "SORTBY": true, "VALUEREFERENCE": true,
}

// parseRequest reads a request from the query string (GET), a form or an XML
// document (POST).
func parseRequest(c echo.Context) (*request, error) {
	r := c.Request()
	if r.Method == "POST" {
		mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxFilterBytes*4+1))
		if err != nil {
			return nil, err
		}
		if len(body) > MaxFilterBytes*4 {
			return nil, &Exception{Code: CodeOperationParsing, Locator: "request", Text: fmt.Sprintf("a POSTed request may be at most %d bytes", MaxFilterBytes*4)}
		}
		if mt == "application/x-www-form-urlencoded" {
			form, err := url.ParseQuery(kvpQuery(string(body)))
			if err != nil {
				return nil, &Exception{Code: CodeOperationParsing, Locator: "request", Text: "the form body cannot be read: " + err.Error()}
			}
			return parseKVP(form)
		}
		return parseXMLRequest(body)
	}
	if err := httpapi.CheckQuery(r.URL.RawQuery, nil); err != nil {
		return nil, &Exception{Code: CodeInvalidParameter, Locator: "request", Text: apierr.Message(err)}
	}
	return parseKVP(c.QueryParams())
}

// parseKVP reads KVP parameters; names are case-insensitive, and a name
// given twice is refused.
func parseKVP(q url.Values) (*request, error) {
	kv := map[string]string{}
	for k, vs := range q {
		u := strings.ToUpper(k)
		if _, dup := kv[u]; dup || len(vs) > 1 {
			return nil, invalid(k, "parameter %s is given more than once; give it once", u)
		}
		if !kvpParams[u] {
			return nil, invalid(k, "unknown parameter %q; see GetCapabilities for this service's parameters", k)
		}
		kv[u] = vs[0]
	}
	if svc, ok := kv["SERVICE"]; ok && !strings.EqualFold(svc, Service) {
		return nil, invalid("service", "SERVICE=%q: this is a WFS; use SERVICE=WFS", svc)
	}
	req := &request{op: kv["REQUEST"], version: kv["VERSION"], count: -1, kvp: q}
	if req.op == "" {
		return nil, missing("request", "give REQUEST=GetCapabilities, DescribeFeatureType or GetFeature (with SERVICE=WFS&VERSION=2.0.0)")
	}
	req.op = canonicalOp(req.op)
	if req.op == OpGetCapabilities {
		if av := kv["ACCEPTVERSIONS"]; av != "" && !acceptsOurVersion(strings.Split(av, ",")) {
			return nil, &Exception{Code: CodeVersionNegotiation, Locator: "AcceptVersions", Text: fmt.Sprintf("this WFS speaks %s (and %s); AcceptVersions=%s lists neither", Version, Version202, av)}
		}
		return req, nil
	}
	if req.version == "" && req.op != "" {
		// WFS 2.0 requires VERSION outside GetCapabilities; clients that
		// leave it out mean this service's version.
		req.version = Version
	}
	if req.version != Version && req.version != Version202 {
		return nil, invalid("version", "VERSION=%s is not supported; this WFS speaks %s", req.version, Version)
	}
	tn := kv["TYPENAMES"]
	if tn == "" {
		tn = kv["TYPENAME"]
	}
	if tn != "" {
		names, err := splitTypeNames(tn)
		if err != nil {
			return nil, err
		}
		req.typeName = names
		if len(req.typeName) > MaxTypeNames {
			return nil, invalid("typeNames", "at most %d type names per request", MaxTypeNames)
		}
	}
	req.outputFormat = kv["OUTPUTFORMAT"]
	if req.op != OpGetFeature && req.op != OpGetPropertyValue {
		return req, nil
	}
	if v, ok := kv["COUNT"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalid("count", "COUNT=%q must be a whole number ≥ 0", v)
		}
		req.count = n
	} else if v, ok := kv["MAXFEATURES"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalid("maxFeatures", "MAXFEATURES=%q must be a whole number ≥ 0", v)
		}
		req.count = n
	}
	if v, ok := kv["STARTINDEX"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalid("startIndex", "STARTINDEX=%q must be a whole number ≥ 0", v)
		}
		req.startIndex = n
	}
	if v, ok := kv["SRSNAME"]; ok {
		s, err := parseSRS(v)
		if err != nil {
			return nil, invalid("srsName", "%v", err)
		}
		req.srs, req.srsGiven = s, true
	} else {
		req.srs = defaultSRS
	}
	switch rt := kv["RESULTTYPE"]; strings.ToLower(rt) {
	case "", "results":
	case "hits":
		req.hits = true
	default:
		return nil, invalid("resultType", "RESULTTYPE=%q: use results or hits", rt)
	}
	if v := kv["BBOX"]; v != "" {
		e, err := parseBBox(v)
		if err != nil {
			return nil, err
		}
		req.bbox = e
	}
	ids := kv["RESOURCEID"]
	if ids == "" {
		ids = kv["FEATUREID"]
	}
	if ids != "" {
		req.resourceIDs = strings.Split(ids, ",")
		if len(req.resourceIDs) > MaxIDs {
			return nil, invalid("resourceId", "at most %d resource ids per request", MaxIDs)
		}
	}
	if v := kv["FILTER"]; v != "" {
		if lang := kv["FILTER_LANGUAGE"]; lang != "" && !strings.Contains(lang, "fes/2.0") && !strings.EqualFold(lang, "urn:ogc:def:query Language:OGC-FES:Filter") {
			return nil, invalid("filter_language", "FILTER_LANGUAGE=%q: only FES 2.0 filters (urn:ogc:def:queryLanguage:OGC-FES:Filter) are understood", lang)
		}
		n, err := parseFilterXML([]byte(v))
		if err != nil {
			return nil, err
		}
		req.filter = n
	}
	if v := kv["SORTBY"]; v != "" {
		return nil, &Exception{Code: CodeOptionNotSupported, Locator: "sortBy", Text: "SORTBY is not supported: features come in the layer's order (the capabilities say ImplementsSorting FALSE)"}
	}
	if v := kv["PROPERTYNAME"]; v != "" {
		for _, p := range strings.Split(strings.Trim(v, "()"), ",") {
			req.propertyName = append(req.propertyName, localName(strings.TrimSpace(p)))
		}
	}
	req.storedQuery = kv["STOREDQUERY_ID"]
	req.storedID = kv["ID"]
	n := 0
	for _, set := range []bool{req.bbox != nil, req.resourceIDs != nil, req.filter != nil, req.storedQuery != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, invalid("filter", "BBOX, RESOURCEID, FILTER and STOREDQUERY_ID exclude each other (WFS 2.0 §7.9.2.4.1); give one")
	}
	if req.op == OpGetPropertyValue {
		v := strings.TrimSpace(kv["VALUEREFERENCE"])
		if v == "" {
			return nil, missing("valueReference", "GetPropertyValue needs VALUEREFERENCE, a property of the feature type (for example VALUEREFERENCE=hetang:name_zh)")
		}
		if req.storedQuery != "" {
			return nil, invalid("storedQuery_Id", "GetPropertyValue takes an ad hoc query (TYPENAMES with BBOX, RESOURCEID or FILTER), not a stored query")
		}
		req.valueReference = localName(v) // hetang:places/hetang:name_zh → name_zh
	}
	return req, nil
}

// canonicalOp matches an operation name case-insensitively.
func canonicalOp(op string) string {
	for _, o := range operations {
		if strings.EqualFold(o, op) {
			return o
		}
	}
	return op
}

func acceptsOurVersion(vs []string) bool {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v == Version || v == Version202 {
			return true
		}
	}
	return false
}

// localName strips a namespace prefix (hetang:places → places) and an XPath
// step (places/name_zh → name_zh).
// splitTypeNames reads TYPENAMES: one query per name, "a,b" or "(a)(b)".
// Several names in one query — "(a,b)" in KVP, typeNames="a b" on an XML
// wfs:Query — ask for a join, which this WFS does not offer (the
// capabilities say ImplementsStandardJoins FALSE): an exception, not the
// features of one of the names.
func splitTypeNames(tn string) ([]string, error) {
	var queries []string
	if t := strings.TrimSpace(tn); strings.HasPrefix(t, "(") {
		queries = strings.Split(strings.TrimSuffix(strings.TrimPrefix(t, "("), ")"), ")(")
	} else {
		queries = strings.Split(t, ",")
	}
	names := make([]string, 0, len(queries))
	for _, q := range queries {
		q = strings.TrimSpace(q)
		if strings.ContainsAny(q, ",() \t\n") {
			return nil, &Exception{Code: CodeOptionNotSupported, Locator: "typeNames", Text: fmt.Sprintf("%q asks for a join of feature types, which this WFS does not offer (ImplementsStandardJoins FALSE); give one type name per query, e.g. TYPENAMES=hetang:places,hetang:roads", q)}
		}
		names = append(names, localName(q))
	}
	return names, nil
}

func localName(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// srs is an output or input CRS and the axis order its name implies.
type srs struct {
	crs crs.CRS
	// yx is true when coordinates are in the authority's latitude- or
	// northing-first order (the CRS was named by URN or http URI).
	yx bool
	// name is the name written into responses.
	name string
}

// defaultSRS is the feature types' DefaultCRS.
var defaultSRS = srs{crs: crs.WGS84, yx: true, name: "urn:ogc:def:crs:EPSG::4326"}

// supportedCRS are the systems offered.
var supportedCRS = []crs.CRS{crs.WGS84, crs.CGCS, crs.CGCSGK, crs.WebMerc}

// parseSRS reads a CRS name: urn:ogc:def:crs:EPSG::n and
// http://www.opengis.net/def/crs/EPSG/0/n in authority axis order, EPSG:n
// and http://www.opengis.net/gml/srs/epsg.xml#n in x/y order, and CRS84.
func parseSRS(s string) (srs, error) {
	t := strings.TrimSpace(s)
	if len(t) > 200 {
		return srs{}, fmt.Errorf("CRS name too long")
	}
	u := strings.ToLower(t)
	switch u {
	case "urn:ogc:def:crs:ogc:1.3:crs84", "http://www.opengis.net/def/crs/ogc/1.3/crs84", "crs84", "ogc:crs84":
		return srs{crs: crs.CRS84, name: "urn:ogc:def:crs:OGC:1.3:CRS84"}, nil
	}
	var code string
	yx := false
	switch {
	case strings.HasPrefix(u, "urn:ogc:def:crs:epsg:"):
		rest := u[len("urn:ogc:def:crs:epsg:"):]
		code, yx = rest[strings.LastIndexByte(rest, ':')+1:], true
	case strings.HasPrefix(u, "urn:x-ogc:def:crs:epsg:"):
		rest := u[len("urn:x-ogc:def:crs:epsg:"):]
		code, yx = rest[strings.LastIndexByte(rest, ':')+1:], true
	case strings.HasPrefix(u, "http://www.opengis.net/def/crs/epsg/0/"):
		code, yx = u[len("http://www.opengis.net/def/crs/epsg/0/"):], true
	case strings.HasPrefix(u, "http://www.opengis.net/gml/srs/epsg.xml#"):
		code = u[len("http://www.opengis.net/gml/srs/epsg.xml#"):]
	case strings.HasPrefix(u, "epsg:"):
		code = u[len("epsg:"):]
	default:
		return srs{}, fmt.Errorf("unknown CRS %q; use urn:ogc:def:crs:EPSG::4326, ::4490 or ::4547 (latitude/northing first) or EPSG:4326, EPSG:4490, EPSG:4547 (x first)", s)
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return srs{}, fmt.Errorf("unknown CRS %q: %q is not an EPSG code", s, code)
	}
	for _, c := range supportedCRS {
		if c.EPSG == n {
			out := srs{crs: c, yx: yx && c.AuthorityYX}
			if yx {
				out.name = "urn:ogc:def:crs:EPSG::" + code
			} else {
				out.name = "EPSG:" + code
			}
			if !c.AuthorityYX && yx {
				out.name = "urn:ogc:def:crs:EPSG::" + code
			}
			return out, nil
		}
	}
	return srs{}, fmt.Errorf("EPSG:%d is not offered; use 4326, 4490, 4547 or 3857", n)
}

// envelope is a box in a CRS, corners as given (axis order of the CRS name).
type envelope struct {
	min, max [2]float64
	srs      srs
}

// parseBBox reads minx,miny,maxx,maxy[,crs]; without a CRS the box is in the
// default CRS (urn:ogc:def:crs:EPSG::4326, latitude first).
func parseBBox(v string) (*envelope, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 5 {
		return nil, invalid("bbox", "BBOX=%q: give four numbers and optionally a CRS: minx,miny,maxx,maxy[,urn:ogc:def:crs:EPSG::4326]", v)
	}
	e := &envelope{srs: defaultSRS}
	if len(parts) == 5 {
		s, err := parseSRS(parts[4])
		if err != nil {
			return nil, invalid("bbox", "BBOX: %v", err)
		}
		e.srs = s
	}
	var n [4]float64
	for i := 0; i < 4; i++ {
		f, err := decimal.Parse(strings.TrimSpace(parts[i]))
		if err != nil || f > 1e300 || f < -1e300 {
			return nil, invalid("bbox", "BBOX=%s: %s is not a decimal number", apierr.Quote(v), apierr.Quote(parts[i]))
		}
		n[i] = f
	}
	e.min, e.max = [2]float64{n[0], n[1]}, [2]float64{n[2], n[3]}
	if e.min[0] > e.max[0] || e.min[1] > e.max[1] {
		return nil, invalid("bbox", "BBOX=%q: a minimum exceeds its maximum (the order of %s is %s)", v, e.srs.name, e.srs.axes())
	}
	return e, nil
}

// axes names the axis order of s.
func (s srs) axes() string {
	switch {
	case s.yx && s.crs.Projected:
		return "northing, easting"
	case s.yx:
		return "latitude, longitude"
	case s.crs.Projected:
		return "easting, northing"
	}
	return "longitude, latitude"
}

// xmlRequest is the root of a POSTed XML request.
type xmlRequest struct {
	XMLName      xml.Name
	Service      string   `xml:"service,attr"`
	Version      string   `xml:"version,attr"`
	Count        string   `xml:"count,attr"`
	StartIndex   string   `xml:"startIndex,attr"`
	ResultType   string   `xml:"resultType,attr"`
	OutputFormat string   `xml:"outputFormat,attr"`
	ValueRef     string   `xml:"valueReference,attr"`
	TypeNames    []string `xml:"TypeName"`
	Query        []struct {
		TypeNames    string     `xml:"typeNames,attr"`
		SRSName      string     `xml:"srsName,attr"`
		PropertyName []string   `xml:"PropertyName"`
		SortBy       []struct{} `xml:"SortBy"`
		Filter       *struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"Filter"`
	} `xml:"Query"`
	StoredQuery []struct {
		ID        string `xml:"id,attr"`
		Parameter []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"Parameter"`
	} `xml:"StoredQuery"`
	AcceptVersions []string `xml:"AcceptVersions>Version"`
}

// parseXMLRequest turns a POSTed XML request into the KVP form and reads
// that, so both encodings have one set of rules.
func parseXMLRequest(body []byte) (*request, error) {
	if err := checkXMLShape(body); err != nil {
		return nil, err
	}
	var x xmlRequest
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, &Exception{Code: CodeOperationParsing, Locator: "request", Text: "the XML request cannot be read: " + err.Error()}
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("SERVICE", x.Service)
	set("VERSION", x.Version)
	q.Set("REQUEST", x.XMLName.Local)
	switch canonicalOp(x.XMLName.Local) {
	case OpGetCapabilities:
		q.Del("VERSION")
		set("ACCEPTVERSIONS", strings.Join(x.AcceptVersions, ","))
	case OpDescribeFeatureType:
		set("TYPENAMES", strings.Join(x.TypeNames, ","))
		set("OUTPUTFORMAT", x.OutputFormat)
	case OpGetFeature, OpGetPropertyValue:
		set("VALUEREFERENCE", x.ValueRef)
		set("COUNT", x.Count)
		set("STARTINDEX", x.StartIndex)
		set("RESULTTYPE", x.ResultType)
		set("OUTPUTFORMAT", x.OutputFormat)
		if len(x.Query)+len(x.StoredQuery) != 1 {
			return nil, invalid("Query", "give exactly one wfs:Query or wfs:StoredQuery (got %d)", len(x.Query)+len(x.StoredQuery))
		}
		if len(x.StoredQuery) == 1 {
			sq := x.StoredQuery[0]
			set("STOREDQUERY_ID", sq.ID)
			for _, p := range sq.Parameter {
				if strings.EqualFold(p.Name, "id") {
					set("ID", strings.TrimSpace(p.Value))
				}
			}
			break
		}
		qu := x.Query[0]
		set("TYPENAMES", qu.TypeNames)
		set("SRSNAME", qu.SRSName)
		set("PROPERTYNAME", strings.Join(qu.PropertyName, ","))
		if len(qu.SortBy) > 0 {
			// Refused as KVP SORTBY is, not served unsorted in silence.
			q.Set("SORTBY", "fes:SortBy")
		}
		if qu.Filter != nil {
			q.Set("FILTER", "<fes:Filter xmlns:fes=\""+NamespaceFES+"\" xmlns:gml=\""+NamespaceGML+"\">"+string(qu.Filter.Inner)+"</fes:Filter>")
		}
	}
	return parseKVP(q)
}
