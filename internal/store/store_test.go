package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/geodata"
	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/store"
	"hetang/internal/store/storetest"
)

// The GeoPackage backend passes the suite every backend passes.
func TestGeoPackageBackend(t *testing.T) {
	storetest.Run(t, storetest.Fixture{
		New: func(t *testing.T, lay *layout.Layout) store.Backend {
			path := filepath.Join(t.TempDir(), "layout.gpkg")
			if err := store.Create(context.Background(), path, lay, "build"); err != nil {
				t.Fatal(err)
			}
			return openGPKG(t, path)
		},
		Reopen: func(t *testing.T, b store.Backend) store.Backend { return openGPKG(t, b.Describe()) },
	})
}

func openGPKG(t *testing.T, path string) store.Backend {
	t.Helper()
	b, err := store.OpenGPKG(context.Background(), path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writable builds the default layout into a GeoPackage in a temp dir and opens it writable.
func writable(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "layout.gpkg")
	if err := store.Create(context.Background(), path, storetest.Layout(t), "build"); err != nil {
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
	return storetest.MovePlace(t, st.Current().Layout, 0, 0.0001, 0.0001, "moved")
}

func commit(st *store.Store, ctx context.Context, ly *layout.Layer, version string) (*store.Snapshot, error) {
	return st.Commit(ctx, st.Current(), store.Change{Layers: []*layout.Layer{ly}, DataVersion: version, Kind: store.KindImport, Author: "test"})
}

// The newest version is in the GeoPackage's layer tables, readable by any
// GeoPackage reader.
func TestCommitWritesTheLayerTables(t *testing.T) {
	st, path := writable(t)
	moved := movedPlaces(t, st)
	if _, err := commit(st, context.Background(), moved, "v2"); err != nil {
		t.Fatal(err)
	}
	lay, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lay.Layer(layout.LayerPlaces)
	if lay.Version != "v2" || !orb.Equal(p.Features[0].Geometry, moved.Features[0].Geometry) {
		t.Errorf("on disk: version %q, first place %v", lay.Version, p.Features[0].Geometry)
	}
}

func TestFailedWritesLeaveDataIntact(t *testing.T) {
	st, path := writable(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before := st.Current()

	unknown := &layout.Layer{ID: "nope", GeometryType: "Point"}
	if _, err := commit(st, context.Background(), unknown, "v2"); !errors.Is(err, layout.ErrNotFound) {
		t.Errorf("unknown layer: %v", err)
	}
	bad := movedPlaces(t, st)
	bad.Features[0] = &layout.Feature{ID: bad.Features[0].ID, Properties: bad.Features[0].Properties, Geometry: orb.LineString{{113.2, 27.9}, {113.3, 27.9}}}
	if _, err := commit(st, context.Background(), bad, "v3"); err == nil {
		t.Error("a line in the points layer was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := commit(st, ctx, movedPlaces(t, st), "v4"); err == nil {
		t.Error("a commit with a cancelled context succeeded")
	}
	if st.Current() != before {
		t.Error("a failed write changed the served snapshot")
	}
	now, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, now) {
		t.Error("a failed write changed the GeoPackage on disk")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files left in the data directory, want only the GeoPackage", len(entries))
	}
}

// A GeoPackage written before the history existed (plain gpkg.Write) opens
// as version 1 and is migrated; on a directory it cannot write, it is still
// served, as version 1.
func TestLegacyGeoPackageIsMigrated(t *testing.T) {
	lay := storetest.Layout(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.gpkg")
	if err := gpkg.Write(ctx, path, lay); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v := st.Current().Version
	if v.N != 1 || v.Kind != store.KindMigration || v.DataVersion != lay.Version {
		t.Errorf("migrated version %+v", v)
	}
	want := storetest.LayoutJSON(t, lay)
	for id, j := range storetest.LayoutJSON(t, st.Current().Layout) {
		if want[id] != j {
			t.Errorf("layer %s changed by the migration", id)
		}
	}
	// The file itself now has the history: a fresh reader finds version 1.
	b, err := store.OpenGPKG(ctx, path, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vs, err := b.Versions(ctx, 0, 10); err != nil || len(vs) != 1 || vs[0].Kind != store.KindMigration {
		t.Errorf("versions in the migrated file: %+v, %v", vs, err)
	}
	// Still a GeoPackage with the same layers for other readers.
	if got, err := gpkg.Read(ctx, path); err != nil || len(got.Layers) != len(lay.Layers) || got.Version != lay.Version {
		t.Errorf("migrated file read by gpkg.Read: %v", err)
	}

	// Opened read-only (as a read-only file system forces), it is served
	// as version 1 without being changed.
	old := filepath.Join(t.TempDir(), "old.gpkg")
	if err := gpkg.Write(ctx, old, lay); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := store.OpenGPKG(ctx, old, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := store.New(ctx, rb, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Current().Version.N != 1 || rs.Current().Layout.Version != lay.Version {
		t.Errorf("unmigrated file served as %+v", rs.Current().Version)
	}
	if _, err := commit(rs, ctx, movedPlaces(t, rs), "x"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("write to a read-only store: %v", err)
	}
	if now, _ := os.ReadFile(old); !bytes.Equal(now, orig) {
		t.Error("opening read-only changed the file")
	}
	// Opened writable later, the first write migrates it and writes version 2.
	ws, err := store.New(ctx, mustOpen(t, old), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := commit(ws, ctx, movedPlaces(t, ws), "v2"); err != nil {
		t.Fatal(err)
	}
	if vs, _ := ws.Versions(ctx, 0, 10); len(vs) != 2 || vs[1].Kind != store.KindMigration {
		t.Errorf("versions after the first write: %+v", vs)
	}
}

func mustOpen(t *testing.T, path string) store.Backend {
	t.Helper()
	b, err := store.OpenGPKG(context.Background(), path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
	if _, err := commit(st, context.Background(), movedPlaces(t, st), "v2"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("commit on the default store: %v, want ErrReadOnly", err)
	}
	if _, err := st.Rollback(context.Background(), 1, store.Change{Author: "x"}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("rollback on the default store: %v, want ErrReadOnly", err)
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

// gatedBackend tells started when a Manifest of an earlier version than
// newest begins, and holds that of version hold until gate is closed.
type gatedBackend struct {
	store.Backend
	newest, hold int64
	gate         chan struct{}
	started      chan int64
}

func (g *gatedBackend) Manifest(ctx context.Context, n int64) (store.Version, []int64, error) {
	if n < g.newest {
		g.started <- n
	}
	if n == g.hold {
		<-g.gate
	}
	return g.Backend.Manifest(ctx, n)
}

// Earlier versions load a bounded number at a time: while one load runs, a
// request for another version waits only until its own deadline and is
// then refused (not ErrNoVersion: the version exists), and is served once
// the slot is free. A sweep through ?version=1, 2, 3 … cannot take every
// core.
func TestHistoryLoadsTakeTurns(t *testing.T) {
	ctx := context.Background()
	st, path := writable(t)
	for i := range 2 {
		if _, err := commit(st, ctx, storetest.MovePlace(t, st.Current().Layout, i, 0.0001, 0, "turns"), "turns+"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	g := &gatedBackend{Backend: openGPKG(t, path), newest: 3, hold: 1, gate: make(chan struct{}), started: make(chan int64, 4)}
	s, err := store.New(ctx, g, store.Options{HistoryLoads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := make(chan error, 1)
	go func() {
		_, err := s.At(ctx, 1)
		first <- err
	}()
	if n := <-g.started; n != 1 {
		t.Fatalf("loading version %d, want 1", n)
	}
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = s.At(wctx, 2)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrNoVersion) {
		t.Errorf("version 2 while version 1 loads: %v; want its deadline, not ErrNoVersion", err)
	}
	select {
	case n := <-g.started:
		t.Errorf("version %d started loading beside version 1", n)
	default:
	}
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if snap, err := s.At(ctx, 2); err != nil || snap.Version.N != 2 {
		t.Errorf("version 2 once the slot is free: %v", err)
	}
}
