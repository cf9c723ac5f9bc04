package intake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzOpen feeds any bytes to the decoder under every format: it must
// return an *InputError or records, never panic, and never put invalid
// UTF-8 into a table cell.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{
		"lon,lat\n113.2,27.9\n", "X坐标,Y坐标\n3082500,421200\n", "wkt\n\"POINT (1 2)\"\n", "a;b\n1;2\n",
		"\xef\xbb\xbf经度\t纬度\n113\t27\n", "{\"lon\":1,\"lat\":2}\n",
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4547"}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[421200,3082500]}}]}`,
		"PK\x03\x04", "SQLite format 3\x00", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "<?xml version=\"1.0\"?><kml>", "\x00\x00\x27\x0a",
		"wkt\n\"PolygonZ ((1 2 3,4 5 6,7 8 9,1 2 3))\"\n", "wkt\n\"MULTIPOLYGON ZM (((1 2 3 4,5 6 7 8,9 1 2 3,1 2 3 4)))\"\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Add(gbk(f, "名称,经度,纬度\n荷塘,113.2,27.9\n"), uint8(1))
	// Shapes planners' files take: a UTF-8 mark before GBK, a decimal
	// comma, thousands separators, a bare seconds mark, a title row above
	// a two-row header.
	f.Add(append([]byte("\xef\xbb\xbf"), gbk(f, "名称,经度,纬度\n荷塘,113.2,27.9\n")...), uint8(1))
	f.Add([]byte("Lon;Lat\n113,17;27,86\n"), uint8(1))
	f.Add([]byte("X,Y\n\"3,082,500.5\",\"38,421,200\"\n"), uint8(1))
	f.Add([]byte("经度\t纬度\n113°10'12\"E\t27°51'36\"N\n"), uint8(1))
	f.Add([]byte("荷塘区选址坐标表,,,\n序号,坐标,,日期\n,经度,纬度,\n1,东经113°10′12″,北纬27°51′36″,45717\n"), uint8(1))
	formats := []Format{"", FormatCSV, FormatNDJSON, FormatGeoJSON, FormatXLSX, FormatShapeZip}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		opt := Options{Format: formats[int(which)%len(formats)], Limits: Limits{MaxUncompressed: 1 << 20, MaxLine: 1 << 16}}
		in, err := Open(context.Background(), bytes.NewReader(b), opt)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T) is not an *InputError", err, err)
			}
			if !utf8.ValidString(ie.EN) || !utf8.ValidString(ie.ZH) {
				t.Fatalf("invalid UTF-8 in message %q", ie.EN)
			}
			return
		}
		defer in.Close()
		for i := 0; i < 10000; i++ {
			r, err := in.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return
			}
			for _, c := range r.Row {
				if !utf8.ValidString(c) {
					t.Fatalf("invalid UTF-8 cell %q", c)
				}
			}
			if r.Err == nil && r.WGS84 == nil {
				t.Fatal("record without error or geometry")
			}
		}
	})
}

// FuzzParseValue: decimal and DMS coordinate text.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"113.17", `27°51'36"N`, "27度51分36秒", "１１３", "113.17E", "-0", "1e308", "°", "N"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, _, ok := ParseValue(s)
		if ok && !finite(v) {
			t.Fatalf("ParseValue(%q) = %v", s, v)
		}
	})
}

// FuzzDetectColumns: any header either names its geometry columns or says
// why not, in a bounded message.
func FuzzDetectColumns(f *testing.F) {
	for _, s := range []string{"lon,lat", "经度,纬度,lon", "X坐标,Y坐标,东坐标,北坐标", "wkt,x,y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := strings.Split(s, ",")
		spec, err := detectColumns(h, "", "", "")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.EN) > 1200 {
				t.Fatalf("error %v", err)
			}
			return
		}
		switch spec.Kind {
		case GeometryXY:
			if spec.XIndex < 0 || spec.YIndex < 0 || spec.XIndex == spec.YIndex {
				t.Fatalf("spec %+v", spec)
			}
		case GeometryWKT:
			if spec.WKTIndex < 0 {
				t.Fatalf("spec %+v", spec)
			}
		default:
			t.Fatalf("kind %q", spec.Kind)
		}
	})
}
