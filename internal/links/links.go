// Package links owns the service's public URL paths and the typed links
// responses carry, so that a path another package links to is spelled in one
// place: the layer service, the downloads, the OGC API collections and the
// tilesets. Paths are relative to the server's root.
package links

import (
	"strconv"
	"strings"
)

// Paths.
const (
	// Layers is the layer catalog; Layer(id) is one layer.
	Layers = "/api/v1/layers"
	// Download is the directory of the downloads.
	Download = "/api/v1/download"
	// GPKGFile is the file name of the whole-layout GeoPackage download.
	GPKGFile = "hetang.gpkg"
	// GPKG is the whole-layout GeoPackage download.
	GPKG = Download + "/" + GPKGFile
	// WebConfig is the map page's configuration.
	WebConfig = "/api/v1/webconfig"
	// OGCAPI is the root of OGC API – Features.
	OGCAPI = "/ogcapi"
	// Tiles is the root of the vector tilesets.
	Tiles = "/tiles"
	// Licence is the data licence.
	Licence = "/licence"
	// WFS is the WFS 2.0 endpoint.
	WFS = "/wfs"
	// WholeLayout is the file name stem of the whole-layout downloads
	// (hetang.kml, hetang.kmz, hetang.dxf; the GeoPackage is GPKGFile).
	WholeLayout = "hetang"
	// Versions is the layout's version history; Version(n) is one version.
	Versions = "/api/v1/versions"
	// Audit is the audit log of writes.
	Audit = "/api/v1/audit"
)

// File name suffixes of the per-layer downloads.
const (
	SuffixGeoJSON  = ".geojson"
	SuffixShapeZip = ".shp.zip"
	SuffixKML      = ".kml"
	SuffixKMZ      = ".kmz"
	SuffixDXF      = ".dxf"
)

// Link relations (IANA registry) used by more than one resource.
const (
	RelSelf       = "self"
	RelAlternate  = "alternate"
	RelItems      = "items"
	RelEnclosure  = "enclosure"
	RelCollection = "collection"
	RelNext       = "next"
	RelPrev       = "prev"
	// RelLicense points at the data licence (RFC 4946).
	RelLicense = "license"
	// RelDescribedBy points at a schema of a resource (the JSON Schema of a
	// collection's features).
	RelDescribedBy = "describedby"
	// RelTiles points at a tileset's TileJSON (not registered; as OGC API
	// – Tiles uses it).
	RelTiles = "tiles"
)

// Link is a typed hyperlink in API responses.
type Link struct {
	Rel   string `json:"rel"`
	Href  string `json:"href"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// Layer is the path of a layer as GeoJSON.
func Layer(id string) string { return Layers + "/" + id }

// Version is the path of layout version n.
func Version(n int64) string { return Versions + "/" + strconv.FormatInt(n, 10) }

// LayerDownload is the path of a layer's download with the given suffix
// (one of the Suffix constants).
func LayerDownload(id, suffix string) string { return Download + "/" + id + suffix }

// CollectionID is the OGC API collection id of a layer: the layer id with
// dots, which OGC API clients take for format suffixes, as underscores.
func CollectionID(layerID string) string { return strings.ReplaceAll(layerID, ".", "_") }

// Collection is the path of a layer's OGC API collection.
func Collection(layerID string) string {
	return OGCAPI + "/collections/" + CollectionID(layerID)
}

// TileJSON is the path of a tileset's TileJSON document.
func TileJSON(tileset string) string { return Tiles + "/" + tileset + ".json" }

// TileTemplate is the path template of a tileset's tiles.
func TileTemplate(tileset string) string { return Tiles + "/" + tileset + "/{z}/{x}/{y}.mvt" }
