package shapefile

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func FuzzReadShapefile(f *testing.F) {
	for _, g := range [][]orb.Geometry{
		{orb.Point{1, 2}},
		{orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		{orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
	} {
		t, _ := ShapeTypeOf(g[0])
		shp, _, err := EncodeSHP(t, g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(shp)
	}
	f.Add(make([]byte, 100))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, geoms, err := ReadSHP(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode again (for the 2D types).
		if st.base() == st && st != NullShape {
			for _, g := range geoms {
				if g == nil {
					continue
				}
				gt, _ := ShapeTypeOf(g)
				if gt != st {
					t.Fatalf("decoded %T from a %s file", g, st)
				}
			}
		}
	})
}

func FuzzReadDBF(f *testing.F) {
	b, _, err := EncodeDBF([]Field{{Name: "id", Type: FieldChar, Length: 8}, {Name: "n", Type: FieldNumeric, Length: 10, Decimals: 2}, {Name: "l", Type: FieldLogical, Length: 1}},
		[][]any{{"a", 1.5, true}, {"荷", nil, false}}, time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{3, 0, 0, 0, 1, 0, 0, 0, 65, 0, 5, 0})
	dec, _ := Decoder("", 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, recs, err := ReadDBF(b, dec)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r != nil && len(r) != len(fields) {
				t.Fatalf("record of %d values for %d fields", len(r), len(fields))
			}
		}
	})
}
