// Package store owns the data the service serves: the layout read from a
// GeoPackage, swapped atomically as a whole when a layer is replaced, so a
// request always sees one consistent snapshot and a failed replacement leaves
// the previous data served and on disk.
package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/plandata"
	"hetang/internal/spatial"
)

// ErrReadOnly is returned by writes to a store opened on the embedded default data.
var ErrReadOnly = errors.New("store: read-only (serving the embedded default data; start with -data FILE.gpkg to allow imports)")

// Snapshot is one consistent version of the data.
type Snapshot struct {
	Layout *layout.Layout
	// Index answers spatial queries about Layout (built with it: a snapshot
	// whose index cannot be built is never served).
	Index    *spatial.Index
	GPKGPath string
	LoadedAt time.Time
}

// Store serves snapshots and replaces them.
type Store struct {
	path     string
	readOnly bool
	mu       sync.Mutex // serialises writers
	cur      atomic.Pointer[Snapshot]
}

// Open reads the GeoPackage at path; the store may replace layers in it.
func Open(ctx context.Context, path string) (*Store, error) {
	s := &Store{path: path}
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenDefault builds the layout from the embedded geodata into a GeoPackage
// in cacheDir (once per data version, written atomically) and opens it
// read-only.
func OpenDefault(ctx context.Context, cacheDir string, geodata fs.FS) (*Store, error) {
	lay, err := plandata.Build(geodata)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("store: cannot create cache directory: %w", err)
	}
	path := filepath.Join(cacheDir, "hetang-"+lay.Version+".gpkg")
	if _, err := os.Stat(path); err != nil {
		if err := gpkg.Write(ctx, path, lay); err != nil {
			return nil, fmt.Errorf("store: building default GeoPackage: %w", err)
		}
	}
	s := &Store{path: path, readOnly: true}
	if err := s.load(ctx); err != nil {
		// A damaged cache file is rebuilt once rather than served.
		if rerr := gpkg.Write(ctx, path, lay); rerr != nil {
			return nil, fmt.Errorf("store: rebuilding default GeoPackage: %w", rerr)
		}
		if err := s.load(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) load(ctx context.Context) error {
	lay, err := gpkg.Read(ctx, s.path)
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", filepath.Base(s.path), err)
	}
	ix, err := spatial.Build(ctx, lay)
	if err != nil {
		return fmt.Errorf("store: indexing %s: %w", filepath.Base(s.path), err)
	}
	s.cur.Store(&Snapshot{Layout: lay, Index: ix, GPKGPath: s.path, LoadedAt: time.Now()})
	return nil
}

// Current returns the snapshot being served.
func (s *Store) Current() *Snapshot { return s.cur.Load() }

// ReadOnly reports whether writes are refused.
func (s *Store) ReadOnly() bool { return s.readOnly }

// ReplaceLayer swaps one layer for a new version: it writes a whole new
// GeoPackage next to the old one, renames it into place, and only then
// serves it. On any error nothing changes.
func (s *Store) ReplaceLayer(ctx context.Context, ly *layout.Layer, version string) (*Snapshot, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.Current().Layout
	next := &layout.Layout{Version: version}
	found := false
	for _, l := range old.Layers {
		if l.ID == ly.ID {
			next.Layers = append(next.Layers, ly)
			found = true
		} else {
			next.Layers = append(next.Layers, l)
		}
	}
	if !found {
		return nil, fmt.Errorf("store: layer %q: %w", ly.ID, layout.ErrNotFound)
	}
	ix, err := spatial.Build(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("store: indexing the new %s layer: %w", ly.ID, err)
	}
	if err := gpkg.Write(ctx, s.path, next); err != nil {
		return nil, fmt.Errorf("store: writing %s: %w", filepath.Base(s.path), err)
	}
	snap := &Snapshot{Layout: next, Index: ix, GPKGPath: s.path, LoadedAt: time.Now()}
	s.cur.Store(snap)
	return snap, nil
}
