package wfs

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"hetang/internal/cql2"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

// selected is one feature chosen by a query, with its layer.
type selected struct {
	ly *layout.Layer
	f  *layout.Feature
}

// outputJSON reports whether f asks for GeoJSON (else GML 3.2).
func outputJSON(f string) (bool, error) {
	switch strings.ReplaceAll(strings.ToLower(f), " ", "") {
	case "", "application/gml+xml;version=3.2", "text/xml;subtype=gml/3.2", "text/xml;subtype=gml/3.2.1", "gml32", "gml3.2", "application/gml+xml":
		return false, nil
	case "application/json", "application/geo+json", "json", "geojson", "application/json;subtype=geojson", "application/vnd.geo+json":
		return true, nil
	}
	return false, invalid("outputFormat", "outputFormat=%q is not offered; use %s", f, strings.Join(outputFormats, " or "))
}

func (s *Server) getFeature(c echo.Context, snap *store.Snapshot, req *request, base string) (string, []byte, error) {
	asJSON, err := outputJSON(req.outputFormat)
	if err != nil {
		return "", nil, err
	}
	if req.storedQuery != "" {
		return featureByID(snap.Layout, req, asJSON)
	}
	p, err := selectPage(snap, req, base)
	if err != nil {
		return "", nil, err
	}
	var b []byte
	if asJSON {
		b, err = featuresJSON(p, req)
	} else {
		b, err = featuresGML(p, req, base)
	}
	if err != nil {
		return "", nil, err
	}
	if asJSON {
		return mediatype.GeoJSON, b, nil
	}
	return mediatype.GML32, b, nil
}

// page is what a GetFeature or GetPropertyValue request answers: the
// features of this page, how many the query matched, the next and previous
// pages' addresses ("" on the last and the first) and the time stamp.
type page struct {
	members               []selected
	matched               int
	next, previous, stamp string
}

// selectPage runs the query of req (TYPENAMES or RESOURCEID, with BBOX or
// FILTER) and cuts the page COUNT and STARTINDEX ask for.
func selectPage(snap *store.Snapshot, req *request, base string) (*page, error) {
	if len(req.typeName) == 0 && len(req.resourceIDs) == 0 {
		return nil, missing("typeNames", req.op+" needs TYPENAMES (for example TYPENAMES=hetang:places) or RESOURCEID")
	}
	layers, err := selectLayers(snap.Layout, req.typeName)
	if err != nil {
		return nil, err
	}
	var matched []selected
	for _, ly := range layers {
		sel, err := query(ly, req)
		if err != nil {
			return nil, err
		}
		matched = append(matched, sel...)
	}
	count := req.count
	if count < 0 || count > MaxCount {
		count = MaxCount
	}
	start := min(req.startIndex, len(matched))
	p := &page{members: matched[start:min(start+count, len(matched))], matched: len(matched), stamp: snap.LoadedAt.UTC().Format("2006-01-02T15:04:05Z")}
	if req.hits {
		p.members = nil
	}
	// The next page is the same request (also a POSTed one's filter, CRS
	// and properties) from the next index; a COUNT of 0 has no next page
	// (it would name itself).
	if !req.hits && count > 0 && start+count < len(matched) {
		p.next = base + links.WFS + "?" + withParams(req.kvp, map[string]string{"STARTINDEX": strconv.Itoa(start + count), "COUNT": strconv.Itoa(count)}).Encode()
	}
	// WFS 2.0 §7.7.4.4: a page after the first names the one before it.
	if !req.hits && count > 0 && req.startIndex > 0 {
		p.previous = base + links.WFS + "?" + withParams(req.kvp, map[string]string{"STARTINDEX": strconv.Itoa(max(0, min(req.startIndex, len(matched))-count)), "COUNT": strconv.Itoa(count)}).Encode()
	}
	return p, nil
}

// getPropertyValue answers GetPropertyValue (WFS 2.0 §10, part of Basic
// WFS): a wfs:ValueCollection with one wfs:member per feature of the page,
// holding the property's element as GetFeature writes it (xsi:nil when the
// feature has no value; the geometry in srsName).
func getPropertyValue(snap *store.Snapshot, req *request, base string) (string, []byte, error) {
	if asJSON, err := outputJSON(req.outputFormat); err != nil || asJSON {
		return "", nil, invalid("outputFormat", "GetPropertyValue answers GML 3.2 (%s); for GeoJSON use GetFeature with PROPERTYNAME", FormatGML32)
	}
	layers, err := selectLayers(snap.Layout, req.typeName)
	if err != nil {
		return "", nil, err
	}
	for _, ly := range layers {
		if req.valueReference != GeometryElement && !slices.ContainsFunc(ly.Fields(), func(f layout.Field) bool { return f.Name == req.valueReference }) {
			return "", nil, invalid("valueReference", "%s:%s has no property %q; DescribeFeatureType lists its properties", Prefix, typeName(ly), req.valueReference)
		}
	}
	p, err := selectPage(snap, req, base)
	if err != nil {
		return "", nil, err
	}
	w := newXW()
	attrs := []string{"xmlns:wfs", NamespaceWFS, "xmlns:gml", NamespaceGML, "xmlns:xsi", NamespaceXSI, "xmlns:" + Prefix, Namespace,
		"xsi:schemaLocation", NamespaceWFS + " " + SchemaWFS,
		"timeStamp", p.stamp, "numberMatched", strconv.Itoa(p.matched), "numberReturned", strconv.Itoa(len(p.members))}
	attrs = append(attrs, pageLinks(p)...)
	w.open("wfs:ValueCollection", attrs...)
	for _, sel := range p.members {
		w.open("wfs:member")
		var err error
		if req.valueReference == GeometryElement {
			err = writeGeometryProperty(w, sel, req)
		} else {
			writeProperty(w, sel.f, req.valueReference)
		}
		if err != nil {
			return "", nil, err
		}
		w.close()
	}
	w.close()
	b, err := w.bytes()
	return mediatype.GML32, b, err
}

// withParams replaces parameters (case-insensitively) in q.
func withParams(q url.Values, set map[string]string) url.Values {
	out := url.Values{}
	for k, v := range q {
		if _, ok := set[strings.ToUpper(k)]; !ok {
			out[k] = v
		}
	}
	for k, v := range set {
		out.Set(k, v)
	}
	return out
}

// query selects the features of ly that a request's BBOX, RESOURCEID or
// FILTER admits.
func query(ly *layout.Layer, req *request) ([]selected, error) {
	var expr cql2.Expr
	ids := req.resourceIDs
	switch {
	case req.bbox != nil:
		b, err := req.bbox.wgs84()
		if err != nil {
			return nil, err
		}
		expr = &cql2.Intersects{Property: GeometryElement, Geometry: b}
	case req.filter != nil:
		comp := newCompiler(ly)
		e, err := comp.compile(req.filter)
		if err != nil {
			return nil, err
		}
		expr, ids = e, comp.ids
	}
	if len(req.propertyName) > 0 {
		fields := ly.Fields()
		for _, p := range req.propertyName {
			if p != GeometryElement && !slices.ContainsFunc(fields, func(f layout.Field) bool { return f.Name == p }) {
				return nil, invalid("propertyName", "feature type %s has no property %q", typeName(ly), p)
			}
		}
	}
	var flt *cql2.Filter
	if expr != nil {
		var err error
		if flt, err = cql2.Compile(expr); err != nil {
			return nil, invalid("filter", "%v", err)
		}
	}
	var out []selected
	for _, f := range ly.Features {
		if ids != nil && !slices.Contains(ids, gmlID(ly, f)) && !slices.Contains(ids, f.ID) {
			continue
		}
		if flt != nil && !flt.Match(f.Properties, f.Geometry) {
			continue
		}
		out = append(out, selected{ly, f})
	}
	return out, nil
}

// featureByID answers the GetFeatureById stored query: the feature alone.
func featureByID(lay *layout.Layout, req *request, asJSON bool) (string, []byte, error) {
	if req.storedQuery != GetFeatureByID {
		return "", nil, invalid("storedQuery_Id", "unknown stored query %q; the one stored query is %s", req.storedQuery, GetFeatureByID)
	}
	if req.storedID == "" {
		return "", nil, missing("ID", "GetFeatureById needs ID (a gml:id such as places.place-poxianling-forest-park, or a feature id)")
	}
	for _, ly := range lay.Layers {
		for _, f := range ly.Features {
			if gmlID(ly, f) != req.storedID && f.ID != req.storedID {
				continue
			}
			sel := selected{ly, f}
			if asJSON {
				gf, err := featureJSON(sel, req)
				if err != nil {
					return "", nil, err
				}
				b, err := json.Marshal(gf)
				return mediatype.GeoJSON, b, err
			}
			w := newXW()
			if err := writeFeature(w, sel, req, true); err != nil {
				return "", nil, err
			}
			b, err := w.bytes()
			return mediatype.GML32, b, err
		}
	}
	return "", nil, &Exception{Code: CodeNotFound, Locator: "ID", Text: fmt.Sprintf("no feature has the id %q", req.storedID)}
}

// gmlID is a feature's gml:id: the type name, a dot and the feature id, made
// an NCName.
func gmlID(ly *layout.Layer, f *layout.Feature) string {
	return typeName(ly) + "." + strings.Map(func(r rune) rune {
		if r == ' ' || r == ':' || r == '/' || r == '#' || r == '?' || r == '&' || r == ',' || r < ' ' {
			return '_'
		}
		return r
	}, f.ID)
}

// pageLinks are the previous and next attributes of a page's collection.
func pageLinks(p *page) []string {
	var attrs []string
	if p.previous != "" {
		attrs = append(attrs, "previous", p.previous)
	}
	if p.next != "" {
		attrs = append(attrs, "next", p.next)
	}
	return attrs
}

// featuresGML writes a wfs:FeatureCollection.
func featuresGML(p *page, req *request, base string) ([]byte, error) {
	w := newXW()
	var names []string
	for _, n := range req.typeName {
		names = append(names, Prefix+":"+n)
	}
	describe := base + links.WFS + "?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=" + url.QueryEscape(strings.Join(names, ","))
	attrs := []string{"xmlns:wfs", NamespaceWFS, "xmlns:gml", NamespaceGML, "xmlns:xsi", NamespaceXSI, "xmlns:" + Prefix, Namespace,
		"xsi:schemaLocation", NamespaceWFS + " " + SchemaWFS + " " + Namespace + " " + describe,
		"timeStamp", p.stamp, "numberMatched", strconv.Itoa(p.matched), "numberReturned", strconv.Itoa(len(p.members))}
	attrs = append(attrs, pageLinks(p)...)
	w.open("wfs:FeatureCollection", attrs...)
	for _, sel := range p.members {
		w.open("wfs:member")
		if err := writeFeature(w, sel, req, false); err != nil {
			return nil, err
		}
		w.close()
	}
	w.close()
	return w.bytes()
}

// writeFeature writes one feature element; root adds the namespace
// declarations (for GetFeatureById, where it is the document).
func writeFeature(w *xw, sel selected, req *request, root bool) error {
	ly, f := sel.ly, sel.f
	id := gmlID(ly, f)
	attrs := []string{"gml:id", id}
	if root {
		attrs = append(attrs, "xmlns:gml", NamespaceGML, "xmlns:xsi", NamespaceXSI, "xmlns:"+Prefix, Namespace)
	}
	w.open(Prefix+":"+typeName(ly), attrs...)
	for _, fd := range ly.Fields() {
		if len(req.propertyName) > 0 && !slices.Contains(req.propertyName, fd.Name) {
			continue
		}
		writeProperty(w, f, fd.Name)
	}
	if len(req.propertyName) == 0 || slices.Contains(req.propertyName, GeometryElement) {
		if err := writeGeometryProperty(w, sel, req); err != nil {
			return err
		}
	}
	w.close()
	return nil
}

// writeProperty writes the element of f's property name (xsi:nil when f has
// no value).
func writeProperty(w *xw, f *layout.Feature, name string) {
	el := Prefix + ":" + elementName(name)
	v := f.Properties[name]
	if name == layout.PropID && v == nil {
		v = f.ID
	}
	if v == nil {
		w.empty(el, "xsi:nil", "true")
		return
	}
	w.text(el, scalar(v))
}

// writeGeometryProperty writes the geometry element of sel in req's srsName.
func writeGeometryProperty(w *xw, sel selected, req *request) error {
	ly, f := sel.ly, sel.f
	if f.Geometry == nil {
		w.empty(Prefix+":"+GeometryElement, "xsi:nil", "true")
		return nil
	}
	g, err := req.srs.fromWGS84(f.Geometry)
	if err != nil {
		return fmt.Errorf("wfs: feature %s to %s: %w", f.ID, req.srs.name, err)
	}
	id := gmlID(ly, f)
	w.open(Prefix + ":" + GeometryElement)
	writeGeometry(w, g, kindOf(ly).multi, req.srs, id+".geom")
	w.close()
	return nil
}

// scalar formats a property value for XML (booleans as xsd:boolean).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return num(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// fromWGS84 converts g to s, in s's axis order.
func (s srs) fromWGS84(g orb.Geometry) (orb.Geometry, error) {
	out := g
	if !s.crs.IsWGS84() {
		var err error
		if out, err = s.crs.GeometryFromWGS84(g); err != nil {
			return nil, err
		}
	}
	if s.yx {
		out = swap(out)
	}
	return out, nil
}

func swap(g orb.Geometry) orb.Geometry {
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
}

// posList formats points as a GML coordinate list.
func posList(ps []orb.Point) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p[0]))
		b.WriteByte(' ')
		b.WriteString(num(p[1]))
	}
	return b.String()
}

// writeGeometry writes g as GML 3.2; multi promotes single geometries to
// their multi form.
func writeGeometry(w *xw, g orb.Geometry, multi bool, s srs, id string) {
	srsAttrs := []string{"gml:id", id, "srsName", s.name, "srsDimension", "2"}
	switch x := g.(type) {
	case orb.Point:
		if multi {
			writeGeometry(w, orb.MultiPoint{x}, false, s, id)
			return
		}
		w.open("gml:Point", srsAttrs...)
		w.text("gml:pos", posList([]orb.Point{x}))
		w.close()
	case orb.MultiPoint:
		w.open("gml:MultiPoint", srsAttrs...)
		for i, p := range x {
			w.open("gml:pointMember")
			w.open("gml:Point", "gml:id", id+"."+strconv.Itoa(i))
			w.text("gml:pos", posList([]orb.Point{p}))
			w.close()
			w.close()
		}
		w.close()
	case orb.LineString:
		if multi {
			writeGeometry(w, orb.MultiLineString{x}, false, s, id)
			return
		}
		w.open("gml:LineString", srsAttrs...)
		w.text("gml:posList", posList(x))
		w.close()
	case orb.MultiLineString:
		w.open("gml:MultiCurve", srsAttrs...)
		for i, l := range x {
			w.open("gml:curveMember")
			w.open("gml:LineString", "gml:id", id+"."+strconv.Itoa(i))
			w.text("gml:posList", posList(l))
			w.close()
			w.close()
		}
		w.close()
	case orb.Polygon:
		if multi {
			writeGeometry(w, orb.MultiPolygon{x}, false, s, id)
			return
		}
		w.open("gml:Polygon", srsAttrs...)
		writeRings(w, x)
		w.close()
	case orb.MultiPolygon:
		w.open("gml:MultiSurface", srsAttrs...)
		for i, p := range x {
			w.open("gml:surfaceMember")
			w.open("gml:Polygon", "gml:id", id+"."+strconv.Itoa(i))
			writeRings(w, p)
			w.close()
			w.close()
		}
		w.close()
	}
}

func writeRings(w *xw, p orb.Polygon) {
	for i, r := range p {
		el := "gml:interior"
		if i == 0 {
			el = "gml:exterior"
		}
		w.open(el)
		w.open("gml:LinearRing")
		w.text("gml:posList", posList(r))
		w.close()
		w.close()
	}
}

// featureJSON is one feature as GeoJSON (x, y order whatever the CRS name).
func featureJSON(sel selected, req *request) (map[string]any, error) {
	props := map[string]any{}
	for _, fd := range sel.ly.Fields() {
		if len(req.propertyName) > 0 && !slices.Contains(req.propertyName, fd.Name) {
			continue
		}
		props[fd.Name] = sel.f.Properties[fd.Name]
	}
	xy := req.srs
	xy.yx = false
	var geom any
	if sel.f.Geometry != nil && (len(req.propertyName) == 0 || slices.Contains(req.propertyName, GeometryElement)) {
		g, err := xy.fromWGS84(sel.f.Geometry)
		if err != nil {
			return nil, err
		}
		geom = geojson.NewGeometry(g)
	}
	return map[string]any{"type": "Feature", "id": gmlID(sel.ly, sel.f), "geometry": geom, "properties": props}, nil
}

// featuresJSON is a GeoJSON FeatureCollection with WFS's counts.
func featuresJSON(p *page, req *request) ([]byte, error) {
	feats := make([]any, 0, len(p.members))
	for _, sel := range p.members {
		f, err := featureJSON(sel, req)
		if err != nil {
			return nil, err
		}
		feats = append(feats, f)
	}
	fc := map[string]any{"type": "FeatureCollection", "numberMatched": p.matched, "numberReturned": len(p.members), "timeStamp": p.stamp, "features": feats}
	if !req.srs.crs.IsWGS84() {
		fc["crs"] = map[string]any{"type": "name", "properties": map[string]string{"name": req.srs.crs.Code}}
	}
	var ls []links.Link
	if p.previous != "" {
		ls = append(ls, links.Link{Rel: links.RelPrev, Href: p.previous, Type: mediatype.GeoJSON})
	}
	if p.next != "" {
		ls = append(ls, links.Link{Rel: links.RelNext, Href: p.next, Type: mediatype.GeoJSON})
	}
	if ls != nil {
		fc["links"] = ls
	}
	return json.Marshal(fc)
}
