package locate

import (
	"hetang/internal/mediatype"

	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"
)

// Format is a batch encoding.
type Format string

// Batch formats.
const (
	FormatGeoJSON Format = "geojson"
	FormatCSV     Format = "csv"
	FormatNDJSON  Format = "ndjson"
)

// MediaType returns the media type written for f.
func (f Format) MediaType() string {
	switch f {
	case FormatCSV:
		return mediatype.CSV + "; charset=utf-8"
	case FormatNDJSON:
		return mediatype.NDJSON
	}
	return mediatype.GeoJSON
}

// ParseFormat reads a format name (geojson, csv, ndjson; also json and
// jsonl) or a media type.
func ParseFormat(s string) (Format, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		t = mt
	}
	switch t {
	case "geojson", "json", mediatype.GeoJSON, mediatype.JSON, "application/vnd.geo+json":
		return FormatGeoJSON, true
	case "csv", mediatype.CSV, "application/csv", "text/plain":
		return FormatCSV, true
	case "ndjson", "jsonl", "geojsonl", "geojsonseq", mediatype.NDJSON, "application/ndjson", "application/jsonl", "application/json-seq", "application/geo+json-seq":
		return FormatNDJSON, true
	}
	return "", false
}

// Sniff guesses the format of a body from its first bytes: a JSON object
// mentioning FeatureCollection is GeoJSON, another JSON object NDJSON,
// anything else CSV.
func Sniff(head []byte) Format {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) > 0 && t[0] == '{' {
		line := t
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			line = t[:i]
		}
		if bytes.Contains(t, []byte(`"FeatureCollection"`)) && !json.Valid(bytes.TrimSpace(line)) {
			return FormatGeoJSON
		}
		if bytes.Contains(line, []byte(`"FeatureCollection"`)) {
			return FormatGeoJSON
		}
		return FormatNDJSON
	}
	return FormatCSV
}

// InputError is a batch input that cannot be read on (its structure is
// broken, not just one record): Record is the 1-based record number reached.
type InputError struct {
	Record int
	Err    error
}

func (e *InputError) Error() string { return "locate: " + e.Detail() }

// Detail says what is wrong with the input, for a client.
func (e *InputError) Detail() string {
	if e.Record > 0 {
		return fmt.Sprintf("input record %d: %v", e.Record, e.Err)
	}
	return fmt.Sprintf("input: %v", e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// record is one input record: its geometry (in the request's crs) or why it
// has none, and what to carry through to the output.
type record struct {
	n    int
	geom orb.Geometry
	err  error
	// CSV input: the row. JSON input: the properties, the feature id and
	// whether the record was a GeoJSON Feature.
	row       []string
	props     map[string]json.RawMessage
	id        any
	isFeature bool
}

// reader yields records; io.EOF at the end, an *InputError when the input
// is broken.
type reader interface {
	next() (*record, error)
	// columns are the CSV header (nil for JSON inputs).
	columns() []string
}

func newReader(f Format, r io.Reader) (reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	switch f {
	case FormatCSV:
		return newCSVReader(br)
	case FormatNDJSON:
		return newNDJSONReader(br), nil
	}
	return newGeoJSONReader(br)
}

// --- CSV ---

type csvReader struct {
	cr       *csv.Reader
	header   []string
	lon, lat int
	wkt      int
	n        int
}

// Column names recognised for coordinates (case-insensitive).
var (
	lonNames = []string{"lon", "lng", "long", "longitude", "x", "easting"}
	latNames = []string{"lat", "latitude", "y", "northing"}
	wktNames = []string{"wkt", "geometry", "geom", "the_geom", "wkt_geometry"}
)

func newCSVReader(r io.Reader) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	h, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &InputError{Err: errors.New("CSV input is empty: it needs a header row with lon,lat or wkt columns")}
		}
		return nil, csvFatal(0, err)
	}
	c := &csvReader{cr: cr, header: h, lon: -1, lat: -1, wkt: -1}
	for i, name := range h {
		n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		switch {
		case c.lon < 0 && contains(lonNames, n):
			c.lon = i
		case c.lat < 0 && contains(latNames, n):
			c.lat = i
		case c.wkt < 0 && contains(wktNames, n):
			c.wkt = i
		}
	}
	if (c.lon < 0 || c.lat < 0) && c.wkt < 0 {
		return nil, &InputError{Err: fmt.Errorf("CSV header %q has neither lon and lat columns (also lng/longitude/x, latitude/y) nor a wkt column", strings.Join(h, ","))}
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func csvFatal(n int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{Record: n, Err: fmt.Errorf("malformed CSV: %w", err)}
	}
	return err // I/O errors (body limit, cancelled) pass through
}

func (c *csvReader) columns() []string { return c.header }

func (c *csvReader) next() (*record, error) {
	row, err := c.cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, err
		}
		return nil, &InputError{Record: c.n + 1, Err: fmt.Errorf("malformed CSV at line %d: %w", pe.Line, pe.Err)}
	}
	c.n++
	rec := &record{n: c.n, row: row}
	rec.geom, rec.err = c.geometry(row)
	return rec, nil
}

func (c *csvReader) geometry(row []string) (orb.Geometry, error) {
	if c.wkt >= 0 && c.wkt < len(row) && strings.TrimSpace(row[c.wkt]) != "" {
		return ParseWKT(row[c.wkt])
	}
	if c.lon < 0 || c.lat < 0 {
		return nil, errors.New("the wkt column is empty")
	}
	if c.lon >= len(row) || c.lat >= len(row) {
		return nil, fmt.Errorf("the row has %d fields; lon and lat are columns %d and %d", len(row), c.lon+1, c.lat+1)
	}
	x, err := parseCoord(c.header[c.lon], row[c.lon])
	if err != nil {
		return nil, err
	}
	y, err := parseCoord(c.header[c.lat], row[c.lat])
	if err != nil {
		return nil, err
	}
	return orb.Point{x, y}, nil
}

// parseCoord parses one coordinate value; name is used in the message.
func parseCoord(name, s string) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%s is empty; give a decimal number", name)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a decimal number", name, truncate(s))
	}
	if !finite(v) {
		return 0, fmt.Errorf("%s %q must be a finite number", name, truncate(s))
	}
	return v, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ParseWKT parses a WKT POINT, POLYGON or MULTIPOLYGON.
func ParseWKT(s string) (orb.Geometry, error) {
	if len(s) > 1<<20 {
		return nil, errors.New("wkt is longer than 1 MiB")
	}
	g, err := wkt.Unmarshal(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("wkt %q is not valid WKT: %v", truncate(s), err)
	}
	return acceptGeometry(g)
}

// acceptGeometry keeps the geometry types a batch answers for.
func acceptGeometry(g orb.Geometry) (orb.Geometry, error) {
	switch x := g.(type) {
	case orb.Point, orb.Polygon, orb.MultiPolygon:
		return x, nil
	case nil:
		return nil, errors.New("the geometry is empty")
	}
	return nil, fmt.Errorf("a %s cannot be located: give a Point, Polygon or MultiPolygon", g.GeoJSONType())
}

// --- NDJSON ---

type ndjsonReader struct {
	sc *bufio.Scanner
	n  int
}

func newNDJSONReader(r io.Reader) *ndjsonReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	return &ndjsonReader{sc: sc}
}

func (r *ndjsonReader) columns() []string { return nil }

func (r *ndjsonReader) next() (*record, error) {
	for r.sc.Scan() {
		line := bytes.TrimSpace(r.sc.Bytes())
		if len(line) == 0 || line[0] == 0x1e && len(bytes.TrimSpace(line[1:])) == 0 {
			continue
		}
		if line[0] == 0x1e { // RFC 8142 record separator
			line = line[1:]
		}
		r.n++
		rec := &record{n: r.n}
		props, err := decodeObject(line)
		if err != nil {
			if r.n == 1 {
				return nil, &InputError{Record: 1, Err: fmt.Errorf("malformed NDJSON (one JSON object per line): %w", err)}
			}
			rec.err = fmt.Errorf("malformed NDJSON line: %v", err)
			return rec, nil
		}
		if t, _ := jsonString(props["type"]); t == "Feature" {
			rec.isFeature = true
			rec.geom, rec.props, rec.id, rec.err = featureFromJSON(line)
			return rec, nil
		}
		rec.props = props
		rec.geom, rec.err = flatGeometry(props)
		return rec, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &InputError{Record: r.n + 1, Err: errors.New("an NDJSON line is longer than 16 MiB")}
		}
		return nil, err
	}
	return nil, io.EOF
}

func decodeObject(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
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

// flatGeometry reads lon/lat (numbers or numeric strings) or wkt members.
func flatGeometry(m map[string]json.RawMessage) (orb.Geometry, error) {
	get := func(names []string) (string, json.RawMessage, bool) {
		for k, v := range m {
			if contains(names, strings.ToLower(k)) {
				return k, v, true
			}
		}
		return "", nil, false
	}
	if _, v, ok := get(wktNames); ok {
		s, isStr := jsonString(v)
		if !isStr {
			return nil, errors.New("wkt must be a string")
		}
		return ParseWKT(s)
	}
	kx, vx, okx := get(lonNames)
	ky, vy, oky := get(latNames)
	if !okx || !oky {
		return nil, errors.New("the object needs lon and lat members (or wkt, or a GeoJSON Feature)")
	}
	num := func(name string, v json.RawMessage) (float64, error) {
		if s, ok := jsonString(v); ok {
			return parseCoord(name, s)
		}
		return parseCoord(name, string(v))
	}
	x, err := num(kx, vx)
	if err != nil {
		return nil, err
	}
	y, err := num(ky, vy)
	if err != nil {
		return nil, err
	}
	return orb.Point{x, y}, nil
}

// featureFromJSON decodes one GeoJSON Feature.
func featureFromJSON(b []byte) (orb.Geometry, map[string]json.RawMessage, any, error) {
	var f struct {
		ID         any                        `json:"id,omitempty"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, nil, nil, fmt.Errorf("malformed GeoJSON Feature: %v", err)
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		return nil, f.Properties, f.ID, errors.New("the feature has no geometry")
	}
	g, err := geojson.UnmarshalGeometry(f.Geometry)
	if err != nil {
		return nil, f.Properties, f.ID, fmt.Errorf("malformed GeoJSON geometry: %v", err)
	}
	if g.Coordinates == nil {
		return nil, f.Properties, f.ID, errors.New("the feature's geometry is empty")
	}
	geom, err := acceptGeometry(g.Coordinates)
	return geom, f.Properties, f.ID, err
}

// --- GeoJSON FeatureCollection, streamed feature by feature ---

type geojsonReader struct {
	dec     *json.Decoder
	n       int
	inArray bool
	done    bool
	sawType bool
}

func newGeoJSONReader(r io.Reader) (*geojsonReader, error) {
	g := &geojsonReader{dec: json.NewDecoder(r)}
	tok, err := g.dec.Token()
	if err != nil {
		return nil, g.fatal(fmt.Errorf("malformed GeoJSON: %w", err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &InputError{Err: errors.New("GeoJSON input must be a FeatureCollection object")}
	}
	return g, nil
}

func (g *geojsonReader) columns() []string { return nil }

// fatal wraps a decoding error as an InputError; the cause stays reachable
// with errors.As (an *http.MaxBytesError means the body was too large).
func (g *geojsonReader) fatal(err error) error {
	return &InputError{Record: g.n + 1, Err: err}
}

func (g *geojsonReader) next() (*record, error) {
	for !g.done {
		if g.inArray {
			if g.dec.More() {
				var raw json.RawMessage
				if err := g.dec.Decode(&raw); err != nil {
					return nil, g.fatal(fmt.Errorf("malformed GeoJSON: %w", err))
				}
				g.n++
				rec := &record{n: g.n, isFeature: true}
				rec.geom, rec.props, rec.id, rec.err = featureFromJSON(raw)
				return rec, nil
			}
			if _, err := g.dec.Token(); err != nil { // ']'
				return nil, g.fatal(fmt.Errorf("malformed GeoJSON: %w", err))
			}
			g.inArray = false
			continue
		}
		tok, err := g.dec.Token()
		if err != nil {
			return nil, g.fatal(fmt.Errorf("malformed GeoJSON: %w", err))
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			g.done = true
			break
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var t string
			if err := g.dec.Decode(&t); err != nil || t != "FeatureCollection" {
				return nil, &InputError{Err: fmt.Errorf("GeoJSON input must be a FeatureCollection (type is %q)", t)}
			}
			g.sawType = true
		case "features":
			tok, err := g.dec.Token()
			if err != nil {
				return nil, g.fatal(fmt.Errorf("malformed GeoJSON: %w", err))
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, &InputError{Err: errors.New(`GeoJSON "features" must be an array`)}
			}
			g.inArray = true
		default:
			var skip json.RawMessage
			if err := g.dec.Decode(&skip); err != nil {
				return nil, g.fatal(fmt.Errorf("malformed GeoJSON: %w", err))
			}
		}
	}
	if !g.sawType {
		return nil, &InputError{Record: g.n, Err: errors.New(`GeoJSON input must be a FeatureCollection ("type":"FeatureCollection" is missing)`)}
	}
	return nil, io.EOF
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
