// Package export turns layers into files people download: GeoJSON and
// zipped ESRI Shapefiles, in any of the service's CRSs, and the whole layout
// as one GeoPackage, at
//
//	GET /api/v1/download/{layer}.geojson?crs=
//	GET /api/v1/download/{layer}.shp.zip?crs=
//	GET /api/v1/download/hetang.gpkg?crs=
//	GET /api/v1/download/{layer}.kml, {layer}.kmz, hetang.kml, hetang.kmz [?crs=GCJ02]
//	GET /api/v1/download/{layer}.dxf, hetang.dxf
//
// KML and KMZ (internal/kml) are for Google Earth and 奥维互动地图, in WGS84 or,
// with crs=GCJ02, in the frame of Chinese map apps; DXF (internal/dxf) is a CAD
// drawing in EPSG:4547. Every download is sent with its Content-Length and
// answers HEAD and byte-range requests (httpapi.ServeBytes), so GDAL's
// /vsicurl/ and QGIS can open it by URL.
//
// A zipped shapefile holds one shapefile per geometry type of the layer
// (.shp .shx .dbf .prj .cpg; named {layer}.* when the layer has one type,
// {layer}_{point|multipoint|line|polygon}.* otherwise) and a README.txt that
// states the CRS, the data version and how property names were shortened to
// DBF's 10-character field names. The shapefile and DBF bytes are written by
// package shapefile (shared with the importer); the .prj is the ESRI WKT1 of the CRS, and the
// .cpg says UTF-8.
//
// The GeoPackage without ?crs (or with CRS84 or EPSG:4326) is the store's own
// file, served as is (ETag: the data version). With EPSG:4490, EPSG:4547 or
// EPSG:3857 it is built from the current layout with every geometry
// converted and that srs_id recorded (gpkg.WriteSRS), and kept in memory for
// the data version. GCJ-02 and BD-09 cannot be described by a GeoPackage SRS,
// nor by a .prj, so the GeoPackage and shapefile downloads refuse them (400);
// the GeoJSON download carries them.
package export

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/httpapi"
	"hetang/internal/layers"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/lru"
	"hetang/internal/mediatype"
	"hetang/internal/shapefile"
	"hetang/internal/store"
)

// ErrCRS is wrapped by errors about a CRS a format cannot carry.
var ErrCRS = errors.New("export: unsupported CRS for this format")

// Server serves the downloads of a store.
type Server struct {
	store *store.Store
	now   func() time.Time
	gpkgs gpkgCache
	// files keeps built KML, KMZ and DXF files by data version, file name
	// and CRS (building the whole layout costs milliseconds of CPU).
	files *lru.Cache[[]byte]
}

// desktopCacheBytes caps the cache of built KML, KMZ and DXF files.
const desktopCacheBytes = 64 << 20

// New returns the download service on st.
func New(st *store.Store) *Server {
	return &Server{store: st, now: time.Now, files: lru.New[[]byte](desktopCacheBytes)}
}

// Mount adds GET /api/v1/download/{layer}.geojson, {layer}.shp.zip and
// hetang.gpkg.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.GET(links.Download+"/:file", s.download, r.Std...)
}

func (s *Server) download(c echo.Context) error {
	file := c.Param("file")
	if file == links.GPKGFile {
		return s.downloadGPKG(c)
	}
	if ok, err := s.downloadDesktop(c, file); ok {
		return err
	}
	snap := s.store.SnapshotFor(c.Request().Context())
	lay := snap.Layout
	var layerID, kind string
	switch {
	case strings.HasSuffix(file, links.SuffixShapeZip):
		layerID, kind = strings.TrimSuffix(file, links.SuffixShapeZip), links.SuffixShapeZip
	case strings.HasSuffix(file, links.SuffixGeoJSON):
		layerID, kind = strings.TrimSuffix(file, links.SuffixGeoJSON), links.SuffixGeoJSON
	default:
		return apierr.NotFound("downloads are " + links.LayerDownload("{layer}", links.SuffixGeoJSON) + ", {layer}.shp.zip, {layer}.kml, {layer}.kmz, {layer}.dxf, hetang.kml, hetang.kmz, hetang.dxf and " + links.GPKG)
	}
	ly, err := lay.Layer(layerID)
	if err != nil {
		return apierr.NotFound(fmt.Sprintf("layer %q does not exist; GET %s lists the layers", layerID, links.Layers))
	}
	cr, err := httpapi.ParseCRS(c)
	if err != nil {
		return err
	}
	var mediaType, name string
	switch kind {
	case links.SuffixShapeZip:
		if _, err := PRJ(cr); err != nil {
			return apierr.BadRequest(err.Error())
		}
		mediaType, name = mediatype.Zip, fileName(ly.ID, cr, links.SuffixShapeZip)
	default:
		mediaType, name = mediatype.GeoJSON, fileName(ly.ID, cr, links.SuffixGeoJSON)
	}
	// Built once per data version and kept: a client reading the file by
	// byte ranges (GDAL's /vsicurl/) must get the same bytes every time, and
	// the zip's timestamps would otherwise change between requests.
	key := lay.Version + "\x00" + file + "\x00" + cr.Code
	body, hit := s.files.Get(key)
	if !hit {
		if kind == links.SuffixShapeZip {
			body, err = ShapefileZip(ly, cr, lay.Version, s.stamp(snap))
		} else {
			body, err = GeoJSON(ly, cr, lay.Version)
		}
		if err != nil {
			return fmt.Errorf("export: layer %s in %s: %w", ly.ID, cr.Code, err)
		}
		s.files.Put(key, body, int64(len(body)+len(key)))
	}
	c.Response().Header().Set(httpapi.HeaderContentCRS, "<"+crsURI(cr)+">")
	return httpapi.ServeBytes(c, name, mediaType, fmt.Sprintf(`"%s.%s.%s%s"`, lay.Version, ly.ID, cr.Code, kind), body)
}

func crsURI(c crs.CRS) string {
	if u := c.URI(); u != "" {
		return u
	}
	return c.Code
}

// fileName is the download's name: the layer, the CRS when not CRS84, the suffix.
func fileName(layer string, c crs.CRS, suffix string) string {
	if c.Code == crs.CRS84.Code {
		return "hetang-" + layer + suffix
	}
	return "hetang-" + layer + "-" + strings.ToLower(strings.ReplaceAll(c.Code, ":", "")) + suffix
}

// GeoJSON encodes ly as a FeatureCollection in c (x-first axis order). For a
// CRS other than CRS84 it adds the legacy (2008) "crs" member naming it, as
// GDAL and QGIS expect, since RFC 7946 GeoJSON is CRS84 only.
func GeoJSON(ly *layout.Layer, c crs.CRS, version string) ([]byte, error) {
	fc := geojson.NewFeatureCollection()
	for _, f := range ly.Features {
		gf, err := layers.FeatureGeoJSON(f, c)
		if err != nil {
			return nil, err
		}
		fc.Append(gf)
	}
	fc.ExtraMembers = geojson.Properties{
		"name":         ly.ID,
		"layer":        map[string]string{"id": ly.ID, "title_zh": ly.TitleZH, "title_en": ly.TitleEN, "geometry_type": ly.GeometryType},
		"data_version": version,
		"crs_code":     c.Code,
		"notice":       layout.Notice,
		"attribution":  layout.Attribution,
	}
	if c.EPSG != 0 && !c.IsWGS84() {
		fc.ExtraMembers["crs"] = map[string]any{"type": "name", "properties": map[string]string{"name": c.Code}}
	}
	return json.Marshal(fc)
}

// shapeGroupNames are the file name suffixes of the shapefiles of a layer with
// more than one geometry type.
var shapeGroupNames = map[shapefile.ShapeType]string{
	shapefile.Point: "point", shapefile.MultiPoint: "multipoint", shapefile.PolyLine: "line", shapefile.Polygon: "polygon",
}

// ShapefileZip builds the zipped shapefile(s) of ly in c. now stamps the DBF
// header and the zip entries.
func ShapefileZip(ly *layout.Layer, c crs.CRS, version string, now time.Time) ([]byte, error) {
	prj, err := PRJ(c)
	if err != nil {
		return nil, err
	}
	groups, err := shapeGroups(ly, c)
	if err != nil {
		return nil, err
	}
	types := slices.Sorted(maps.Keys(groups))
	props, short := dbfColumns(ly)
	z := &zipFile{now: now}
	z.w = zip.NewWriter(&z.buf)
	var files []string
	truncated := 0
	for _, t := range types {
		gr := groups[t]
		base := ly.ID
		if len(types) > 1 {
			base += "_" + shapeGroupNames[t]
		}
		shp, shx, err := shapefile.EncodeSHP(t, gr.geoms)
		if err != nil {
			return nil, fmt.Errorf("export: layer %s: %w", ly.ID, err)
		}
		fields, records := dbfTable(props, short, gr.feats)
		dbf, cut, err := shapefile.EncodeDBF(fields, records, now)
		if err != nil {
			return nil, fmt.Errorf("export: layer %s: %w", ly.ID, err)
		}
		truncated += cut
		for _, part := range []struct {
			ext string
			b   []byte
		}{{".shp", shp}, {".shx", shx}, {".dbf", dbf}, {".prj", []byte(prj)}, {".cpg", []byte("UTF-8")}} {
			z.add(base+part.ext, part.b)
		}
		files = append(files, fmt.Sprintf("%s.shp  %s, %d features", base, t, len(gr.geoms)))
	}
	z.add("README.txt", []byte(readme(ly, c, version, files, props, short, truncated)))
	return z.bytes()
}

// shapeGroup is the features of a layer that go into one shapefile, with
// their geometries in the output CRS.
type shapeGroup struct {
	geoms []orb.Geometry
	feats []*layout.Feature
}

// shapeGroups sorts the features of ly by the shape type that holds them
// (a feature without geometry goes with the layer's own type) and converts
// their geometries to c.
func shapeGroups(ly *layout.Layer, c crs.CRS) (map[shapefile.ShapeType]*shapeGroup, error) {
	groups := map[shapefile.ShapeType]*shapeGroup{}
	for _, f := range ly.Features {
		st, err := shapefile.ShapeTypeOf(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("export: feature %s: %w", f.ID, err)
		}
		if st == shapefile.NullShape {
			st = shapefile.Polygon
			if t, err := shapefile.ShapeTypeOf(geometryOfType(ly.GeometryType)); err == nil && t != shapefile.NullShape {
				st = t
			}
		}
		g := f.Geometry
		if g != nil && !c.IsWGS84() {
			if g, err = c.GeometryFromWGS84(g); err != nil {
				return nil, fmt.Errorf("export: feature %s: %w", f.ID, err)
			}
		}
		gr := groups[st]
		if gr == nil {
			gr = &shapeGroup{}
			groups[st] = gr
		}
		gr.geoms = append(gr.geoms, g)
		gr.feats = append(gr.feats, f)
	}
	return groups, nil
}

// dbfColumns returns the layer's property columns (id first if the layer
// has none) and their DBF field names.
func dbfColumns(ly *layout.Layer) ([]layout.Field, []string) {
	props := ly.Fields()
	if !slices.ContainsFunc(props, func(f layout.Field) bool { return f.Name == layout.PropID }) {
		props = append([]layout.Field{{Name: layout.PropID, Type: layout.FieldText}}, props...)
	}
	names := make([]string, len(props))
	for i, p := range props {
		names[i] = p.Name
	}
	return props, shapefile.FieldNames(names)
}

// stamp is the time written into the zip entries (and DBF headers) of snap's
// downloads: when its version was made, so that a file rebuilt after the cache
// let it go has the same bytes under the same ETag; now when the store does
// not know.
func (s *Server) stamp(snap *store.Snapshot) time.Time {
	if t := snap.Version.Created; !t.IsZero() {
		return t
	}
	return s.now()
}

// zipFile is a zip archive being written in memory; the first error sticks.
type zipFile struct {
	buf bytes.Buffer
	w   *zip.Writer
	now time.Time
	err error
}

func (z *zipFile) add(name string, b []byte) {
	if z.err != nil {
		return
	}
	w, err := z.w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.now})
	if err == nil {
		_, err = w.Write(b)
	}
	z.err = err
}

func (z *zipFile) bytes() ([]byte, error) {
	if z.err == nil {
		z.err = z.w.Close()
	}
	if z.err != nil {
		return nil, fmt.Errorf("export: zipping: %w", z.err)
	}
	return z.buf.Bytes(), nil
}

// geometryOfType returns an empty geometry of an OGC type name, for typing
// null geometries.
func geometryOfType(name string) orb.Geometry {
	switch name {
	case "Point":
		return orb.Point{}
	case "MultiPoint":
		return orb.MultiPoint{}
	case "LineString", "MultiLineString":
		return orb.LineString{}
	case "Polygon", "MultiPolygon":
		return orb.Polygon{}
	}
	return nil
}

// dbfTable lays the features' properties out as DBF fields and records.
// Text fields are as wide as their longest value (at most 254 bytes).
func dbfTable(props []layout.Field, short []string, feats []*layout.Feature) ([]shapefile.Field, [][]any) {
	fields := make([]shapefile.Field, len(props))
	records := make([][]any, len(feats))
	for i := range records {
		records[i] = make([]any, len(props))
	}
	for j, p := range props {
		fd := shapefile.Field{Name: short[j]}
		switch p.Type {
		case layout.FieldBoolean:
			fd.Type, fd.Length = shapefile.FieldLogical, 1
		case layout.FieldInteger:
			fd.Type, fd.Length = shapefile.FieldNumeric, 18
		case layout.FieldReal:
			fd.Type, fd.Length, fd.Decimals = shapefile.FieldNumeric, 24, 15
		default:
			fd.Type, fd.Length = shapefile.FieldChar, 1
		}
		for i, f := range feats {
			v := f.Properties[p.Name]
			if p.Name == layout.PropID {
				v = f.ID
			}
			v = dbfValue(v, p.Type)
			if s, ok := v.(string); ok && fd.Type == shapefile.FieldChar {
				fd.Length = max(fd.Length, min(len(s), shapefile.MaxCharLen))
			}
			records[i][j] = v
		}
		fields[j] = fd
	}
	return fields, records
}

// dbfValue converts a property value to what the DBF column of type t takes.
func dbfValue(v any, t layout.FieldType) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		if t == layout.FieldBoolean {
			return x
		}
	case float64:
		if t == layout.FieldInteger || t == layout.FieldReal {
			return x
		}
	case int:
		if t == layout.FieldInteger || t == layout.FieldReal {
			return float64(x)
		}
	case int64:
		if t == layout.FieldInteger || t == layout.FieldReal {
			return float64(x)
		}
	case string:
		if t == layout.FieldText {
			return x
		}
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func readme(ly *layout.Layer, c crs.CRS, version string, files []string, props []layout.Field, short []string, truncated int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hetang spatial layout: layer %s (%s / %s)\n", ly.ID, ly.TitleZH, ly.TitleEN)
	fmt.Fprintf(&b, "Data version: %s\n", version)
	fmt.Fprintf(&b, "Coordinate reference system: %s (%s); the .prj holds its ESRI WKT.\n", c.Code, c.Name)
	b.WriteString("Attribute encoding: UTF-8 (see the .cpg file).\n\n")
	b.WriteString("Files:\n")
	for _, f := range files {
		b.WriteString("  " + f + "\n")
	}
	b.WriteString("\nDBF field names are limited to 10 characters. Property names were mapped\n")
	b.WriteString("deterministically: a name of 10 characters or fewer is kept; a longer one is\n")
	b.WriteString("cut to 10; a cut name that clashes with an earlier field is cut to 8 and given\n")
	b.WriteString("_1, _2, ... Field order is the layer's property order.\n\n")
	b.WriteString("DBF field   property\n")
	for i, p := range props {
		fmt.Fprintf(&b, "%-10s  %s (%s)\n", short[i], p.Name, p.Type)
	}
	if truncated > 0 {
		fmt.Fprintf(&b, "\n%d text value(s) were longer than the DBF limit of 254 bytes and were cut at a\n", truncated)
		b.WriteString("character boundary. The GeoJSON download (.geojson) and the GeoPackage carry them whole.\n")
	}
	b.WriteString("\n" + layout.Notice + "\n")
	b.WriteString("Licence and attribution: " + layout.Attribution + " (the service's /licence has the full text).\n")
	return b.String()
}
