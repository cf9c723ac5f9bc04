package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hetang/internal/crs"
	"hetang/internal/export"
	"hetang/internal/fixture"
	"hetang/internal/gpkg"
)

// TestImportCLI imports an EPSG:4547 GeoPackage made by ogr2ogr with
// `hetang import`, then a broken one, which must leave the file unchanged.
func TestImportCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Skip("ogr2ogr not installed")
	}
	ctx := context.Background()
	lay := fixture.Layout(t)
	dir := t.TempDir()
	data := fixture.WritableGPKG(t)
	areas, _ := lay.Layer("areas")
	gj, err := export.GeoJSON(areas, crs.CRS84, lay.Version)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "areas.geojson")
	if err := os.WriteFile(src, gj, 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "survey-4547.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4547", in, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"import", "-data", data, "-layer", "areas", "-accuracy", "survey 2026", in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "imported 5 features into layer areas") || !strings.Contains(stdout.String(), "version 2,") || !strings.Contains(stdout.String(), "within a second") {
		t.Errorf("stdout:\n%s", &stdout)
	}
	got, err := gpkg.Read(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Version, lay.Version+"+") {
		t.Errorf("data version %s, want %s+…", got.Version, lay.Version)
	}

	// Only four areas: rejected, exit 1, file unchanged.
	before, _ := os.ReadFile(data)
	broken := filepath.Join(dir, "broken.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4547", "-where", "id <> 'area-cbd'", broken, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"import", "-data", data, "-layer", "areas", broken}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "areas-partition") {
		t.Errorf("findings not listed:\n%s", &stdout)
	}
	after, _ := os.ReadFile(data)
	if !bytes.Equal(before, after) {
		t.Error("rejected import changed the GeoPackage")
	}

	// Usage errors exit 2.
	if code := run(ctx, []string{"import", "-layer", "areas", in}, &stdout, &stderr); code != 2 {
		t.Errorf("missing -data: exit %d, want 2", code)
	}
}
