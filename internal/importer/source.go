package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-proj/v11"

	"hetang/internal/crs"
	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/shapefile"
)

// Format is the kind of file being imported.
type Format string

// Supported input formats.
const (
	FormatGeoJSON    Format = "geojson"
	FormatGeoPackage Format = "gpkg"
	FormatShapeZip   Format = "shapezip"
)

// Limits on zipped shapefiles.
const (
	maxZipEntries      = 1000
	maxZipUncompressed = 1 << 30
)

// FormatOf guesses the format from a file name (.geojson/.json, .gpkg, .zip).
func FormatOf(name string) (Format, error) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".geojson"), strings.HasSuffix(n, ".json"):
		return FormatGeoJSON, nil
	case strings.HasSuffix(n, ".gpkg"):
		return FormatGeoPackage, nil
	case strings.HasSuffix(n, ".zip"):
		return FormatShapeZip, nil
	}
	return "", inputErrorf("cannot tell the format of %q; use .geojson, .gpkg or a .zip holding a shapefile", name)
}

// source is what a parser found: features with their geometry still in the
// input CRS, and that CRS.
type source struct {
	features []*layout.Feature
	// crsDef names the input CRS: "" for CRS84, else something PROJ takes
	// (EPSG:n or WKT) or a name crs.Parse knows.
	crsDef   string
	warnings []string
}

// legacyCRS is the "crs" member of pre-RFC 7946 GeoJSON.
type legacyCRS struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
}

type geoJSONFile struct {
	Type     string             `json:"type"`
	CRS      *legacyCRS         `json:"crs"`
	Features []*geojson.Feature `json:"features"`
}

// parseGeoJSON reads a FeatureCollection (or a single Feature) and its
// legacy "crs" member, if any.
func parseGeoJSON(b []byte) (*source, error) {
	var f geoJSONFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, inputErrorf("GeoJSON: %w", err)
	}
	switch f.Type {
	case "FeatureCollection":
	case "Feature":
		var one geojson.Feature
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, inputErrorf("GeoJSON: %w", err)
		}
		f.Features = []*geojson.Feature{&one}
	default:
		return nil, inputErrorf("GeoJSON type is %q, want FeatureCollection", f.Type)
	}
	src := &source{}
	if f.CRS != nil {
		def, err := legacyCRSDef(f.CRS)
		if err != nil {
			return nil, err
		}
		src.crsDef = def
	}
	for i, gf := range f.Features {
		if gf == nil {
			return nil, inputErrorf("GeoJSON feature %d is null", i)
		}
		props := map[string]any{}
		for k, v := range gf.Properties {
			if v != nil {
				props[k] = v
			}
		}
		id := idString(props[layout.PropID])
		if id == "" {
			id = idString(gf.ID)
		}
		src.features = append(src.features, &layout.Feature{ID: id, Properties: props, Geometry: gf.Geometry})
	}
	return src, nil
}

var (
	epsgName  = regexp.MustCompile(`(?i)^(?:urn:ogc:def:crs:epsg:[0-9.]*:|epsg:{1,2}|https?://www\.opengis\.net/def/crs/epsg/0/)([0-9]{1,6})$`)
	crs84Name = regexp.MustCompile(`(?i)^(?:urn:ogc:def:crs:ogc:[0-9.]*:crs84|ogc:crs84|crs84|https?://www\.opengis\.net/def/crs/ogc/1\.3/crs84)$`)
)

// legacyCRSDef turns a legacy GeoJSON crs member into a CRS definition:
// {"type":"name","properties":{"name":"EPSG:4547"}} (any of the EPSG and
// CRS84 spellings GDAL writes) or {"type":"EPSG","properties":{"code":4547}}.
func legacyCRSDef(c *legacyCRS) (string, error) {
	switch strings.ToLower(c.Type) {
	case "name":
		name, _ := c.Properties["name"].(string)
		return crsNameDef(name)
	case "epsg":
		switch code := c.Properties["code"].(type) {
		case float64:
			if code > 0 && code < 1e6 && code == float64(int(code)) {
				return crsNameDef("EPSG:" + strconv.Itoa(int(code)))
			}
		case string:
			return crsNameDef("EPSG:" + code)
		}
	}
	return "", inputErrorf("GeoJSON crs member of type %q is not supported; use {\"type\":\"name\",\"properties\":{\"name\":\"EPSG:4547\"}} or the srs parameter", c.Type)
}

// crsNameDef normalises a CRS name: "" for CRS84/WGS84 lon/lat, EPSG:n for
// EPSG codes, GCJ02/BD09 for the web-map frames.
func crsNameDef(name string) (string, error) {
	n := strings.TrimSpace(name)
	if crs84Name.MatchString(n) {
		return "", nil
	}
	if m := epsgName.FindStringSubmatch(n); m != nil {
		code, _ := strconv.Atoi(m[1])
		if code == 4326 {
			return "", nil
		}
		return "EPSG:" + strconv.Itoa(code), nil
	}
	if c, err := crs.Parse(n); err == nil && n != "" {
		if c.IsWGS84() {
			return "", nil
		}
		return c.Code, nil
	}
	return "", inputErrorf("unknown CRS name %q; use EPSG:n or CRS84", name)
}

// idString returns a property or feature id as a string ("" when absent).
func idString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// readGeoPackage reads a feature table of the GeoPackage at p: table when
// given, else the one named layer, else the only feature table.
func readGeoPackage(ctx context.Context, p, table, layer string) (*source, error) {
	tables, err := gpkg.Tables(ctx, p)
	if err != nil {
		return nil, inputErrorf("%w", err)
	}
	if table == "" {
		switch {
		case slices.Contains(tables, layer):
			table = layer
		case len(tables) == 1:
			table = tables[0]
		default:
			return nil, inputErrorf("the GeoPackage has feature tables %v and none is named %q; say which with table=", tables, layer)
		}
	}
	t, err := gpkg.ReadTable(ctx, p, table)
	if err != nil {
		return nil, inputErrorf("%w", err)
	}
	src := &source{features: t.Features}
	// ReadTable falls back to the primary key for a missing id column; an
	// import wants the real id, so keep only what the id column holds.
	for _, f := range src.features {
		f.ID = idString(f.Properties[layout.PropID])
	}
	src.crsDef, err = geoPackageSRS(ctx, p, t.SRSID)
	if err != nil {
		return nil, err
	}
	if t.SRSID == 0 || t.SRSID == -1 {
		src.warnings = append(src.warnings, fmt.Sprintf("table %s has an undefined SRS (srs_id %d); taken as WGS84 longitude/latitude", table, t.SRSID))
	}
	return src, nil
}

// geoPackageSRS looks srsID up in gpkg_spatial_ref_sys.
func geoPackageSRS(ctx context.Context, p string, srsID int) (string, error) {
	if srsID == 4326 || srsID == 0 || srsID == -1 {
		return "", nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("importer: %w", err)
	}
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: "mode=ro"}).String()
	db, err := sql.Open(gpkg.DriverName, dsn)
	if err != nil {
		return "", fmt.Errorf("importer: opening GeoPackage: %w", err)
	}
	defer db.Close()
	var org string
	var orgID int
	var def string
	err = db.QueryRowContext(ctx, "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", srsID).Scan(&org, &orgID, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return "", inputErrorf("srs_id %d is not in gpkg_spatial_ref_sys", srsID)
	}
	if err != nil {
		return "", fmt.Errorf("importer: reading gpkg_spatial_ref_sys: %w", err)
	}
	if strings.EqualFold(org, "EPSG") && orgID > 0 {
		return crsNameDef("EPSG:" + strconv.Itoa(orgID))
	}
	if strings.TrimSpace(def) == "" || strings.EqualFold(strings.TrimSpace(def), "undefined") {
		return "", inputErrorf("srs_id %d has no usable definition; give the srs parameter", srsID)
	}
	return def, nil
}

// readShapeZip reads every shapefile in a zip archive (one per geometry type
// is how this service exports them) and concatenates their features.
// Property names DBF shortened to 10 characters are restored from known,
// the names the layer already uses.
func readShapeZip(b []byte, known []string) (*source, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, inputErrorf("not a zip file: %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, inputErrorf("zip holds %d files, more than %d", len(zr.File), maxZipEntries)
	}
	files := map[string][]byte{} // lower-case base path with extension → bytes
	var total int64
	var shps []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), "._") || strings.Contains(f.Name, "__MACOSX/") {
			continue
		}
		ext := strings.ToLower(path.Ext(f.Name))
		if !slices.Contains([]string{".shp", ".dbf", ".prj", ".cpg"}, ext) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, inputErrorf("zip entry %s: %w", f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxZipUncompressed-total+1))
		rc.Close()
		if err != nil {
			return nil, inputErrorf("zip entry %s: %w", f.Name, err)
		}
		total += int64(len(data))
		if total > maxZipUncompressed {
			return nil, inputErrorf("zip expands to more than %d bytes", maxZipUncompressed)
		}
		key := strings.ToLower(f.Name)
		files[key] = data
		if ext == ".shp" {
			shps = append(shps, key)
		}
	}
	if len(shps) == 0 {
		return nil, inputErrorf("the zip holds no .shp file")
	}
	slices.Sort(shps)
	src := &source{}
	for i, shpName := range shps {
		base := strings.TrimSuffix(shpName, ".shp")
		one, err := readShapefile(files[shpName], files[base+".dbf"], files[base+".prj"], files[base+".cpg"], known, path.Base(shpName))
		if err != nil {
			return nil, err
		}
		if i > 0 && one.crsDef != src.crsDef {
			return nil, inputErrorf("%s has a different .prj from %s", path.Base(shpName), path.Base(shps[0]))
		}
		src.crsDef = one.crsDef
		src.features = append(src.features, one.features...)
		src.warnings = append(src.warnings, one.warnings...)
	}
	return src, nil
}

// readShapefile reads one shapefile from its parts. prj and cpg may be nil.
func readShapefile(shp, dbf, prj, cpg []byte, known []string, name string) (*source, error) {
	if dbf == nil {
		return nil, inputErrorf("%s has no .dbf (the attributes, including id, live there)", name)
	}
	_, geoms, err := shapefile.ReadSHP(shp)
	if err != nil {
		return nil, inputErrorf("%s: %w", name, err)
	}
	dec, err := shapefile.Decoder(string(cpg), shapefile.LanguageDriver(dbf))
	if err != nil {
		return nil, inputErrorf("%s: %w", name, err)
	}
	fields, records, err := shapefile.ReadDBF(dbf, dec)
	if err != nil {
		return nil, inputErrorf("%s: %w", name, err)
	}
	if len(records) != len(geoms) {
		return nil, inputErrorf("%s has %d shapes but its .dbf has %d records", name, len(geoms), len(records))
	}
	src := &source{}
	names, renamed := restoreFieldNames(fields, known)
	for _, r := range renamed {
		src.warnings = append(src.warnings, fmt.Sprintf("%s: DBF field %s read as property %s", name, r[0], r[1]))
	}
	if p := strings.TrimSpace(string(prj)); p != "" {
		src.crsDef = p
	} else {
		src.warnings = append(src.warnings, name+" has no .prj; coordinates taken as WGS84 longitude/latitude unless srs= says otherwise")
	}
	for i, rec := range records {
		if rec == nil {
			continue // deleted
		}
		props := map[string]any{}
		for j, v := range rec {
			if v != nil {
				props[names[j]] = v
			}
		}
		src.features = append(src.features, &layout.Feature{ID: idString(props[layout.PropID]), Properties: props, Geometry: geoms[i]})
	}
	return src, nil
}

// restoreFieldNames maps DBF field names back to property names: exact
// (case-insensitive) matches with a known name, then 10-character names that
// are the prefix of exactly one known name (how DBF writers, GDAL and ours,
// shorten names).
func restoreFieldNames(fields []shapefile.Field, known []string) ([]string, [][2]string) {
	out := make([]string, len(fields))
	var renamed [][2]string
	for i, f := range fields {
		out[i] = f.Name
		var prefixOf []string
		exact := ""
		for _, k := range known {
			if strings.EqualFold(k, f.Name) {
				exact = k
			}
			if len(f.Name) == shapefile.MaxFieldNameLen && len(k) > len(f.Name) && strings.EqualFold(k[:len(f.Name)], f.Name) {
				prefixOf = append(prefixOf, k)
			}
		}
		switch {
		case exact != "":
			out[i] = exact
		case len(prefixOf) == 1:
			out[i] = prefixOf[0]
			renamed = append(renamed, [2]string{f.Name, prefixOf[0]})
		}
	}
	return out, renamed
}

// transformer converts points from an input CRS to WGS84 lon/lat.
type transformer func(orb.Point) (orb.Point, error)

// newTransformer builds the conversion from def (see source.crsDef) to
// WGS84 longitude/latitude: nil for WGS84 itself; the crs package for the
// systems it knows; PROJ, with axes normalised to x-first, for any other EPSG
// code or WKT (a .prj or a GeoPackage definition).
func newTransformer(def string) (transformer, error) {
	if def == "" {
		return nil, nil
	}
	if c, err := crs.Parse(def); err == nil {
		if c.IsWGS84() {
			return nil, nil
		}
		return c.ToWGS84, nil
	}
	pj, err := proj.NewCRSToCRS(def, "EPSG:4326", nil)
	if err != nil {
		return nil, inputErrorf("PROJ does not understand the CRS %s: %w", shorten(def), err)
	}
	norm, err := pj.NormalizeForVisualization()
	if err != nil {
		return nil, inputErrorf("PROJ cannot normalise the CRS %s: %w", shorten(def), err)
	}
	return func(p orb.Point) (orb.Point, error) {
		out, err := norm.Forward(proj.NewCoord(p[0], p[1], 0, 0))
		if err != nil {
			return orb.Point{}, fmt.Errorf("importer: (%v, %v) → WGS84: %w", p[0], p[1], err)
		}
		return orb.Point{out[0], out[1]}, nil
	}, nil
}

func shorten(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:77] + "...")
	}
	return strconv.Quote(s)
}

// writeTemp stores b in a temporary file (GeoPackages are read through SQLite).
func writeTemp(b []byte, pattern string) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("importer: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("importer: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("importer: %w", err)
	}
	return f.Name(), nil
}
