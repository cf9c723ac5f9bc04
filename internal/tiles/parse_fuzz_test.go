package tiles

import (
	"strconv"
	"testing"
)

// FuzzParseTile checks that every accepted z/x/y is a real tile: z within
// 0–MaxZoom and x, y within the zoom's range, round-tripping to the same
// numbers.
func FuzzParseTile(f *testing.F) {
	for _, s := range [][3]string{{"0", "0", "0"}, {"14", "13345", "6893"}, {"22", "4194303", "4194303"}, {"23", "0", "0"}, {"-1", "0", "0"}, {"3", "8", "0"}, {"1", "+1", "0"}, {"64", "1", "1"}, {"5", "1e2", "3"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, zs, xs, ys string) {
		tile, err := ParseTile(zs, xs, ys)
		if err != nil {
			return
		}
		z := int(tile.Z)
		if z < 0 || z > MaxZoom {
			t.Fatalf("accepted zoom %d", z)
		}
		n := uint64(1) << z
		if uint64(tile.X) >= n || uint64(tile.Y) >= n {
			t.Fatalf("accepted tile %v outside zoom %d", tile, z)
		}
		if x, _ := strconv.ParseInt(xs, 10, 64); uint64(x) != uint64(tile.X) {
			t.Fatalf("x %q became %d", xs, tile.X)
		}
	})
}
