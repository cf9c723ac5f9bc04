package wfs

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/config"
	"hetang/internal/fixture"
	"hetang/internal/gdaltest"
	"hetang/internal/layout"
)

// newServer serves the default layout with the WFS mounted, on a real port
// (GDAL and QGIS need a URL).
func newServer(t *testing.T) (*httptest.Server, *layout.Layout) {
	t.Helper()
	st := fixture.Store(t)
	return fixture.Server(t, config.Default(), st, New(st)), st.Current().Layout
}

func get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// exceptionCode returns the exceptionCode and locator of an OWS exception report.
func exceptionCode(body string) (code, locator string) {
	var r struct {
		Exception struct {
			Code    string `xml:"exceptionCode,attr"`
			Locator string `xml:"locator,attr"`
		} `xml:"Exception"`
	}
	_ = xml.Unmarshal([]byte(body), &r)
	return r.Exception.Code, r.Exception.Locator
}

// TestBadRequests: every bad parameter is a 4xx OWS exception report naming
// the parameter, and hostile sizes are refused or bounded.
func TestBadRequests(t *testing.T) {
	ts, _ := newServer(t)
	gf := "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places"
	deep := strings.Repeat("<fes:Not>", 40) + "<fes:PropertyIsNull><fes:ValueReference>id</fes:ValueReference></fes:PropertyIsNull>" + strings.Repeat("</fes:Not>", 40)
	wide := "<fes:Or>" + strings.Repeat("<fes:PropertyIsNull><fes:ValueReference>id</fes:ValueReference></fes:PropertyIsNull>", 600) + "</fes:Or>"
	for _, tc := range []struct {
		name, query string
		status      int
		code, loc   string
	}{
		{"no request", "/wfs?SERVICE=WFS", 400, CodeMissingParameter, "request"},
		{"other service", "/wfs?SERVICE=WMS&REQUEST=GetCapabilities", 400, CodeInvalidParameter, "service"},
		{"unknown operation", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=Transaction", 501, CodeOperationNotSupport, "request"},
		{"old version", "/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=places", 400, CodeInvalidParameter, "version"},
		{"no accepted version", "/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=1.0.0", 400, CodeVersionNegotiation, "AcceptVersions"},
		{"unknown parameter", gf + "&FOO=1", 400, CodeInvalidParameter, "FOO"},
		{"parameter twice", gf + "&COUNT=1&count=2", 400, CodeInvalidParameter, ""},
		{"parameter twice, same case", gf + "&COUNT=1&COUNT=2", 400, CodeInvalidParameter, "request"},
		{"bad escape", gf + "&COUNT=%zz", 400, CodeInvalidParameter, "request"},
		{"not UTF-8", gf + "&FILTER=%ff", 400, CodeInvalidParameter, "request"},
		{"no type", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature", 400, CodeMissingParameter, "typeNames"},
		{"unknown type", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:nosuch", 400, CodeInvalidParameter, "typeNames"},
		{"bad count", gf + "&COUNT=-1", 400, CodeInvalidParameter, "count"},
		{"count not a number", gf + "&COUNT=ten", 400, CodeInvalidParameter, "count"},
		{"count overflow", gf + "&COUNT=99999999999999999999999", 400, CodeInvalidParameter, "count"},
		{"bad start", gf + "&STARTINDEX=x", 400, CodeInvalidParameter, "startIndex"},
		{"bad srs", gf + "&SRSNAME=EPSG:9999", 400, CodeInvalidParameter, "srsName"},
		{"gcj02 srs", gf + "&SRSNAME=GCJ02", 400, CodeInvalidParameter, "srsName"},
		{"bad result type", gf + "&RESULTTYPE=all", 400, CodeInvalidParameter, "resultType"},
		{"bad output", gf + "&OUTPUTFORMAT=shape-zip", 400, CodeInvalidParameter, "outputFormat"},
		{"bbox three numbers", gf + "&BBOX=1,2,3", 400, CodeInvalidParameter, "bbox"},
		{"bbox NaN", gf + "&BBOX=NaN,1,2,3", 400, CodeInvalidParameter, "bbox"},
		{"bbox inverted", gf + "&BBOX=28,113,27,114", 400, CodeInvalidParameter, "bbox"},
		{"bbox lon/lat in urn order", gf + "&BBOX=113,27,114,28,urn:ogc:def:crs:EPSG::4326", 400, CodeInvalidParameter, "bbox"},
		{"bbox bad crs", gf + "&BBOX=1,2,3,4,EPSG:1", 400, CodeInvalidParameter, "bbox"},
		{"bbox projected out of range", gf + "&BBOX=-1e9,0,1e9,1,EPSG:4547", 400, CodeInvalidParameter, "bbox"},
		{"bbox and filter", gf + "&BBOX=27,113,28,114&RESOURCEID=x", 400, CodeInvalidParameter, "filter"},
		{"filter not xml", gf + "&FILTER=" + url.QueryEscape("id = 'x'"), 400, CodeOperationParsing, "filter"},
		{"filter wrong root", gf + "&FILTER=" + url.QueryEscape("<a/>"), 400, CodeInvalidParameter, "filter"},
		{"filter unknown property", gf + "&FILTER=" + url.QueryEscape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>nosuch</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`), 400, CodeInvalidParameter, "filter"},
		{"filter unsupported op", gf + "&FILTER=" + url.QueryEscape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:Intersects/></fes:Filter>`), 501, CodeOptionNotSupported, "filter"},
		{"join of two types", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=" + url.QueryEscape("(hetang:places,hetang:roads)"), 501, CodeOptionNotSupported, "typeNames"},
		{"join of two types, XML list", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=" + url.QueryEscape("hetang:places hetang:roads"), 501, CodeOptionNotSupported, "typeNames"},
		{"filter too deep", gf + "&FILTER=" + url.QueryEscape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">`+deep+`</fes:Filter>`), 400, CodeInvalidParameter, "filter"},
		{"filter too wide", gf + "&FILTER=" + url.QueryEscape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">`+wide+`</fes:Filter>`), 400, CodeInvalidParameter, "filter"},
		{"filter too long", gf + "&FILTER=" + url.QueryEscape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>id</fes:ValueReference><fes:Literal>`+strings.Repeat("x", MaxFilterBytes)+`</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`), 400, CodeInvalidParameter, "filter"},
		{"number literal for number field", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=roads&FILTER=" + url.QueryEscape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>plan_order</fes:ValueReference><fes:Literal>one</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`), 400, CodeInvalidParameter, "filter"},
		{"sortby", gf + "&SORTBY=id", 501, CodeOptionNotSupported, "sortBy"},
		{"unknown stored query", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=x", 400, CodeInvalidParameter, "storedQuery_Id"},
		{"stored query without id", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=" + GetFeatureByID, 400, CodeMissingParameter, "ID"},
		{"stored query unknown id", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=" + GetFeatureByID + "&ID=nosuch", 404, CodeNotFound, "ID"},
		{"unknown property name", gf + "&PROPERTYNAME=nosuch", 400, CodeInvalidParameter, "propertyName"},
		{"describe unknown type", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=nosuch", 400, CodeInvalidParameter, "typeNames"},
		{"describe bad format", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&OUTPUTFORMAT=json", 400, CodeInvalidParameter, "outputFormat"},
		{"too many type names", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=" + strings.Repeat("places,", MaxTypeNames+1), 400, CodeInvalidParameter, "typeNames"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := get(t, ts.URL+tc.query)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, body)
			}
			if !strings.HasPrefix(ctype, "application/xml") {
				t.Errorf("Content-Type %q", ctype)
			}
			code, loc := exceptionCode(body)
			if code != tc.code || (tc.loc != "" && loc != tc.loc) {
				t.Errorf("exception %s at %q, want %s at %q: %.300s", code, loc, tc.code, tc.loc, body)
			}
		})
	}
}

// TestHostileSizes: a world-sized box, a huge COUNT and a huge STARTINDEX
// are answered at once within the limits.
func TestHostileSizes(t *testing.T) {
	ts, lay := newServer(t)
	places, _ := lay.Layer("places")
	gf := ts.URL + "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places&OUTPUTFORMAT=application/json"
	for _, tc := range []struct {
		name, query     string
		matched, served int
	}{
		{"world bbox", "&BBOX=-90,-180,90,180", len(places.Features), len(places.Features)},
		{"world bbox x/y", "&BBOX=-180,-90,180,90,EPSG:4326", len(places.Features), len(places.Features)},
		{"huge count", "&COUNT=2147483647", len(places.Features), len(places.Features)},
		{"huge start", "&STARTINDEX=9223372036854775807", len(places.Features), 0},
		{"start and count", "&STARTINDEX=40&COUNT=10", len(places.Features), 4},
		{"count zero", "&COUNT=0", len(places.Features), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := get(t, gf+tc.query)
			if status != 200 {
				t.Fatalf("status %d: %.300s", status, body)
			}
			var fc struct {
				Matched  int   `json:"numberMatched"`
				Returned int   `json:"numberReturned"`
				Features []any `json:"features"`
			}
			if err := jsonUnmarshal(body, &fc); err != nil {
				t.Fatal(err)
			}
			if fc.Matched != tc.matched || fc.Returned != tc.served || len(fc.Features) != tc.served {
				t.Errorf("matched %d returned %d (%d features), want %d and %d", fc.Matched, fc.Returned, len(fc.Features), tc.matched, tc.served)
			}
		})
	}
}

// TestAxisOrder checks the coordinates of one known point in every CRS name
// form: URN = authority order, EPSG:n = x/y; EPSG:4547 against cs2cs.
func TestAxisOrder(t *testing.T) {
	ts, lay := newServer(t)
	places, _ := lay.Layer("places")
	f, _ := places.Feature("place-poxianling-forest-park")
	p := f.Geometry.(orb.Point)
	gk := gdaltest.ToGK(t, []orb.Point{p})[0]
	for _, tc := range []struct {
		srs  string
		want [2]float64
		tol  float64
	}{
		{"", [2]float64{p[1], p[0]}, 0},
		{"urn:ogc:def:crs:EPSG::4326", [2]float64{p[1], p[0]}, 0},
		{"http://www.opengis.net/def/crs/EPSG/0/4326", [2]float64{p[1], p[0]}, 0},
		{"EPSG:4326", [2]float64{p[0], p[1]}, 0},
		{"urn:ogc:def:crs:EPSG::4490", [2]float64{p[1], p[0]}, 0},
		{"urn:ogc:def:crs:EPSG::4547", [2]float64{gk[1], gk[0]}, 0.001},
		{"EPSG:4547", [2]float64{gk[0], gk[1]}, 0.001},
	} {
		t.Run(tc.srs, func(t *testing.T) {
			q := "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=" + url.QueryEscape(GetFeatureByID) + "&ID=place-poxianling-forest-park"
			if tc.srs != "" {
				q += "&SRSNAME=" + url.QueryEscape(tc.srs)
			}
			status, _, body := get(t, ts.URL+q)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var doc struct {
				Geometry struct {
					Point struct {
						SRS string `xml:"srsName,attr"`
						Pos string `xml:"pos"`
					} `xml:"Point"`
				} `xml:"geometry"`
			}
			if err := xml.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			var got [2]float64
			if _, err := fmt.Sscan(doc.Geometry.Point.Pos, &got[0], &got[1]); err != nil {
				t.Fatalf("pos %q: %v", doc.Geometry.Point.Pos, err)
			}
			for i := range 2 {
				if d := got[i] - tc.want[i]; d > tc.tol || d < -tc.tol {
					t.Errorf("pos %v (srsName %s), want %v", got, doc.Geometry.Point.SRS, tc.want)
				}
			}
		})
	}
}

// TestGDALReadsEveryLayer loads every feature type with GDAL's WFS driver
// (its default paging): counts, every field, every vertex within 1e-9°.
func TestGDALReadsEveryLayer(t *testing.T) {
	gdaltest.Require(t, "ogr2ogr")
	ts, lay := newServer(t)
	src := "WFS:" + ts.URL + "/wfs"
	layers := gdaltest.Layers(t, nil, src)
	for _, ly := range lay.Layers {
		name := Prefix + ":" + typeName(ly)
		fields := gdaltest.Names(layers[name].Fields)
		for _, fd := range ly.Fields() {
			if !contains(fields, fd.Name) {
				t.Errorf("%s: GDAL lacks field %s (has %v)", name, fd.Name, fields)
			}
		}
		fc := gdaltest.ReadLayer(t, nil, src, name)
		if len(fc.Features) != len(ly.Features) {
			t.Fatalf("%s: GDAL read %d features, want %d", name, len(fc.Features), len(ly.Features))
		}
		for i, f := range ly.Features {
			got := fc.Features[i]
			if got.Properties["id"] != f.ID {
				t.Errorf("%s feature %d: id %v, want %s", name, i, got.Properties["id"], f.ID)
			}
			d, same := gdaltest.MaxDiff(gdaltest.Points(f.Geometry), gdaltest.Points(got.Geometry))
			if !same || d > 1e-9 {
				t.Errorf("%s feature %s: vertices differ by %g (same count %v)", name, f.ID, d, same)
			}
		}
	}
	// A -where on the id goes to the server as a FES filter.
	fc := gdaltest.ReadLayer(t, nil, src, "hetang:places", "-where", "id='place-poxianling-forest-park'")
	if len(fc.Features) != 1 || fc.Features[0].Properties["extends_beyond_district"] != true {
		t.Errorf("-where id=…: %d features %v", len(fc.Features), fc.Features)
	}
	// An output format from the capabilities in the connection string:
	// GDAL sends it on with its ';' unescaped, as OGC KVP allows.
	fc = gdaltest.ReadLayer(t, nil, src+"?OUTPUTFORMAT=text/xml;%20subtype=gml/3.2", "hetang:places")
	if places, _ := lay.Layer("places"); len(fc.Features) != len(places.Features) {
		t.Errorf("OUTPUTFORMAT=text/xml; subtype=gml/3.2: GDAL read %d features, want %d", len(fc.Features), len(places.Features))
	}
	// A spatial filter (EPSG:4326 lon/lat box around the station) too.
	fc = gdaltest.ReadLayer(t, nil, src, "hetang:places", "-spat", "113.14", "27.83", "113.16", "27.845")
	if len(fc.Features) == 0 {
		t.Error("-spat around the railway station found nothing")
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestEncodings: the same GetFeature by KVP GET, form POST and XML POST, and
// a WFS probe at the OGC API root, give the same answer.
func TestEncodings(t *testing.T) {
	ts, _ := newServer(t)
	want := "numberMatched=\"1\""
	kvp := "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places&RESOURCEID=places.place-poxianling-forest-park"
	if _, _, body := get(t, ts.URL+"/wfs?"+kvp); !strings.Contains(body, want) {
		t.Errorf("GET: %.300s", body)
	}
	if _, _, body := get(t, ts.URL+"/ogcapi/?"+kvp); !strings.Contains(body, want) {
		t.Errorf("GET /ogcapi/?SERVICE=WFS: %.300s", body)
	}
	if _, _, body := get(t, ts.URL+"/wfs?service=wfs&version=2.0.0&request=GetFeature&typenames=places&resourceid=places.place-poxianling-forest-park"); !strings.Contains(body, want) {
		t.Errorf("lower-case KVP (version is WFS's, not the layout's): %.300s", body)
	}
	if _, _, body := get(t, ts.URL+"/ogcapi?service=wfs&request=GetCapabilities"); !strings.Contains(body, "<wfs:WFS_Capabilities") || !strings.Contains(body, "/licence") {
		t.Errorf("capabilities at /ogcapi: %.300s", body)
	}
	// OGC KVP reserves only ?&=,+: the ';' of a format the capabilities
	// list is part of the value, also when a client leaves it unescaped (and
	// through the OGC API address, and with a lower-case version).
	for _, tc := range []struct{ query, ctype, want string }{
		{"/wfs?" + kvp + "&OUTPUTFORMAT=application/gml%2Bxml;%20version=3.2", "gml", want},
		{"/wfs?" + kvp + "&OUTPUTFORMAT=text/xml;%20subtype=gml/3.2.1", "gml", want},
		{"/ogcapi/?service=wfs&version=2.0.0&request=GetFeature&typenames=places&resourceid=places.place-poxianling-forest-park&outputformat=application/json;%20subtype=geojson", "json", `"numberMatched":1`},
	} {
		status, ctype, body := get(t, ts.URL+tc.query)
		if status != 200 || !strings.Contains(body, tc.want) || !strings.Contains(ctype, tc.ctype) {
			t.Errorf("GET %s: %d %s %.300s", tc.query, status, ctype, body)
		}
	}
	resp, err := http.Post(ts.URL+"/wfs", "application/x-www-form-urlencoded", strings.NewReader(kvp+"&OUTPUTFORMAT=text/xml;+subtype=gml/3.2"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || !strings.Contains(string(b), want) {
		t.Errorf("form POST with an unescaped ';': %d %.300s", resp.StatusCode, b)
	}
	resp.Body.Close()
	resp, err = http.PostForm(ts.URL+"/wfs", mustQuery(kvp))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), want) {
		t.Errorf("form POST: %.300s", b)
	}
	xmlReq := `<?xml version="1.0"?>
<wfs:GetFeature service="WFS" version="2.0.0" count="5" outputFormat="application/json" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:hetang="urn:x-hetang:layout:1">
 <wfs:Query typeNames="hetang:places" srsName="EPSG:4326">
  <fes:Filter><fes:And>
   <fes:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\"><fes:ValueReference>hetang:name_zh</fes:ValueReference><fes:Literal>婆仙岭*</fes:Literal></fes:PropertyIsLike>
   <fes:BBOX><fes:ValueReference>geometry</fes:ValueReference><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>27.8 113.2</gml:lowerCorner><gml:upperCorner>27.9 113.3</gml:upperCorner></gml:Envelope></fes:BBOX>
  </fes:And></fes:Filter>
 </wfs:Query>
</wfs:GetFeature>`
	resp, err = http.Post(ts.URL+"/wfs", "text/xml", strings.NewReader(xmlReq))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"numberMatched":1`) || !strings.Contains(string(b), "place-poxianling-forest-park") {
		t.Errorf("XML POST: %d %.400s", resp.StatusCode, b)
	}
	// An XML fes:SortBy is refused as KVP SORTBY is, not ignored.
	resp, err = http.Post(ts.URL+"/wfs", "text/xml", strings.NewReader(`<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0"><wfs:Query typeNames="hetang:places"><fes:SortBy><fes:SortProperty><fes:ValueReference>name_en</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy></wfs:Query></wfs:GetFeature>`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if code, loc := exceptionCode(string(b)); resp.StatusCode != 501 || code != CodeOptionNotSupported || loc != "sortBy" {
		t.Errorf("XML POST with fes:SortBy: %d %.300s", resp.StatusCode, b)
	}
	resp, err = http.Post(ts.URL+"/wfs", "text/xml", strings.NewReader("<wfs:GetFeature"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if code, _ := exceptionCode(string(b)); resp.StatusCode != 400 || code != CodeOperationParsing {
		t.Errorf("broken XML POST: %d %s", resp.StatusCode, b)
	}
}

func mustQuery(s string) url.Values {
	q, err := url.ParseQuery(s)
	if err != nil {
		panic(err)
	}
	return q
}

// TestHitsAndPaging: RESULTTYPE=hits counts without features; pages follow
// the next links to the end with every feature once.
func TestHitsAndPaging(t *testing.T) {
	ts, lay := newServer(t)
	places, _ := lay.Layer("places")
	_, _, body := get(t, ts.URL+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places&RESULTTYPE=hits")
	if !strings.Contains(body, fmt.Sprintf(`numberMatched="%d"`, len(places.Features))) || !strings.Contains(body, `numberReturned="0"`) || strings.Contains(body, "wfs:member") {
		t.Errorf("hits: %.300s", body)
	}
	// Two queries, in both KVP spellings, count both types' features.
	roads, _ := lay.Layer("roads")
	for _, tn := range []string{"hetang:places,hetang:roads", "(hetang:places)(hetang:roads)"} {
		_, _, body := get(t, ts.URL+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&RESULTTYPE=hits&TYPENAMES="+url.QueryEscape(tn))
		if !strings.Contains(body, fmt.Sprintf(`numberMatched="%d"`, len(places.Features)+len(roads.Features))) {
			t.Errorf("hits of TYPENAMES=%s: %.300s", tn, body)
		}
	}
	// COUNT=0 has no next page (it would name itself: a client following
	// next would loop).
	if _, _, body := get(t, ts.URL+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places&COUNT=0"); !strings.Contains(body, `numberReturned="0"`) || strings.Contains(body, "next=") {
		t.Errorf("COUNT=0: %.400s", body)
	}
	// A POSTed request's next page keeps its filter, CRS and output format.
	for _, tc := range []struct{ name, ctype, body string }{
		{"XML", "text/xml", `<wfs:GetFeature service="WFS" version="2.0.0" count="1" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0"><wfs:Query typeNames="hetang:places" srsName="EPSG:4547"><fes:Filter><fes:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\"><fes:ValueReference>name_zh</fes:ValueReference><fes:Literal>株洲*</fes:Literal></fes:PropertyIsLike></fes:Filter></wfs:Query></wfs:GetFeature>`},
		{"form", "application/x-www-form-urlencoded", "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places&COUNT=1&SRSNAME=EPSG:4547&RESOURCEID=places.place-zhuzhou-station,places.place-poxianling-forest-park"},
	} {
		resp, err := http.Post(ts.URL+"/wfs", tc.ctype, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		type page struct {
			Matched string `xml:"numberMatched,attr"`
			Next    string `xml:"next,attr"`
			SRS     []struct {
				Name string `xml:"srsName,attr"`
			} `xml:"member>places>geometry>Point"`
		}
		var first, second page
		if err := xml.Unmarshal(b, &first); err != nil || first.Matched != "2" || first.Next == "" {
			t.Fatalf("%s POST: %v %.400s", tc.name, err, b)
		}
		_, _, body := get(t, first.Next)
		if err := xml.Unmarshal([]byte(body), &second); err != nil {
			t.Fatal(err)
		}
		if second.Matched != "2" || second.Next != "" || len(second.SRS) != 1 || second.SRS[0].Name != "EPSG:4547" {
			t.Errorf("%s POST: next page %s: matched %s, next %q, geometries %v: %.300s", tc.name, first.Next, second.Matched, second.Next, second.SRS, body)
		}
	}
	next := ts.URL + "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=hetang:places&COUNT=10"
	type collection struct {
		Next     string `xml:"next,attr"`
		Previous string `xml:"previous,attr"`
		Members  []struct {
			Inner string `xml:",innerxml"`
		} `xml:"member"`
	}
	page := func(u string) collection {
		t.Helper()
		_, _, body := get(t, u)
		var fc collection
		if err := xml.Unmarshal([]byte(body), &fc); err != nil {
			t.Fatal(err)
		}
		return fc
	}
	seen, last := 0, ""
	for pages := 0; next != "" && pages < 10; pages++ {
		fc := page(next)
		if (pages == 0) != (fc.Previous == "") {
			t.Errorf("page %d: previous %q (only the first page has none)", pages, fc.Previous)
		}
		seen += len(fc.Members)
		last, next = next, fc.Next
	}
	if seen != len(places.Features) {
		t.Errorf("paging saw %d features, want %d", seen, len(places.Features))
	}
	// Back from the last page by previous (WFS 2.0 §7.7.4.4) to the first.
	back := 0
	for pages, u := 0, last; u != "" && pages < 10; pages++ {
		fc := page(u)
		back += len(fc.Members)
		u = fc.Previous
	}
	if back != len(places.Features) {
		t.Errorf("paging back saw %d features, want %d", back, len(places.Features))
	}
}

// TestGetPropertyValue: Basic WFS's GetPropertyValue gives one member per
// feature in the layer's order — the value, xsi:nil for none, the geometry
// in srsName — with GetFeature's paging; bad references are exceptions.
func TestGetPropertyValue(t *testing.T) {
	ts, lay := newServer(t)
	places, _ := lay.Layer("places")
	type collection struct {
		Matched string `xml:"numberMatched,attr"`
		Next    string `xml:"next,attr"`
		Members []struct {
			Value struct {
				Nil  string `xml:"nil,attr"`
				Text string `xml:",chardata"`
				Pos  string `xml:"Point>pos"`
			} `xml:",any"`
		} `xml:"member"`
	}
	read := func(body string) collection {
		t.Helper()
		var vc collection
		if err := xml.Unmarshal([]byte(body), &vc); err != nil || !strings.Contains(body, "<wfs:ValueCollection") {
			t.Fatalf("%v: %.400s", err, body)
		}
		return vc
	}
	gpv := ts.URL + "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetPropertyValue&TYPENAMES=hetang:places"
	status, ctype, body := get(t, gpv+"&VALUEREFERENCE=hetang:name_zh")
	vc := read(body)
	if status != 200 || !strings.Contains(ctype, "gml") || vc.Matched != fmt.Sprint(len(places.Features)) || len(vc.Members) != len(places.Features) {
		t.Fatalf("name_zh: %d %s matched %s, %d members", status, ctype, vc.Matched, len(vc.Members))
	}
	for i, f := range places.Features {
		if got, want := vc.Members[i].Value.Text, f.Properties["name_zh"]; got != want {
			t.Errorf("member %d: %q, want %q", i, got, want)
		}
	}
	vc = read(func() string { _, _, b := get(t, gpv+"&VALUEREFERENCE=beyond_note"); return b }())
	for i, f := range places.Features {
		if got, want := vc.Members[i].Value.Nil == "true", f.Properties["beyond_note"] == nil; got != want {
			t.Errorf("beyond_note member %d: nil %v, want %v", i, got, want)
		}
	}
	// The geometry in EPSG:4547 (x first) against cs2cs, one per page, in
	// the layer's order (the station comes first).
	vc = read(func() string {
		_, _, b := get(t, gpv+"&VALUEREFERENCE=geometry&SRSNAME=EPSG:4547&COUNT=1&RESOURCEID=places.place-poxianling-forest-park,places.place-zhuzhou-station")
		return b
	}())
	f, _ := places.Feature("place-poxianling-forest-park")
	gk := gdaltest.ToGK(t, []orb.Point{f.Geometry.(orb.Point)})[0]
	if vc.Matched != "2" || len(vc.Members) != 1 || vc.Next == "" {
		t.Fatalf("geometry page: matched %s, %d members, next %q", vc.Matched, len(vc.Members), vc.Next)
	}
	vc = read(func() string { _, _, b := get(t, vc.Next); return b }())
	var x, y float64
	if len(vc.Members) != 1 {
		t.Fatalf("next page: %d members", len(vc.Members))
	}
	if _, err := fmt.Sscan(vc.Members[0].Value.Pos, &x, &y); err != nil || abs(x-gk[0]) > 0.001 || abs(y-gk[1]) > 0.001 {
		t.Errorf("Poxianling in EPSG:4547: %q, want %v (%v)", vc.Members[0].Value.Pos, gk, err)
	}
	// By XML POST too.
	resp, err := http.Post(ts.URL+"/wfs", "text/xml", strings.NewReader(`<wfs:GetPropertyValue service="WFS" version="2.0.0" valueReference="kind" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0"><wfs:Query typeNames="hetang:places"><fes:Filter><fes:ResourceId rid="places.place-zhuzhou-station"/></fes:Filter></wfs:Query></wfs:GetPropertyValue>`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if vc = read(string(b)); len(vc.Members) != 1 || vc.Members[0].Value.Text != "station" {
		t.Errorf("XML POST: %.300s", b)
	}
	for _, tc := range []struct {
		query, code, locator string
	}{
		{"", CodeMissingParameter, "valueReference"},
		{"&VALUEREFERENCE=nosuch", CodeInvalidParameter, "valueReference"},
		{"&VALUEREFERENCE=name_zh&OUTPUTFORMAT=application/json", CodeInvalidParameter, "outputFormat"},
	} {
		status, _, body := get(t, gpv+tc.query)
		if code, loc := exceptionCode(body); status != 400 || code != tc.code || loc != tc.locator {
			t.Errorf("%q: %d %s %s", tc.query, status, code, loc)
		}
	}
	if _, _, body := get(t, ts.URL+"/wfs?SERVICE=WFS&REQUEST=GetCapabilities"); !strings.Contains(body, `<ows:Operation name="GetPropertyValue">`) {
		t.Error("the capabilities do not list GetPropertyValue")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
