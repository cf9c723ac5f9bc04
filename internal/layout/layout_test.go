package layout_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"hetang/internal/layout"
)

// TestModelIsPureGo asserts that the model links no C: neither this package
// nor anything it imports, directly or transitively, has cgo files (GEOS,
// PROJ and SQLite come in through cgo), so code that only needs the types
// does not link them.
func TestModelIsPureGo(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	var deps []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, n, _ := strings.Cut(line, " ")
		deps = append(deps, path)
		if n != "0" {
			t.Errorf("layout depends on %s, which has %s cgo file(s)", path, n)
		}
		for _, banned := range []string{"runtime/cgo", "github.com/twpayne/go-geos", "github.com/twpayne/go-proj", "github.com/mattn/go-sqlite3"} {
			if strings.HasPrefix(path, banned) {
				t.Errorf("layout depends on %s", path)
			}
		}
	}
	if len(deps) < 2 || deps[len(deps)-1] != "hetang/internal/layout" {
		t.Fatalf("go list -deps printed %d packages, the last %q; want the dependencies then hetang/internal/layout", len(deps), deps[len(deps)-1])
	}
}

func TestFieldsOrderAndTypes(t *testing.T) {
	ly := &layout.Layer{Features: []*layout.Feature{
		{ID: "a", Properties: map[string]any{"zeta": "z", layout.PropNameZH: "甲", layout.PropID: "a", "n": 1.0, "flag": true}},
		{ID: "b", Properties: map[string]any{"n": 1.5, "mixed": "x"}},
		{ID: "c", Properties: map[string]any{"mixed": 2.0}},
	}}
	want := []layout.Field{
		{Name: layout.PropID, Type: layout.FieldText},
		{Name: layout.PropNameZH, Type: layout.FieldText},
		{Name: "flag", Type: layout.FieldBoolean},
		{Name: "mixed", Type: layout.FieldText},
		{Name: "n", Type: layout.FieldReal},
		{Name: "zeta", Type: layout.FieldText},
	}
	if diff := cmp.Diff(want, ly.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
}

func TestCheckLonLat(t *testing.T) {
	for _, tt := range []struct {
		name string
		g    orb.Geometry
		ok   bool
	}{
		{"inside", orb.Point{113.2, 27.9}, true},
		{"longitude out of range", orb.LineString{{113, 27}, {181, 27}}, false},
		{"latitude out of range", orb.Polygon{{{113, 27}, {113, 91}, {114, 27}, {113, 27}}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := layout.CheckLonLat(tt.g); (err == nil) != tt.ok {
				t.Errorf("CheckLonLat(%v) = %v, want ok=%v", tt.g, err, tt.ok)
			}
		})
	}
}
