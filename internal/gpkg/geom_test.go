package gpkg

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// makeBlob builds a GeoPackage geometry blob by hand, independently of
// EncodeGeometry: header numbers in order, envelope type envType with the
// given values, then w.
func makeBlob(order binary.AppendByteOrder, envType int, empty bool, srsID int32, env []float64, w []byte) []byte {
	flags := byte(envType) << 1
	if order == binary.LittleEndian {
		flags |= 1
	}
	if empty {
		flags |= 0x10
	}
	b := []byte{'G', 'P', 0, flags}
	b = order.AppendUint32(b, uint32(srsID))
	for _, v := range env {
		b = order.AppendUint64(b, math.Float64bits(v))
	}
	return append(b, w...)
}

func mustWKB(t testing.TB, g orb.Geometry, order binary.ByteOrder) []byte {
	t.Helper()
	b, err := wkb.Marshal(g, order)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeGeometryLayout(t *testing.T) {
	b, err := EncodeGeometry(orb.LineString{{1, 2}, {3, -4}}, 4326)
	if err != nil {
		t.Fatal(err)
	}
	want := makeBlob(binary.LittleEndian, 1, false, 4326, []float64{1, 3, -4, 2}, mustWKB(t, orb.LineString{{1, 2}, {3, -4}}, binary.LittleEndian))
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("EncodeGeometry bytes (-want +got):\n%s", diff)
	}
	// GDAL writes this point as 47500001E6100000 0101000000… with no envelope;
	// ours carries an xy envelope (flags 0x03).
	if b[3] != 0x03 {
		t.Errorf("flags = %#x, want 0x03 (little-endian, xy envelope)", b[3])
	}
	e, err := EncodeGeometry(orb.Polygon{}, 4490)
	if err != nil {
		t.Fatal(err)
	}
	if e[3] != 0x11 || len(e) != 8+9 {
		t.Errorf("empty polygon: flags %#x, len %d; want 0x11 (little-endian, empty, no envelope), 17", e[3], len(e))
	}
}

func TestDecodeGeometry(t *testing.T) {
	pt := orb.Point{113.2, 27.9}
	poly := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.2, 0.1}, {0.8, 0.1}, {0.8, 0.6}, {0.2, 0.1}}}
	env := func(n int) []float64 { return make([]float64, n) }
	// Written by `ogr2ogr -f GPKG` (GDAL 3.6) for POINT (113.2 27.9).
	gdalPoint, err := hex.DecodeString("47500001E61000000101000000CDCCCCCCCC4C5C406666666666E63B40")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		blob     []byte
		want     orb.Geometry
		wantSRID int
	}{
		{"GDAL point, no envelope", gdalPoint, pt, 4326},
		{"xy envelope", makeBlob(binary.LittleEndian, 1, false, 4547, []float64{0, 1, 0, 1}, mustWKB(t, poly, binary.LittleEndian)), poly, 4547},
		{"xyz envelope", makeBlob(binary.LittleEndian, 2, false, 4326, env(6), mustWKB(t, pt, binary.LittleEndian)), pt, 4326},
		{"xym envelope", makeBlob(binary.LittleEndian, 3, false, 4326, env(6), mustWKB(t, pt, binary.LittleEndian)), pt, 4326},
		{"xyzm envelope", makeBlob(binary.LittleEndian, 4, false, 4326, env(8), mustWKB(t, pt, binary.LittleEndian)), pt, 4326},
		{"big-endian header and WKB", makeBlob(binary.BigEndian, 1, false, 3857, []float64{0, 1, 0, 1}, mustWKB(t, poly, binary.BigEndian)), poly, 3857},
		{"big-endian header, little-endian WKB", makeBlob(binary.BigEndian, 0, false, -1, nil, mustWKB(t, pt, binary.LittleEndian)), pt, -1},
		{"empty flag, empty linestring", makeBlob(binary.LittleEndian, 0, true, 0, nil, mustWKB(t, orb.LineString{}, binary.LittleEndian)), orb.LineString{}, 0},
		{"multipolygon", makeBlob(binary.LittleEndian, 1, false, 4326, env(4), mustWKB(t, orb.MultiPolygon{poly, poly}, binary.LittleEndian)), orb.MultiPolygon{poly, poly}, 4326},
		{"collection", makeBlob(binary.LittleEndian, 1, false, 4326, env(4), mustWKB(t, orb.Collection{pt, orb.LineString{{1, 1}, {2, 2}}}, binary.LittleEndian)), orb.Collection{pt, orb.LineString{{1, 1}, {2, 2}}}, 4326},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, srid, err := DecodeGeometry(tt.blob)
			if err != nil {
				t.Fatalf("DecodeGeometry: %v", err)
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("geometry (-want +got):\n%s", diff)
			}
			if srid != tt.wantSRID {
				t.Errorf("srs_id = %d, want %d", srid, tt.wantSRID)
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{-180, 90},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.LineString{{113.1, 27.8}, {113.2, 27.9}},
		orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		orb.Collection{orb.Point{1, 2}},
		orb.LineString{},
	} {
		b, err := EncodeGeometry(g, 4326)
		if err != nil {
			t.Fatalf("EncodeGeometry(%v): %v", g, err)
		}
		got, srid, err := DecodeGeometry(b)
		if err != nil {
			t.Fatalf("DecodeGeometry(EncodeGeometry(%v)): %v", g, err)
		}
		if !orb.Equal(g, got) || srid != 4326 {
			t.Errorf("round trip of %v = %v, srs %d", g, got, srid)
		}
	}
}

func TestEncodeGeometryErrors(t *testing.T) {
	tests := []struct {
		name    string
		g       orb.Geometry
		wantMsg string
	}{
		{"nil", nil, "nil geometry"},
		{"NaN", orb.Point{math.NaN(), 1}, "non-finite coordinate"},
		{"Inf in polygon", orb.Polygon{{{0, 0}, {math.Inf(1), 0}, {0, 0}}}, "non-finite coordinate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeGeometry(tt.g, 4326)
			if err == nil || !strings.HasPrefix(err.Error(), "gpkg: ") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %v, want one with prefix \"gpkg: \" mentioning %q", err, tt.wantMsg)
			}
		})
	}
}

// badBlobs are invalid geometry blobs and what their error must say.
func badBlobs(t testing.TB) []struct {
	name    string
	blob    []byte
	wantMsg string
} {
	pt := mustWKB(t, orb.Point{1, 2}, binary.LittleEndian)
	line := mustWKB(t, orb.LineString{{1, 2}, {3, 4}}, binary.LittleEndian)
	pointZ := append([]byte{1, 0xE9, 0x03, 0, 0}, make([]byte, 24)...) // ISO WKB type 1001
	return []struct {
		name    string
		blob    []byte
		wantMsg string
	}{
		{"nil", nil, "too short"},
		{"too short", []byte("GP\x00"), "too short"},
		{"wrong magic", append([]byte("XY\x00\x01\xe6\x10\x00\x00"), pt...), "bad magic"},
		{"wrong version", append([]byte("GP\x01\x01\xe6\x10\x00\x00"), pt...), "unsupported version 1"},
		{"bad envelope flag", append([]byte("GP\x00\x0b\xe6\x10\x00\x00"), pt...), "bad envelope contents indicator 5"},
		{"extended type", append([]byte("GP\x00\x21\xe6\x10\x00\x00"), pt...), "extended"},
		{"reserved bits", append([]byte("GP\x00\x41\xe6\x10\x00\x00"), pt...), "reserved flag bits"},
		{"truncated envelope", makeBlob(binary.LittleEndian, 1, false, 4326, []float64{0, 1}, nil), "truncated envelope"},
		{"no WKB", makeBlob(binary.LittleEndian, 0, false, 4326, nil, nil), "no WKB"},
		{"truncated WKB header", makeBlob(binary.LittleEndian, 0, false, 4326, nil, pt[:3]), "truncated WKB"},
		{"truncated WKB coordinates", makeBlob(binary.LittleEndian, 0, false, 4326, nil, line[:len(line)-4]), "WKB"},
		{"bad WKB byte order", makeBlob(binary.LittleEndian, 0, false, 4326, nil, append([]byte{7}, pt[1:]...)), "bad WKB byte order 7"},
		{"unknown WKB type", makeBlob(binary.LittleEndian, 0, false, 4326, nil, []byte{1, 99, 0, 0, 0, 0, 0, 0, 0}), "unknown WKB geometry type 99"},
		{"Z geometry", makeBlob(binary.LittleEndian, 0, false, 4326, nil, pointZ), "Z/M"},
		{"trailing bytes", makeBlob(binary.LittleEndian, 0, false, 4326, nil, append(append([]byte{}, pt...), 0, 0)), "2 trailing bytes"},
	}
}

func TestDecodeGeometryErrors(t *testing.T) {
	for _, tt := range badBlobs(t) {
		t.Run(tt.name, func(t *testing.T) {
			g, _, err := DecodeGeometry(tt.blob)
			if err == nil {
				t.Fatalf("DecodeGeometry = %v, want an error", g)
			}
			if !errors.Is(err, ErrInvalidGeometry) {
				t.Errorf("error %v does not wrap ErrInvalidGeometry", err)
			}
			if !strings.HasPrefix(err.Error(), "gpkg: invalid geometry blob: ") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q: want prefix \"gpkg: invalid geometry blob: \" and %q", err, tt.wantMsg)
			}
		})
	}
}

func FuzzDecodeGeometry(f *testing.F) {
	for _, g := range []orb.Geometry{
		orb.Point{113.2, 27.9},
		orb.LineString{{0, 0}, {1, 1}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.2, 0.1}, {0.8, 0.1}, {0.8, 0.6}, {0.2, 0.1}}}},
		orb.Collection{orb.Point{1, 2}, orb.MultiPoint{{3, 4}}},
		orb.Polygon{},
	} {
		b, err := EncodeGeometry(g, 4326)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(makeBlob(binary.BigEndian, 4, false, 4547, make([]float64, 8), mustWKB(f, orb.MultiLineString{{{1, 2}, {3, 4}}}, binary.BigEndian)))
	for _, bad := range badBlobs(f) {
		f.Add(bad.blob)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, srid, err := DecodeGeometry(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidGeometry) {
				t.Fatalf("error %v does not wrap ErrInvalidGeometry", err)
			}
			return
		}
		if g == nil {
			t.Fatal("nil geometry without an error")
		}
		// Whatever decodes must survive the ST_ functions and, when its
		// coordinates are finite, re-encode and decode to the same geometry.
		if _, _, err := blobBound(b); err != nil {
			t.Fatalf("blobBound of a decodable blob: %v", err)
		}
		enc, err := EncodeGeometry(g, srid)
		if err != nil {
			return // non-finite coordinates
		}
		g2, srid2, err := DecodeGeometry(enc)
		if err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		if srid2 != srid || !orb.Equal(g, g2) {
			t.Fatalf("re-encoded round trip: %v (%d) != %v (%d)", g2, srid2, g, srid)
		}
	})
}

func BenchmarkDecodeGeometry(b *testing.B) {
	ring := make(orb.Ring, 0, 1001)
	for i := range 1000 {
		a := 2 * math.Pi * float64(i) / 1000
		ring = append(ring, orb.Point{113.2 + 0.1*math.Cos(a), 27.9 + 0.1*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	for _, bc := range []struct {
		name string
		g    orb.Geometry
	}{
		{"point", orb.Point{113.2, 27.9}},
		{"polygon1000", orb.Polygon{ring}},
	} {
		blob, err := EncodeGeometry(bc.g, 4326)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(blob)))
			for b.Loop() {
				if _, _, err := DecodeGeometry(blob); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
