package gdaltest

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// ToGK projects WGS84 longitude/latitude points to CGCS2000 3-degree
// Gauss–Krüger CM 114°E (EPSG:4547) easting/northing with PROJ's cs2cs, the
// independent truth for coordinates the service projects itself. (cs2cs
// takes and gives the authorities' axis orders: latitude first in, northing
// first out.)
func ToGK(t testing.TB, pts []orb.Point) []orb.Point {
	t.Helper()
	var in strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&in, "%.15f %.15f\n", p[1], p[0])
	}
	cmd := exec.Command(Require(t, "cs2cs"), "-f", "%.6f", "EPSG:4326", "EPSG:4547")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs: %v", err)
	}
	var res []orb.Point
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("cs2cs printed %q", line)
		}
		n, err1 := strconv.ParseFloat(f[0], 64)
		e, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("cs2cs printed %q", line)
		}
		res = append(res, orb.Point{e, n})
	}
	if len(res) != len(pts) {
		t.Fatalf("cs2cs gave %d points for %d", len(res), len(pts))
	}
	return res
}
