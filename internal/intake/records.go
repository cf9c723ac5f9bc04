package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/text/width"

	"hetang/internal/apierr"
	"hetang/internal/jsontext"
)

// Record is one input record.
type Record struct {
	// N is the 1-based record number (a table's header is not counted).
	N int
	// Geom is the geometry as read, x-first (axes swapped when the input
	// had them the other way), in the input's CRS; nil when Err is set.
	Geom orb.Geometry
	// WGS84 is Geom in WGS84 longitude/latitude.
	WGS84 orb.Geometry
	// Err says why the record has no usable geometry.
	Err *RowError
	// Row holds a table's cells (CSV, xlsx), valid UTF-8.
	Row []string
	// Props holds the members or properties of JSON-like inputs (GeoJSON,
	// NDJSON, Shapefile, GeoPackage), ID the feature id, IsFeature whether
	// the record was a GeoJSON Feature.
	Props     map[string]json.RawMessage
	ID        any
	IsFeature bool
}

// rawReader yields records with Geom as read (not swapped, not converted);
// io.EOF at the end, an *InputError when the input is broken.
type rawReader interface {
	next() (*Record, error)
	columns() []string
	// fileCRS is the CRS definition the file states ("" none, see
	// CRSNameDef) and whether it states one.
	fileCRS() (string, bool)
	close() error
}

// --- CSV ---

type csvReader struct {
	cr     *csv.Reader
	header []string
	spec   GeometrySpec
	n      int
	utf8   bool
	// decimalComma: the file separates fields with semicolons, as Excel
	// does where the comma is the decimal mark (113,17).
	decimalComma bool
	warn         []string
	choices      []GeometrySpec
}

func (c *csvReader) warnings() []string              { return c.warn }
func (c *csvReader) geometryChoices() []GeometrySpec { return c.choices }

func newCSVReader(r io.Reader, enc string, delim rune, lazy bool, opt Options) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = lazy
	lim := opt.Limits.orDefault()
	var rows [][]string
	for len(rows) < maxHeaderScan {
		h, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvFatal(0, err)
		}
		if len(h) > lim.MaxColumns {
			return nil, inputErr("表头有 %d 列，超过上限 %d", "the header has %d columns, more than the limit of %d", len(h), lim.MaxColumns)
		}
		if blank(h) {
			continue
		}
		h = cleanCells(h)
		h[0] = strings.TrimPrefix(h[0], "\ufeff")
		rows = append(rows, h)
		if headerLike(h, opt) {
			break
		}
	}
	if len(rows) == 0 {
		return nil, inputErr("CSV 文件为空：第一行须为表头，含经度/纬度、X/Y 或 wkt 列", "the CSV input is empty: it needs a header row with lon/lat, x/y or wkt columns")
	}
	header, skipped := pickHeader(rows, opt)
	c := &csvReader{cr: cr, header: header, utf8: enc == EncodingUTF8 || enc == EncodingUTF8BOM, decimalComma: delim == ';'}
	if skipped > 0 {
		c.warn = append(c.warn, skippedWarning(skipped))
	}
	if lazy {
		c.warn = append(c.warn, `a cell holds a bare " (a seconds mark?); quotes were read leniently`)
	}
	spec, choices, warn, err := detectTable(c.header, opt)
	if err != nil {
		return nil, err
	}
	c.spec, c.choices = spec, choices
	if warn != "" {
		c.warn = append(c.warn, warn)
	}
	return c, nil
}

// cleanCells makes cells valid UTF-8 in place.
func cleanCells(row []string) []string {
	for i, s := range row {
		if !utf8.ValidString(s) {
			row[i] = strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	return row
}

func csvFatal(n int, err error) error {
	if errors.Is(err, errLineTooLong) {
		return &InputError{Record: n, ZH: "有一行超过长度上限（表头列数过多或缺少换行？）", EN: "a line is longer than the limit (too many columns, or no line breaks?)"}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{Record: n, ZH: fmt.Sprintf("CSV 格式错误（第 %d 行）", pe.Line), EN: fmt.Sprintf("malformed CSV at line %d: %s", pe.Line, Echo(pe.Err.Error()))}
	}
	return err // I/O errors (body limit, cancelled) pass through
}

func (c *csvReader) columns() []string          { return c.header }
func (c *csvReader) geometrySpec() GeometrySpec { return c.spec }
func (c *csvReader) fileCRS() (string, bool)    { return "", false }
func (c *csvReader) close() error               { return nil }
func (c *csvReader) next() (*Record, error) {
	for {
		row, err := c.cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, csvFatal(c.n+1, err)
		}
		if blank(row) {
			continue
		}
		c.n++
		rec := &Record{N: c.n, Row: cleanCells(row)}
		rec.Geom, rec.Err = tableGeometry(c.header, c.spec, rec.Row, c.decimalComma)
		return rec, nil
	}
}

func blank(row []string) bool {
	for _, s := range row {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// tableGeometry reads a table row's geometry as spec says; decimalComma
// reads 113,17 as 113.17 (see parseCell).
func tableGeometry(header []string, spec GeometrySpec, row []string, decimalComma bool) (orb.Geometry, *RowError) {
	cell := func(i int) string {
		if i < len(row) {
			return row[i]
		}
		return ""
	}
	if spec.Kind == GeometryWKT {
		s := cell(spec.WKTIndex)
		if strings.TrimSpace(s) == "" {
			return nil, rowErr("%s 列为空", "the %s column is empty", Echo(header[spec.WKTIndex]))
		}
		return ParseWKT(s)
	}
	x, err := parseCell(header[spec.XIndex], cell(spec.XIndex), decimalComma)
	if err != nil {
		return nil, err
	}
	y, err := parseCell(header[spec.YIndex], cell(spec.YIndex), decimalComma)
	if err != nil {
		return nil, err
	}
	return orb.Point{x, y}, nil
}

// parseCell parses one coordinate cell (decimal or DMS); name is the column.
// Numbers as Excel writes them formatted are read too: thousands
// separators (3,084,020.175) and, when decimalComma, a decimal comma
// (113,17: the semicolon-separated CSV of locales that write decimals so).
func parseCell(name, s string, decimalComma bool) (float64, *RowError) {
	if strings.TrimSpace(s) == "" {
		return 0, rowErr("%s 为空，需要数字", "%s is empty; give a number", Echo(name))
	}
	v, _, ok := ParseValue(s)
	if !ok {
		if t, grouped := ungroup(s, decimalComma); grouped {
			v, _, ok = ParseValue(t)
		}
	}
	if !ok {
		return 0, rowErr("%s 的值 %q 不是数字（或度分秒）", "%s %q is not a number (or degrees-minutes-seconds)", Echo(name), Truncate(s))
	}
	return v, nil
}

// thousandsRe is a decimal number with comma thousands separators.
var thousandsRe = regexp.MustCompile(`^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$`)

// ungroup rewrites a number written with separators to plain decimal: the
// one comma of a decimal-comma number when decimalComma, else thousands
// separators. ok is false when s is neither.
func ungroup(s string, decimalComma bool) (string, bool) {
	t := strings.TrimSpace(width.Fold.String(s))
	if len(t) > 64 || !strings.Contains(t, ",") {
		return "", false
	}
	if decimalComma && strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		return strings.Replace(t, ",", ".", 1), true
	}
	if thousandsRe.MatchString(t) {
		return strings.ReplaceAll(t, ",", ""), true
	}
	return "", false
}

// Truncate shortens a value for a message: valid UTF-8, at most 40 bytes.
func Truncate(s string) string {
	s = Echo(s)
	if len(s) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}

// MaxWKT is the longest WKT text accepted in one cell.
const MaxWKT = 1 << 20

// ParseWKT parses a WKT POINT, POLYGON or MULTIPOLYGON.
func ParseWKT(s string) (orb.Geometry, *RowError) {
	if len(s) > MaxWKT {
		return nil, rowErr("WKT 超过 1 MiB", "the WKT is longer than 1 MiB")
	}
	g, err := wkt.Unmarshal(strings.TrimSpace(s))
	if err != nil {
		if flat, ok := flatWKT(s); ok {
			g, err = wkt.Unmarshal(flat)
		}
	}
	if err != nil {
		return nil, rowErr("WKT %q 无效：%s", "wkt %q is not valid WKT: %s", Truncate(s), Echo(err.Error()))
	}
	return AcceptGeometry(g)
}

// wktDims is a WKT dimension tag ("POLYGON Z", "PolygonZ", "POINT ZM",
// "LINESTRING M") and wktXYZ a position of three or four numbers.
var (
	wktDims = regexp.MustCompile(`(?i)(POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)\s*(ZM|Z|M)\b`)
	wktXYZ  = regexp.MustCompile(`([^\s,()]+)\s+([^\s,()]+)(?:\s+[^\s,()]+){1,2}(\s*[,)])`)
)

// flatWKT drops the dimension tags and the third and fourth numbers of
// every position of a 3D or measured WKT (as QGIS, PostGIS and GDAL write
// it), as the GeoJSON reader drops a position's altitude: locating is in
// two dimensions. ok is false when there was nothing to drop.
func flatWKT(s string) (string, bool) {
	flat := wktDims.ReplaceAllString(strings.TrimSpace(s), "$1")
	flat = wktXYZ.ReplaceAllString(flat, "$1 $2$3")
	return flat, flat != strings.TrimSpace(s)
}

// AcceptGeometry keeps the geometry types that can be located.
func AcceptGeometry(g orb.Geometry) (orb.Geometry, *RowError) {
	switch x := g.(type) {
	case orb.Point, orb.Polygon, orb.MultiPolygon:
		return x, nil
	case nil:
		return nil, rowErr("几何为空", "the geometry is empty")
	}
	return nil, rowErr("%s 无法定位：请给点、面或多面", "a %s cannot be located: give a Point, Polygon or MultiPolygon", g.GeoJSONType())
}

// --- NDJSON ---

type ndjsonReader struct {
	sc *bufio.Scanner
	n  int
}

func newNDJSONReader(r io.Reader, maxLine int) *ndjsonReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &ndjsonReader{sc: sc}
}

func (r *ndjsonReader) columns() []string       { return nil }
func (r *ndjsonReader) fileCRS() (string, bool) { return "", false }
func (r *ndjsonReader) close() error            { return nil }

func (r *ndjsonReader) next() (*Record, error) {
	for r.sc.Scan() {
		line := bytes.TrimSpace(r.sc.Bytes())
		if len(line) == 0 || line[0] == 0x1e && len(bytes.TrimSpace(line[1:])) == 0 {
			continue
		}
		if line[0] == 0x1e { // RFC 8142 record separator
			line = line[1:]
		}
		if !utf8.Valid(line) {
			line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
		}
		r.n++
		rec := &Record{N: r.n}
		props, err := decodeObject(line)
		if err != nil {
			if r.n == 1 {
				return nil, &InputError{Record: 1, ZH: "NDJSON 格式错误（每行须为一个 JSON 对象）", EN: "malformed NDJSON (one JSON object per line): " + Echo(err.Error())}
			}
			rec.Err = rowErr("NDJSON 行格式错误：%s", "malformed NDJSON line: %s", Echo(err.Error()))
			return rec, nil
		}
		if t, _ := jsonString(props["type"]); t == "Feature" {
			rec.IsFeature = true
			rec.Geom, rec.Props, rec.ID, rec.Err = featureFromJSON(line)
			return rec, nil
		}
		rec.Props = props
		rec.Geom, rec.Err = flatGeometry(props)
		return rec, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &InputError{Record: r.n + 1, ZH: "NDJSON 有一行超过长度上限", EN: "an NDJSON line is longer than the limit"}
		}
		return nil, err
	}
	return nil, io.EOF
}

func decodeObject(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := jsontext.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("the line is not a JSON object")
	}
	return m, nil
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// flatGeometry reads coordinate members (the names tables use) or wkt.
func flatGeometry(m map[string]json.RawMessage) (orb.Geometry, *RowError) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	spec, err := detectColumns(keys, "", "", "")
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return nil, &RowError{ZH: ie.ZH, EN: ie.EN}
		}
		return nil, rowErr("没有坐标成员", "the object needs lon and lat members (or x/y, wkt, or a GeoJSON Feature)")
	}
	val := func(i int) string {
		v := m[keys[i]]
		if s, ok := jsonString(v); ok {
			return s
		}
		return string(v)
	}
	if spec.Kind == GeometryWKT {
		if _, ok := jsonString(m[keys[spec.WKTIndex]]); !ok {
			k := Truncate(keys[spec.WKTIndex])
			return nil, rowErr(`成员 %q 须为 WKT 文本（字符串）；GeoJSON 几何请放在要素中发送：{"type":"Feature","geometry":…}`,
				`member %q must be WKT text (a string); send a GeoJSON geometry as a Feature: {"type":"Feature","geometry":…}`, k)
		}
		return ParseWKT(val(spec.WKTIndex))
	}
	x, rerr := parseCell(keys[spec.XIndex], val(spec.XIndex), false)
	if rerr != nil {
		return nil, rerr
	}
	y, rerr := parseCell(keys[spec.YIndex], val(spec.YIndex), false)
	if rerr != nil {
		return nil, rerr
	}
	return orb.Point{x, y}, nil
}

// featureFromJSON decodes one GeoJSON Feature, held to strict JSON
// (jsontext.Check: no key twice at any depth, nothing after it).
func featureFromJSON(b []byte) (orb.Geometry, map[string]json.RawMessage, any, *RowError) {
	var f struct {
		ID         any                        `json:"id,omitempty"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := jsontext.Unmarshal(b, &f); err != nil {
		return nil, nil, nil, rowErr("GeoJSON 要素格式错误：%s", "malformed GeoJSON Feature: %s", Echo(err.Error()))
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		return nil, f.Properties, f.ID, rowErr("要素没有几何", "the feature has no geometry")
	}
	g, rerr := GeometryFromJSON(f.Geometry)
	if rerr != nil {
		return nil, f.Properties, f.ID, rerr
	}
	if g == nil {
		return nil, f.Properties, f.ID, rowErr("要素几何为空", "the feature's geometry is empty")
	}
	geom, rerr := AcceptGeometry(g)
	return geom, f.Properties, f.ID, rerr
}

// GeometryFromJSON decodes a GeoJSON geometry object held to strict JSON;
// errors name the member and what it should hold, never a Go type.
func GeometryFromJSON(b []byte) (orb.Geometry, *RowError) {
	var probe struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := jsontext.Unmarshal(b, &probe); err != nil {
		return nil, rowErr("GeoJSON 几何格式错误：%s", "malformed GeoJSON geometry: %s", Echo(err.Error()))
	}
	switch probe.Type {
	case "GeometryCollection":
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon":
		if len(probe.Coordinates) == 0 || string(probe.Coordinates) == "null" {
			return nil, rowErr(`GeoJSON %s 缺少 "coordinates"`, `the GeoJSON %s has no "coordinates" member`, probe.Type)
		}
	case "":
		return nil, rowErr(`GeoJSON 几何缺少 "type"`, `the GeoJSON geometry has no "type" member`)
	default:
		return nil, rowErr("%s 不是 GeoJSON 几何类型", "%s is not a GeoJSON geometry type (Point, LineString, Polygon, their Multi forms, GeometryCollection)", Truncate(probe.Type))
	}
	g, err := geojson.UnmarshalGeometry(b)
	if err != nil {
		msg := Echo(jsontext.Describe(err).Error())
		return nil, rowErr(`GeoJSON %s 的 "coordinates" 格式错误：%s`, `malformed GeoJSON %s: "coordinates": %s`, probe.Type, msg)
	}
	// A GeometryCollection's parts are in Geometries, not Coordinates:
	// Geometry() gives either, so the collection is refused by name.
	return g.Geometry(), nil
}

// --- GeoJSON FeatureCollection, streamed feature by feature ---

type geojsonReader struct {
	dec     *json.Decoder
	n       int
	inArray bool
	done    bool
	sawType bool
	crsDef  string
	hasCRS  bool
	// keys are the FeatureCollection's keys so far: a key given twice is
	// refused (each feature is checked whole as it is read).
	keys []string
}

func newGeoJSONReader(r io.Reader) (*geojsonReader, error) {
	g := &geojsonReader{dec: json.NewDecoder(&validUTF8Reader{r: r})}
	tok, err := g.dec.Token()
	if err != nil {
		return nil, g.fatal(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, inputErr("GeoJSON 须为 FeatureCollection 对象", "GeoJSON input must be a FeatureCollection object")
	}
	return g, nil
}

func (g *geojsonReader) columns() []string       { return nil }
func (g *geojsonReader) fileCRS() (string, bool) { return g.crsDef, g.hasCRS }
func (g *geojsonReader) close() error            { return nil }

// fatal wraps a decoding error; the cause stays reachable with errors.As
// (an *http.MaxBytesError means the body was too large).
func (g *geojsonReader) fatal(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &InputError{Record: g.n + 1, ZH: "GeoJSON 格式错误", EN: "malformed GeoJSON: " + Echo(jsontext.Describe(err).Error()), Err: err}
	}
	return &InputError{Record: g.n + 1, ZH: "读取 GeoJSON 失败", EN: "reading GeoJSON: " + Echo(err.Error()), Err: err}
}

func (g *geojsonReader) next() (*Record, error) {
	for !g.done {
		if g.inArray {
			if g.dec.More() {
				var raw json.RawMessage
				if err := g.dec.Decode(&raw); err != nil {
					return nil, g.fatal(err)
				}
				g.n++
				rec := &Record{N: g.n, IsFeature: true}
				rec.Geom, rec.Props, rec.ID, rec.Err = featureFromJSON(raw)
				return rec, nil
			}
			if _, err := g.dec.Token(); err != nil { // ']'
				return nil, g.fatal(err)
			}
			g.inArray = false
			continue
		}
		tok, err := g.dec.Token()
		if err != nil {
			return nil, g.fatal(err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			g.done = true
			if err := g.end(); err != nil {
				return nil, err
			}
			break
		}
		key, _ := tok.(string)
		if slices.Contains(g.keys, key) {
			return nil, &InputError{Record: g.n, ZH: fmt.Sprintf("FeatureCollection 的键 %s 出现了两次", Truncate(key)),
				EN: fmt.Sprintf("the FeatureCollection has the key %s twice; give each key once", apierr.Quote(key))}
		}
		if len(g.keys) < maxCollectionKeys {
			g.keys = append(g.keys, key)
		}
		switch key {
		case "type":
			var t string
			if err := g.dec.Decode(&t); err != nil || t != "FeatureCollection" {
				return nil, inputErr("GeoJSON 须为 FeatureCollection（type 为 %q）", "GeoJSON input must be a FeatureCollection (type is %q)", Truncate(t))
			}
			g.sawType = true
		case "crs":
			var c legacyCRS
			if err := g.dec.Decode(&c); err != nil {
				return nil, g.fatal(err)
			}
			def, err := legacyCRSDef(&c)
			if err != nil {
				return nil, err
			}
			g.crsDef, g.hasCRS = def, true
		case "features":
			tok, err := g.dec.Token()
			if err != nil {
				return nil, g.fatal(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, inputErr(`GeoJSON 的 "features" 须为数组`, `GeoJSON "features" must be an array`)
			}
			g.inArray = true
		default:
			var skip json.RawMessage
			if err := g.dec.Decode(&skip); err != nil {
				return nil, g.fatal(err)
			}
		}
	}
	if !g.sawType {
		return nil, &InputError{Record: g.n, ZH: `GeoJSON 须为 FeatureCollection（缺少 "type":"FeatureCollection"）`, EN: `GeoJSON input must be a FeatureCollection ("type":"FeatureCollection" is missing)`}
	}
	return nil, io.EOF
}

// maxCollectionKeys is how many keys of a FeatureCollection are remembered
// for the duplicate check (a collection has a handful).
const maxCollectionKeys = 64

// end checks that nothing but white space follows the FeatureCollection.
func (g *geojsonReader) end() error {
	tok, err := g.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return g.fatal(err)
	}
	what := "more data"
	if err == nil {
		what = fmt.Sprint(tok)
		if d, ok := tok.(json.Delim); ok {
			what = d.String()
		}
		what = apierr.Quote(what)
	}
	return &InputError{Record: g.n, ZH: "FeatureCollection 之后还有数据（" + Echo(what) + "）；只发送一个 FeatureCollection",
		EN: "unexpected data after the FeatureCollection (" + what + "); send one FeatureCollection only"}
}

// validUTF8Reader replaces invalid UTF-8 in a JSON stream, so no invalid
// byte reaches a json.RawMessage that is copied into an answer. A rune cut
// at a read boundary is carried over to the next read.
type validUTF8Reader struct {
	r     io.Reader
	carry []byte
	out   []byte
}

func (v *validUTF8Reader) Read(p []byte) (int, error) {
	for len(v.out) == 0 {
		buf := make([]byte, len(v.carry), len(v.carry)+len(p))
		copy(buf, v.carry)
		n, err := v.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		v.carry = v.carry[:0]
		if err == nil {
			// keep an incomplete trailing rune for the next read
			for i := 1; i <= 3 && i <= len(buf); i++ {
				c := buf[len(buf)-i]
				if utf8.RuneStart(c) {
					if !utf8.FullRune(buf[len(buf)-i:]) {
						v.carry = append(v.carry, buf[len(buf)-i:]...)
						buf = buf[:len(buf)-i]
					}
					break
				}
			}
		}
		if !utf8.Valid(buf) {
			buf = bytes.ToValidUTF8(buf, []byte("\uFFFD"))
		}
		v.out = buf
		if err != nil {
			if len(v.carry) > 0 {
				v.out = append(v.out, bytes.ToValidUTF8(v.carry, []byte("\uFFFD"))...)
				v.carry = nil
			}
			if len(v.out) == 0 {
				return 0, err
			}
			n := copy(p, v.out)
			v.out = v.out[n:]
			if len(v.out) == 0 {
				return n, err
			}
			return n, nil
		}
	}
	n := copy(p, v.out)
	v.out = v.out[n:]
	return n, nil
}

// FeatureGeometry decodes one GeoJSON Feature's geometry (a Point, Polygon
// or MultiPolygon).
func FeatureGeometry(b []byte) (orb.Geometry, *RowError) {
	g, _, _, err := featureFromJSON(b)
	return g, err
}
