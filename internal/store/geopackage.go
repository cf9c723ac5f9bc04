package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/plandata"
)

// GeoPackage history: tables of our own next to the layer tables, which
// always hold the newest version (so GDAL, QGIS and every earlier hetang
// read the file as before). hetang_metadata's history_schema says which
// of gpkgMigrations the file has; a file without it was written before the
// history existed and is migrated (rewritten with its layers as version 1)
// when opened writable.
const (
	tableVersions      = "hetang_versions"
	tableLayerRevs     = "hetang_layer_revisions"
	tableRevFeatures   = "hetang_revision_features"
	tableVersionLayers = "hetang_version_layers"
	tableAudit         = "hetang_audit"
	metaHistorySchema  = "history_schema"
)

// gpkgMigrations create and change the history tables; migration i brings a
// file from history schema i to i+1.
var gpkgMigrations = [][]string{
	{
		`CREATE TABLE ` + tableVersions + ` (n INTEGER PRIMARY KEY, data_version TEXT NOT NULL, created_at TEXT NOT NULL, author TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL, changes TEXT NOT NULL, rollback_of INTEGER REFERENCES ` + tableVersions + `(n))`,
		`CREATE TABLE ` + tableLayerRevs + ` (rev INTEGER PRIMARY KEY, id TEXT NOT NULL, title_zh TEXT NOT NULL, title_en TEXT NOT NULL, description TEXT NOT NULL, geometry_type TEXT NOT NULL)`,
		`CREATE TABLE ` + tableRevFeatures + ` (rev INTEGER NOT NULL REFERENCES ` + tableLayerRevs + `(rev), ord INTEGER NOT NULL, id TEXT NOT NULL, properties TEXT NOT NULL, geom BLOB, PRIMARY KEY (rev, ord))`,
		`CREATE TABLE ` + tableVersionLayers + ` (n INTEGER NOT NULL REFERENCES ` + tableVersions + `(n), position INTEGER NOT NULL, rev INTEGER NOT NULL REFERENCES ` + tableLayerRevs + `(rev), PRIMARY KEY (n, position))`,
		`CREATE TABLE ` + tableAudit + ` (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, version INTEGER, detail TEXT NOT NULL, request_id TEXT NOT NULL, remote TEXT NOT NULL)`,
	},
}

const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// GPKG is the GeoPackage backend: one file holding the newest layout as
// plain GeoPackage layer tables plus the history. A write builds a new file
// (a copy changed in one transaction), syncs it and renames it over the old
// one, so a crash leaves the old or the new file, never a mix; writers in
// other processes (hetang import) are excluded by a lock on the directory.
type GPKG struct {
	path     string
	readOnly bool
	log      func(msg string, args ...any)

	writeMu  sync.Mutex // held by writers in this process
	legacyMu sync.Mutex // guards legacy
	// legacy holds the layout of a file without history (written by an
	// earlier hetang, or by GDAL) that could not be migrated yet: it is
	// served as version 1 and migrated by the first write.
	legacy   *layout.Layout
	legacyAt time.Time
}

// OpenGPKG opens the GeoPackage at path as a backend, migrating a file
// without history (a failed migration, e.g. on a read-only file system,
// leaves the file as it is and serves it as version 1).
// log may be nil.
func OpenGPKG(ctx context.Context, path string, readOnly bool, log *slog.Logger) (*GPKG, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &GPKG{path: path, readOnly: readOnly, log: log.Warn}
	schema, err := g.historySchema(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case schema == len(gpkgMigrations):
		return g, nil
	case schema > len(gpkgMigrations):
		return nil, fmt.Errorf("store: %s was written by a newer hetang (history schema %d; this one knows %d)", filepath.Base(path), schema, len(gpkgMigrations))
	case schema > 0:
		// Later migrations run inside the next write (none exist yet).
		return g, nil
	}
	lay, err := gpkg.Read(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", filepath.Base(path), err)
	}
	g.legacy = lay
	if fi, err := os.Stat(path); err == nil {
		g.legacyAt = fi.ModTime()
	}
	if !readOnly {
		if err := g.withLock(ctx, func() error { return g.migrate(ctx) }); err != nil {
			g.log("cannot record history in the GeoPackage yet; serving it as version 1", "err", err)
		}
	}
	return g, nil
}

// historySchema reads the file's history schema (0: none).
func (g *GPKG) historySchema(ctx context.Context) (int, error) {
	db, err := gpkg.OpenReadOnly(ctx, g.path)
	if err != nil {
		return 0, fmt.Errorf("store: opening %s: %w", filepath.Base(g.path), err)
	}
	defer db.Close()
	v, ok, err := gpkg.Metadata(ctx, db, metaHistorySchema)
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", filepath.Base(g.path), err)
	}
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("store: %s: history schema %q is not a number", filepath.Base(g.path), v)
	}
	return n, nil
}

// migrate rewrites a file without history with its layout as version 1.
func (g *GPKG) migrate(ctx context.Context) error {
	legacy := g.legacyLayout()
	if legacy == nil {
		return nil
	}
	v := Version{N: 1, DataVersion: legacy.Version, Created: time.Now(), Author: KindMigration, Kind: KindMigration,
		Message: "history started: the GeoPackage was written before hetang kept versions", Changes: Changes(nil, legacy)}
	refs := make([]LayerRef, len(legacy.Layers))
	for i, ly := range legacy.Layers {
		refs[i] = LayerRef{Layer: normalize(ly)}
	}
	audit := AuditEntry{Actor: KindMigration, Role: "system", Action: KindMigration, Detail: v.Message}
	lay := &layout.Layout{Version: legacy.Version}
	for _, r := range refs {
		lay.Layers = append(lay.Layers, r.Layer)
	}
	err := gpkg.WriteWith(ctx, g.path, lay, func(ctx context.Context, tx *sql.Tx) error {
		if err := createHistory(ctx, tx); err != nil {
			return err
		}
		_, err := writeVersion(ctx, tx, v, refs, audit)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: recording history in %s: %w", filepath.Base(g.path), err)
	}
	g.legacyMu.Lock()
	g.legacy = nil
	g.legacyMu.Unlock()
	return nil
}

func createHistory(ctx context.Context, tx *sql.Tx) error {
	for _, m := range gpkgMigrations {
		for _, q := range m {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("creating history tables: %w", err)
			}
		}
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO hetang_metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		metaHistorySchema, strconv.Itoa(len(gpkgMigrations)))
	return err
}

// writeVersion inserts version v with its new layer revisions and the audit
// entry, and returns the revision of each layer.
func writeVersion(ctx context.Context, tx *sql.Tx, v Version, refs []LayerRef, audit AuditEntry) ([]int64, error) {
	changes, err := json.Marshal(v.Changes)
	if err != nil {
		return nil, err
	}
	var rollbackOf any
	if v.RollbackOf > 0 {
		rollbackOf = v.RollbackOf
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+tableVersions+" (n, data_version, created_at, author, kind, message, changes, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		v.N, v.DataVersion, v.Created.UTC().Format(timeLayout), v.Author, v.Kind, v.Message, string(changes), rollbackOf); err != nil {
		return nil, fmt.Errorf("writing version %d: %w", v.N, err)
	}
	revs := make([]int64, len(refs))
	for i, r := range refs {
		rev := r.Rev
		if rev <= 0 {
			ly := r.Layer
			res, err := tx.ExecContext(ctx, "INSERT INTO "+tableLayerRevs+" (id, title_zh, title_en, description, geometry_type) VALUES (?, ?, ?, ?, ?)",
				ly.ID, ly.TitleZH, ly.TitleEN, ly.Description, ly.GeometryType)
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", ly.ID, err)
			}
			if rev, err = res.LastInsertId(); err != nil {
				return nil, err
			}
			stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+tableRevFeatures+" (rev, ord, id, properties, geom) VALUES (?, ?, ?, ?, ?)")
			if err != nil {
				return nil, err
			}
			for j, f := range ly.Features {
				props, err := json.Marshal(f.Properties)
				if err != nil {
					stmt.Close()
					return nil, fmt.Errorf("layer %s feature %s: %w", ly.ID, f.ID, err)
				}
				var blob []byte
				if f.Geometry != nil {
					if blob, err = gpkg.EncodeGeometry(f.Geometry, gpkg.SRSWGS84); err != nil {
						stmt.Close()
						return nil, fmt.Errorf("layer %s feature %s: %w", ly.ID, f.ID, err)
					}
				}
				if _, err := stmt.ExecContext(ctx, rev, j, f.ID, string(props), blob); err != nil {
					stmt.Close()
					return nil, fmt.Errorf("layer %s feature %s: %w", ly.ID, f.ID, err)
				}
			}
			stmt.Close()
		}
		revs[i] = rev
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+tableVersionLayers+" (n, position, rev) VALUES (?, ?, ?)", v.N, i, rev); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+tableAudit+" (at, actor, role, action, target, version, detail, request_id, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v.Created.UTC().Format(timeLayout), audit.Actor, audit.Role, audit.Action, audit.Target, v.N, audit.Detail, audit.RequestID, audit.Remote); err != nil {
		return nil, fmt.Errorf("writing the audit log: %w", err)
	}
	return revs, nil
}

// withLock runs f holding this process's write lock and an exclusive lock
// on the file's directory (other processes writing the same file wait).
func (g *GPKG) withLock(ctx context.Context, f func() error) error {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	dir, err := os.Open(filepath.Dir(g.path))
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer dir.Close()
	for {
		err := syscall.Flock(int(dir.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("store: locking %s: %w", filepath.Dir(g.path), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer syscall.Flock(int(dir.Fd()), syscall.LOCK_UN)
	return f()
}

// read opens the file for one read.
func (g *GPKG) read(ctx context.Context, f func(db *sql.DB) error) error {
	db, err := gpkg.OpenReadOnly(ctx, g.path)
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", filepath.Base(g.path), err)
	}
	defer db.Close()
	return f(db)
}

func (g *GPKG) legacyLayout() *layout.Layout {
	g.legacyMu.Lock()
	defer g.legacyMu.Unlock()
	return g.legacy
}

// Head implements Backend.
func (g *GPKG) Head(ctx context.Context) (int64, error) {
	if g.legacyLayout() != nil {
		return 1, nil
	}
	var n int64
	err := g.read(ctx, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, "SELECT coalesce(max(n), 0) FROM "+tableVersions).Scan(&n)
	})
	return n, err
}

// Manifest implements Backend.
func (g *GPKG) Manifest(ctx context.Context, n int64) (Version, []int64, error) {
	if lay := g.legacyLayout(); lay != nil {
		if n != 1 {
			return Version{}, nil, fmt.Errorf("%w: %d", ErrNoVersion, n)
		}
		revs := make([]int64, len(lay.Layers))
		for i := range revs {
			revs[i] = -int64(i + 1)
		}
		return Version{N: 1, DataVersion: lay.Version, Created: g.legacyAt, Author: KindMigration, Kind: KindMigration,
			Message: "the GeoPackage was written before hetang kept versions", Changes: Changes(nil, lay)}, revs, nil
	}
	var v Version
	var revs []int64
	err := g.read(ctx, func(db *sql.DB) error {
		vs, err := queryVersions(ctx, db, "WHERE n = ?", n)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return fmt.Errorf("%w: %d", ErrNoVersion, n)
		}
		v = vs[0]
		rows, err := db.QueryContext(ctx, "SELECT rev FROM "+tableVersionLayers+" WHERE n = ? ORDER BY position", n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r int64
			if err := rows.Scan(&r); err != nil {
				return err
			}
			revs = append(revs, r)
		}
		return rows.Err()
	})
	return v, revs, err
}

func queryVersions(ctx context.Context, db *sql.DB, where string, args ...any) ([]Version, error) {
	rows, err := db.QueryContext(ctx, "SELECT n, data_version, created_at, author, kind, message, changes, coalesce(rollback_of, 0) FROM "+tableVersions+" "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: reading versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var created, changes string
		if err := rows.Scan(&v.N, &v.DataVersion, &created, &v.Author, &v.Kind, &v.Message, &changes, &v.RollbackOf); err != nil {
			return nil, fmt.Errorf("store: reading versions: %w", err)
		}
		if v.Created, err = time.Parse(timeLayout, created); err != nil {
			return nil, fmt.Errorf("store: version %d: %w", v.N, err)
		}
		if err := json.Unmarshal([]byte(changes), &v.Changes); err != nil {
			return nil, fmt.Errorf("store: version %d: %w", v.N, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Layers implements Backend.
func (g *GPKG) Layers(ctx context.Context, revs []int64) (map[int64]*layout.Layer, error) {
	out := map[int64]*layout.Layer{}
	if lay := g.legacyLayout(); lay != nil {
		for _, r := range revs {
			i := int(-r) - 1
			if i < 0 || i >= len(lay.Layers) {
				return nil, fmt.Errorf("store: no layer revision %d", r)
			}
			out[r] = normalize(lay.Layers[i])
		}
		return out, nil
	}
	err := g.read(ctx, func(db *sql.DB) error {
		in := strings.TrimSuffix(strings.Repeat("?,", len(revs)), ",")
		args := make([]any, len(revs))
		for i, r := range revs {
			args[i] = r
		}
		rows, err := db.QueryContext(ctx, "SELECT rev, id, title_zh, title_en, description, geometry_type FROM "+tableLayerRevs+" WHERE rev IN ("+in+")", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r int64
			ly := &layout.Layer{}
			if err := rows.Scan(&r, &ly.ID, &ly.TitleZH, &ly.TitleEN, &ly.Description, &ly.GeometryType); err != nil {
				rows.Close()
				return err
			}
			ly.Features = []*layout.Feature{}
			out[r] = ly
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = db.QueryContext(ctx, "SELECT rev, id, properties, geom FROM "+tableRevFeatures+" WHERE rev IN ("+in+") ORDER BY rev, ord", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r int64
			var props string
			var blob []byte
			f := &layout.Feature{}
			if err := rows.Scan(&r, &f.ID, &props, &blob); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(props), &f.Properties); err != nil {
				return fmt.Errorf("layer revision %d feature %s: %w", r, f.ID, err)
			}
			if blob != nil {
				if f.Geometry, _, err = gpkg.DecodeGeometry(blob); err != nil {
					return fmt.Errorf("layer revision %d feature %s: %w", r, f.ID, err)
				}
			}
			if ly := out[r]; ly != nil {
				ly.Features = append(ly.Features, f)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: reading layers: %w", err)
	}
	for _, r := range revs {
		if out[r] == nil {
			return nil, fmt.Errorf("store: no layer revision %d", r)
		}
	}
	return out, nil
}

// Commit implements Backend.
func (g *GPKG) Commit(ctx context.Context, base int64, v Version, refs []LayerRef, audit AuditEntry) (Version, []int64, error) {
	if g.readOnly {
		return Version{}, nil, ErrReadOnly
	}
	var revs []int64
	err := g.withLock(ctx, func() error {
		if g.legacyLayout() != nil {
			if err := g.migrate(ctx); err != nil {
				return err
			}
			// Layers the caller took from version 1 had placeholder
			// revisions; the migration wrote them anew.
			_, migrated, err := g.Manifest(ctx, 1)
			if err != nil {
				return err
			}
			for i := range refs {
				if r := refs[i].Rev; r < 0 && int(-r) <= len(migrated) {
					refs[i].Rev = migrated[-r-1]
				}
			}
		}
		head, err := g.Head(ctx)
		if err != nil {
			return err
		}
		if head != base {
			return fmt.Errorf("%w (base %d, newest %d)", ErrConflict, base, head)
		}
		v.N = head + 1
		v.Created = time.Now()
		lay := &layout.Layout{Version: v.DataVersion}
		for _, r := range refs {
			lay.Layers = append(lay.Layers, r.Layer)
		}
		return gpkg.Update(ctx, g.path, lay, func(ctx context.Context, tx *sql.Tx) error {
			revs, err = writeVersion(ctx, tx, v, refs, audit)
			return err
		})
	})
	if err != nil {
		return Version{}, nil, err
	}
	return v, revs, nil
}

// Versions implements Backend.
func (g *GPKG) Versions(ctx context.Context, before int64, limit int) ([]Version, error) {
	if g.legacyLayout() != nil {
		if before > 0 && before <= 1 {
			return []Version{}, nil
		}
		v, _, err := g.Manifest(ctx, 1)
		return []Version{v}, err
	}
	if before <= 0 {
		before = 1 << 62
	}
	var out []Version
	err := g.read(ctx, func(db *sql.DB) error {
		var err error
		out, err = queryVersions(ctx, db, "WHERE n < ? ORDER BY n DESC LIMIT ?", before, limit)
		return err
	})
	if out == nil {
		out = []Version{}
	}
	return out, err
}

// AuditLog implements Backend.
func (g *GPKG) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	out := []AuditEntry{}
	if g.legacyLayout() != nil {
		return out, nil
	}
	if before <= 0 {
		before = 1 << 62
	}
	err := g.read(ctx, func(db *sql.DB) error {
		rows, err := db.QueryContext(ctx, "SELECT seq, at, actor, role, action, target, coalesce(version, 0), detail, request_id, remote FROM "+tableAudit+" WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			var at string
			if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Action, &e.Target, &e.Version, &e.Detail, &e.RequestID, &e.Remote); err != nil {
				return err
			}
			if e.At, err = time.Parse(timeLayout, at); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// Watch implements Backend: it checks the file every half second and
// reports its newest version when the file was replaced (by a hetang import
// in another process).
func (g *GPKG) Watch(ctx context.Context, head func(n int64)) {
	var last os.FileInfo
	var n int64
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(g.path)
		if err != nil {
			continue
		}
		if last != nil && os.SameFile(fi, last) && fi.ModTime().Equal(last.ModTime()) && fi.Size() == last.Size() {
			head(n) // unchanged: still reachable
			continue
		}
		if h, err := g.Head(ctx); err == nil {
			last, n = fi, h
			head(n)
		}
	}
}

// Ping implements Backend: the file must still be there.
func (g *GPKG) Ping(context.Context) error {
	_, err := os.Stat(g.path)
	return err
}

// ReadOnly implements Backend.
func (g *GPKG) ReadOnly() bool { return g.readOnly }

// Describe implements Backend.
func (g *GPKG) Describe() string { return g.path }

// Close implements Backend.
func (g *GPKG) Close() error { return nil }

// Open opens the GeoPackage at path writable: imports and rollbacks write
// new versions into it.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	b, err := OpenGPKG(ctx, path, false, opts.Log)
	if err != nil {
		return nil, err
	}
	return openBackend(ctx, b, opts, path)
}

func openBackend(ctx context.Context, b Backend, opts Options, name string) (*Store, error) {
	s, err := New(ctx, b, opts)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", filepath.Base(name), err)
	}
	if s.Current() == nil {
		return nil, fmt.Errorf("store: %s: %w", filepath.Base(name), ErrEmpty)
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
		if err := Create(ctx, path, lay, "build"); err != nil {
			return nil, fmt.Errorf("store: building default GeoPackage: %w", err)
		}
	}
	open := func() (*Store, error) {
		b, err := OpenGPKG(ctx, path, true, nil)
		if err != nil {
			return nil, err
		}
		return openBackend(ctx, b, Options{}, path)
	}
	s, err := open()
	if err != nil {
		// A damaged cache file is rebuilt once rather than served.
		if rerr := Create(ctx, path, lay, "build"); rerr != nil {
			return nil, fmt.Errorf("store: rebuilding default GeoPackage: %w", rerr)
		}
		return open()
	}
	return s, nil
}

// Create writes a new GeoPackage at path (atomically, replacing any file
// there) holding lay as version 1 of a new history, written by author.
func Create(ctx context.Context, path string, lay *layout.Layout, author string) error {
	refs := make([]LayerRef, len(lay.Layers))
	norm := &layout.Layout{Version: lay.Version}
	for i, ly := range lay.Layers {
		refs[i] = LayerRef{Layer: normalize(ly)}
		norm.Layers = append(norm.Layers, refs[i].Layer)
	}
	v := Version{N: 1, DataVersion: lay.Version, Created: time.Now(), Author: author, Kind: KindBuild, Message: "built from geodata", Changes: Changes(nil, norm)}
	return gpkg.WriteWith(ctx, path, norm, func(ctx context.Context, tx *sql.Tx) error {
		if err := createHistory(ctx, tx); err != nil {
			return err
		}
		_, err := writeVersion(ctx, tx, v, refs, AuditEntry{Actor: author, Role: "system", Action: KindBuild, Target: "*", Detail: v.Message})
		return err
	})
}
