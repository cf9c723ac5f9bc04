package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"hetang/geodata"
	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/plandata"
	"hetang/internal/store"
)

// writable builds the default layout into a GeoPackage in a temp dir and opens it writable.
func writable(t *testing.T) (*store.Store, string) {
	t.Helper()
	lay, err := plandata.Build(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "layout.gpkg")
	if err := gpkg.Write(context.Background(), path, lay); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st, path
}

func movedPlaces(t *testing.T, st *store.Store) *layout.Layer {
	t.Helper()
	old, err := st.Current().Layout.Layer(layout.LayerPlaces)
	if err != nil {
		t.Fatal(err)
	}
	ly := *old
	ly.Features = append([]*layout.Feature(nil), old.Features...)
	f := *ly.Features[0]
	f.Geometry = orb.Point{113.2001, 27.9001}
	ly.Features[0] = &f
	return &ly
}

func TestReplaceLayer(t *testing.T) {
	st, path := writable(t)
	before := st.Current()
	snap, err := st.ReplaceLayer(context.Background(), movedPlaces(t, st), "v2")
	if err != nil {
		t.Fatal(err)
	}
	if st.Current() != snap || snap.Layout.Version != "v2" || snap.Index == nil {
		t.Fatalf("current snapshot not replaced: %+v", st.Current())
	}
	// The previous snapshot is untouched (requests holding it see consistent data).
	if p, _ := before.Layout.Layer(layout.LayerPlaces); p.Features[0].Geometry == (orb.Point{113.2001, 27.9001}) {
		t.Error("old snapshot was modified in place")
	}
	// On disk: the new data, readable by a fresh reader.
	lay, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lay.Layer(layout.LayerPlaces)
	if lay.Version != "v2" || !orb.Equal(p.Features[0].Geometry, orb.Point{113.2001, 27.9001}) {
		t.Errorf("on disk: version %q, first place %v", lay.Version, p.Features[0].Geometry)
	}
}

func TestReplaceLayerFailuresLeaveDataIntact(t *testing.T) {
	st, path := writable(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before := st.Current()

	unknown := &layout.Layer{ID: "nope", GeometryType: "Point"}
	if _, err := st.ReplaceLayer(context.Background(), unknown, "v2"); !errors.Is(err, layout.ErrNotFound) {
		t.Errorf("unknown layer: %v", err)
	}
	bad := movedPlaces(t, st)
	bad.Features[0].Geometry = orb.LineString{{113.2, 27.9}, {113.3, 27.9}} // wrong type for a point layer
	if _, err := st.ReplaceLayer(context.Background(), bad, "v3"); err == nil {
		t.Error("a line in the points layer was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.ReplaceLayer(ctx, movedPlaces(t, st), "v4"); err == nil {
		t.Error("replace with a cancelled context succeeded")
	}
	if st.Current() != before {
		t.Error("a failed replacement changed the served snapshot")
	}
	now, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, now) {
		t.Error("a failed replacement changed the GeoPackage on disk")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files left in the data directory, want only the GeoPackage", len(entries))
	}
}

func TestDefaultStoreIsReadOnly(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenDefault(context.Background(), dir, geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ReadOnly() {
		t.Error("default store is writable")
	}
	if _, err := st.ReplaceLayer(context.Background(), movedPlaces(t, st), "v2"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("replace on the default store: %v, want ErrReadOnly", err)
	}
	// A damaged cache file is rebuilt, not served.
	path := st.Current().GPKGPath
	if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	st2, err := store.OpenDefault(context.Background(), dir, geodata.FS)
	if err != nil {
		t.Fatalf("reopen over a damaged cache: %v", err)
	}
	if st2.Current().Layout.Version != st.Current().Layout.Version {
		t.Error("rebuilt cache has another version")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := store.Open(context.Background(), filepath.Join(dir, "missing.gpkg")); err == nil {
		t.Error("opening a missing file succeeded")
	}
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenDefault(context.Background(), filepath.Join(notDir, "cache"), geodata.FS); err == nil {
		t.Error("a cache dir under a regular file was accepted")
	}
}
