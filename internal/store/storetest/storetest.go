// Package storetest is the behaviour every store backend must have, as one
// test suite: the GeoPackage backend (package store) and PostGIS (package
// pgstore) both run it, so the two behave the same.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/fixture"
	"hetang/internal/layout"
	"hetang/internal/store"
)

// Fixture opens stores for the suite.
type Fixture struct {
	// New returns a fresh backend holding the layout lay as version 1,
	// written by "build".
	New func(t *testing.T, lay *layout.Layout) store.Backend
	// Reopen returns another backend over the same data as b (another
	// process's view of it: a replica).
	Reopen func(t *testing.T, b store.Backend) store.Backend
}

// Layout returns the layout built from the embedded geodata (fixture.Layout:
// built once per test binary; callers must not change it).
func Layout(t testing.TB) *layout.Layout {
	t.Helper()
	return fixture.Layout(t)
}

// LayerJSON encodes a layer as the layer endpoint's features do: the
// GeoJSON FeatureCollection of its features, for byte comparisons.
func LayerJSON(t testing.TB, ly *layout.Layer) string {
	t.Helper()
	fc := geojson.NewFeatureCollection()
	for _, f := range ly.Features {
		gf := geojson.NewFeature(f.Geometry)
		gf.ID = f.ID
		gf.Properties = geojson.Properties(f.Properties)
		fc.Append(gf)
	}
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// LayoutJSON maps each layer id to LayerJSON.
func LayoutJSON(t testing.TB, lay *layout.Layout) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ly := range lay.Layers {
		out[ly.ID] = LayerJSON(t, ly)
	}
	return out
}

// MovePlace returns a copy of lay's places layer with feature i moved by
// (dx, dy) degrees and its description set to note.
func MovePlace(t testing.TB, lay *layout.Layout, i int, dx, dy float64, note string) *layout.Layer {
	t.Helper()
	old, err := lay.Layer(layout.LayerPlaces)
	if err != nil {
		t.Fatal(err)
	}
	ly := *old
	ly.Features = append([]*layout.Feature(nil), old.Features...)
	f := *ly.Features[i]
	p := f.Geometry.(orb.Point)
	f.Geometry = orb.Point{p[0] + dx, p[1] + dy}
	f.Properties = map[string]any{}
	for k, v := range old.Features[i].Properties {
		f.Properties[k] = v
	}
	f.Properties[layout.PropDescription] = note
	ly.Features[i] = &f
	return &ly
}

func open(t *testing.T, b store.Backend) *store.Store {
	t.Helper()
	s, err := store.New(context.Background(), b, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Current() == nil {
		t.Fatal("a store with a built layout serves nothing")
	}
	return s
}

// Run runs the suite.
func Run(t *testing.T, fx Fixture) {
	ctx := context.Background()
	lay := Layout(t)

	t.Run("version 1 reads back as built", func(t *testing.T) {
		s := open(t, fx.New(t, lay))
		snap := s.Current()
		if snap.Version.N != 1 || snap.Version.DataVersion != lay.Version || snap.Layout.Version != lay.Version || snap.Version.Kind != store.KindBuild {
			t.Errorf("version 1 = %+v, layout version %q; want data version %q, kind build", snap.Version, snap.Layout.Version, lay.Version)
		}
		got, want := LayoutJSON(t, snap.Layout), LayoutJSON(t, lay)
		if len(snap.Layout.Layers) != len(lay.Layers) {
			t.Fatalf("%d layers, want %d", len(snap.Layout.Layers), len(lay.Layers))
		}
		for i, ly := range lay.Layers {
			if snap.Layout.Layers[i].ID != ly.ID {
				t.Errorf("layer %d is %s, want %s (order kept)", i, snap.Layout.Layers[i].ID, ly.ID)
			}
			if got[ly.ID] != want[ly.ID] {
				t.Errorf("layer %s differs from the built layout", ly.ID)
			}
			g := snap.Layout.Layers[i]
			if g.TitleZH != ly.TitleZH || g.TitleEN != ly.TitleEN || g.Description != ly.Description || g.GeometryType != ly.GeometryType {
				t.Errorf("layer %s metadata %q/%q/%q, want %q/%q/%q", ly.ID, g.TitleZH, g.TitleEN, g.GeometryType, ly.TitleZH, ly.TitleEN, ly.GeometryType)
			}
		}
		if snap.Index == nil {
			t.Error("no spatial index")
		}
	})

	t.Run("commit, history, reopen, rollback", func(t *testing.T) {
		b := fx.New(t, lay)
		s := open(t, b)
		v1 := s.Current()
		moved := MovePlace(t, v1.Layout, 0, 0.001, 0.002, "moved in a test")
		v2, err := s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{moved}, DataVersion: "test+2", Kind: store.KindImport, Author: "alice", Role: "writer", Message: "move a place", RequestID: "req-1", Remote: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if s.Current() != v2 || v2.Version.N != 2 || v2.Layout.Version != "test+2" || v2.Version.Author != "alice" || v2.Version.Message != "move a place" {
			t.Fatalf("after commit: current %p (v2 %p), version %+v", s.Current(), v2, v2.Version)
		}
		if time.Since(v2.Version.Created) > time.Minute || v2.Version.Created.Before(v1.Version.Created) {
			t.Errorf("version 2 created at %v (version 1 at %v)", v2.Version.Created, v1.Version.Created)
		}
		wantChange := store.LayerChange{Layer: layout.LayerPlaces, Change: store.ChangeReplaced, Features: len(moved.Features), Changed: 1, Unchanged: len(moved.Features) - 1}
		if len(v2.Version.Changes) != 1 || v2.Version.Changes[0] != wantChange {
			t.Errorf("changes %+v, want [%+v]", v2.Version.Changes, wantChange)
		}
		// The old snapshot is untouched.
		if p, _ := v1.Layout.Layer(layout.LayerPlaces); p.Features[0].Properties[layout.PropDescription] == "moved in a test" {
			t.Error("the old snapshot was changed in place")
		}
		// Unchanged layers are shared, not copied.
		a1, _ := v1.Layout.Layer(layout.LayerAreas)
		a2, _ := v2.Layout.Layer(layout.LayerAreas)
		if a1 != a2 {
			t.Error("an unchanged layer was copied")
		}

		// Another process sees exactly what this one serves.
		r := open(t, fx.Reopen(t, b))
		if got := r.Current(); got.Version.N != 2 || got.Layout.Version != "test+2" {
			t.Fatalf("reopened: version %d %q", got.Version.N, got.Layout.Version)
		}
		if got, want := LayoutJSON(t, r.Current().Layout), LayoutJSON(t, v2.Layout); !mapsEqual(got, want) {
			t.Error("reopened data differs from the served data")
		}

		vs, err := s.Versions(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].N != 2 || vs[1].N != 1 || vs[0].Author != "alice" || vs[1].DataVersion != lay.Version {
			t.Errorf("versions %+v", vs)
		}
		if vs, _ := s.Versions(ctx, 2, 10); len(vs) != 1 || vs[0].N != 1 {
			t.Errorf("versions before 2: %+v", vs)
		}
		if vs, _ := s.Versions(ctx, 0, 1); len(vs) != 1 || vs[0].N != 2 {
			t.Errorf("versions limit 1: %+v", vs)
		}
		log, err := s.AuditLog(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 || log[0].Actor != "alice" || log[0].Role != "writer" || log[0].Action != store.KindImport || log[0].Version != 2 ||
			log[0].Target != layout.LayerPlaces || log[0].RequestID != "req-1" || log[0].Remote != "192.0.2.1" || log[1].Version != 1 {
			t.Errorf("audit log %+v", log)
		}

		// An earlier version, on demand.
		old, err := s.At(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if old.Version.N != 1 || !mapsEqual(LayoutJSON(t, old.Layout), LayoutJSON(t, lay)) {
			t.Errorf("version 1 at demand: %+v", old.Version)
		}
		if again, _ := s.At(ctx, 1); again != old {
			t.Error("version 1 was loaded twice")
		}
		if _, err := s.At(ctx, 99); !errors.Is(err, store.ErrNoVersion) {
			t.Errorf("At(99): %v, want ErrNoVersion", err)
		}

		// A write prepared against version 1 is refused: version 2 exists.
		if _, err := s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{moved}, DataVersion: "stale", Kind: store.KindImport, Author: "bob"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale commit: %v, want ErrConflict", err)
		}
		if vs, _ := s.Versions(ctx, 0, 10); len(vs) != 2 {
			t.Errorf("a refused commit wrote a version: %d versions", len(vs))
		}

		// Rollback restores version 1 byte for byte, as version 3.
		v3, err := s.Rollback(ctx, 1, store.Change{Author: "carol", Role: "writer"})
		if err != nil {
			t.Fatal(err)
		}
		if v3.Version.N != 3 || v3.Version.RollbackOf != 1 || v3.Version.Kind != store.KindRollback || v3.Layout.Version != lay.Version {
			t.Errorf("rollback version %+v", v3.Version)
		}
		if !mapsEqual(LayoutJSON(t, v3.Layout), LayoutJSON(t, lay)) {
			t.Error("rollback does not restore version 1")
		}
		if len(v3.Version.Changes) != 1 || v3.Version.Changes[0].Layer != layout.LayerPlaces || v3.Version.Changes[0].Changed != 1 {
			t.Errorf("rollback changes %+v", v3.Version.Changes)
		}
		r3 := open(t, fx.Reopen(t, b))
		if !mapsEqual(LayoutJSON(t, r3.Current().Layout), LayoutJSON(t, lay)) || r3.Current().Layout.Version != lay.Version {
			t.Error("rollback does not read back as version 1")
		}
	})

	t.Run("a failed write changes nothing", func(t *testing.T) {
		b := fx.New(t, lay)
		s := open(t, b)
		v1 := s.Current()
		empty := &layout.Layer{ID: layout.LayerAreas, GeometryType: "MultiPolygon"}
		if _, err := s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{empty}, DataVersion: "x", Kind: store.KindImport, Author: "a"}); err == nil {
			t.Fatal("a layout without areas was committed")
		}
		if _, err := s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{{ID: "nope"}}, DataVersion: "x", Kind: store.KindImport, Author: "a"}); !errors.Is(err, layout.ErrNotFound) {
			t.Errorf("unknown layer: %v", err)
		}
		if s.Current() != v1 {
			t.Error("the served snapshot changed")
		}
		if head, _ := b.Head(ctx); head != 1 {
			t.Errorf("head %d after failed writes", head)
		}
	})

	t.Run("refused writes: a bad message, a rollback to the newest data", func(t *testing.T) {
		b := fx.New(t, lay)
		s := open(t, b)
		v1 := s.Current()
		moved := MovePlace(t, v1.Layout, 0, 0.001, 0, "bad message")
		for _, msg := range []string{"nul\x00byte", "escape \x1b[31m", strings.Repeat("长", store.MaxMessage+1)} {
			if _, err := s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{moved}, DataVersion: "m", Kind: store.KindImport, Author: "a", Message: msg}); !errors.Is(err, store.ErrMessage) {
				t.Errorf("commit with message %.20q: %v, want ErrMessage", msg, err)
			}
			if _, err := s.Rollback(ctx, 1, store.Change{Author: "a", Message: msg}); !errors.Is(err, store.ErrMessage) {
				t.Errorf("rollback with message %.20q: %v, want ErrMessage", msg, err)
			}
		}
		if _, err := s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{moved}, DataVersion: "m", Kind: store.KindImport, Author: "a", Message: "两行\n\tfine"}); err != nil {
			t.Fatalf("commit with a two-line message: %v", err)
		}
		// Version 2 is served: restoring it, or a version with its data,
		// would only add an empty version.
		if _, err := s.Rollback(ctx, 2, store.Change{Author: "a"}); !errors.Is(err, store.ErrUnchanged) {
			t.Errorf("rollback to the newest version: %v, want ErrUnchanged", err)
		}
		if head, _ := b.Head(ctx); head != 2 {
			t.Fatalf("head %d after refused writes, want 2", head)
		}
		// A replica that has not seen version 3 yet still restores version
		// 2 when asked (its data is not the newest any more).
		r := open(t, fx.Reopen(t, b))
		v3, err := s.Commit(ctx, s.Current(), store.Change{Layers: []*layout.Layer{MovePlace(t, s.Current().Layout, 1, 0.001, 0, "v3")}, DataVersion: "m3", Kind: store.KindImport, Author: "a"})
		if err != nil {
			t.Fatal(err)
		}
		v4, err := r.Rollback(ctx, 2, store.Change{Author: "r"})
		if err != nil || v4.Version.N != v3.Version.N+1 || v4.Layout.Version != "m" {
			t.Fatalf("rollback to 2 through a replica behind version 3: %+v, %v", v4, err)
		}
		// An import that leaves its layer as it was is still audited as
		// a write to that layer.
		same, _ := v4.Layout.Layer(layout.LayerPlaces)
		if _, err := r.Commit(ctx, v4, store.Change{Layers: []*layout.Layer{same}, DataVersion: "m5", Kind: store.KindImport, Author: "r"}); err != nil {
			t.Fatal(err)
		}
		if log, err := r.AuditLog(ctx, 0, 1); err != nil || len(log) != 1 || log[0].Target != layout.LayerPlaces || log[0].Version != 5 {
			t.Errorf("audit of an import that changed nothing: %+v, %v; want target %s", log, err, layout.LayerPlaces)
		}
	})

	t.Run("a replica follows", func(t *testing.T) {
		b := fx.New(t, lay)
		w := open(t, b)
		r := open(t, fx.Reopen(t, b))
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go r.Follow(fctx)
		time.Sleep(100 * time.Millisecond) // let the watcher start
		for i := 1; i <= 3; i++ {
			base := w.Current()
			next, err := w.Commit(ctx, base, store.Change{Layers: []*layout.Layer{MovePlace(t, base.Layout, i, 0.0001, 0, "follow")}, DataVersion: "f+" + string(rune('0'+i)), Kind: store.KindImport, Author: "w"})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(3 * time.Second)
			for r.Current().Version.N < next.Version.N {
				if time.Now().After(deadline) {
					t.Fatalf("the replica still serves version %d, 3 s after version %d was committed", r.Current().Version.N, next.Version.N)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if !mapsEqual(LayoutJSON(t, r.Current().Layout), LayoutJSON(t, next.Layout)) {
				t.Errorf("the replica serves different data for version %d", next.Version.N)
			}
		}
		// The replica writes on top of what it follows.
		base := r.Current()
		if _, err := r.Commit(ctx, base, store.Change{Layers: []*layout.Layer{MovePlace(t, base.Layout, 0, 0, 0.0001, "from the replica")}, DataVersion: "f+r", Kind: store.KindImport, Author: "r"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if w.Current().Version.N != 5 {
			t.Errorf("after refresh the writer serves version %d, want 5", w.Current().Version.N)
		}
		if st := r.Status(); st.Version != 5 || st.Lag != 0 {
			t.Errorf("replica status %+v", st)
		}
		if err := r.Ready(ctx); err != nil {
			t.Errorf("replica not ready: %v", err)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
