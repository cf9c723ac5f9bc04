// Package store owns the data the service serves: the layout and every
// earlier version of it, kept by a Backend (a GeoPackage file, or PostGIS
// through package pgstore), and the in-memory snapshot each request reads.
//
// A Snapshot is one version: the layout, its spatial index and its history
// record. The served snapshot is swapped atomically as a whole, so a request
// always sees one consistent version (Current is one atomic load). A write
// (Commit, Rollback) builds and indexes the new version first, commits it to
// the backend as one transaction that fails if another write committed first
// (ErrConflict), and only then serves it; on any error nothing changes.
//
// Replicas: several processes may serve one backend. Follow watches the
// backend (PostgreSQL LISTEN/NOTIFY, or the GeoPackage file) and swaps to
// each newer version as soon as it is announced; a replica that missed
// announcements catches up by version number when it reconnects. Earlier
// versions are loaded on demand (At) and the last few kept.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/spatial"
)

// ErrReadOnly is returned by writes to a store opened on the embedded default data.
var ErrReadOnly = errors.New("store: read-only (serving the embedded default data; start with -data FILE.gpkg or -data postgres://… to allow imports)")

// Snapshot is one consistent version of the data.
type Snapshot struct {
	Layout *layout.Layout
	// Index answers spatial queries about Layout (built with it: a snapshot
	// whose index cannot be built is never served).
	Index *spatial.Index
	// Version is this version's history record (number, author, changes).
	Version Version
	// GPKGPath is the GeoPackage file of a GeoPackage store ("" for
	// PostGIS). It holds the newest version and the history, so it is not
	// a download of this snapshot.
	GPKGPath string
	// LoadedAt is when this process loaded the snapshot.
	LoadedAt time.Time
	revs     []int64 // layer revision of each layer of Layout
}

// Options tune a Store. The zero value is usable.
type Options struct {
	// Log receives swap and catch-up messages (default: discarded).
	Log *slog.Logger
	// History is how many earlier versions At keeps in memory (default 4).
	History int
	// MaxLag is how long a replica may serve an older version than the
	// newest committed one, or go without reaching its backend, before
	// Ready fails (default 5 s).
	MaxLag time.Duration
	// HistoryLoads is how many earlier versions At loads at once (default
	// half the CPUs, at least 1): each reads its layers and builds an index
	// (up to ~100 ms of CPU when a layer with nearest-point grids changed),
	// so a sweep through ?version=1, 2, 3 … cannot take every core.
	HistoryLoads int
}

// Store serves snapshots, writes new versions and follows other writers.
type Store struct {
	b    Backend
	log  *slog.Logger
	opts Options
	path string // GeoPackage path, for Snapshot.GPKGPath

	cur     atomic.Pointer[Snapshot]
	writeMu sync.Mutex // serialises this process's writers
	swapMu  sync.Mutex // serialises installs

	layersMu sync.Mutex
	layers   map[int64]*layout.Layer // loaded layer revisions

	histMu   sync.Mutex
	hist     []*Snapshot         // most recently used first
	inflight map[int64]*histLoad // loads in progress, by version
	loads    chan struct{}       // one token per load At may run now

	target      atomic.Int64 // newest version number the backend announced
	unseenSince atomic.Int64 // unix nanos since a newer version than the served one is known; 0 if none
	contact     atomic.Int64 // unix nanos of the last successful contact with the backend
	wake        chan struct{}
	swaps       atomic.Int64
	lastSwap    atomic.Int64 // nanoseconds the last swap took (load + index)
	following   atomic.Bool  // Follow runs
}

type histLoad struct {
	done chan struct{}
	snap *Snapshot
	err  error
}

// New returns a store over b serving its newest version (none when b is
// empty: Current is nil until a Commit; serving code refuses that with
// ErrEmpty).
func New(ctx context.Context, b Backend, opts Options) (*Store, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.History <= 0 {
		opts.History = 4
	}
	if opts.MaxLag <= 0 {
		opts.MaxLag = 5 * time.Second
	}
	if opts.HistoryLoads <= 0 {
		opts.HistoryLoads = max(1, runtime.GOMAXPROCS(0)/2)
	}
	s := &Store{b: b, log: opts.Log, opts: opts, layers: map[int64]*layout.Layer{}, inflight: map[int64]*histLoad{}, loads: make(chan struct{}, opts.HistoryLoads), wake: make(chan struct{}, 1)}
	if g, ok := b.(*GPKG); ok {
		s.path = g.path
	}
	head, err := b.Head(ctx)
	if err != nil {
		return nil, err
	}
	s.contact.Store(time.Now().UnixNano())
	if head == 0 {
		return s, nil
	}
	snap, err := s.load(ctx, head, nil)
	if err != nil {
		return nil, err
	}
	s.install(snap)
	s.target.Store(head)
	return s, nil
}

// Backend returns the store's backend.
func (s *Store) Backend() Backend { return s.b }

// Close releases the backend.
func (s *Store) Close() error { return s.b.Close() }

// Current returns the snapshot being served (nil for an empty store).
func (s *Store) Current() *Snapshot { return s.cur.Load() }

// ReadOnly reports whether writes are refused.
func (s *Store) ReadOnly() bool { return s.b.ReadOnly() }

type snapshotKey struct{}

// WithSnapshot returns ctx carrying snap: SnapshotFor(ctx) then returns it.
// HTTP middleware pins each request to one snapshot this way (the current
// one, or the version the request names).
func WithSnapshot(ctx context.Context, snap *Snapshot) context.Context {
	return context.WithValue(ctx, snapshotKey{}, snap)
}

// SnapshotFor returns the snapshot ctx carries (WithSnapshot), else Current.
func (s *Store) SnapshotFor(ctx context.Context) *Snapshot {
	if snap, ok := ctx.Value(snapshotKey{}).(*Snapshot); ok && snap != nil {
		return snap
	}
	return s.Current()
}

// load reads version n, reusing the layers and index parts of prev (and of
// any loaded layer revision).
func (s *Store) load(ctx context.Context, n int64, prev *Snapshot) (*Snapshot, error) {
	v, revs, err := s.b.Manifest(ctx, n)
	if err != nil {
		return nil, err
	}
	lays, err := s.layersOf(ctx, revs)
	if err != nil {
		return nil, err
	}
	lay := &layout.Layout{Version: v.DataVersion, Layers: lays}
	var prevIx *spatial.Index
	if prev != nil {
		prevIx = prev.Index
	}
	ix, err := spatial.BuildFrom(ctx, lay, prevIx)
	if err != nil {
		return nil, fmt.Errorf("store: indexing version %d: %w", n, err)
	}
	return &Snapshot{Layout: lay, Index: ix, Version: v, GPKGPath: s.path, LoadedAt: time.Now(), revs: revs}, nil
}

// layersOf returns the layer revisions revs, reading those not loaded yet.
func (s *Store) layersOf(ctx context.Context, revs []int64) ([]*layout.Layer, error) {
	s.layersMu.Lock()
	var missing []int64
	for _, r := range revs {
		if _, ok := s.layers[r]; !ok {
			missing = append(missing, r)
		}
	}
	s.layersMu.Unlock()
	if len(missing) > 0 {
		got, err := s.b.Layers(ctx, missing)
		if err != nil {
			return nil, err
		}
		s.layersMu.Lock()
		for r, ly := range got {
			if _, ok := s.layers[r]; !ok {
				s.layers[r] = ly
			}
		}
		s.layersMu.Unlock()
	}
	s.layersMu.Lock()
	defer s.layersMu.Unlock()
	out := make([]*layout.Layer, len(revs))
	for i, r := range revs {
		ly, ok := s.layers[r]
		if !ok {
			return nil, fmt.Errorf("store: layer revision %d is missing from the backend", r)
		}
		out[i] = ly
	}
	return out, nil
}

// install serves snap if it is newer than the served snapshot.
func (s *Store) install(snap *Snapshot) bool {
	s.swapMu.Lock()
	defer s.swapMu.Unlock()
	if cur := s.cur.Load(); cur != nil && cur.Version.N >= snap.Version.N {
		return false
	}
	s.cur.Store(snap)
	if snap.Version.N >= s.target.Load() {
		s.unseenSince.Store(0)
	}
	s.swaps.Add(1)
	s.prune()
	return true
}

// prune forgets layer revisions no kept snapshot uses.
func (s *Store) prune() {
	keep := map[int64]bool{}
	if cur := s.cur.Load(); cur != nil {
		for _, r := range cur.revs {
			keep[r] = true
		}
	}
	s.histMu.Lock()
	for _, h := range s.hist {
		for _, r := range h.revs {
			keep[r] = true
		}
	}
	s.histMu.Unlock()
	s.layersMu.Lock()
	for r := range s.layers {
		if !keep[r] {
			delete(s.layers, r)
		}
	}
	s.layersMu.Unlock()
}

// At returns version n: the current snapshot, a kept one, or one loaded now
// (concurrent requests for the same version load it once). An unknown
// version is an error wrapping ErrNoVersion.
func (s *Store) At(ctx context.Context, n int64) (*Snapshot, error) {
	cur := s.Current()
	if cur != nil && cur.Version.N == n {
		return cur, nil
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: versions are numbered from 1", ErrNoVersion)
	}
	s.histMu.Lock()
	for i, h := range s.hist {
		if h.Version.N == n {
			copy(s.hist[1:i+1], s.hist[:i])
			s.hist[0] = h
			s.histMu.Unlock()
			return h, nil
		}
	}
	if l, ok := s.inflight[n]; ok {
		s.histMu.Unlock()
		select {
		case <-l.done:
			return l.snap, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &histLoad{done: make(chan struct{})}
	s.inflight[n] = l
	s.histMu.Unlock()

	// Loads take turns (Options.HistoryLoads at once); a request waits for
	// its turn only until its own deadline. Once started, the load is
	// shared, so it does not stop when one waiting request goes.
	select {
	case s.loads <- struct{}{}:
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		l.snap, l.err = s.load(lctx, n, cur)
		cancel()
		<-s.loads
	case <-ctx.Done():
		l.err = fmt.Errorf("store: waiting to load version %d behind other loads: %w", n, ctx.Err())
	}
	s.histMu.Lock()
	delete(s.inflight, n)
	if l.err == nil {
		s.hist = append([]*Snapshot{l.snap}, s.hist...)
		if len(s.hist) > s.opts.History {
			s.hist = s.hist[:s.opts.History]
		}
	}
	s.histMu.Unlock()
	close(l.done)
	if l.err == nil {
		s.prune()
	}
	return l.snap, l.err
}

// Versions lists up to limit versions numbered below before (the newest
// when before <= 0), newest first.
func (s *Store) Versions(ctx context.Context, before int64, limit int) ([]Version, error) {
	return s.b.Versions(ctx, before, limit)
}

// Version returns the history record of version n.
func (s *Store) Version(ctx context.Context, n int64) (Version, error) {
	if cur := s.Current(); cur != nil && cur.Version.N == n {
		return cur.Version, nil
	}
	v, _, err := s.b.Manifest(ctx, n)
	return v, err
}

// AuditLog lists up to limit audit entries numbered below before (the
// newest when before <= 0), newest first.
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	return s.b.AuditLog(ctx, before, limit)
}

// Change is one write.
type Change struct {
	// Layout replaces the whole layout when set (hetang build).
	Layout *layout.Layout
	// Layers replace the layers with the same ids (imports).
	Layers []*layout.Layer
	// DataVersion is the new layout's content version (Layout.Version).
	DataVersion string
	// Kind is KindBuild, KindImport …; Author the token name or "cli".
	Kind, Author, Role, Message string
	// RequestID, Remote and Detail go to the audit log.
	RequestID, Remote, Detail string
}

// Commit writes a new version: base's layout with the change applied. base
// is the snapshot the change was prepared against (nil for an empty store);
// if another write committed since, Commit fails with ErrConflict and
// nothing is written (prepare the change again against Current after
// Refresh). The new snapshot is indexed before anything is written, and
// served once the write is committed.
func (s *Store) Commit(ctx context.Context, base *Snapshot, ch Change) (*Snapshot, error) {
	if s.b.ReadOnly() {
		return nil, ErrReadOnly
	}
	if ch.DataVersion == "" {
		return nil, errors.New("store: commit without a data version")
	}
	if err := CheckMessage(ch.Message); err != nil {
		return nil, err
	}
	var baseLay *layout.Layout
	var baseRevs []int64
	var baseN int64
	if base != nil {
		baseLay, baseRevs, baseN = base.Layout, base.revs, base.Version.N
	}
	next := &layout.Layout{Version: ch.DataVersion}
	var refs []LayerRef
	if ch.Layout != nil {
		for _, ly := range ch.Layout.Layers {
			ref := LayerRef{Layer: normalize(ly)}
			if baseLay != nil {
				for i, old := range baseLay.Layers {
					if old.ID == ly.ID && layersEqual(old, ref.Layer) {
						ref = LayerRef{Rev: baseRevs[i], Layer: old}
					}
				}
			}
			refs = append(refs, ref)
			next.Layers = append(next.Layers, ref.Layer)
		}
	} else {
		if baseLay == nil {
			return nil, ErrEmpty
		}
		norm := make([]*layout.Layer, len(ch.Layers))
		for i, ly := range ch.Layers {
			norm[i] = normalize(ly)
		}
		var err error
		if next, err = baseLay.WithLayers(ch.DataVersion, norm...); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		for i, ly := range next.Layers {
			ref := LayerRef{Layer: ly}
			if ly == baseLay.Layers[i] {
				ref.Rev = baseRevs[i]
			}
			refs = append(refs, ref)
		}
	}
	for _, r := range refs {
		if r.Rev == 0 {
			if err := checkLayer(r.Layer); err != nil {
				return nil, err
			}
		}
	}
	var prevIx *spatial.Index
	if base != nil {
		prevIx = base.Index
	}
	ix, err := spatial.BuildFrom(ctx, next, prevIx)
	if err != nil {
		return nil, fmt.Errorf("store: indexing the new version: %w", err)
	}
	v := Version{DataVersion: ch.DataVersion, Author: ch.Author, Kind: ch.Kind, Message: ch.Message, Changes: Changes(baseLay, next)}
	return s.commit(ctx, baseN, v, refs, next, ix, ch)
}

func (s *Store) commit(ctx context.Context, baseN int64, v Version, refs []LayerRef, next *layout.Layout, ix *spatial.Index, ch Change) (*Snapshot, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// What the write touched: the layers it replaced (even when they came
	// out the same), else the layers that changed, else the whole layout.
	var touched []string
	for _, ly := range ch.Layers {
		touched = append(touched, ly.ID)
	}
	if len(touched) == 0 {
		for _, c := range v.Changes {
			touched = append(touched, c.Layer)
		}
	}
	target := strings.Join(touched, ",")
	if target == "" {
		target = "layout"
	}
	audit := AuditEntry{Actor: ch.Author, Role: ch.Role, Action: v.Kind, Target: target, Detail: ch.Detail, RequestID: ch.RequestID, Remote: ch.Remote}
	if audit.Detail == "" {
		audit.Detail = v.Message
	}
	done, revs, err := s.b.Commit(ctx, baseN, v, refs, audit)
	if err != nil {
		return nil, err
	}
	s.layersMu.Lock()
	for i, r := range revs {
		s.layers[r] = next.Layers[i]
	}
	s.layersMu.Unlock()
	snap := &Snapshot{Layout: next, Index: ix, Version: done, GPKGPath: s.path, LoadedAt: time.Now(), revs: revs}
	s.log.Info("committed", "version", done.N, "data_version", done.DataVersion, "kind", done.Kind, "author", done.Author,
		"layers", target, "message", done.Message, "request_id", ch.RequestID, "remote", ch.Remote)
	if s.target.Load() < done.N {
		s.target.Store(done.N)
	}
	s.install(snap)
	return snap, nil
}

// ReplaceLayer commits ly in place of the layer with its id as a new version
// at data version version, on top of the current one (written by "system";
// imports use Commit with their author).
func (s *Store) ReplaceLayer(ctx context.Context, ly *layout.Layer, version string) (*Snapshot, error) {
	return s.Commit(ctx, s.Current(), Change{Layers: []*layout.Layer{ly}, DataVersion: version, Kind: KindImport, Author: "system", Role: "system"})
}

// Rollback writes a new version whose layers are those of version n (the
// same stored layer revisions, so the data is byte for byte that of n, and
// so is its data version). It retries by itself when another write commits
// meanwhile. Restoring the data of the newest version is refused with
// ErrUnchanged (nothing would change but the history).
func (s *Store) Rollback(ctx context.Context, n int64, ch Change) (*Snapshot, error) {
	if s.b.ReadOnly() {
		return nil, ErrReadOnly
	}
	if err := CheckMessage(ch.Message); err != nil {
		return nil, err
	}
	caughtUp := false
	for attempt := 0; ; attempt++ {
		base := s.Current()
		if base == nil {
			return nil, ErrEmpty
		}
		old, revs, err := s.b.Manifest(ctx, n)
		if err != nil {
			return nil, err
		}
		if old.DataVersion == base.Layout.Version && slices.Equal(revs, base.revs) {
			// Nothing to restore, unless a newer version committed
			// elsewhere is not served here yet: look once.
			if !caughtUp {
				caughtUp = true
				if err := s.Refresh(ctx); err != nil {
					return nil, err
				}
				continue
			}
			if n == base.Version.N {
				return nil, fmt.Errorf("%w: version %d is the newest version", ErrUnchanged, n)
			}
			return nil, fmt.Errorf("%w: version %d holds the same data as version %d, the newest", ErrUnchanged, n, base.Version.N)
		}
		lays, err := s.layersOf(ctx, revs)
		if err != nil {
			return nil, err
		}
		next := &layout.Layout{Version: old.DataVersion, Layers: lays}
		refs := make([]LayerRef, len(revs))
		for i, r := range revs {
			refs[i] = LayerRef{Rev: r, Layer: lays[i]}
		}
		ix, err := spatial.BuildFrom(ctx, next, base.Index)
		if err != nil {
			return nil, fmt.Errorf("store: indexing version %d: %w", n, err)
		}
		msg := ch.Message
		if msg == "" {
			msg = fmt.Sprintf("rollback to version %d", n)
		}
		v := Version{DataVersion: old.DataVersion, Author: ch.Author, Kind: KindRollback, Message: msg, Changes: Changes(base.Layout, next), RollbackOf: n}
		ch.Kind = KindRollback
		snap, err := s.commit(ctx, base.Version.N, v, refs, next, ix, ch)
		if errors.Is(err, ErrConflict) && attempt < 5 {
			if err := s.Refresh(ctx); err != nil {
				return nil, err
			}
			continue
		}
		return snap, err
	}
}

// Refresh catches up with the backend now: it serves the newest committed
// version.
func (s *Store) Refresh(ctx context.Context) error {
	head, err := s.b.Head(ctx)
	if err != nil {
		return err
	}
	s.noteHead(head)
	cur := s.Current()
	if cur != nil && cur.Version.N >= head {
		return nil
	}
	snap, err := s.load(ctx, head, cur)
	if err != nil {
		return err
	}
	s.install(snap)
	return nil
}

// noteHead records that the backend's newest version is n.
func (s *Store) noteHead(n int64) {
	now := time.Now().UnixNano()
	s.contact.Store(now)
	for {
		t := s.target.Load()
		if n <= t || s.target.CompareAndSwap(t, n) {
			break
		}
	}
	if cur := s.Current(); cur == nil || cur.Version.N < n {
		s.unseenSince.CompareAndSwap(0, now)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// Follow watches the backend and serves each newer version as soon as it is
// announced, until ctx ends. Run it in its own goroutine on every replica.
func (s *Store) Follow(ctx context.Context) {
	s.following.Store(true)
	defer s.following.Store(false)
	go s.b.Watch(ctx, s.noteHead)
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		for {
			target := s.target.Load()
			cur := s.Current()
			if cur != nil && cur.Version.N >= target {
				break
			}
			t0 := time.Now()
			snap, err := s.load(ctx, target, cur)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("cannot load the newest version yet; retrying", "version", target, "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			if s.install(snap) {
				d := time.Since(t0)
				s.lastSwap.Store(int64(d))
				from := int64(0)
				if cur != nil {
					from = cur.Version.N
				}
				s.log.Info("serving a newer version", "version", snap.Version.N, "from", from, "data_version", snap.Version.DataVersion, "swap_ms", d.Milliseconds())
			}
		}
	}
}

// Status is what a replica knows about its position.
type Status struct {
	// Version is the served version; Head the newest one the backend announced.
	Version, Head int64
	// Lag is how long a newer version than the served one has been known (0 when up to date).
	Lag time.Duration
	// SinceContact is how long ago the backend was last reached.
	SinceContact time.Duration
	// SnapshotAge is how long ago the served snapshot was loaded.
	SnapshotAge time.Duration
	// LastSwap is how long loading and indexing the last followed version took.
	LastSwap time.Duration
	// Swaps counts installed snapshots.
	Swaps int64
}

// Status reports the replica's position.
func (s *Store) Status() Status {
	now := time.Now()
	st := Status{Head: s.target.Load(), Swaps: s.swaps.Load(), LastSwap: time.Duration(s.lastSwap.Load())}
	if cur := s.Current(); cur != nil {
		st.Version = cur.Version.N
		st.SnapshotAge = now.Sub(cur.LoadedAt)
	}
	if u := s.unseenSince.Load(); u != 0 {
		st.Lag = now.Sub(time.Unix(0, u))
	}
	st.SinceContact = now.Sub(time.Unix(0, s.contact.Load()))
	return st
}

// Ready reports why the replica should not take traffic: no data, the
// backend unreachable, no news from it (while following) for longer than
// Options.MaxLag, or serving an older version than the newest committed one
// for longer than that.
func (s *Store) Ready(ctx context.Context) error {
	if s.Current() == nil {
		return ErrEmpty
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.b.Ping(pctx); err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	st := s.Status()
	if s.following.Load() && st.SinceContact > s.opts.MaxLag {
		return fmt.Errorf("store: no news from the database for %s (bound %s): the notification connection is down", st.SinceContact.Round(time.Millisecond), s.opts.MaxLag)
	}
	if st.Lag > s.opts.MaxLag {
		return fmt.Errorf("store: serving version %d while version %d is committed, for %s (bound %s)", st.Version, st.Head, st.Lag.Round(time.Millisecond), s.opts.MaxLag)
	}
	return nil
}

// Changes compares two layouts layer by layer and feature by feature (by
// id). old may be nil.
func Changes(old, next *layout.Layout) []LayerChange {
	var out []LayerChange
	seen := map[string]bool{}
	for _, ly := range next.Layers {
		seen[ly.ID] = true
		var prev *layout.Layer
		if old != nil {
			prev, _ = old.Layer(ly.ID)
		}
		if prev == ly {
			continue
		}
		c := LayerChange{Layer: ly.ID, Change: ChangeReplaced, Features: len(ly.Features)}
		if prev == nil {
			c.Change = ChangeAdded
			c.Added = len(ly.Features)
			out = append(out, c)
			continue
		}
		byID := map[string]*layout.Feature{}
		for _, f := range prev.Features {
			byID[f.ID] = f
		}
		for _, f := range ly.Features {
			p, ok := byID[f.ID]
			switch {
			case !ok:
				c.Added++
			case FeaturesEqual(p, f):
				c.Unchanged++
			default:
				c.Changed++
			}
			delete(byID, f.ID)
		}
		c.Removed = len(byID)
		if c.Added+c.Removed+c.Changed == 0 && layerMetaEqual(prev, ly) {
			continue
		}
		out = append(out, c)
	}
	if old != nil {
		for _, ly := range old.Layers {
			if !seen[ly.ID] {
				out = append(out, LayerChange{Layer: ly.ID, Change: ChangeRemoved, Removed: len(ly.Features)})
			}
		}
	}
	if out == nil {
		out = []LayerChange{}
	}
	return out
}

// FeaturesEqual reports whether two features have the same id, properties
// and geometry.
func FeaturesEqual(a, b *layout.Feature) bool {
	if a.ID != b.ID || !reflect.DeepEqual(a.Properties, b.Properties) {
		return false
	}
	if a.Geometry == nil || b.Geometry == nil {
		return a.Geometry == nil && b.Geometry == nil
	}
	return orb.Equal(a.Geometry, b.Geometry)
}

func layerMetaEqual(a, b *layout.Layer) bool {
	return a.ID == b.ID && a.TitleZH == b.TitleZH && a.TitleEN == b.TitleEN && a.Description == b.Description && a.GeometryType == b.GeometryType
}

func layersEqual(a, b *layout.Layer) bool {
	if !layerMetaEqual(a, b) || len(a.Features) != len(b.Features) {
		return false
	}
	for i := range a.Features {
		if !FeaturesEqual(a.Features[i], b.Features[i]) {
			return false
		}
	}
	return true
}

// checkLayer refuses what no backend can store: a layer without id, or a
// geometry of another type than the layer's.
func checkLayer(ly *layout.Layer) error {
	if ly.ID == "" {
		return errors.New("store: a layer without id")
	}
	for _, f := range ly.Features {
		if f.Geometry == nil || ly.GeometryType == "Geometry" {
			continue
		}
		got := f.Geometry.GeoJSONType()
		if _, ok := f.Geometry.(orb.Collection); ok {
			got = "GeometryCollection"
		}
		if got != ly.GeometryType {
			return fmt.Errorf("store: layer %s feature %s: the geometry is a %s, the layer holds %s", ly.ID, f.ID, got, ly.GeometryType)
		}
	}
	return nil
}

// normalize returns ly as a store reads it back: every property typed by its
// column as a GeoPackage stores it (gpkg.Stored), every feature carrying
// every property of the layer (layout.Layer.Complete), and the id property
// equal to the feature id. Both backends store and serve exactly this, so a
// version reads back as it was served. ly is not changed.
func normalize(ly *layout.Layer) *layout.Layer {
	types := map[string]layout.FieldType{}
	for _, f := range ly.Fields() {
		types[f.Name] = f.Type
	}
	out := *ly
	out.Features = make([]*layout.Feature, len(ly.Features))
	for i, f := range ly.Features {
		props := make(map[string]any, len(f.Properties)+1)
		for k, v := range f.Properties {
			props[k] = gpkg.Stored(v, types[k])
		}
		props[layout.PropID] = f.ID
		out.Features[i] = &layout.Feature{ID: f.ID, Properties: props, Geometry: f.Geometry}
	}
	out.Complete()
	return &out
}
