package intake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"path"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"hetang/internal/jsontext"
)

// Options steer Open. Every field is optional.
type Options struct {
	// Filename is the upload's name; its extension picks the format.
	Filename string
	// ContentType is the request's media type, used when the name says
	// nothing.
	ContentType string
	// Format forces the format.
	Format Format
	// CRS overrides the file's and the detected CRS (any name crs.Parse
	// knows, EPSG:n PROJ knows, or WKT).
	CRS string
	// X and Y, or WKT, name the geometry columns of a table.
	X, Y, WKT string
	// Sheet names the .xlsx worksheet (default: the first).
	Sheet string
	// Layer names the GeoPackage table.
	Layer string
	// FirstLayer reads the first of several GeoPackage tables when Layer
	// is empty (see FeatureOptions.FirstLayer).
	FirstLayer bool
	// FirstColumns reads a table whose header has two candidate coordinate
	// column sets (lon/lat and X/Y …) with the first, listing them in
	// Input.GeometryChoices, instead of refusing it: for the inspector,
	// which lets a person choose; a batch must name the columns.
	FirstColumns bool
	Limits       Limits
}

// ParseFormat reads a format name or alias (geojson, json, csv, tsv, txt,
// ndjson, jsonl, xlsx, zip, shp, gpkg) or a media type.
func ParseFormat(s string) (Format, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		t = mt
	}
	switch t {
	case "geojson", "json", "application/geo+json", "application/vnd.geo+json":
		return FormatGeoJSON, true
	case "csv", "tsv", "txt", "text/csv", "application/csv", "text/plain", "text/tab-separated-values":
		return FormatCSV, true
	case "ndjson", "jsonl", "geojsonl", "geojsonseq", "geojsons", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-seq", "application/geo+json-seq":
		return FormatNDJSON, true
	case "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return FormatXLSX, true
	case "zip", "shp", "shapezip", "shp.zip", "application/zip", "application/x-zip-compressed", "application/x-zip":
		return FormatShapeZip, true
	case "gpkg", "application/geopackage+sqlite3", "application/x-sqlite3", "application/vnd.sqlite3":
		return FormatGeoPackage, true
	}
	return "", false
}

// formatOfName picks a format from a file name's extension.
func formatOfName(name string) (Format, bool) {
	n := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if strings.HasSuffix(n, ".shp.zip") {
		return FormatShapeZip, true
	}
	ext := strings.TrimPrefix(path.Ext(n), ".")
	if ext == "" || ext == "json" {
		return "", false // .json may be GeoJSON or NDJSON: sniff
	}
	return ParseFormat(ext)
}

// sniff guesses a format from the first bytes.
func sniff(head []byte) Format {
	switch {
	case isSQLite(head):
		return FormatGeoPackage
	case isZip(head):
		return FormatShapeZip // xlsx told apart once the archive is open
	}
	t := bytes.TrimLeft(head, " \t\r\n\ufeff\x1e")
	t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
	if len(t) > 0 && t[0] == '{' {
		line := t
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			line = t[:i]
		}
		if bytes.Contains(line, []byte(`"FeatureCollection"`)) || bytes.Contains(t, []byte(`"FeatureCollection"`)) && !json.Valid(bytes.TrimSpace(line)) {
			return FormatGeoJSON
		}
		return FormatNDJSON
	}
	return FormatCSV
}

// Input is an opened input: what was found and assumed, and its records.
type Input struct {
	Format   Format
	Encoding string
	// Columns are a table's header (nil for JSON-like inputs), each name
	// distinct (see uniqueNames).
	Columns  []string
	Geometry GeometrySpec
	CRS      CRSInfo
	Frame    *Frame
	Warnings []string
	// Sheets are an .xlsx workbook's worksheets and Sheet the one read;
	// Layers and Layer the same for a GeoPackage's feature tables.
	Sheets, Layers []string
	Sheet, Layer   string
	// GeometryChoices are a table's candidate coordinate column sets when
	// there are several (read with Options.FirstColumns; Geometry is the
	// first).
	GeometryChoices []GeometrySpec

	rd    rawReader
	ahead []*Record
	fatal error
	swap  bool
}

// Open reads enough of r to tell its format, encoding, geometry columns and
// CRS, and returns the input ready for Next. Text formats (CSV, NDJSON,
// GeoJSON) are streamed; containers (xlsx, zip, GeoPackage) are read whole,
// so the caller bounds r. Close the input when done.
func Open(ctx context.Context, r io.Reader, opt Options) (*Input, error) {
	lim := opt.Limits.orDefault()
	br := bufio.NewReaderSize(r, sniffSize)
	format := opt.Format
	if format == "" {
		if f, ok := formatOfName(opt.Filename); ok {
			format = f
		}
	}
	head, _ := br.Peek(512)
	if opt.Format == "" {
		if err := refuseKnown(opt.Filename, head); err != nil {
			return nil, err
		}
	}
	if format == "" {
		// application/json and text/plain say too little: sniff those.
		mt, _, _ := mime.ParseMediaType(opt.ContentType)
		if f, ok := ParseFormat(mt); ok && mt != "application/json" && mt != "text/plain" {
			format = f
		}
	}
	if format == "" {
		format = sniff(head)
	}
	// A container's magic wins over a name or a media type that says text.
	if isZip(head) && format != FormatXLSX {
		format = FormatShapeZip
	}
	if isSQLite(head) {
		format = FormatGeoPackage
	}
	in := &Input{Format: format, Encoding: EncodingUTF8}
	var err error
	switch format {
	case FormatCSV:
		var tr io.Reader
		tr, in.Encoding = decodeText(br)
		tb := bufio.NewReaderSize(&lineLimiter{r: tr, max: lim.MaxLine}, sniffSize)
		delim := sniffDelimiter(tb)
		in.rd, err = newCSVReader(tb, in.Encoding, delim, sniffBareQuote(tb, delim), opt)
	case FormatNDJSON:
		in.Encoding = skipBOM(br)
		in.rd = newNDJSONReader(br, lim.MaxLine)
		in.Geometry.Kind = GeometryFlatJSON
	case FormatGeoJSON:
		in.Encoding = skipBOM(br)
		in.rd, err = newGeoJSONReader(br)
		in.Geometry.Kind = GeometryFeature
	case FormatXLSX, FormatShapeZip, FormatGeoPackage:
		var b []byte
		b, err = io.ReadAll(br)
		if err != nil {
			return nil, err // body limit or cancellation
		}
		in.Encoding = EncodingBinary
		if format == FormatShapeZip && zipHasWorkbook(b) {
			format, in.Format = FormatXLSX, FormatXLSX
		}
		if format == FormatXLSX {
			var x *xlsxReader
			if x, err = newXLSXReader(b, opt); err == nil {
				in.rd, in.Sheets, in.Sheet = x, x.sheets, x.sheet
			}
		} else {
			var fs *Features
			fs, err = ReadFeatures(ctx, format, b, "", FeatureOptions{Layer: opt.Layer, FirstLayer: opt.FirstLayer, Limits: lim})
			if err == nil {
				in.rd = newFeatureReader(fs)
				in.Warnings = fs.Warnings
				in.Geometry.Kind = GeometryFeature
				in.Layers, in.Layer = fs.Layers, fs.Layer
			}
		}
	default:
		return nil, inputErr("不支持的格式 %q", "unsupported format %q", Echo(string(format)))
	}
	if err != nil {
		return nil, err
	}
	if tr, ok := in.rd.(interface{ geometrySpec() GeometrySpec }); ok {
		in.Geometry = tr.geometrySpec()
	}
	in.Columns = uniqueNames(in.rd.columns())
	if w, ok := in.rd.(interface{ warnings() []string }); ok {
		in.Warnings = append(in.Warnings, w.warnings()...)
	}
	if c, ok := in.rd.(interface{ geometryChoices() []GeometrySpec }); ok {
		in.GeometryChoices = c.geometryChoices()
	}
	// Look ahead for the CRS: the file may state it after the first lines
	// (a GeoJSON crs member), and detection needs sample coordinates.
	var sample []orb.Point
	held := 0 // vertices of the records read ahead
	for len(in.ahead) < maxSample && held < maxAheadVertices {
		if err := ctx.Err(); err != nil {
			in.Close()
			return nil, err
		}
		rec, err := in.rd.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				in.fatal = err
			}
			break
		}
		in.ahead = append(in.ahead, rec)
		held += vertices(rec.Geom)
		if p, ok := firstPoint(rec.Geom); ok {
			sample = append(sample, p)
		}
	}
	if in.fatal != nil && len(in.ahead) == 0 {
		in.Close()
		return nil, in.fatal
	}
	if err := in.resolveCRS(opt, sample); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// Magic numbers of files planners have that are not read.
var (
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") // old Office (.xls)
	shpMagic = []byte("\x00\x00\x27\x0a")                 // a lone .shp
)

// refuseKnown refuses, with what to do instead, the files planners have
// that are not read (old .xls, KML/KMZ, CAD drawings, a .shp without its
// .dbf), by name or first bytes, before a text format reads their bytes as
// a header of garbage.
func refuseKnown(name string, head []byte) error {
	ext := strings.ToLower(path.Ext(path.Base(strings.ReplaceAll(name, "\\", "/"))))
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case ext == ".xls" || bytes.HasPrefix(head, oleMagic):
		return inputErr("这是旧版 Excel（.xls）文件，无法读取；请在 Excel 或 WPS 中另存为 .xlsx 或 CSV",
			"this is an old Excel .xls file, which is not read; save it as .xlsx or CSV in Excel or WPS")
	case ext == ".kml" || ext == ".kmz" || bytes.HasPrefix(t, []byte("<")) && bytes.Contains(head, []byte("<kml")):
		return inputErr("KML/KMZ 无法读取；请导出为 GeoJSON、Shapefile（zip）或 CSV，例如 ogr2ogr -f GeoJSON 输出.geojson 输入.kml",
			"KML/KMZ is not read; export it as GeoJSON, a zipped Shapefile or CSV (e.g. ogr2ogr -f GeoJSON out.geojson in.kml)")
	case ext == ".dxf" || ext == ".dwg":
		return inputErr("CAD 图（.dxf/.dwg）无法读取；请导出为 Shapefile（zip）、GeoJSON，或把界址点坐标做成 CSV/Excel",
			"CAD drawings (.dxf/.dwg) are not read; export them as a zipped Shapefile or GeoJSON, or list the boundary points in a CSV or Excel table")
	case bytes.HasPrefix(head, shpMagic):
		return inputErr("单独的 .shp 无法读取：请把 .shp、.dbf、.shx、.prj（和 .cpg）压缩成一个 zip 上传",
			"a .shp alone cannot be read: zip it with its .dbf, .shx, .prj (and .cpg) and upload the zip")
	}
	return nil
}

func zipHasWorkbook(b []byte) bool {
	return bytes.Contains(b, []byte("xl/workbook.xml"))
}

func (in *Input) resolveCRS(opt Options, sample []orb.Point) error {
	fileDef, fileHas := in.rd.fileCRS()
	var def string
	var info CRSInfo
	switch {
	case strings.TrimSpace(opt.CRS) != "":
		d, err := CRSNameDef(opt.CRS)
		if err != nil {
			return err
		}
		def = d
		info = CRSInfo{Source: SourceParameter, ReasonZH: "由 crs 参数指定", ReasonEN: "given by the crs parameter"}
	case fileHas:
		def = fileDef
		what := map[Format][2]string{FormatGeoJSON: {"GeoJSON 的 crs 成员", "the GeoJSON crs member"}, FormatShapeZip: {"Shapefile 的 .prj", "the Shapefile's .prj"}, FormatGeoPackage: {"GeoPackage 的空间参考（srs）", "the GeoPackage's srs"}}[in.Format]
		info = CRSInfo{Source: SourceFile, ReasonZH: "取自" + what[0], ReasonEN: "from " + what[1]}
	default:
		dinfo, c, _ := detectCRS(sample)
		in.CRS = dinfo
		in.Frame = knownFrame(c)
		in.swap = dinfo.SwapXY
		return nil
	}
	fr, err := NewFrame(def)
	if err != nil {
		return err
	}
	in.Frame = fr
	info.Code, info.Name = fr.code, fr.name
	if fr.IsKnown && (fr.Known.Projected || in.Format != FormatGeoJSON || info.Source == SourceParameter) {
		in.swap = detectSwap(fr.Known, sample)
	}
	if in.swap {
		info.SwapXY = true
		if fr.IsKnown && fr.Known.Projected {
			info.ReasonZH += "；X 列为北坐标、Y 列为东坐标（测量习惯，按数值判断），已交换"
			info.ReasonEN += "; X holds the northing and Y the easting (the survey convention, by magnitude), swapped"
		} else {
			info.ReasonZH += "；第一个坐标为纬度（按数值判断），已交换"
			info.ReasonEN += "; the first coordinate is the latitude (by magnitude), swapped"
		}
	}
	in.CRS = info
	return nil
}

// firstPoint returns a geometry's first vertex.
// maxAheadVertices bounds the geometry Open reads ahead for CRS
// detection, which no memory budget has seen yet (each record is admitted
// by the caller as it is answered): a few large parcels are sample enough.
const maxAheadVertices = 65_536

// vertices counts the points of a geometry as read.
func vertices(g orb.Geometry) int {
	switch x := g.(type) {
	case orb.Point:
		return 1
	case orb.Polygon:
		n := 0
		for _, r := range x {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range x {
			n += vertices(p)
		}
		return n
	}
	return 0
}

func firstPoint(g orb.Geometry) (orb.Point, bool) {
	switch x := g.(type) {
	case orb.Point:
		return x, true
	case orb.Polygon:
		if len(x) > 0 && len(x[0]) > 0 {
			return x[0][0], true
		}
	case orb.MultiPolygon:
		if len(x) > 0 && len(x[0]) > 0 && len(x[0][0]) > 0 {
			return x[0][0][0], true
		}
	}
	return orb.Point{}, false
}

// Next returns the next record with its geometry swapped to x-first and
// converted to WGS84 (Record.WGS84); io.EOF at the end; an *InputError when
// the input breaks off.
func (in *Input) Next() (*Record, error) {
	var rec *Record
	switch {
	case len(in.ahead) > 0:
		rec = in.ahead[0]
		in.ahead[0] = nil
		in.ahead = in.ahead[1:]
	case in.fatal != nil:
		return nil, in.fatal
	default:
		var err error
		rec, err = in.rd.next()
		if err != nil {
			return nil, err
		}
		if _, has := in.rd.fileCRS(); has && in.CRS.Source != SourceFile && in.CRS.Source != SourceParameter {
			in.fatal = inputErr("GeoJSON 的 crs 成员出现在第 %d 个要素之后；请把它放在 features 之前，或用 crs= 参数", "the GeoJSON crs member comes after feature %d; put it before the features or give crs=", maxSample)
			return nil, in.fatal
		}
	}
	if rec.Err == nil && rec.Geom != nil {
		in.convert(rec)
	}
	return rec, nil
}

func (in *Input) convert(rec *Record) {
	if p, ok := rec.Geom.(orb.Point); ok && !in.swap && in.Frame.toWGS84 == nil {
		// WGS84 points, the common case: no copy.
		if !finite(p[0]) || !finite(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
			rec.Err = rowErr("坐标 (%g, %g) 在 %s 中无效（超出经纬度范围）；请检查坐标系（crs=）或坐标列",
				"coordinates (%g, %g) are not valid in %s (outside longitude/latitude); check the coordinate system (crs=) or the columns", p[0], p[1], in.CRS.Code)
			return
		}
		rec.WGS84 = p
		return
	}
	if in.swap {
		rec.Geom = project.Geometry(rec.Geom, func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
	}
	var bad *RowError
	w := project.Geometry(orb.Clone(rec.Geom), func(p orb.Point) orb.Point {
		if bad != nil {
			return p
		}
		if !finite(p[0]) || !finite(p[1]) {
			bad = rowErr("坐标不是有限数", "a coordinate is not a finite number")
			return p
		}
		q, err := in.Frame.ToWGS84(p)
		if err != nil || !finite(q[0]) || !finite(q[1]) || math.Abs(q[0]) > 180 || math.Abs(q[1]) > 90 {
			bad = rowErr("坐标 (%g, %g) 在 %s 中无效（换算到 WGS84 超出经纬度范围）；请检查坐标系（crs=）或坐标列",
				"coordinates (%g, %g) are not valid in %s (outside longitude/latitude once converted to WGS84); check the coordinate system (crs=) or the columns", p[0], p[1], in.CRS.Code)
			return p
		}
		return q
	})
	if bad != nil {
		rec.Err = bad
		return
	}
	rec.WGS84 = w
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Close releases what the input holds (an .xlsx reader's temporary files).
func (in *Input) Close() error {
	if in.rd == nil {
		return nil
	}
	return in.rd.close()
}

// featureReader yields the features of a whole file as records.
type featureReader struct {
	fs *Features
	i  int
}

func newFeatureReader(fs *Features) *featureReader { return &featureReader{fs: fs} }

func (f *featureReader) columns() []string       { return nil }
func (f *featureReader) fileCRS() (string, bool) { return f.fs.CRSDef, f.fs.HasCRS }
func (f *featureReader) close() error            { return nil }

func (f *featureReader) next() (*Record, error) {
	if f.i >= len(f.fs.Features) {
		return nil, io.EOF
	}
	ft := f.fs.Features[f.i]
	f.fs.Features[f.i] = nil
	f.i++
	rec := &Record{N: f.i, IsFeature: true, Props: map[string]json.RawMessage{}}
	for k, v := range ft.Properties {
		b, err := json.Marshal(v)
		if err != nil {
			b, _ = json.Marshal(fmt.Sprint(v))
		}
		rec.Props[k] = b
	}
	if ft.ID != "" {
		rec.ID = ft.ID
	}
	if ft.Geometry == nil {
		rec.Err = rowErr("要素没有几何", "the feature has no geometry")
		return rec, nil
	}
	rec.Geom, rec.Err = AcceptGeometry(ft.Geometry)
	return rec, nil
}

// FeaturesToWGS84 is for the importer: a frame for the file's own CRS or
// an override (see CRSNameDef), with crs names checked.
func FeaturesToWGS84(fs *Features, override string) (*Frame, error) {
	def := fs.CRSDef
	if strings.TrimSpace(override) != "" {
		d, err := CRSNameDef(override)
		if err != nil {
			return nil, err
		}
		def = d
	}
	return NewFrame(def)
}

func sortStrings(s []string) { sort.Strings(s) }

// skipBOM drops a leading UTF-8 byte order mark from JSON text (RFC 8259
// §8.1 lets a parser ignore it) and says which encoding that makes it.
func skipBOM(br *bufio.Reader) string {
	if h, _ := br.Peek(len(jsontext.BOM)); string(h) == jsontext.BOM {
		_, _ = br.Discard(len(jsontext.BOM))
		return EncodingUTF8BOM
	}
	return EncodingUTF8
}
