package spatial

import (
	"context"
	"fmt"
	"runtime"
	"syscall"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"
	"github.com/twpayne/go-proj/v11"

	"hetang/internal/geosorb"
)

// A worker is what one parcel overlay needs to itself: a GEOS context and a
// PROJ transform to EPSG:4547 of its own (both serialise every call behind a
// mutex, so sharing one would queue every parcel behind the slowest) and
// the features' EPSG:4547 geometries in that context, built on first use.
// go-geos v0.20 never frees a context, so workers are made once and reused,
// never dropped; an index built from an earlier one (BuildFrom, a new
// version of the layout) shares its pool, and a worker moving to another
// index keeps the geometries of the features the two share and projects
// only the others.
type worker struct {
	geos  *geos.Context
	gk    *proj.PJ
	ix    *Index // the index feats belong to
	feats map[*featIndex]*geos.Geom
	// preps are feats prepared (indexed) for nearest-point searches,
	// made on first use.
	preps map[*featIndex]*geos.PrepGeom
	err   error
}

// prepared returns the feature's geometry in w, prepared.
func (w *worker) prepared(fi *featIndex) *geos.PrepGeom {
	if w.preps == nil {
		w.preps = map[*featIndex]*geos.PrepGeom{}
	}
	p, ok := w.preps[fi]
	if !ok {
		p = w.feats[fi].Prepare()
		w.preps[fi] = p
	}
	return p
}

// workerPool holds an index's workers in two lanes: light parcels (whose
// Cost is at most LightParcelCost: a few thousand vertices near the
// district) take a light worker, the others a heavy one, so a heavy parcel
// never holds up a light one. The light lane has GOMAXPROCS workers, the
// heavy one GOMAXPROCS-1 (at least 1), so that heavy parcels leave a CPU to
// light ones.
type workerPool struct {
	light, heavy chan *worker
	// heavyCPU bounds the Go work of heavy parcels outside the overlay
	// (decoding, preparing): see HeavyWork.
	heavyCPU chan struct{}
}

// LightParcelCost is the largest Parcel.Cost of a light parcel: one that
// takes the light lane of workers (and that a memory budget should let
// through without waiting: budget.Config.LightBytes).
const LightParcelCost = 8 << 20

// cpus is the CPUs the process may use, as the Go runtime first saw them
// (GOMAXPROCS at start, which follows cgroup limits): lanes are sized by it
// even after a server raises GOMAXPROCS for heavy threads (HeavyThreads).
var cpus = max(1, runtime.GOMAXPROCS(0))

// HeavyThreads is how many goroutines may run heavy parcel work at once
// (heavy overlays and heavy decoding): a server adds as many to GOMAXPROCS,
// so that heavy work, which runs niced on threads of its own, never holds
// the Ps light requests need, and the kernel shares the CPUs by priority.
func HeavyThreads() int { return 2 * max(1, cpus-1) }

func newWorkerPool() *workerPool {
	n := cpus
	heavy := max(1, n-1)
	p := &workerPool{light: make(chan *worker, n), heavy: make(chan *worker, heavy), heavyCPU: make(chan struct{}, heavy)}
	for range n {
		p.light <- &worker{}
	}
	for range heavy {
		p.heavy <- &worker{}
	}
	return p
}

// HeavyWork waits for one of the slots heavy parcels' work outside the
// overlay takes (decoding a large body, preparing the parcel), runs fn in it
// at a lower CPU priority (see niced) and returns; or returns ctx's error
// without running fn. There are as many slots as heavy workers, so that
// however many heavy requests arrive at once, they never crowd light ones
// out of the CPU: a light request waits behind a few heavy ones at most.
func (ix *Index) HeavyWork(ctx context.Context, fn func()) error {
	select {
	case ix.workers.heavyCPU <- struct{}{}:
		defer func() { <-ix.workers.heavyCPU }()
		niced(fn)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("spatial: waiting for a heavy-work slot: %w", ctx.Err())
	}
}

// heavyNice is the nice value heavy work runs at: the kernel gives a
// thread at nice 10 about a tenth of the CPU a nice-0 thread gets when
// both want it, so light requests keep their latency next to heavy ones.
const heavyNice = 10

// niced runs fn on an OS thread of its own at nice heavyNice and waits for
// it; a panic in fn is raised again in the caller. The thread is never
// unlocked, so it ends with fn's goroutine and no other goroutine ever runs
// at the lower priority. Where the priority cannot be set, fn runs anyway.
func niced(fn func()) {
	done := make(chan any, 1)
	go func() {
		runtime.LockOSThread()
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), heavyNice)
		defer func() { done <- recover() }()
		fn()
	}()
	if p := <-done; p != nil {
		panic(p)
	}
}

// acquireWorker waits for a worker of the lane a parcel of the given cost
// takes, or for ctx.
func (ix *Index) acquireWorker(ctx context.Context, cost int64) (*worker, func(), error) {
	lane := ix.workers.light
	if cost > LightParcelCost {
		lane = ix.workers.heavy
	}
	select {
	case w := <-lane:
		if w.geos == nil && w.err == nil {
			w.err = ix.initWorker(w)
		} else if w.err == nil && w.ix != ix {
			w.err = ix.moveWorker(w)
		}
		if w.err != nil {
			lane <- w
			return nil, nil, w.err
		}
		return w, func() { lane <- w }, nil
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("spatial: waiting for a worker: %w", ctx.Err())
	}
}

func (ix *Index) initWorker(w *worker) error {
	geoms, err := ix.projectedGeoms()
	if err != nil {
		return err
	}
	pctx := proj.NewContext()
	pj, err := pctx.NewCRSToCRS("EPSG:4326", "EPSG:4547", nil)
	if err != nil {
		return fmt.Errorf("spatial: PROJ cannot build EPSG:4326 → EPSG:4547: %w", err)
	}
	if pj, err = pj.NormalizeForVisualization(); err != nil {
		return fmt.Errorf("spatial: PROJ cannot normalise EPSG:4547: %w", err)
	}
	gc := geos.NewContext()
	feats := make(map[*featIndex]*geos.Geom, len(geoms))
	for fi, g := range geoms {
		gg, err := geosorb.ToGEOS(gc, g)
		if err != nil {
			return fmt.Errorf("spatial: %s in EPSG:4547: %w", fi.f.ID, err)
		}
		feats[fi] = gg
	}
	w.geos, w.gk, w.feats, w.ix = gc, pj, feats, ix
	return nil
}

// moveWorker gives a worker last used by another index the geometries of
// ix's features, reusing those of the features both indexes share.
func (ix *Index) moveWorker(w *worker) error {
	geoms, err := ix.projectedGeoms()
	if err != nil {
		return err
	}
	feats := make(map[*featIndex]*geos.Geom, len(geoms))
	for fi, g := range geoms {
		if gg, ok := w.feats[fi]; ok {
			feats[fi] = gg
			continue
		}
		gg, err := geosorb.ToGEOS(w.geos, g)
		if err != nil {
			return fmt.Errorf("spatial: %s in EPSG:4547: %w", fi.f.ID, err)
		}
		feats[fi] = gg
	}
	for fi := range w.preps {
		if _, ok := feats[fi]; !ok {
			delete(w.preps, fi)
		}
	}
	w.feats, w.ix = feats, ix
	return nil
}

// toGK projects lon/lat points to EPSG:4547 with the worker's transform.
func (w *worker) toGK(pts []orb.Point) ([][]float64, error) {
	flat := make([]float64, 2*len(pts))
	for i, p := range pts {
		flat[2*i], flat[2*i+1] = p[0], p[1]
	}
	if err := w.gk.ForwardFlatCoords(flat, 2, -1, -1); err != nil {
		return nil, fmt.Errorf("spatial: projecting the parcel to EPSG:4547: %w", err)
	}
	out := make([][]float64, len(pts))
	for i := range pts {
		out[i] = flat[2*i : 2*i+2 : 2*i+2]
	}
	return out, nil
}

// fromGK converts EPSG:4547 points back to lon/lat.
func (w *worker) fromGK(pts [][]float64) ([]orb.Point, error) {
	flat := make([]float64, 2*len(pts))
	for i, p := range pts {
		flat[2*i], flat[2*i+1] = p[0], p[1]
	}
	if err := w.gk.InverseFlatCoords(flat, 2, -1, -1); err != nil {
		return nil, fmt.Errorf("spatial: EPSG:4547 to lon/lat: %w", err)
	}
	out := make([]orb.Point, len(pts))
	for i := range pts {
		out[i] = orb.Point{flat[2*i], flat[2*i+1]}
	}
	return out, nil
}
