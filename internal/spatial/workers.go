package spatial

import (
	"context"
	"fmt"
	"runtime"

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
	err   error
}

// workerPool holds an index's workers in two lanes: parcels whose outline
// near the district is small take a light worker, the others a heavy one,
// so a heavy parcel never holds up a light one. Each lane has GOMAXPROCS
// workers.
type workerPool struct {
	light, heavy chan *worker
}

// heavyWork is the number of outline vertices near the district above
// which a parcel takes the heavy lane.
const heavyWork = 20_000

func newWorkerPool() *workerPool {
	n := max(1, runtime.GOMAXPROCS(0))
	p := &workerPool{light: make(chan *worker, n), heavy: make(chan *worker, n)}
	for range n {
		p.light <- &worker{}
		p.heavy <- &worker{}
	}
	return p
}

// acquireWorker waits for a worker of the lane work calls for, or for ctx.
func (ix *Index) acquireWorker(ctx context.Context, work int) (*worker, func(), error) {
	lane := ix.workers.light
	if work > heavyWork {
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
