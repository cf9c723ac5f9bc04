package wfs

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"hetang/internal/layout"
	"hetang/internal/mediatype"
)

// geometryKind is how a feature type's geometries are written: the GML
// property type of the schema and whether single geometries are promoted to
// their multi form (when a layer mixes Polygon and MultiPolygon, say).
type geometryKind struct {
	propertyType string
	multi        bool
}

// kindOf looks at every geometry of ly.
func kindOf(ly *layout.Layer) geometryKind {
	var points, lines, polys, multi bool
	for _, f := range ly.Features {
		switch f.Geometry.(type) {
		case orb.Point:
			points = true
		case orb.MultiPoint:
			points, multi = true, true
		case orb.LineString:
			lines = true
		case orb.MultiLineString:
			lines, multi = true, true
		case orb.Polygon:
			polys = true
		case orb.MultiPolygon:
			polys, multi = true, true
		}
	}
	switch {
	case points && !lines && !polys && multi:
		return geometryKind{"gml:MultiPointPropertyType", true}
	case points && !lines && !polys:
		return geometryKind{"gml:PointPropertyType", false}
	case lines && !points && !polys && multi:
		return geometryKind{"gml:MultiCurvePropertyType", true}
	case lines && !points && !polys:
		return geometryKind{"gml:CurvePropertyType", false}
	case polys && !points && !lines && multi:
		return geometryKind{"gml:MultiSurfacePropertyType", true}
	case polys && !points && !lines:
		return geometryKind{"gml:SurfacePropertyType", false}
	}
	return geometryKind{"gml:GeometryPropertyType", false}
}

// xsdType is the XML Schema type of a property column.
func xsdType(t layout.FieldType) string {
	switch t {
	case layout.FieldInteger:
		return "xsd:long"
	case layout.FieldReal:
		return "xsd:double"
	case layout.FieldBoolean:
		return "xsd:boolean"
	}
	return "xsd:string"
}

// selectLayers returns the layers named by typeNames (all when empty).
func selectLayers(lay *layout.Layout, names []string) ([]*layout.Layer, error) {
	if len(names) == 0 {
		return lay.Layers, nil
	}
	var out []*layout.Layer
	for _, n := range names {
		var found *layout.Layer
		for _, ly := range lay.Layers {
			if typeName(ly) == n {
				found = ly
			}
		}
		if found == nil {
			var all []string
			for _, ly := range lay.Layers {
				all = append(all, Prefix+":"+typeName(ly))
			}
			return nil, invalid("typeNames", "unknown feature type %q; the types are %s", n, strings.Join(all, ", "))
		}
		out = append(out, found)
	}
	return out, nil
}

func checkSchemaFormat(f string) error {
	switch strings.ReplaceAll(strings.ToLower(f), " ", "") {
	case "", "application/gml+xml;version=3.2", "text/xml;subtype=gml/3.2", "text/xml;subtype=gml/3.2.1", "gml32", "xmlschema", "application/xml", "text/xml":
		return nil
	}
	return invalid("outputFormat", "outputFormat=%q: schemas are XML Schema for GML 3.2 (application/gml+xml; version=3.2)", f)
}

func describe(lay *layout.Layout, req *request) (string, []byte, error) {
	if err := checkSchemaFormat(req.outputFormat); err != nil {
		return "", nil, err
	}
	layers, err := selectLayers(lay, req.typeName)
	if err != nil {
		return "", nil, err
	}
	b, err := schema(layers)
	return mediatype.XMLSchema, b, err
}

// schema is the XML Schema of the feature types of layers.
func schema(layers []*layout.Layer) ([]byte, error) {
	w := newXW()
	w.open("xsd:schema", "xmlns:xsd", NamespaceXSD, "xmlns:gml", NamespaceGML, "xmlns:"+Prefix, Namespace,
		"targetNamespace", Namespace, "elementFormDefault", "qualified", "version", "1.0")
	w.empty("xsd:import", "namespace", NamespaceGML, "schemaLocation", SchemaGML)
	for _, ly := range layers {
		name := typeName(ly)
		w.open("xsd:complexType", "name", name+"Type")
		w.open("xsd:complexContent")
		w.open("xsd:extension", "base", "gml:AbstractFeatureType")
		w.open("xsd:sequence")
		for _, f := range ly.Fields() {
			w.empty("xsd:element", "name", elementName(f.Name), "type", xsdType(f.Type), "minOccurs", "0", "maxOccurs", "1", "nillable", "true")
		}
		w.empty("xsd:element", "name", GeometryElement, "type", kindOf(ly).propertyType, "minOccurs", "0", "maxOccurs", "1", "nillable", "true")
		w.close()
		w.close()
		w.close()
		w.close()
		w.empty("xsd:element", "name", name, "type", Prefix+":"+name+"Type", "substitutionGroup", "gml:AbstractFeature")
	}
	w.close()
	return w.bytes()
}

// elementName makes a property name an XML NCName (letters, digits, _ - .;
// not starting with a digit, a dash or a dot).
func elementName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f ||
			i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.')
		if !ok {
			if i == 0 {
				b.WriteString("_")
				if r >= '0' && r <= '9' {
					b.WriteRune(r)
					continue
				}
			}
			fmt.Fprintf(&b, "_")
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
