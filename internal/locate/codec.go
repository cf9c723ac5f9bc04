package locate

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"hetang/internal/apierr"
	"hetang/internal/decimal"
	"hetang/internal/intake"
	"hetang/internal/mediatype"
)

// Format is a batch output encoding (inputs: see internal/intake).
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

// parseCoord parses one coordinate given as a query parameter (lon=, lat=,
// from=, to=); name is used in the message. It reads the strict decimal
// grammar of package decimal, as intake.ParseValue does for decimals in
// files: hex floats, digit separators, NaN and infinities are refused.
func parseCoord(name, s string) (float64, error) {
	v, err := decimal.Parse(strings.TrimSpace(s))
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, decimal.ErrEmpty):
		return 0, fmt.Errorf("%s is empty; give a decimal number", name)
	case errors.Is(err, decimal.ErrRange):
		return 0, fmt.Errorf("%s %s is too large to be a coordinate; give a finite decimal number", name, apierr.Quote(s))
	}
	return 0, fmt.Errorf("%s %s is not a decimal number: write a finite number in digits with an optional sign, point and exponent (e.g. 113.17), not hex, '_', NaN or Inf", name, apierr.Quote(s))
}

// truncate shortens a value for a message (see intake.Truncate).
func truncate(s string) string { return intake.Truncate(s) }
