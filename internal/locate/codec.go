package locate

import (
	"fmt"
	"mime"
	"strconv"
	"strings"

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

// parseCoord parses one decimal coordinate value; name is used in the message.
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

// truncate shortens a value for a message (see intake.Truncate).
func truncate(s string) string { return intake.Truncate(s) }
