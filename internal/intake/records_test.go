package intake

import (
	"context"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestRecordErrorsAndFlattening: records that cannot be located get both
// messages whole (no fmt residue like "%!(EXTRA"), a GeometryCollection is
// refused by name (not as empty), and 3D or measured WKT (as QGIS, PostGIS
// and GDAL write it) is read in two dimensions, like GeoJSON altitudes.
func TestRecordErrorsAndFlattening(t *testing.T) {
	square := "113.2 27.89,113.22 27.89,113.22 27.91,113.2 27.91,113.2 27.89"
	square3 := "113.2 27.89 5,113.22 27.89 5,113.22 27.91 5,113.2 27.91 5,113.2 27.89 5"
	square4 := "113.2 27.89 5 1,113.22 27.89 5 1,113.22 27.91 5 1,113.2 27.91 5 1,113.2 27.89 5 1"
	want := orb.Polygon{{{113.2, 27.89}, {113.22, 27.89}, {113.22, 27.91}, {113.2, 27.91}, {113.2, 27.89}}}
	tests := []struct {
		name  string
		body  string
		opt   Options
		geom  orb.Geometry // the record's geometry, or nil
		errEN string       // part of the record's error, or ""
	}{
		{"2D WKT", "id,wkt\n1,\"POLYGON((" + square + "))\"\n", Options{}, want, ""},
		{"POLYGON Z", "id,wkt\n1,\"POLYGON Z ((" + square3 + "))\"\n", Options{}, want, ""},
		{"PolygonZ (QGIS)", "id,wkt\n1,\"PolygonZ ((" + square3 + "))\"\n", Options{}, want, ""},
		{"POLYGON ZM", "id,wkt\n1,\"POLYGON ZM((" + square4 + "))\"\n", Options{}, want, ""},
		{"MULTIPOLYGON M", "id,wkt\n1,\"MULTIPOLYGON M (((" + square3 + ")))\"\n", Options{}, orb.MultiPolygon{want}, ""},
		{"untagged 3D", "id,wkt\n1,\"POLYGON((" + square3 + "))\"\n", Options{}, want, ""},
		{"POINT Z", "id,wkt\n1,POINT Z (113.2 27.9 40)\n", Options{}, orb.Point{113.2, 27.9}, ""},
		{"five numbers", "id,wkt\n1,\"POLYGON((1 2 3 4 5,1 2))\"\n", Options{}, nil, "is not valid WKT: "},
		{"trailing garbage", "id,wkt\n1,\"POLYGON((" + square + ")) x\"\n", Options{}, nil, "is not valid WKT: "},
		{"malformed NDJSON line", "{\"lon\":113.2,\"lat\":27.9}\n{\"lon\":\n", Options{Format: FormatNDJSON}, nil, "malformed NDJSON line: "},
		{"GeoJSON geometry in a flat NDJSON object", "{\"id\":1,\"geometry\":{\"type\":\"Point\",\"coordinates\":[113.2,27.9]}}\n", Options{Format: FormatNDJSON}, nil, `member "geometry" must be WKT text (a string); send a GeoJSON geometry as a Feature`},
		{"GeometryCollection feature", "{\"lon\":113.2,\"lat\":27.9}\n" + `{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[113.2,27.89],[113.22,27.89],[113.22,27.91],[113.2,27.89]]]}]}}` + "\n",
			Options{Format: FormatNDJSON}, nil, "a GeometryCollection cannot be located"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, recs := open(t, []byte(tc.body), tc.opt)
			r := recs[len(recs)-1]
			if tc.errEN == "" {
				if r.Err != nil {
					t.Fatalf("error %v", r.Err)
				}
				if !orb.Equal(r.Geom, tc.geom) {
					t.Errorf("geometry %v, want %v", r.Geom, tc.geom)
				}
				return
			}
			if r.Err == nil || !strings.Contains(r.Err.EN, tc.errEN) {
				t.Fatalf("error %+v, want one containing %q", r.Err, tc.errEN)
			}
			for _, m := range []string{r.Err.EN, r.Err.ZH} {
				if m == "" || strings.Contains(m, "%!") {
					t.Errorf("message %q is empty or has fmt residue", m)
				}
			}
		})
	}
}

// TestJSONWithByteOrderMark: GeoJSON and NDJSON saved with a UTF-8 byte
// order mark (Notepad, PowerShell 5) are read, as RFC 8259 §8.1 allows, by
// the batch reader and by imports, instead of failing at byte 1.
func TestJSONWithByteOrderMark(t *testing.T) {
	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[113.2,27.9]}}]}`
	fs, err := ReadFeatures(context.Background(), FormatGeoJSON, []byte("\ufeff"+fc), "", FeatureOptions{})
	if err != nil || len(fs.Features) != 1 {
		t.Fatalf("import of GeoJSON with a BOM: %v", err)
	}
	for _, body := range []string{fc, `{"lon":113.2,"lat":27.9}` + "\n"} {
		in, recs := open(t, []byte("\ufeff"+body), Options{})
		if len(recs) != 1 || recs[0].Err != nil || in.Encoding != EncodingUTF8BOM {
			t.Errorf("batch %s with a BOM: %d records, encoding %s, %+v", in.Format, len(recs), in.Encoding, recs)
		}
	}
}
