// Package mediatype names the media types the service reads and writes, in
// one place, as the registrations and specifications spell them.
package mediatype

// Media types.
const (
	// JSON is plain JSON (RFC 8259).
	JSON = "application/json"
	// GeoJSON is RFC 7946 GeoJSON.
	GeoJSON = "application/geo+json"
	// GeoPackage is an OGC GeoPackage file (OGC 12-128r18, annex I).
	GeoPackage = "application/geopackage+sqlite3"
	// Zip is a zip archive (a zipped ESRI Shapefile here).
	Zip = "application/zip"
	// HTML is an HTML page.
	HTML = "text/html"
	// OpenAPI is an OpenAPI 3.0 definition in JSON, as OGC API – Features names it.
	OpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	// SchemaJSON is a JSON Schema document (the OGC API queryables).
	SchemaJSON = "application/schema+json"
	// MVT is a Mapbox vector tile.
	MVT = "application/vnd.mapbox-vector-tile"
	// Problem is an RFC 9457 problem document.
	Problem = "application/problem+json"
	// CSV is comma-separated values (RFC 4180).
	CSV = "text/csv"
	// NDJSON is newline-delimited JSON, one object per line.
	NDJSON = "application/x-ndjson"
	// KML is Keyhole Markup Language 2.2 (OGC 07-147r2).
	KML = "application/vnd.google-earth.kml+xml"
	// KMZ is zipped KML.
	KMZ = "application/vnd.google-earth.kmz"
	// DXF is an AutoCAD drawing exchange file.
	DXF = "image/vnd.dxf"
	// Markdown is Markdown text (RFC 7763), UTF-8.
	Markdown = "text/markdown; charset=utf-8"
	// XML is an XML document (WFS capabilities, exception reports).
	XML = "application/xml"
	// GML32 is GML 3.2 (OGC 07-036), as WFS 2.0 names its output format.
	GML32 = "application/gml+xml; version=3.2"
	// XMLSchema is an XML Schema (WFS DescribeFeatureType).
	XMLSchema = "application/xml"
)
