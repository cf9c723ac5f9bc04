package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"hetang/internal/layout"
)

// Errors of the history and of writes.
var (
	// ErrConflict is returned by a write based on a version that is no longer
	// the newest (another writer, maybe on another replica, committed
	// first). The caller re-reads the newest version and tries again.
	ErrConflict = errors.New("store: the data changed meanwhile (another write committed first)")
	// ErrNoVersion is returned for a version number the history does not have.
	ErrNoVersion = errors.New("store: no such version")
	// ErrEmpty is returned when opening a store that holds no version yet.
	ErrEmpty = errors.New("store: the database holds no layout yet; load one with `hetang build -o DATABASE-URL`")
	// ErrUnchanged is returned by a write that would not change the data
	// (a rollback to the version being served).
	ErrUnchanged = errors.New("store: nothing to change: the data is already like that")
	// ErrUnavailable is wrapped by a backend's errors when the database
	// cannot be reached (connection refused or lost, server shutting down
	// or starting): nothing was written, and the same request may succeed
	// later.
	ErrUnavailable = errors.New("store: the database cannot be reached")
	// ErrOutcomeUnknown is wrapped by a Commit whose connection was lost
	// after the commit was sent: the version may or may not have been
	// written (Versions, once the database is back, tells).
	ErrOutcomeUnknown = errors.New("store: the connection to the database was lost while committing; the write may or may not have been saved")
	// ErrMessage is wrapped by writes refused for their message (CheckMessage).
	ErrMessage = errors.New("store: invalid message")
)

// MaxMessage is the longest message a version may carry, in characters.
const MaxMessage = 1000

// CheckMessage refuses a version message that is not UTF-8 text of at most
// MaxMessage characters without control characters other than newlines and
// tabs (what every backend stores, and what the public version list shows).
func CheckMessage(m string) error {
	if !utf8.ValidString(m) {
		return fmt.Errorf("%w: it is not valid UTF-8", ErrMessage)
	}
	if n := utf8.RuneCountInString(m); n > MaxMessage {
		return fmt.Errorf("%w: it has %d characters; at most %d are allowed", ErrMessage, n, MaxMessage)
	}
	for i, r := range m {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return fmt.Errorf("%w: it holds the control character %U at byte %d", ErrMessage, r, i)
		}
	}
	return nil
}

// Kinds of version, Version.Kind.
const (
	KindBuild     = "build"     // the layout built from geodata (hetang build)
	KindImport    = "import"    // a layer replaced by an import
	KindRollback  = "rollback"  // the layers of an earlier version restored
	KindMigration = "migration" // history started on data written by an earlier hetang
)

// Version describes one version of the layout. Versions are numbered 1, 2, 3
// … without gaps in the order they were committed.
type Version struct {
	// N is the version number (what ?version=N names).
	N int64 `json:"version"`
	// DataVersion is the layout's content version (Layout.Version, used in
	// ETags and data_version fields). A rollback restores the data version
	// of the version it restores, since the data is the same.
	DataVersion string    `json:"data_version"`
	Created     time.Time `json:"created_at"`
	// Author is the name of the token (or "cli", "migration") that wrote it.
	Author  string `json:"author"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Changes lists the layers that differ from the previous version.
	Changes []LayerChange `json:"changes"`
	// RollbackOf is the version a rollback restored.
	RollbackOf int64 `json:"rollback_of,omitempty"`
}

// LayerChange says how one layer differs from the previous version, by
// feature id.
type LayerChange struct {
	Layer string `json:"layer"`
	// Change is "added", "removed" or "replaced".
	Change    string `json:"change"`
	Features  int    `json:"features"`
	Added     int    `json:"added"`
	Removed   int    `json:"removed"`
	Changed   int    `json:"changed"`
	Unchanged int    `json:"unchanged"`
}

// Layer change kinds, LayerChange.Change.
const (
	ChangeAdded    = "added"
	ChangeRemoved  = "removed"
	ChangeReplaced = "replaced"
)

// AuditEntry is one committed write in the audit log.
type AuditEntry struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Version int64     `json:"version"`
	Detail  string    `json:"detail"`
	// RequestID and Remote identify the HTTP request (empty for the CLI).
	RequestID string `json:"request_id"`
	Remote    string `json:"remote"`
}

// LayerRef is one layer of a version being committed: an existing layer
// revision (Rev, unchanged since an earlier version) or a new layer (Layer).
type LayerRef struct {
	Rev   int64
	Layer *layout.Layer
}

// Backend is where a Store keeps the layout and its history: a GeoPackage
// file (this package) or PostGIS (package pgstore). Every version is a list
// of layer revisions; a layer revision, once written, never changes, so a
// version that replaces one layer stores only that layer.
type Backend interface {
	// Head returns the newest version number, 0 when there is none.
	Head(ctx context.Context) (int64, error)
	// Manifest returns version n and the revisions of its layers, in order.
	Manifest(ctx context.Context, n int64) (Version, []int64, error)
	// Layers reads layer revisions.
	Layers(ctx context.Context, revs []int64) (map[int64]*layout.Layer, error)
	// Commit writes version base+1 with the given layers, or fails with
	// ErrConflict when base is no longer the newest version. v.N and
	// v.Created are set by the backend. It returns the version written and
	// the revision of each layer. The audit entry is written with it.
	Commit(ctx context.Context, base int64, v Version, layers []LayerRef, audit AuditEntry) (Version, []int64, error)
	// Versions lists up to limit versions numbered below before (all when
	// before <= 0), newest first.
	Versions(ctx context.Context, before int64, limit int) ([]Version, error)
	// AuditLog lists up to limit audit entries numbered below before (all
	// when before <= 0), newest first.
	AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error)
	// Watch reports the newest version number through head whenever it may
	// have changed (a committed write announced, a reconnect, a periodic
	// check), until ctx ends. Each successful report also proves the backend
	// reachable.
	Watch(ctx context.Context, head func(n int64))
	// Ping checks that the backend can be reached.
	Ping(ctx context.Context) error
	// ReadOnly reports whether Commit is refused with ErrReadOnly.
	ReadOnly() bool
	// Describe names the backend for logs, without secrets.
	Describe() string
	// Close releases the backend.
	Close() error
}
