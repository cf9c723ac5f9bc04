package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hetang/internal/fixture"
)

// TestLocateCLI answers a CSV file with `hetang locate` on the embedded
// layout, which it builds into HETANG_CACHE_DIR as serve does.
func TestLocateCLI(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("HETANG_CACHE_DIR", cache)
	in := filepath.Join(t.TempDir(), "points.csv")
	if err := os.WriteFile(in, []byte("name,lon,lat\njinshan,113.21,27.90\noutside,113.0,27.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"locate", in, "-format", "csv"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, &stderr)
	}
	rows, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("answers (%v):\n%v", err, rows)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	got := [][3]string{}
	for _, r := range rows[1:] {
		got = append(got, [3]string{r[col["name"]], r[col["inside_district"]], r[col["area_id"]]})
	}
	want := [][3]string{{"jinshan", "true", "area-jinshan"}, {"outside", "false", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("name, inside_district, area_id (-want +got):\n%s", diff)
	}
	built := filepath.Join(cache, "hetang-"+fixture.Layout(t).Version+".gpkg")
	if _, err := os.Stat(built); err != nil {
		t.Errorf("the embedded layout was not built into HETANG_CACHE_DIR: %v", err)
	}
}
