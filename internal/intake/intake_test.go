package intake

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"hetang/internal/gdaltest"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t testing.TB, body []byte, opt Options) (*Input, []*Record) {
	t.Helper()
	in, err := Open(context.Background(), bytes.NewReader(body), opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer in.Close()
	var recs []*Record
	for {
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, r)
	}
	return in, recs
}

func TestEncodings(t *testing.T) {
	const text = "名称,经度,纬度\n荷塘区政府,113.175,27.858\n"
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
	tests := []struct {
		name string
		body []byte
		enc  string
	}{
		{"utf8", []byte(text), EncodingUTF8},
		{"utf8 bom", append([]byte("\xef\xbb\xbf"), text...), EncodingUTF8BOM},
		{"gbk", gbk(t, text), EncodingGB18030},
		{"utf8 bom before gbk", append([]byte("\xef\xbb\xbf"), gbk(t, text)...), EncodingGB18030},
		{"utf16le bom", u16, EncodingUTF16LE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, recs := open(t, tc.body, Options{})
			if in.Encoding != tc.enc {
				t.Errorf("encoding %s, want %s", in.Encoding, tc.enc)
			}
			if got := strings.Join(in.Columns, ","); got != "名称,经度,纬度" {
				t.Errorf("columns %q", got)
			}
			if g := in.Geometry; g.Kind != GeometryXY || g.X != "经度" || g.Y != "纬度" {
				t.Errorf("geometry %+v, want xy 经度/纬度", g)
			}
			if len(recs) != 1 || recs[0].Row[0] != "荷塘区政府" || recs[0].Err != nil {
				t.Fatalf("records %+v", recs)
			}
			if p := recs[0].WGS84.(orb.Point); p != (orb.Point{113.175, 27.858}) {
				t.Errorf("point %v", p)
			}
		})
	}
}

func TestColumnDetection(t *testing.T) {
	tests := []struct {
		header         string
		opt            Options
		wantX, wantY   string
		wantWKT        string
		errSubstr      string
		errZHSubstring string
	}{
		{header: "lon,lat", wantX: "lon", wantY: "lat"},
		{header: " LNG ,Lat", wantX: " LNG ", wantY: "Lat"},
		{header: "\ufeffX,Y", wantX: "\ufeffX", wantY: "Y"},
		{header: "经度,纬度,名称", wantX: "经度", wantY: "纬度"},
		{header: "序号,东坐标,北坐标", wantX: "东坐标", wantY: "北坐标"},
		{header: "X坐标,Y坐标", wantX: "X坐标", wantY: "Y坐标"},
		{header: "Ｘ坐标,Ｙ坐标", wantX: "Ｘ坐标", wantY: "Ｙ坐标"},
		{header: "id,WKT", wantWKT: "WKT"},
		// a unit or note in brackets, as survey tables write them
		{header: "点号,X坐标(m),Y坐标(m)", wantX: "X坐标(m)", wantY: "Y坐标(m)"},
		{header: "X坐标（m）,Y坐标（m）", wantX: "X坐标（m）", wantY: "Y坐标（m）"},
		{header: "经度（E）,纬度（N）", wantX: "经度（E）", wantY: "纬度（N）"},
		{header: "X(北坐标),Y(东坐标)", wantX: "X(北坐标)", wantY: "Y(东坐标)"},
		{header: "Lon(°),Lat(°)", wantX: "Lon(°)", wantY: "Lat(°)"},
		{header: "名称(备注),经度(CGCS2000),纬度(CGCS2000)", wantX: "经度(CGCS2000)", wantY: "纬度(CGCS2000)"},
		{header: "lon,经度(°),lat", errSubstr: "several columns could hold the same coordinate: lon, 经度(°)"},
		{header: "lon,lat,x,y", errSubstr: "two candidate coordinate column sets: lon/lat (lon, lat); x/y (x, y)", errZHSubstring: "两组"},
		{header: "lon,经度,lat", errSubstr: "several columns could hold the same coordinate: lon, 经度"},
		{header: "lon,lat,wkt", errSubstr: "two candidate"},
		{header: "lon,lat,x,y", opt: Options{X: "x", Y: "y"}, wantX: "x", wantY: "y"},
		{header: "a,b", opt: Options{X: "a", Y: "b"}, wantX: "a", wantY: "b"},
		{header: "a,b", opt: Options{X: "a", Y: "c"}, errSubstr: "y=c names no column"},
		{header: "经度,name", errSubstr: "not its partner"},
		{header: "name,note", errSubstr: "has no coordinate columns"},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			spec, err := detectColumns(strings.Split(tc.header, ","), tc.opt.X, tc.opt.Y, tc.opt.WKT)
			if tc.errSubstr != "" {
				var ie *InputError
				if !errors.As(err, &ie) || !strings.Contains(ie.EN, tc.errSubstr) || !strings.Contains(ie.ZH, tc.errZHSubstring) {
					t.Fatalf("error %v, want one containing %q / %q", err, tc.errSubstr, tc.errZHSubstring)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if spec.X != tc.wantX || spec.Y != tc.wantY || spec.Column != tc.wantWKT {
				t.Errorf("got x=%q y=%q wkt=%q, want %q %q %q", spec.X, spec.Y, spec.Column, tc.wantX, tc.wantY, tc.wantWKT)
			}
		})
	}
}

func TestCRSDetection(t *testing.T) {
	tests := []struct {
		name, csv, crsParam string
		wantCode, source    string
		swap                bool
	}{
		{"lonlat", "lon,lat\n113.17,27.86\n113.2,27.9\n", "", "CRS84", SourceDetected, false},
		{"latlon in x,y", "x,y\n27.86,113.17\n", "", "CRS84", SourceDetected, true},
		{"gk no prefix", "x,y\n421200,3082500\n", "", "EPSG:4547", SourceDetected, false},
		{"gk survey X northing", "X坐标,Y坐标\n3082500,421200\n", "", "EPSG:4547", SourceDetected, true},
		{"gk zone 38", "东坐标,北坐标\n38421200,3082500\n", "", "EPSG:4526", SourceDetected, false},
		{"gk zone 38 swapped", "X,Y\n3082500,38421200\n", "", "EPSG:4526", SourceDetected, true},
		{"web mercator", "x,y\n12598000,3230000\n", "", "EPSG:3857", SourceDetected, false},
		{"param gcj02", "lon,lat\n113.17,27.86\n", "GCJ02", "GCJ02", SourceParameter, false},
		{"param 4547 swapped numbers", "X,Y\n3082500,421200\n", "EPSG:4547", "EPSG:4547", SourceParameter, true},
		{"unrecognised", "x,y\n1,2\n", "", "CRS84", SourceDefault, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, recs := open(t, []byte(tc.csv), Options{CRS: tc.crsParam})
			if in.CRS.Code != tc.wantCode || in.CRS.Source != tc.source || in.CRS.SwapXY != tc.swap {
				t.Fatalf("crs %+v, want %s/%s swap=%v", in.CRS, tc.wantCode, tc.source, tc.swap)
			}
			if in.CRS.ReasonZH == "" || in.CRS.ReasonEN == "" {
				t.Errorf("no reason: %+v", in.CRS)
			}
			if tc.source == SourceDetected && tc.wantCode != "CRS84" {
				p, ok := recs[0].WGS84.(orb.Point)
				if !ok || p[0] < 113.1 || p[0] > 113.3 || p[1] < 27.8 || p[1] > 27.95 {
					t.Errorf("WGS84 %v (%v) is not in Hetang", recs[0].WGS84, recs[0].Err)
				}
			}
		})
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"113.17", 113.17, true},
		{" 421200 ", 421200, true},
		{"１１３.１７", 113.17, true},
		{`27°51'36"N`, 27.86, true},
		{`N27°51′36″`, 27.86, true},
		{`113°10'12"E`, 113.17, true},
		{"27度51分36秒", 27.86, true},
		{`113°10'12"W`, -113.17, true},
		{"113.17E", 113.17, true},
		{"27 51 36 N", 27.86, true},
		{"27°61'", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"1e400", 0, false},
		{"abc", 0, false},
		{"", 0, false},
		{"N27°E", 0, false},
		{"1_13.17", 0, false},
		{"0x71", 0, false},
		{"0x1.c4ap6", 0, false},
		{"1_13.17E", 0, false},
		{"０x71", 0, false},
		{"+113.17", 113.17, true},
		{"东经113°10′12″", 113.17, true},
		{"北纬27°51′36″", 27.86, true},
		{"西经113°10′12″", -113.17, true},
		{"东经北纬27°", 0, false},
		{".5", 0.5, true},
	}
	for _, tc := range tests {
		got, _, ok := ParseValue(tc.in)
		if ok != tc.ok || ok && (got-tc.want > 1e-9 || tc.want-got > 1e-9) {
			t.Errorf("ParseValue(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		opt    Options
		substr string
	}{
		{"empty csv", nil, Options{Format: FormatCSV}, "empty"},
		{"unknown crs", []byte("lon,lat\n1,2\n"), Options{CRS: "EPSG:99999999"}, "unknown CRS name"},
		{"not geojson", []byte(`{"type":"Feature"}`), Options{Format: FormatGeoJSON}, "FeatureCollection"},
		{"not a zip", []byte("PK\x03\x04garbage"), Options{}, "not a zip file"},
		{"xlsx not a workbook", zipOf(t, map[string]string{"a.txt": "x"}), Options{Format: FormatXLSX}, "not an Excel"},
		{"zip no shp", zipOf(t, map[string]string{"a.txt": "x"}), Options{}, "no .shp"},
		{"gpkg garbage", append([]byte("SQLite format 3\x00"), make([]byte, 100)...), Options{}, "GeoPackage"},
		{"bad geojson crs", []byte(`{"type":"FeatureCollection","crs":{"type":"link"},"features":[]}`), Options{}, "crs member"},
		// files planners have that are not read: what to do instead, not
		// "the header <?xml … has no coordinate columns"
		{"old xls", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...), Options{Filename: "地块.xls"}, "save it as .xlsx or CSV"},
		{"old xls unnamed", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...), Options{}, "old Excel .xls"},
		{"kml", []byte(`<?xml version="1.0" encoding="utf-8" ?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>`), Options{}, "KML/KMZ is not read"},
		{"kmz", zipOf(t, map[string]string{"doc.kml": "<kml/>"}), Options{Filename: "奥维.kmz"}, "KML/KMZ is not read"},
		{"dxf", []byte("0\nSECTION\n2\nHEADER\n"), Options{Filename: "红线.dxf"}, "CAD drawings"},
		{"lone shp", append([]byte("\x00\x00\x27\x0a"), make([]byte, 96)...), Options{Filename: "地块.shp"}, "zip it with its .dbf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Open(context.Background(), bytes.NewReader(tc.body), tc.opt)
			if err == nil {
				in.Close()
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.EN, tc.substr) || ie.ZH == "" {
				t.Fatalf("error %v, want an InputError containing %q with a Chinese message", err, tc.substr)
			}
			if !errors.Is(err, ErrInput) {
				t.Error("not ErrInput")
			}
		})
	}
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, s := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb is a zip whose one entry expands to size bytes of zeros.
func bomb(t testing.TB, name string, size int64, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, s := range extra {
		w, _ := zw.Create(n)
		io.WriteString(w, s)
	}
	// The member is size zeros, deflated. Deflating them all would cost
	// seconds of CPU per GiB; instead one MiB is deflated after a MiB of
	// history, and that block, which refers only to zeros, is repeated: a
	// valid stream (checked below) made in milliseconds.
	const mib = 1 << 20
	if size%mib != 0 || size < 2*mib {
		t.Fatalf("bomb size %d is not a whole number of MiB ≥ 2", size)
	}
	var first, steady bytes.Buffer
	fw, _ := flate.NewWriter(&first, flate.BestCompression)
	zero := make([]byte, mib)
	fw.Write(zero)
	fw.Flush()
	fw.Reset(&steady)
	fw.Write(zero) // a fresh history: a block that may refer to nothing
	fw.Flush()
	steady.Reset()
	fw.Write(zero) // now with a MiB of zeros behind it
	fw.Flush()
	var tail bytes.Buffer
	fw.Reset(&tail)
	fw.Close() // an empty final block
	var data bytes.Buffer
	data.Write(first.Bytes())
	for range size/mib - 1 {
		data.Write(steady.Bytes())
	}
	data.Write(tail.Bytes())
	crc := crc32.NewIEEE()
	for range size / mib {
		crc.Write(zero)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(data.Len()), UncompressedSize64: uint64(size)})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// The member inflates to zeros (its first 8 MiB read back).
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, min(size, 8*mib))
	if _, err := io.ReadFull(rc, head); err != nil || !bytes.Equal(head, make([]byte, len(head))) {
		t.Fatalf("the bomb does not inflate to zeros: %v", err)
	}
	return buf.Bytes()
}

// TestZipBombsRefusedBeforeExpanding: a ~1 MiB zip (Shapefile or xlsx) that
// declares 1 GiB is refused from its central directory, and the heap does
// not climb while doing so.
func TestZipBombsRefusedBeforeExpanding(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1 GiB-expanding zip")
	}
	shp := bomb(t, "x.shp", 1<<30, map[string]string{"x.dbf": ""})
	xlsx := bomb(t, "xl/worksheets/sheet1.xml", 1<<30, map[string]string{"xl/workbook.xml": "<workbook/>", "[Content_Types].xml": "<Types/>"})
	t.Logf("bomb sizes: shp zip %d bytes, xlsx %d bytes (each expands to 1 GiB)", len(shp), len(xlsx))
	for name, body := range map[string][]byte{"shapezip": shp, "xlsx": xlsx} {
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Open(context.Background(), bytes.NewReader(body), Options{})
			runtime.ReadMemStats(&after)
			var ie *InputError
			if !errors.As(err, &ie) || !(strings.Contains(ie.EN, "expands to more than") || strings.Contains(ie.EN, "compression ratio")) {
				t.Fatalf("error %v, want a refusal before expanding", err)
			}
			if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > 64<<20 {
				t.Errorf("allocated %d MiB refusing a bomb", grown>>20)
			}
		})
	}
	// Under the size limit but over the ratio: 64 MiB of zeros in ~64 KiB.
	ratio := bomb(t, "x.shp", 64<<20, map[string]string{"x.dbf": ""})
	_, err := Open(context.Background(), bytes.NewReader(ratio), Options{})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.EN, "compression ratio") {
		t.Fatalf("ratio bomb: %v", err)
	}
}

// TestHostileSizes: a header of a million columns is refused without being
// echoed, an over-long line is refused, and invalid UTF-8 never comes out.
func TestHostileSizes(t *testing.T) {
	wide := strings.Repeat("col,", 1_000_000) + "lon,lat\n1,2\n"
	_, err := Open(context.Background(), strings.NewReader(wide), Options{})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.EN, "1000002 columns") {
		t.Fatalf("wide header: %v", err)
	}
	if len(ie.EN) > 400 || len(ie.ZH) > 400 {
		t.Errorf("message too long: %d bytes", len(ie.EN))
	}
	noCoords := strings.Repeat("c,", 900) + "d\n1\n"
	_, err = Open(context.Background(), strings.NewReader(noCoords), Options{})
	if !errors.As(err, &ie) || len(ie.EN) > 2*MaxEcho+300 {
		t.Fatalf("header echo not capped: %d bytes: %v", len(ie.EN), err)
	}
	long := "lon,lat,note\n1,2," + strings.Repeat("x", 20<<20) + "\n"
	_, err = Open(context.Background(), strings.NewReader(long), Options{Limits: Limits{MaxLine: 1 << 20}})
	if !errors.As(err, &ie) || !strings.Contains(ie.EN, "longer than the limit") {
		t.Fatalf("long line: %v", err)
	}
	ndLong := "{\"lon\":1,\"lat\":2}\n{\"note\":\"" + strings.Repeat("x", 2<<20) + "\"}\n"
	in, err := Open(context.Background(), strings.NewReader(ndLong), Options{Format: FormatNDJSON, Limits: Limits{MaxLine: 1 << 20}})
	if err == nil {
		_, err = in.Next()
		if err == nil {
			_, err = in.Next()
		}
		in.Close()
	}
	if !errors.As(err, &ie) || !strings.Contains(ie.EN, "longer than the limit") {
		t.Fatalf("long NDJSON line: %v", err)
	}
	// Invalid UTF-8 after the sniffed prefix is replaced, never copied.
	bad := "lon,lat,note\n" + strings.Repeat("113.2,27.9,ok\n", 6000) + "113.2,27.9,\xff\xfe\n"
	_, recs := open(t, []byte(bad), Options{})
	if last := recs[len(recs)-1].Row[2]; last != "\uFFFD" {
		t.Errorf("invalid bytes came out as %q", last)
	}
	nd := `{"lon":113.2,"lat":27.9,"n":"` + "\xff" + `"}` + "\n"
	_, recs = open(t, []byte(nd), Options{})
	if s := string(recs[0].Props["n"]); !strings.Contains(s, "\uFFFD") {
		t.Errorf("NDJSON invalid UTF-8 kept: %q", s)
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "说明")
	f.SetCellValue("说明", "A1", "这一页没有坐标")
	f.NewSheet("点位")
	rows := [][]any{{"名称", "东坐标", "北坐标"}, {"金山", 38421200.123456, 3082500.5}, {"", "", ""}, {"空", "", 3082500}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("点位", cell, &r)
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 2}) // "0.00": must not round what is read
	f.SetCellStyle("点位", "B2", "C2", style)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// Without sheet=, the first sheet with coordinate columns is read,
	// and the answer says so.
	in, _ := open(t, buf.Bytes(), Options{Filename: "pts.xlsx"})
	if in.Geometry.X != "东坐标" || len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "read sheet 点位") {
		t.Fatalf("without sheet=: geometry %+v warnings %q, want sheet 点位 read and said", in.Geometry, in.Warnings)
	}
	_, err := Open(context.Background(), bytes.NewReader(buf.Bytes()), Options{Filename: "pts.xlsx", Sheet: "说明"})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.EN, "no coordinate columns") {
		t.Fatalf("sheet=说明 has no coordinates; got %v", err)
	}
	in, recs := open(t, buf.Bytes(), Options{Filename: "pts.xlsx", Sheet: "点位"})
	if in.Format != FormatXLSX || in.CRS.Code != "EPSG:4526" {
		t.Fatalf("format %s crs %+v", in.Format, in.CRS)
	}
	if g := in.Geometry; g.Kind != GeometryXY || g.X != "东坐标" || g.Y != "北坐标" {
		t.Errorf("xlsx geometry %+v, want xy 东坐标/北坐标", g)
	}
	if len(recs) != 2 || recs[0].Row[1] != "38421200.123456" || recs[1].Err == nil || !strings.Contains(recs[1].Err.ZH, "东坐标") {
		t.Fatalf("records %+v / %+v", recs[0], recs[len(recs)-1])
	}
	if _, err := Open(context.Background(), bytes.NewReader(buf.Bytes()), Options{Sheet: "nope"}); err == nil || !strings.Contains(err.Error(), "no sheet") {
		t.Errorf("missing sheet: %v", err)
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]Format{
		`{"type":"FeatureCollection","features":[]}`:               FormatGeoJSON,
		"{\n \"type\": \"FeatureCollection\",\n \"features\": []}": FormatGeoJSON,
		"{\"lon\":1,\"lat\":2}\n{\"lon\":1,\"lat\":2}":             FormatNDJSON,
		"lon,lat\n1,2\n":       FormatCSV,
		"PK\x03\x04":           FormatShapeZip,
		"SQLite format 3\x00x": FormatGeoPackage,
	} {
		if got := sniff([]byte(in)); got != want {
			t.Errorf("sniff(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEcho(t *testing.T) {
	long := strings.Repeat("名", 1000)
	if got := Echo(long); len(got) > MaxEcho+4 || !strings.HasSuffix(got, "…") {
		t.Errorf("Echo kept %d bytes", len(got))
	}
	if got := Echo("a\xffb\nc"); got != "a\uFFFDb c" {
		t.Errorf("Echo = %q", got)
	}
}

// TestStrictGeoJSONFile checks whole GeoJSON files (imports) are held to
// strict JSON: a key twice at any depth, or data after the collection, is
// refused with a message that names it and no Go type.
func TestStrictGeoJSONFile(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"features twice", `{"type":"FeatureCollection","features":[],"features":[]}`, `key "features" is given twice`},
		{"property twice", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a","id":"b"},"geometry":null}]}`, `key "id" is given twice`},
		{"trailing data", `{"type":"FeatureCollection","features":[]} {}`, "unexpected data after the JSON value"},
		{"wrong kind", `{"type":"FeatureCollection","features":{}}`, `"features": expected an array, found an object`},
	} {
		_, err := ReadFeatures(context.Background(), FormatGeoJSON, []byte(tc.in), "", FeatureOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "geojson.") {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSpreadsheetNumbers: coordinates as spreadsheets write them into text
// files: a decimal comma in semicolon-separated CSV, thousands separators,
// DMS with 东经/北纬 and a bare seconds mark in a hand-typed tab file.
func TestSpreadsheetNumbers(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want []*orb.Point // WGS84, or nil for a row error
		warn string
	}{
		{"semicolon decimal comma", []byte("Name;Lon;Lat\r\na;113,17;27,86\r\nb;113.2;27.9\r\n"), []*orb.Point{{113.17, 27.86}, {113.2, 27.9}}, ""},
		// A comma in comma-separated text is a thousands separator, never a
		// decimal mark; 113,170 is not a longitude.
		{"comma thousands", []byte("lon,lat\n\"113,17\",27.86\n"), []*orb.Point{nil}, ""},
		{"tab dms bare quote", gbk(t, "名称\t经度\t纬度\r\n甲\t113°10'12\"E\t27°51'36\"N\r\n乙\t东经113°10′12″\t北纬27°51′36″\r\n"), []*orb.Point{{113.17, 27.86}, {113.17, 27.86}}, "bare"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, recs := open(t, tc.body, Options{})
			if len(recs) != len(tc.want) {
				t.Fatalf("%d records, want %d", len(recs), len(tc.want))
			}
			for i, w := range tc.want {
				if w == nil {
					if recs[i].Err == nil {
						t.Errorf("record %d: %v, want a row error", i+1, recs[i].WGS84)
					}
					continue
				}
				if recs[i].Err != nil {
					t.Fatalf("record %d: %v", i+1, recs[i].Err)
				}
				if p := recs[i].WGS84.(orb.Point); abs(p[0]-w[0]) > 1e-9 || abs(p[1]-w[1]) > 1e-9 {
					t.Errorf("record %d: %v, want %v", i+1, p, w)
				}
			}
			if got := strings.Join(in.Warnings, "; "); !strings.Contains(got, tc.warn) {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
		})
	}
	// EPSG:4526 with X the northing, thousands separators as Excel writes a
	// formatted column; the truth is cs2cs EPSG:4326 → EPSG:4526 of the
	// point: 27.8672598565 113.152613263563 → 3084020.175 38416545.818.
	_, recs := open(t, []byte("点号,X坐标,Y坐标\r\nJ1,\"3,084,020.175\",\"38,416,545.818\"\r\n"), Options{})
	if len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("thousands: %+v", recs)
	}
	if p := recs[0].WGS84.(orb.Point); abs(p[0]-113.152613263563) > 1e-7 || abs(p[1]-27.8672598565) > 1e-7 {
		t.Errorf("thousands: %v, want 113.152613263563 27.8672598565", p)
	}
	// A broken quoted cell stays an error: lenient quotes would run the
	// lines after it into one cell.
	_, err := Open(context.Background(), strings.NewReader("lon,lat,note\n113.2,27.9,\"open\n113.2,27.9,x\"y\"\n"), Options{})
	if err == nil {
		t.Error("a broken quoted cell was read")
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestHeaderBelowTitle: a title row (merged over the columns in Excel, a
// row of one cell and empty ones in its CSV) and a two-row header ("坐标"
// merged over 经度 and 纬度, the other names merged down) above the data.
func TestHeaderBelowTitle(t *testing.T) {
	csvBody := gbk(t, "荷塘区项目选址坐标表,,,,\r\n序号,项目名称,经度,纬度,备注\r\n1,甲,113.17,27.86,\r\n")
	in, recs := open(t, csvBody, Options{})
	if got := strings.Join(in.Columns, ","); got != "序号,项目名称,经度,纬度,备注" || len(recs) != 1 || recs[0].Err != nil || recs[0].Row[1] != "甲" {
		t.Fatalf("csv: columns %q records %+v", got, recs)
	}
	if len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "1 row(s) above the header") {
		t.Errorf("csv warnings %q", in.Warnings)
	}
	// A title line of one cell has no separator: the separator is taken
	// from the header below it.
	for _, body := range [][]byte{
		gbk(t, "荷塘区项目选址坐标表\r\n名称\t经度\t纬度\r\n甲\t113.17\t27.86\r\n"),
		[]byte("Koordinaten Hetang\r\nName;Lon;Lat\r\na;113,17;27,86\r\n"),
	} {
		in, recs := open(t, body, Options{})
		if len(in.Columns) != 3 || len(recs) != 1 || recs[0].Err != nil || recs[0].WGS84.(orb.Point) != (orb.Point{113.17, 27.86}) {
			t.Errorf("one-cell title: columns %q records %+v", in.Columns, recs)
		}
	}

	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"荷塘区项目选址坐标表"},
		{"序号", "项目名称", "坐标", nil, "登记日期"},
		{nil, nil, "经度", "纬度"},
		{1, "甲", 113.17, 27.86, 45717},
		{},
		{2, "乙", 113.2, 27.9, 45718},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	for _, m := range [][2]string{{"A1", "E1"}, {"C2", "D2"}, {"A2", "A3"}, {"B2", "B3"}, {"E2", "E3"}} {
		if err := f.MergeCell("Sheet1", m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	in, recs = open(t, buf.Bytes(), Options{Filename: "t.xlsx"})
	if got := strings.Join(in.Columns, ","); got != "序号,项目名称,经度,纬度,登记日期" {
		t.Errorf("xlsx columns %q", got)
	}
	if len(recs) != 2 || recs[0].Err != nil || recs[1].Err != nil || recs[1].WGS84.(orb.Point) != (orb.Point{113.2, 27.9}) {
		t.Fatalf("xlsx records %+v", recs)
	}
	if len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "2 row(s) above the header") {
		t.Errorf("xlsx warnings %q", in.Warnings)
	}
}

// TestGeoPackageLayers: a GeoPackage with two layers, made by ogr2ogr,
// is refused with a message naming both (in both languages, with no
// formatting debris) until layer= picks one.
func TestGeoPackageLayers(t *testing.T) {
	dir, src := pointGeoJSON(t, "甲", orb.Point{113.17, 27.86})
	gp := filepath.Join(dir, "two.gpkg")
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "GPKG", gp, src, "-nln", "地块")
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "GPKG", "-update", gp, src, "-nln", "点位")
	b, err := os.ReadFile(gp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ layer, en, zh string }{
		{"", "several feature tables, 地块, 点位; say which with layer=", "GeoPackage 有多个要素表 地块, 点位，请用 layer="},
		{"nope", `none is named "nope"`, `没有名为 "nope" 的要素表；现有 地块, 点位`},
	} {
		_, err := Open(context.Background(), bytes.NewReader(b), Options{Layer: tc.layer})
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.EN, tc.en) || !strings.Contains(ie.ZH, tc.zh) || strings.Contains(ie.ZH+ie.EN, "%!") {
			t.Errorf("layer=%q: %v / %q, want %q / %q", tc.layer, err, ie.ZH, tc.en, tc.zh)
		}
	}
	// The inspector previews the first and lists them all.
	in, recs := open(t, b, Options{FirstLayer: true})
	if strings.Join(in.Layers, ",") != "地块,点位" || in.Layer != "地块" || len(recs) != 1 || len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "choose another with layer=") {
		t.Errorf("FirstLayer: layers %q layer %q warnings %q", in.Layers, in.Layer, in.Warnings)
	}
	in, recs = open(t, b, Options{Layer: "点位"})
	if in.Format != FormatGeoPackage || len(recs) != 1 || recs[0].WGS84.(orb.Point) != (orb.Point{113.17, 27.86}) {
		t.Fatalf("layer=点位: %s %+v", in.Format, recs)
	}
}

// TestXLSXCells: cells outside the coordinate columns as a planner sees
// them: a date (stored as Excel's day count 45717, shown by the built-in
// short date 14) as ISO 8601, a date-time likewise, a percentage as shown,
// a number shown with two decimals with all its digits, a formula's cached
// value; the coordinates as stored whatever their format.
func TestXLSXCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	row := []any{"甲", 113.17123456, 27.86, 45717, 45717.5, 0.125, 12.3456789}
	f.SetSheetRow("Sheet1", "A1", &[]any{"名称", "经度", "纬度", "登记日期", "时间", "比例", "面积"})
	f.SetSheetRow("Sheet1", "A2", &row)
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	dateTime, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	pct, _ := f.NewStyle(&excelize.Style{NumFmt: 10})
	two, _ := f.NewStyle(&excelize.Style{NumFmt: 2})
	for _, s := range []struct {
		cell  string
		style int
	}{{"B2", two}, {"C2", date}, {"D2", date}, {"E2", dateTime}, {"F2", pct}, {"G2", two}} {
		f.SetCellStyle("Sheet1", s.cell, s.cell, s.style)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, recs := open(t, buf.Bytes(), Options{Filename: "c.xlsx"})
	if len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("records %+v", recs)
	}
	want := []string{"甲", "113.17123456", "27.86", "2025-03-01", "2025-03-01T12:00:00", "12.50%", "12.3456789"}
	if got := recs[0].Row[:len(want)]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("cells %q, want %q", got, want)
	}
	if p := recs[0].WGS84.(orb.Point); p != (orb.Point{113.17123456, 27.86}) {
		t.Errorf("point %v", p)
	}
}

// TestColumnNamesDistinct: a table with unnamed columns (Excel's CSV of a
// sheet with a note column without a header) and a repeated name keeps
// every cell under a name of its own; the coordinate columns keep theirs.
func TestColumnNamesDistinct(t *testing.T) {
	body := gbk(t, "名称,经度,纬度,,,备注,备注,field_4\r\n甲,113.17,27.86,注1,注2,a,b,c\r\n")
	in, recs := open(t, body, Options{})
	want := "名称,经度,纬度,field_4_2,field_5,备注,备注_2,field_4"
	if got := strings.Join(in.Columns, ","); got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	if in.Geometry.X != "经度" || len(recs) != 1 || recs[0].Err != nil || len(recs[0].Row) != 8 {
		t.Fatalf("geometry %+v records %+v", in.Geometry, recs)
	}
	for _, tc := range []struct{ in, want []string }{
		{[]string{"", ""}, []string{"field_1", "field_2"}},
		{[]string{"a", "a", "a_2"}, []string{"a", "a_3", "a_2"}},
		{nil, nil},
	} {
		if got := uniqueNames(tc.in); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("uniqueNames(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestShapefileGBKWithoutCodePage: a shapefile written by ogr2ogr in GBK
// whose .cpg was lost and whose DBF names no code page (as shapefiles from
// Chinese Windows often come) is read as GBK, with a warning, instead of a
// 400; the messages of a broken one have no formatting debris.
func TestShapefileGBKWithoutCodePage(t *testing.T) {
	dir, src := pointGeoJSON(t, "金山新城", orb.Point{113.21, 27.9})
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", filepath.Join(dir, "地块.shp"), src)
	files := map[string]string{}
	for _, ext := range []string{"shp", "shx", "dbf", "prj"} {
		b, err := os.ReadFile(filepath.Join(dir, "地块."+ext))
		if err != nil {
			t.Fatal(err)
		}
		if ext == "dbf" {
			b[29] = 0 // no language driver
		}
		files["地块."+ext] = string(b)
	}
	in, recs := open(t, zipOf(t, files), Options{})
	if len(recs) != 1 || recs[0].Err != nil || string(recs[0].Props["名称"]) != `"金山新城"` {
		t.Fatalf("records %+v", recs)
	}
	if w := strings.Join(in.Warnings, "; "); !strings.Contains(w, "no .cpg") || !strings.Contains(w, "GBK") {
		t.Errorf("warnings %q", w)
	}
	// A .cpg naming a code page the reader does not know: both messages
	// carry the cause.
	files["地块.cpg"] = "KOI8-R"
	_, err := Open(context.Background(), bytes.NewReader(zipOf(t, files)), Options{})
	var ie *InputError
	if !errors.As(err, &ie) || strings.Contains(ie.ZH, "%!") || !strings.Contains(ie.ZH, "KOI8-R") {
		t.Errorf("unknown code page: %v / %q", err, ie.ZH)
	}
}

func TestSprintfZH(t *testing.T) {
	tests := []struct {
		zh   string
		args []any
		want string
	}{
		{"无法读取", []any{"x"}, "无法读取：x"},
		{"%s 无法读取", []any{"a.shp", "bad"}, "a.shp 无法读取：bad"},
		{"%s 无法读取", []any{"a.shp", "bad", 3}, "a.shp 无法读取：bad；3"},
		{"没有 %[2]q，现有 %[1]s", []any{"a, b", "c"}, `没有 "c"，现有 a, b`},
		{"%d%% 与 %*d", []any{5, 3, 7}, "5% 与   7"},
		{"%s", nil, "%!s(MISSING)"},
	}
	for _, tc := range tests {
		if got := sprintfZH(tc.zh, tc.args); got != tc.want {
			t.Errorf("sprintfZH(%q, %v) = %q, want %q", tc.zh, tc.args, got, tc.want)
		}
	}
}

// pointGeoJSON writes a one-point GeoJSON (property 名称) into a new
// temporary directory for ogr2ogr to convert; it needs ogr2ogr.
func pointGeoJSON(t *testing.T, name string, p orb.Point) (dir, path string) {
	t.Helper()
	gdaltest.Require(t, "ogr2ogr")
	dir = t.TempDir()
	path = filepath.Join(dir, "p.geojson")
	body := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":%q},"geometry":{"type":"Point","coordinates":[%v,%v]}}]}`, name, p[0], p[1])
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// TestXLSXCellsPastSample: the second pass over the rows stops after the
// first shownSample rows; a date column past them is still written as
// dates, and a percentage column keeps the second pass going.
func TestXLSXCellsPastSample(t *testing.T) {
	for _, withPct := range []bool{false, true} {
		f := excelize.NewFile()
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		pct, _ := f.NewStyle(&excelize.Style{NumFmt: 10})
		f.SetSheetRow("Sheet1", "A1", &[]any{"经度", "纬度", "登记日期", "比例"})
		n := 3 * shownSample
		for i := 0; i < n; i++ {
			row := []any{113.17, 27.86, 45717 + i, 0.125}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			f.SetSheetRow("Sheet1", cell, &row)
			f.SetCellStyle("Sheet1", "C"+cell[1:], "C"+cell[1:], date)
			if withPct {
				f.SetCellStyle("Sheet1", "D"+cell[1:], "D"+cell[1:], pct)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, recs := open(t, buf.Bytes(), Options{Filename: "s.xlsx"})
		if len(recs) != n {
			t.Fatalf("%d records, want %d", len(recs), n)
		}
		last := recs[n-1].Row
		wantPct := "0.125"
		if withPct {
			wantPct = "12.50%"
		}
		wantDate := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n-1).Format("2006-01-02")
		if last[2] != wantDate || last[3] != wantPct {
			t.Errorf("percent styled %v: last row %q, want date %s and %s", withPct, last, wantDate, wantPct)
		}
	}
}

// TestFirstColumns: for the inspector, a header with two candidate sets is
// read with the first and lists both, also once one is chosen; without
// FirstColumns it stays a 400.
func TestFirstColumns(t *testing.T) {
	body := []byte("lon,lat,X坐标,Y坐标\n113.21,27.9,3087610.802,422221.112\n")
	if _, err := Open(context.Background(), bytes.NewReader(body), Options{}); err == nil {
		t.Fatal("two candidate sets read without FirstColumns")
	}
	for _, tc := range []struct {
		opt     Options
		x, crs  string
		warning bool
	}{
		{Options{FirstColumns: true}, "lon", "CRS84", true},
		{Options{FirstColumns: true, X: "X坐标", Y: "Y坐标"}, "X坐标", "EPSG:4547", false},
	} {
		in, recs := open(t, body, tc.opt)
		if in.Geometry.X != tc.x || in.CRS.Code != tc.crs || len(in.GeometryChoices) != 2 || in.GeometryChoices[1].Y != "Y坐标" || len(recs) != 1 || recs[0].Err != nil {
			t.Errorf("%+v: geometry %+v crs %s choices %+v", tc.opt, in.Geometry, in.CRS.Code, in.GeometryChoices)
		}
		if got := len(in.Warnings) == 1 && strings.Contains(in.Warnings[0], "first is previewed"); got != tc.warning {
			t.Errorf("%+v: warnings %q", tc.opt, in.Warnings)
		}
		if p := recs[0].WGS84.(orb.Point); abs(p[0]-113.21) > 1e-6 || abs(p[1]-27.9) > 1e-6 {
			t.Errorf("%+v: point %v", tc.opt, p)
		}
	}
}
