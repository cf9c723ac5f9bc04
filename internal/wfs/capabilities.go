package wfs

import (
	"hetang/internal/layout"
	"hetang/internal/licence"
	"hetang/internal/links"
)

// typeName is the WFS feature type name of a layer (without prefix).
func typeName(ly *layout.Layer) string { return links.CollectionID(ly.ID) }

// outputFormats are the GetFeature output formats offered.
var outputFormats = []string{FormatGML32, "text/xml; subtype=gml/3.2", FormatGeoJSON, "application/json"}

// otherCRS are the feature types' OtherCRS.
var otherCRS = []string{"urn:ogc:def:crs:EPSG::4490", "urn:ogc:def:crs:EPSG::4547", "urn:ogc:def:crs:EPSG::3857", "urn:ogc:def:crs:OGC:1.3:CRS84"}

// constraint writes an OWS constraint with a default value.
func constraint(w *xw, name, value string) {
	w.open("ows:Constraint", "name", name)
	w.empty("ows:NoValues")
	w.text("ows:DefaultValue", value)
	w.close()
}

func allowed(w *xw, name string, values ...string) {
	w.open("ows:Parameter", "name", name)
	w.open("ows:AllowedValues")
	for _, v := range values {
		w.text("ows:Value", v)
	}
	w.close()
	w.close()
}

// capabilities is the GetCapabilities document.
func capabilities(lay *layout.Layout, base string) ([]byte, error) {
	endpoint := base + links.WFS
	w := newXW()
	w.open("wfs:WFS_Capabilities", "version", Version,
		"xmlns:wfs", NamespaceWFS, "xmlns:ows", NamespaceOWS, "xmlns:fes", NamespaceFES,
		"xmlns:gml", NamespaceGML, "xmlns:xlink", NamespaceXLink, "xmlns:xsi", NamespaceXSI,
		"xmlns:"+Prefix, Namespace,
		"xsi:schemaLocation", NamespaceWFS+" "+SchemaWFS)

	w.open("ows:ServiceIdentification")
	w.text("ows:Title", "荷塘区“十四五”空间布局 Hetang District spatial layout (WFS)")
	w.text("ows:Abstract", "The spatial layout of the Hetang District (株洲市荷塘区) 14th Five-Year Plan as WFS 2.0 feature types, one per layer. "+layout.Notice)
	w.open("ows:Keywords")
	for _, k := range []string{"荷塘区", "Hetang", "Zhuzhou", "spatial layout", "14th Five-Year Plan", "planning"} {
		w.text("ows:Keyword", k)
	}
	w.close()
	w.text("ows:ServiceType", Service, "codeSpace", "OGC")
	w.text("ows:ServiceTypeVersion", Version)
	w.text("ows:Fees", "NONE")
	w.text("ows:AccessConstraints", licence.Attribution+". Licence: "+base+licence.Path)
	w.close()

	w.open("ows:ServiceProvider")
	w.text("ows:ProviderName", "hetang — Hetang District spatial layout service")
	w.empty("ows:ProviderSite", "xlink:href", base+"/")
	w.open("ows:ServiceContact")
	w.text("ows:IndividualName", "")
	w.close()
	w.close()

	w.open("ows:OperationsMetadata")
	for _, op := range operations {
		w.open("ows:Operation", "name", op)
		w.open("ows:DCP")
		w.open("ows:HTTP")
		w.empty("ows:Get", "xlink:href", endpoint+"?")
		w.empty("ows:Post", "xlink:href", endpoint)
		w.close()
		w.close()
		switch op {
		case OpGetCapabilities:
			allowed(w, "AcceptVersions", Version, Version202)
			allowed(w, "AcceptFormats", "text/xml")
		case OpDescribeFeatureType:
			allowed(w, "outputFormat", FormatGML32, "text/xml; subtype=gml/3.2")
		case OpGetPropertyValue:
			allowed(w, "outputFormat", FormatGML32, "text/xml; subtype=gml/3.2")
			allowed(w, "resultType", "results", "hits")
		case OpGetFeature:
			allowed(w, "outputFormat", outputFormats...)
			allowed(w, "resultType", "results", "hits")
		}
		w.close()
	}
	allowed(w, "version", Version, Version202)
	for _, c := range []struct{ name, value string }{
		{"ImplementsBasicWFS", "TRUE"}, {"ImplementsTransactionalWFS", "FALSE"}, {"ImplementsLockingWFS", "FALSE"},
		{"KVPEncoding", "TRUE"}, {"XMLEncoding", "TRUE"}, {"SOAPEncoding", "FALSE"},
		{"ImplementsInheritance", "FALSE"}, {"ImplementsRemoteResolve", "FALSE"}, {"ImplementsResultPaging", "TRUE"},
		{"ImplementsStandardJoins", "FALSE"}, {"ImplementsSpatialJoins", "FALSE"}, {"ImplementsTemporalJoins", "FALSE"},
		{"ImplementsFeatureVersioning", "FALSE"}, {"ManageStoredQueries", "FALSE"}, {"PagingIsTransactionSafe", "FALSE"},
	} {
		constraint(w, c.name, c.value)
	}
	constraint(w, "CountDefault", num(MaxCount))
	w.open("ows:Constraint", "name", "QueryExpressions")
	w.open("ows:AllowedValues")
	w.text("ows:Value", "wfs:Query")
	w.text("ows:Value", "wfs:StoredQuery")
	w.close()
	w.close()
	w.close()

	w.open("wfs:FeatureTypeList")
	for _, ly := range lay.Layers {
		b := ly.Bound()
		w.open("wfs:FeatureType")
		w.text("wfs:Name", Prefix+":"+typeName(ly))
		w.text("wfs:Title", ly.TitleZH+" "+ly.TitleEN)
		w.text("wfs:Abstract", ly.Description)
		w.text("wfs:DefaultCRS", defaultSRS.name)
		for _, o := range otherCRS {
			w.text("wfs:OtherCRS", o)
		}
		w.open("wfs:OutputFormats")
		for _, f := range outputFormats {
			w.text("wfs:Format", f)
		}
		w.close()
		w.open("ows:WGS84BoundingBox")
		w.text("ows:LowerCorner", num(b.Min[0])+" "+num(b.Min[1]))
		w.text("ows:UpperCorner", num(b.Max[0])+" "+num(b.Max[1]))
		w.close()
		w.empty("wfs:MetadataURL", "xlink:href", base+links.Collection(ly.ID), "xlink:title", "The layer as OGC API – Features")
		w.close()
	}
	w.close()

	filterCapabilities(w)
	w.close()
	return w.bytes()
}

// filterCapabilities says what FILTER may hold.
func filterCapabilities(w *xw) {
	w.open("fes:Filter_Capabilities")
	w.open("fes:Conformance")
	for _, c := range []struct{ name, value string }{
		{"ImplementsQuery", "TRUE"}, {"ImplementsAdHocQuery", "TRUE"}, {"ImplementsFunctions", "FALSE"},
		{"ImplementsResourceId", "TRUE"}, {"ImplementsMinStandardFilter", "TRUE"}, {"ImplementsStandardFilter", "FALSE"},
		{"ImplementsMinSpatialFilter", "TRUE"}, {"ImplementsSpatialFilter", "FALSE"},
		{"ImplementsMinTemporalFilter", "FALSE"}, {"ImplementsTemporalFilter", "FALSE"},
		{"ImplementsVersionNav", "FALSE"}, {"ImplementsSorting", "FALSE"},
		{"ImplementsExtendedOperators", "FALSE"}, {"ImplementsMinimumXPath", "FALSE"}, {"ImplementsSchemaElementFunc", "FALSE"},
	} {
		w.open("fes:Constraint", "name", c.name)
		w.empty("ows:NoValues")
		w.text("ows:DefaultValue", c.value)
		w.close()
	}
	w.close()
	w.open("fes:Id_Capabilities")
	w.empty("fes:ResourceIdentifier", "name", "fes:ResourceId")
	w.close()
	w.open("fes:Scalar_Capabilities")
	w.empty("fes:LogicalOperators")
	w.open("fes:ComparisonOperators")
	for _, op := range []string{"PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan", "PropertyIsGreaterThan",
		"PropertyIsLessThanOrEqualTo", "PropertyIsGreaterThanOrEqualTo", "PropertyIsLike", "PropertyIsNull"} {
		w.empty("fes:ComparisonOperator", "name", op)
	}
	w.close()
	w.close()
	w.open("fes:Spatial_Capabilities")
	w.open("fes:GeometryOperands")
	w.empty("fes:GeometryOperand", "name", "gml:Envelope")
	w.close()
	w.open("fes:SpatialOperators")
	w.empty("fes:SpatialOperator", "name", "BBOX")
	w.close()
	w.close()
	w.close()
}

// listStoredQueries lists the one stored query.
func listStoredQueries() ([]byte, error) {
	w := newXW()
	w.open("wfs:ListStoredQueriesResponse", "xmlns:wfs", NamespaceWFS)
	w.open("wfs:StoredQuery", "id", GetFeatureByID)
	w.text("wfs:Title", "Get feature by identifier")
	w.close()
	w.close()
	return w.bytes()
}

// describeStoredQueries describes GetFeatureById.
func describeStoredQueries() ([]byte, error) {
	w := newXW()
	w.open("wfs:DescribeStoredQueriesResponse", "xmlns:wfs", NamespaceWFS, "xmlns:xsd", NamespaceXSD)
	w.open("wfs:StoredQueryDescription", "id", GetFeatureByID)
	w.text("wfs:Title", "Get feature by identifier")
	w.text("wfs:Abstract", "Returns the feature whose gml:id or id property is the ID parameter.")
	w.empty("wfs:Parameter", "name", "ID", "type", "xsd:string")
	w.open("wfs:QueryExpressionText", "isPrivate", "true", "language", "urn:ogc:def:queryLanguage:OGC-WFS::WFS_QueryExpression", "returnFeatureTypes", "")
	w.close()
	w.close()
	w.close()
	return w.bytes()
}
