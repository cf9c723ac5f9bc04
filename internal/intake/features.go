package intake

import (
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
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb/geojson"

	"hetang/internal/gpkg"
	"hetang/internal/jsontext"
	"hetang/internal/layout"
	"hetang/internal/shapefile"
)

// Features is a whole file read as features: geometry still in the file's
// CRS (x-first as stored), the CRS the file states and warnings.
type Features struct {
	Features []*layout.Feature
	// CRSDef is the file's CRS (see CRSNameDef): "" for WGS84 or none
	// stated; HasCRS says whether the file stated one.
	CRSDef   string
	HasCRS   bool
	Warnings []string
	// Layers are a GeoPackage's feature tables, Layer the one read.
	Layers []string
	Layer  string
}

// FeatureOptions steer ReadFeatures.
type FeatureOptions struct {
	// Table picks the GeoPackage table; else the one named Layer, else the
	// only feature table.
	Table, Layer string
	// Known are property names to restore from 10-character DBF names.
	Known  []string
	Limits Limits
	// FirstLayer reads the first feature table of a GeoPackage that has
	// several when neither Table nor Layer names one (with a warning; the
	// inspector previews so and lists them); else that is an error.
	FirstLayer bool
}

// ReadFeatures reads a whole GeoJSON, zipped Shapefile or GeoPackage. A
// GeoPackage is read from p when it is not "" (else data goes through a
// temporary file, whose name never reaches a message).
func ReadFeatures(ctx context.Context, format Format, data []byte, p string, opt FeatureOptions) (*Features, error) {
	switch format {
	case FormatGeoJSON:
		return parseGeoJSON(data)
	case FormatShapeZip:
		return readShapeZip(data, opt.Known, opt.Limits)
	case FormatGeoPackage:
		if p != "" {
			return readGeoPackage(ctx, p, opt)
		}
		tmp, err := writeTemp(data, "hetang-intake-*.gpkg")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		fs, err := readGeoPackage(ctx, tmp, opt)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				ie.EN = strings.ReplaceAll(ie.EN, tmp, "the uploaded GeoPackage")
				ie.ZH = strings.ReplaceAll(ie.ZH, tmp, "上传的 GeoPackage")
			}
			return nil, err
		}
		return fs, nil
	}
	return nil, inputErr("不支持的格式 %q", "unsupported format %q", Echo(string(format)))
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
func parseGeoJSON(b []byte) (*Features, error) {
	b = jsontext.TrimBOM(b)
	var f geoJSONFile
	if err := jsontext.Unmarshal(b, &f); err != nil {
		return nil, inputErr("GeoJSON 格式错误：%s", "GeoJSON: %s", Echo(err.Error()))
	}
	switch f.Type {
	case "FeatureCollection":
	case "Feature":
		var one geojson.Feature
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, inputErr("GeoJSON 格式错误：%s", "GeoJSON: %s", Echo(jsontext.Describe(err).Error()))
		}
		f.Features = []*geojson.Feature{&one}
	default:
		return nil, inputErr("GeoJSON 类型为 %q，须为 FeatureCollection", "GeoJSON type is %q, want FeatureCollection", Truncate(f.Type))
	}
	src := &Features{}
	if f.CRS != nil {
		def, err := legacyCRSDef(f.CRS)
		if err != nil {
			return nil, err
		}
		src.CRSDef, src.HasCRS = def, true
	}
	for i, gf := range f.Features {
		if gf == nil {
			return nil, inputErr("GeoJSON 第 %d 个要素为 null", "GeoJSON feature %d is null", i)
		}
		props := map[string]any{}
		for k, v := range gf.Properties {
			if v != nil {
				props[k] = v
			}
		}
		id := IDString(props[layout.PropID])
		if id == "" {
			id = IDString(gf.ID)
		}
		src.Features = append(src.Features, &layout.Feature{ID: id, Properties: props, Geometry: gf.Geometry})
	}
	return src, nil
}

// legacyCRSDef turns a legacy GeoJSON crs member into a CRS definition:
// {"type":"name","properties":{"name":"EPSG:4547"}} (any of the EPSG and
// CRS84 spellings GDAL writes) or {"type":"EPSG","properties":{"code":4547}}.
func legacyCRSDef(c *legacyCRS) (string, error) {
	switch strings.ToLower(c.Type) {
	case "name":
		name, _ := c.Properties["name"].(string)
		return CRSNameDef(name)
	case "epsg":
		switch code := c.Properties["code"].(type) {
		case float64:
			if code > 0 && code < 1e6 && code == float64(int(code)) {
				return CRSNameDef("EPSG:" + strconv.Itoa(int(code)))
			}
		case string:
			return CRSNameDef("EPSG:" + code)
		}
	}
	return "", inputErr("不支持类型为 %q 的 GeoJSON crs 成员；请用 {\"type\":\"name\",\"properties\":{\"name\":\"EPSG:4547\"}} 或 crs= 参数",
		"GeoJSON crs member of type %q is not supported; use {\"type\":\"name\",\"properties\":{\"name\":\"EPSG:4547\"}} or the crs/srs parameter", Truncate(c.Type))
}

// IDString returns a property or feature id as a string ("" when absent).
func IDString(v any) string {
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

// readGeoPackage reads a feature table of the GeoPackage at p: opt.Table
// when given, else the one named opt.Layer, else the only feature table
// (or the first, when opt.FirstLayer).
func readGeoPackage(ctx context.Context, p string, opt FeatureOptions) (*Features, error) {
	table, layer := opt.Table, opt.Layer
	tables, err := gpkg.Tables(ctx, p)
	if err != nil {
		return nil, inputErr("不是可读的 GeoPackage", "not a readable GeoPackage: %s", Echo(err.Error()))
	}
	var warn []string
	if table == "" {
		switch {
		case slices.Contains(tables, layer):
			table = layer
		case len(tables) == 1:
			table = tables[0]
		case len(tables) == 0:
			return nil, inputErr("GeoPackage 中没有要素表", "the GeoPackage has no feature table")
		case layer == "" && opt.FirstLayer:
			table = tables[0]
			warn = append(warn, fmt.Sprintf("the GeoPackage has feature tables %s; read %s; choose another with layer=", echoList(tables), Echo(table)))
		case layer != "":
			return nil, inputErr("GeoPackage 中没有名为 %[2]q 的要素表；现有 %[1]s，请用 layer=（导入时 table=）指定", "the GeoPackage has feature tables %s and none is named %q; say which with layer= (table= for imports)", echoList(tables), Echo(layer))
		default:
			return nil, inputErr("GeoPackage 有多个要素表 %s，请用 layer=（导入时 table=）指定", "the GeoPackage has several feature tables, %s; say which with layer= (table= for imports)", echoList(tables))
		}
	}
	t, err := gpkg.ReadTable(ctx, p, table)
	if err != nil {
		return nil, inputErr("读取 GeoPackage 表 %s 失败", "reading GeoPackage table %s: %s", Echo(table), Echo(err.Error()))
	}
	src := &Features{Features: t.Features, Layers: tables, Layer: table, Warnings: warn}
	// ReadTable falls back to the primary key for a missing id column; an
	// import wants the real id, so keep only what the id column holds.
	for _, f := range src.Features {
		f.ID = IDString(f.Properties[layout.PropID])
	}
	src.CRSDef, err = geoPackageSRS(ctx, p, t.SRSID)
	if err != nil {
		return nil, err
	}
	src.HasCRS = t.SRSID != 0 && t.SRSID != -1
	if !src.HasCRS {
		src.Warnings = append(src.Warnings, fmt.Sprintf("table %s has an undefined SRS (srs_id %d); taken as WGS84 longitude/latitude", table, t.SRSID))
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
		return "", fmt.Errorf("intake: %w", err)
	}
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: "mode=ro"}).String()
	db, err := sql.Open(gpkg.DriverName, dsn)
	if err != nil {
		return "", fmt.Errorf("intake: opening GeoPackage: %w", err)
	}
	defer db.Close()
	var org string
	var orgID int
	var def string
	err = db.QueryRowContext(ctx, "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", srsID).Scan(&org, &orgID, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return "", inputErr("srs_id %d 不在 gpkg_spatial_ref_sys 中", "srs_id %d is not in gpkg_spatial_ref_sys", srsID)
	}
	if err != nil {
		return "", fmt.Errorf("intake: reading gpkg_spatial_ref_sys: %w", err)
	}
	if strings.EqualFold(org, "EPSG") && orgID > 0 {
		return CRSNameDef("EPSG:" + strconv.Itoa(orgID))
	}
	if strings.TrimSpace(def) == "" || strings.EqualFold(strings.TrimSpace(def), "undefined") {
		return "", inputErr("srs_id %d 没有可用的定义；请给出 crs= 参数", "srs_id %d has no usable definition; give the crs (srs) parameter", srsID)
	}
	return def, nil
}

// readShapeZip reads every shapefile in a zip archive (one per geometry type
// is how this service exports them) and concatenates their features.
// Property names DBF shortened to 10 characters are restored from known.
func readShapeZip(b []byte, known []string, lim Limits) (*Features, error) {
	zr, err := OpenZip(b, "zip", lim)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{} // lower-case path with extension → bytes
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
			return nil, inputErr("zip 条目 %s 无法读取", "zip entry %s: %s", Echo(f.Name), Echo(err.Error()))
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, inputErr("zip 条目 %s 无法读取", "zip entry %s: %s", Echo(f.Name), Echo(err.Error()))
		}
		key := strings.ToLower(f.Name)
		files[key] = data
		if ext == ".shp" {
			shps = append(shps, key)
		}
	}
	if len(shps) == 0 {
		return nil, inputErr("zip 中没有 .shp 文件", "the zip holds no .shp file")
	}
	slices.Sort(shps)
	src := &Features{}
	for i, shpName := range shps {
		base := strings.TrimSuffix(shpName, ".shp")
		one, err := readShapefile(files[shpName], files[base+".dbf"], files[base+".prj"], files[base+".cpg"], known, path.Base(shpName))
		if err != nil {
			return nil, err
		}
		if i > 0 && one.CRSDef != src.CRSDef {
			return nil, inputErr("%s 的 .prj 与 %s 不同", "%s has a different .prj from %s", Echo(path.Base(shpName)), Echo(path.Base(shps[0])))
		}
		src.CRSDef, src.HasCRS = one.CRSDef, one.HasCRS
		src.Features = append(src.Features, one.Features...)
		src.Warnings = append(src.Warnings, one.Warnings...)
	}
	return src, nil
}

// readShapefile reads one shapefile from its parts. prj and cpg may be nil.
func readShapefile(shp, dbf, prj, cpg []byte, known []string, name string) (*Features, error) {
	name = Echo(name)
	if dbf == nil {
		return nil, inputErr("%s 缺少 .dbf（属性在其中）", "%s has no .dbf (the attributes, including id, live there)", name)
	}
	_, geoms, err := shapefile.ReadSHP(shp)
	if err != nil {
		return nil, inputErr("%s 无法读取", "%s: %s", name, Echo(err.Error()))
	}
	ldid := shapefile.LanguageDriver(dbf)
	dec, err := shapefile.Decoder(string(cpg), ldid)
	if err != nil {
		return nil, inputErr("%s 的编码无法识别：%s", "%s: %s", name, Echo(err.Error()))
	}
	var guessed string
	fields, records, err := shapefile.ReadDBF(dbf, dec)
	if err != nil && strings.TrimSpace(string(cpg)) == "" && ldid == 0 {
		// No .cpg and no code page in the DBF: UTF-8 was assumed and the
		// text is not UTF-8. Shapefiles made on Chinese Windows without a
		// .cpg hold GBK: the bytes decide, as for a CSV.
		gb, _ := shapefile.Decoder("GB18030", 0)
		if f2, r2, err2 := shapefile.ReadDBF(dbf, gb); err2 == nil {
			fields, records, err = f2, r2, nil
			guessed = name + " has no .cpg and its text is not UTF-8: read as GBK (GB18030); add a .cpg if that is wrong"
		}
	}
	if err != nil {
		return nil, inputErr("%s 的 .dbf 无法读取：%s", "%s: %s", name, Echo(err.Error()))
	}
	if len(records) != len(geoms) {
		return nil, inputErr("%s 有 %d 个图形但 .dbf 有 %d 条记录", "%s has %d shapes but its .dbf has %d records", name, len(geoms), len(records))
	}
	src := &Features{}
	if guessed != "" {
		src.Warnings = append(src.Warnings, guessed)
	}
	names, renamed := restoreFieldNames(fields, known)
	for _, r := range renamed {
		src.Warnings = append(src.Warnings, fmt.Sprintf("%s: DBF field %s read as property %s", name, r[0], r[1]))
	}
	if p := strings.TrimSpace(string(prj)); p != "" {
		def, err := CRSNameDef(p)
		if err != nil {
			def = p
		}
		src.CRSDef, src.HasCRS = def, true
	} else {
		src.Warnings = append(src.Warnings, name+" has no .prj; the coordinate system is taken from crs= or detected from the numbers")
	}
	for i, rec := range records {
		if rec == nil {
			continue // deleted
		}
		props := map[string]any{}
		for j, v := range rec {
			if v != nil {
				if s, ok := v.(string); ok {
					v = strings.ToValidUTF8(s, "\uFFFD")
				}
				props[names[j]] = v
			}
		}
		src.Features = append(src.Features, &layout.Feature{ID: IDString(props[layout.PropID]), Properties: props, Geometry: geoms[i]})
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

// writeTemp stores b in a temporary file (GeoPackages are read through SQLite).
func writeTemp(b []byte, pattern string) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("intake: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("intake: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("intake: %w", err)
	}
	return f.Name(), nil
}
