package shapefile

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

func TestSHPRoundTrip(t *testing.T) {
	// A square with a hole, drawn in the "wrong" GeoJSON orientation on purpose:
	//
	//	(0,10)+--------+(10,10)
	//	      |  +--+  |
	//	      |  +--+  |   hole (4,4)-(6,6)
	//	 (0,0)+--------+(10,0)
	square := orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}} // CCW
	hole := orb.Ring{{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}}       // CW
	far := orb.Ring{{20, 0}, {20, 5}, {25, 5}, {25, 0}, {20, 0}}   // CW
	tests := []struct {
		name  string
		t     ShapeType
		in    []orb.Geometry
		wantT []string
	}{
		{"points", Point, []orb.Geometry{orb.Point{113.25, 27.93}, nil, orb.Point{-1.5, 2e6}}, nil},
		{"multipoints", MultiPoint, []orb.Geometry{orb.MultiPoint{{1, 2}, {3, 4}}}, nil},
		{"lines", PolyLine, []orb.Geometry{orb.LineString{{0, 0}, {1, 1}, {2, 0}}, orb.MultiLineString{{{0, 0}, {1, 1}}, {{5, 5}, {6, 6}}}}, nil},
		{"polygons", Polygon, []orb.Geometry{orb.Polygon{square, hole}, orb.MultiPolygon{{square}, {far}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shp, shx, err := EncodeSHP(tc.t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(shx) != 100+8*len(tc.in) {
				t.Errorf(".shx is %d bytes, want %d", len(shx), 100+8*len(tc.in))
			}
			gt, got, err := ReadSHP(shp)
			if err != nil {
				t.Fatal(err)
			}
			if gt != tc.t || len(got) != len(tc.in) {
				t.Fatalf("read %s × %d, want %s × %d", gt, len(got), tc.t, len(tc.in))
			}
			for i := range got {
				if !sameShape(tc.in[i], got[i]) {
					t.Errorf("record %d: got %v, want %v", i, got[i], tc.in[i])
				}
			}
		})
	}
}

// sameShape compares geometries ignoring ring direction and start point.
func sameShape(a, b orb.Geometry) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var norm func(g orb.Geometry) orb.Geometry
	norm = func(g orb.Geometry) orb.Geometry {
		switch x := g.(type) {
		case orb.Polygon:
			out := orb.Polygon{}
			for _, r := range x {
				if r.Orientation() == orb.CW {
					r = reversed(r)
				}
				out = append(out, r)
			}
			return out
		case orb.MultiPolygon:
			out := orb.MultiPolygon{}
			for _, p := range x {
				out = append(out, norm(p).(orb.Polygon))
			}
			return out
		}
		return g
	}
	return orb.Equal(norm(a), norm(b))
}

func TestSHPWinding(t *testing.T) {
	ccw := orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}
	shp, _, err := EncodeSHP(Polygon, []orb.Geometry{orb.Polygon{ccw, orb.Ring{{4, 4}, {6, 4}, {6, 6}, {4, 6}, {4, 4}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, g, err := ReadSHP(shp)
	if err != nil {
		t.Fatal(err)
	}
	p := g[0].(orb.Polygon)
	if len(p) != 2 || p[0].Orientation() != orb.CW || p[1].Orientation() != orb.CCW {
		t.Fatalf("outer ring must be written clockwise and the hole counter-clockwise: %v", p)
	}
}

func TestSHPHeader(t *testing.T) {
	shp, shx, err := EncodeSHP(Point, []orb.Geometry{orb.Point{1, 2}, orb.Point{3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	// 100-byte header + 2 × (8-byte record header + 20-byte point).
	if len(shp) != 156 {
		t.Errorf(".shp is %d bytes, want 156", len(shp))
	}
	want := []byte{0, 0, 0x27, 0x0a} // 9994 big-endian
	if !bytes.Equal(shp[:4], want) || !bytes.Equal(shx[:4], want) {
		t.Errorf("file code %x", shp[:4])
	}
	if shp[27] != 156/2 || shx[27] != 116/2 {
		t.Errorf("file lengths in words: shp %d shx %d", shp[27], shx[27])
	}
	// The second record starts at word (100+28)/2 = 64.
	if shx[100+8+3] != 64 {
		t.Errorf("second record offset %d, want 64", shx[111])
	}
}

func TestEncodeSHPRejectsMixedTypes(t *testing.T) {
	if _, _, err := EncodeSHP(Point, []orb.Geometry{orb.LineString{{0, 0}, {1, 1}}}); err == nil {
		t.Fatal("a LineString in a Point shapefile was accepted")
	}
}

func TestDBFRoundTrip(t *testing.T) {
	fields := []Field{
		{Name: "id", Type: FieldChar, Length: 20},
		{Name: "name_zh", Type: FieldChar, Length: 15},
		{Name: "n", Type: FieldNumeric, Length: 18},
		{Name: "x", Type: FieldNumeric, Length: 24, Decimals: 15},
		{Name: "flag", Type: FieldLogical, Length: 1},
	}
	recs := [][]any{
		{"area-cbd", "中央商务区", 3.0, 1.25, true},
		{"area-x", "荷塘月色片区超长", nil, -0.5, false}, // 24 bytes of UTF-8 cut to 15
		{"", nil, 0.0, nil, nil},
	}
	b, cut, err := EncodeDBF(fields, recs, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if cut != 1 {
		t.Errorf("truncated = %d, want 1", cut)
	}
	if b[1] != 126 || b[2] != 11 || b[3] != 26 {
		t.Errorf("date bytes %v", b[1:4])
	}
	dec, err := Decoder("UTF-8", 0)
	if err != nil {
		t.Fatal(err)
	}
	gotF, gotR, err := ReadDBF(b, dec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fields, gotF); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	want := [][]any{
		{"area-cbd", "中央商务区", 3.0, 1.25, true},
		{"area-x", "荷塘月色片", nil, -0.5, false},
		{nil, nil, 0.0, nil, nil},
	}
	if diff := cmp.Diff(want, gotR); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestDecoderGBK(t *testing.T) {
	gbk := []byte{0xba, 0xc9, 0xcc, 0xc1} // 荷塘 in GBK
	for _, tc := range []struct {
		cpg  string
		ldid byte
	}{{"GBK", 0}, {"936", 0}, {"", 0x4D}} {
		dec, err := Decoder(tc.cpg, tc.ldid)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := dec(gbk); err != nil || s != "荷塘" {
			t.Errorf("cpg %q ldid %#x: %q, %v", tc.cpg, tc.ldid, s, err)
		}
	}
	dec, _ := Decoder("", 0)
	if _, err := dec(gbk); err == nil {
		t.Error("GBK bytes decoded as UTF-8 without error")
	}
	if _, err := Decoder("EBCDIC", 0); err == nil {
		t.Error("unknown code page accepted")
	}
}

// TestReadDBFFieldNames: field names are read in the file's code page, and
// a name cut inside a character (GDAL cuts UTF-8 names at 10 bytes) loses
// only the broken character.
func TestReadDBFFieldNames(t *testing.T) {
	utf8Cut := []byte("用地性质")[:10]                                // 用地性 and the first byte of 质
	gbk := []byte{0xd3, 0xc3, 0xb5, 0xd8, 0xd0, 0xd4, 0xd6, 0xca} // 用地性质 in GBK
	for _, tc := range []struct {
		name string
		raw  []byte
		cpg  string
		want string
	}{
		{"UTF-8 cut by GDAL", utf8Cut, "UTF-8", "用地性"},
		{"GBK from ArcGIS", gbk, "GBK", "用地性质"},
		{"GBK cut after 9 bytes", append(append([]byte{}, gbk...), 'a', 0xd3), "GBK", "用地性质a"},
		{"ASCII", []byte("landuse"), "UTF-8", "landuse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _, err := EncodeDBF([]Field{{Name: "x", Type: FieldChar, Length: 4}}, [][]any{{"v"}}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			name := make([]byte, 11)
			copy(name, tc.raw)
			copy(b[32:43], name)
			dec, err := Decoder(tc.cpg, 0)
			if err != nil {
				t.Fatal(err)
			}
			fields, _, err := ReadDBF(b, dec)
			if err != nil {
				t.Fatal(err)
			}
			if fields[0].Name != tc.want {
				t.Errorf("name %q, want %q", fields[0].Name, tc.want)
			}
		})
	}
}

func TestFieldNames(t *testing.T) {
	in := []string{"id", "name_zh", "description", "descriptive", "extends_beyond_district", "extends_beyond_x", "名称", "a_very_long_name"}
	want := []string{"id", "name_zh", "descriptio", "descriptiv", "extends_be", "extends__1", "__", "a_very_lon"}
	if diff := cmp.Diff(want, FieldNames(in)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTruncateUTF8(t *testing.T) {
	if got := TruncateUTF8("荷塘区", 7); got != "荷塘" {
		t.Errorf("got %q", got)
	}
}
