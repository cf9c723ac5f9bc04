// Package intake decodes the files planners actually have into located
// records: one decoder for the batch locate endpoint, `hetang locate`, the
// upload inspector and the layer importer.
//
// Formats: GeoJSON (RFC 7946, or with a legacy "crs" member), NDJSON (one
// GeoJSON Feature or flat object per line), CSV/TSV (UTF-8, UTF-8 with BOM,
// UTF-16 with BOM, GBK/GB18030 detected, also behind a UTF-8 mark; comma,
// semicolon or tab separated), Excel .xlsx (the first sheet with coordinate
// columns unless told), zipped ESRI Shapefile (.prj, .cpg) and GeoPackage.
// Tabular files get their header found below title rows (a two-row header's
// names merged over two columns fill the row below) and their coordinate
// columns detected (lon/lat, lng, x/y, 经度/纬度, 东坐标/北坐标, X坐标/Y坐标,
// wkt; case-, space-, width- and BOM-insensitive); two candidate column
// sets are refused rather than guessed. Coordinate cells may be decimal
// (with thousands separators, or a decimal comma in semicolon-separated
// text) or degrees-minutes-seconds (27°51'36"N, 北纬27°51′36″).
//
// The coordinate reference system comes, in this order, from the crs
// parameter, the file (GeoJSON crs member, .prj, GeoPackage srs), or the
// numbers: lon/lat degrees, CGCS2000 3° Gauss–Krüger CM 114°E eastings
// without (EPSG:4547) or with the zone-38 prefix (EPSG:4526), Web Mercator.
// Chinese survey tables put the northing in "X" and the easting in "Y"; the
// axes are swapped when the magnitudes say so. Every assumption is reported
// in Chinese and English (CRSInfo).
//
// Sizes are bounded before work: the body size by the caller, compressed
// containers (zip, xlsx) by their declared uncompressed size, entry count
// and compression ratio before anything is expanded, text lines by length,
// tables by column count.
package intake

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is an input file format.
type Format string

// Input formats.
const (
	FormatGeoJSON    Format = "geojson"
	FormatNDJSON     Format = "ndjson"
	FormatCSV        Format = "csv"
	FormatXLSX       Format = "xlsx"
	FormatShapeZip   Format = "shapezip"
	FormatGeoPackage Format = "gpkg"
)

// Text encodings reported in Input.Encoding.
const (
	EncodingUTF8    = "UTF-8"
	EncodingUTF8BOM = "UTF-8-BOM"
	EncodingUTF16LE = "UTF-16LE"
	EncodingUTF16BE = "UTF-16BE"
	EncodingGB18030 = "GB18030"
	// EncodingBinary is reported for formats that carry their own encoding
	// (xlsx, GeoPackage: UTF-8 by definition; Shapefile: its .cpg).
	EncodingBinary = "binary"
)

// ErrInput is wrapped by every error about an input that cannot be read as
// a whole (as opposed to one bad record). Its message is for people.
var ErrInput = errors.New("intake: unreadable input")

// InputError is an input that cannot be read on: its structure is broken,
// an ambiguity needs the caller's choice, or a limit is exceeded. Record is
// the 1-based record reached (0: before any record). ZH and EN say what to
// do, in Chinese and English.
type InputError struct {
	Record int
	ZH, EN string
	Err    error // the cause, if any (an *http.MaxBytesError, a context error …)
	// choices are the candidate geometry column sets of an ambiguous
	// header (see Options.FirstColumns).
	choices []GeometrySpec
}

func (e *InputError) Error() string {
	if e.Record > 0 {
		return fmt.Sprintf("intake: input record %d: %s", e.Record, e.EN)
	}
	return "intake: " + e.EN
}

// Unwrap returns ErrInput and the cause.
func (e *InputError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInput, e.Err}
	}
	return []error{ErrInput}
}

func inputErr(zh, en string, args ...any) *InputError {
	return &InputError{ZH: sprintfZH(zh, args), EN: fmt.Sprintf(en, args...)}
}

// sprintfZH formats the Chinese message of a pair whose English one may
// take more arguments (a Go error's text, a file name): the arguments the
// Chinese format does not use are appended after "：", never left to fmt's
// "%!(EXTRA …)".
func sprintfZH(zh string, args []any) string {
	n := argsUsed(zh)
	if n >= len(args) {
		return fmt.Sprintf(zh, args...)
	}
	out := fmt.Sprintf(zh, args[:n]...)
	for i, a := range args[n:] {
		if i == 0 {
			out += "："
		} else {
			out += "；"
		}
		out += fmt.Sprint(a)
	}
	return out
}

// argsUsed counts the arguments a format string consumes (its verbs, '*'
// widths and precisions, explicit [n] indexes).
func argsUsed(format string) int {
	used, next := 0, 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) {
			c := format[i]
			switch {
			case c == '[':
				j := strings.IndexByte(format[i:], ']')
				if j < 0 {
					return max(used, next)
				}
				if k, err := strconv.Atoi(format[i+1 : i+j]); err == nil && k > 0 {
					next = k - 1
				}
				i += j + 1
				continue
			case c == '*':
				next++
				used = max(used, next)
				i++
				continue
			case strings.IndexByte("+-# 0.123456789", c) >= 0:
				i++
				continue
			}
			next++ // the verb
			used = max(used, next)
			break
		}
	}
	return used
}

// RowError is why one record has no geometry, in Chinese and English.
type RowError struct{ ZH, EN string }

func (e *RowError) Error() string { return e.EN }

func rowErr(zh, en string, args ...any) *RowError {
	return &RowError{ZH: sprintfZH(zh, args), EN: fmt.Sprintf(en, args...)}
}

// MaxEcho is the most bytes of any input text (a header, a cell, a CRS
// name) copied into a message or an answer's metadata.
const MaxEcho = 200

// Echo makes s safe to show: valid UTF-8, no control characters, at most
// MaxEcho bytes (cut on a rune boundary, with "…").
func Echo(s string) string {
	if len(s) > 4*MaxEcho {
		s = s[:4*MaxEcho]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= MaxEcho {
		return s
	}
	cut := MaxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// echoList joins names for a message, capped like Echo.
func echoList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
		if b.Len() > MaxEcho {
			break
		}
	}
	s := Echo(b.String())
	if len(names) > 1 && len(s) >= MaxEcho {
		s += fmt.Sprintf(" (%d columns)", len(names))
	}
	return s
}
