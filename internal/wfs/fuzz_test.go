package wfs

import (
	"net/url"
	"strings"
	"testing"

	"hetang/internal/layout"
)

// FuzzKVP feeds query strings to the KVP reader and, when it accepts them,
// runs the query against a small layer: no input may panic or hang, and an
// accepted request must have a known operation.
func FuzzKVP(f *testing.F) {
	for _, s := range []string{
		"SERVICE=WFS&REQUEST=GetCapabilities",
		"service=wfs&version=2.0.0&request=GetFeature&typeNames=hetang:places&count=10&startIndex=5&srsName=urn:ogc:def:crs:EPSG::4547",
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=places&BBOX=27,113,28,114,urn:ogc:def:crs:EPSG::4326",
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=places&FILTER=%3Cfes:Filter%20xmlns:fes=%22http://www.opengis.net/fes/2.0%22%3E%3Cfes:ResourceId%20rid=%22places.a%22/%3E%3C/fes:Filter%3E",
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById&ID=x",
		"REQUEST=DescribeFeatureType&TYPENAME=a,b,c",
		"BBOX=1,2,3,4,5,6",
		"COUNT=-0&REQUEST=GetFeature",
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetPropertyValue&TYPENAMES=(hetang:places)(hetang:roads)&VALUEREFERENCE=hetang:places/hetang:name_zh",
		"REQUEST=GetFeature&TYPENAMES=(a,b)&OUTPUTFORMAT=text/xml;%20subtype=gml/3.2",
	} {
		f.Add(s)
	}
	ly := fuzzLayer()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := parseKVP(q)
		if err != nil {
			return
		}
		if req.op == "" {
			t.Fatalf("accepted a request without an operation: %q", raw)
		}
		if req.op == OpGetFeature {
			_, _ = query(ly, req)
		}
	})
}

// FuzzFilter feeds FES documents to the filter reader and compiler.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>id</fes:ValueReference><fes:Literal>a</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`,
		`<Filter><And><PropertyIsLike wildCard="*" singleChar="." escapeChar="!"><ValueReference>name_zh</ValueReference><Literal>荷*!*</Literal></PropertyIsLike><Not><PropertyIsNull><ValueReference>n</ValueReference></PropertyIsNull></Not></And></Filter>`,
		`<Filter><BBOX><ValueReference>geometry</ValueReference><Envelope srsName="urn:ogc:def:crs:EPSG::4547"><lowerCorner>3080000 410000</lowerCorner><upperCorner>3090000 430000</upperCorner></Envelope></BBOX></Filter>`,
		`<Filter><ResourceId rid="x.a"/><ResourceId rid="x.b"/></Filter>`,
		`<Filter><Or><PropertyIsGreaterThan><ValueReference>n</ValueReference><Literal>1e400</Literal></PropertyIsGreaterThan></Or></Filter>`,
		`<Filter>`,
	} {
		f.Add(s)
	}
	ly := fuzzLayer()
	f.Fuzz(func(t *testing.T, doc string) {
		root, err := parseFilterXML([]byte(doc))
		if err != nil {
			return
		}
		req := &request{filter: root, count: -1, srs: defaultSRS}
		_, _ = query(ly, req)
		if strings.Count(doc, "<") > MaxFilterNodes*2+2 && err == nil {
			t.Fatalf("accepted %d tags", strings.Count(doc, "<"))
		}
	})
}

func fuzzLayer() *layout.Layer {
	return &layout.Layer{ID: "x", GeometryType: "Point", Features: []*layout.Feature{
		{ID: "a", Properties: map[string]any{"id": "a", "name_zh": "荷塘*", "n": 1.0}, Geometry: orbPoint(113.2, 27.9)},
		{ID: "b", Properties: map[string]any{"id": "b", "name_zh": nil, "n": nil}, Geometry: orbPoint(113.3, 27.8)},
	}}
}
