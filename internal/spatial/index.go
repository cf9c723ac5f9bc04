// Package spatial is the service's in-process spatial query engine: which
// area (片区), city, base, corridor, service and agriculture zone a point or a
// parcel falls in, and how far it is, along the WGS84 ellipsoid, from the
// axis, the green chain, the corridor, the district boundary and the roads.
//
// An Index is built once per data snapshot and is immutable afterwards, so
// any number of goroutines may query it.
//
// Point queries are pure Go and allocation-free: each polygon layer has a
// grid whose cells away from every edge carry precomputed memberships, and
// points in the other cells are decided by a ray cast over the edges of their
// row with exact orientation predicates (see polyGrid). Nearest-point queries
// use per-feature candidate grids over lines densified to 250 m pieces along
// their geodesics; the nearest point is found in a local metric frame and the
// distance reported is the geodesic distance to it on the WGS84 ellipsoid
// (the mean-latitude ellipsoidal formula below about 11 km, good to 1e-6 of
// the distance; Karney's geodesic beyond). Parcel overlays (LocatePolygon) use GEOS in
// EPSG:4547 with polygon edges taken as geodesics (as PostGIS geography
// does) and areas corrected for the projection's scale; point-in-polygon
// takes edges as straight in lon/lat (as GEOS and GeoJSON do): the two differ
// by centimetres for the layout's edges.
//
// Boundary rule (deterministic, tested): a point exactly on the boundary of a
// polygon is covered by it (it counts as in the city, base, corridor, zone or
// district). A point exactly on the edge shared by two or more areas belongs
// to the one that comes first in the areas layer's order (the partition order
// of plandata.Build: CBD, Shuizhuhu, Taiyang, Jinshan, Hetang Moonlight), and
// the answer says OnBoundary. OnBoundary is true whenever the point is
// exactly on the boundary of the district or of any area. The areas are
// clipped from the district by floating-point overlay, so their outer edges
// may differ from the district's by rounding: a point covered by an area
// counts as inside the district, and a point inside the district that no
// area covers belongs to the nearest area.
//
// Coordinates are WGS84 longitude/latitude in x-first order throughout;
// conversions from other frames happen at the edges (package crs).
package spatial

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"hetang/internal/layout"
)

// ErrUnknownLayer is returned by queries naming a layer the data lacks.
var ErrUnknownLayer = errors.New("spatial: unknown layer")

// worldMargin is how far (degrees) the nearest-point grids extend beyond the
// bounding box of the indexed features.
const worldMargin = 0.02

// Index answers spatial questions about one layout snapshot.
type Index struct {
	version string
	layers  map[string]*layerIndex
	world   orb.Bound

	district, areas, cities, bases, corridor, services, agri *layerIndex
	axis, chain, roads                                       *layerIndex

	// proj holds EPSG:4547 geometries for parcel overlays, built on first
	// use; workers are the GEOS contexts parcel overlays run in.
	proj    *projected
	workers *workerPool
}

type geomKind int

const (
	kindPoint geomKind = iota
	kindLine
	kindPolygon
)

type layerIndex struct {
	layer *layout.Layer
	feats []*featIndex
	grid  *polyGrid // polygon layers: memberships
	// merged is the linework of all features with owners, gridded, for the
	// single nearest feature of hot line layers.
	merged *lineSet
}

type featIndex struct {
	bound orb.Bound
	f     *layout.Feature
	kind  geomKind
	lines *lineSet         // the linework: the line, the polygon rings, or the point(s)
	poly  orb.MultiPolygon // polygons only
}

// hotLayers get nearest-point grids: they are asked for every located point.
var hotLayers = []string{layout.LayerDistrict, layout.LayerAxis, layout.LayerChain, layout.LayerRoads, layout.LayerCorridor}

// pointLayers are the polygon layers every point is located in.
var pointLayers = []string{layout.LayerDistrict, layout.LayerAreas, layout.LayerCities, layout.LayerBases, layout.LayerCorridor, layout.LayerServices, layout.LayerAgri}

// Build indexes a layout. It fails when the district or areas layer is
// missing or empty, or a geometry cannot be indexed; the caller keeps serving
// its previous index then.
func Build(ctx context.Context, lay *layout.Layout) (*Index, error) {
	return BuildFrom(ctx, lay, nil)
}

// BuildFrom is Build reusing the parts of prev, an index of an earlier
// version of the layout, when the indexed extent has not changed: a layer
// lay still holds (the same *layout.Layer) is taken whole, and in a layer
// that was replaced, a feature whose geometry is equal to the one at the
// same position before keeps that one's linework and nearest-point grid
// (and when all do, the layer keeps its merged grid and polygon grid).
// Replacing one layer then costs about the share of that layer's geometry
// that changed. prev may be nil, and it is not changed.
func BuildFrom(ctx context.Context, lay *layout.Layout, prev *Index) (*Index, error) {
	ix := &Index{version: lay.Version, layers: map[string]*layerIndex{}, proj: &projected{}}
	if prev != nil {
		ix.workers = prev.workers
	} else {
		ix.workers = newWorkerPool()
	}
	first := true
	for _, ly := range lay.Layers {
		if (slices.Contains(pointLayers, ly.ID) || slices.Contains(hotLayers, ly.ID)) && len(ly.Features) > 0 {
			b := ly.Bound()
			if first {
				ix.world, first = b, false
			} else {
				ix.world = ix.world.Union(b)
			}
		}
	}
	ix.world.Min = orb.Point{ix.world.Min[0] - worldMargin, ix.world.Min[1] - worldMargin}
	ix.world.Max = orb.Point{ix.world.Max[0] + worldMargin, ix.world.Max[1] + worldMargin}
	reuse := prev != nil && prev.world == ix.world
	// reused: the layer's grids are all there (the whole layer, or every
	// feature, came from prev).
	reused := map[string]bool{}
	for _, ly := range lay.Layers {
		var old *layerIndex
		if reuse {
			old = prev.layers[ly.ID]
			if old != nil && old.layer == ly {
				ix.layers[ly.ID] = old
				reused[ly.ID] = true
				continue
			}
		}
		li := &layerIndex{layer: ly}
		all := old != nil && len(old.feats) == len(ly.Features)
		for j, f := range ly.Features {
			if old != nil && j < len(old.feats) && orb.Equal(old.feats[j].f.Geometry, f.Geometry) {
				fi := *old.feats[j]
				fi.f = f
				li.feats = append(li.feats, &fi)
				continue
			}
			all = false
			fi, err := newFeatIndex(f)
			if err != nil {
				return nil, fmt.Errorf("spatial: layer %s feature %s: %w", ly.ID, f.ID, err)
			}
			li.feats = append(li.feats, fi)
		}
		if all {
			li.grid, li.merged = old.grid, old.merged
			reused[ly.ID] = true
		}
		ix.layers[ly.ID] = li
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("spatial: building index: %w", err)
	}
	get := func(id string) *layerIndex {
		if li, ok := ix.layers[id]; ok {
			return li
		}
		li := &layerIndex{layer: &layout.Layer{ID: id}}
		ix.layers[id] = li
		return li
	}
	ix.district, ix.areas, ix.cities, ix.bases = get(layout.LayerDistrict), get(layout.LayerAreas), get(layout.LayerCities), get(layout.LayerBases)
	ix.corridor, ix.services, ix.agri = get(layout.LayerCorridor), get(layout.LayerServices), get(layout.LayerAgri)
	ix.axis, ix.chain, ix.roads = get(layout.LayerAxis), get(layout.LayerChain), get(layout.LayerRoads)
	if len(ix.district.feats) == 0 || len(ix.areas.feats) == 0 {
		return nil, errors.New("spatial: the district and areas layers must not be empty")
	}
	for _, id := range pointLayers {
		li := ix.layers[id]
		if reused[id] {
			continue
		}
		var polys []orb.MultiPolygon
		for _, fi := range li.feats {
			if fi.kind != kindPolygon {
				return nil, fmt.Errorf("spatial: layer %s feature %s is not polygonal", id, fi.f.ID)
			}
			polys = append(polys, fi.poly)
		}
		g, err := newPolyGrid(polys)
		if err != nil {
			return nil, fmt.Errorf("spatial: layer %s: %w", id, err)
		}
		li.grid = g
	}
	// A grid per feature (k nearest) and one over the merged linework (the
	// single nearest feature) of every hot layer, except those taken from
	// prev, built in parallel: each grid is its own.
	var grids []*lineSet
	for _, id := range hotLayers {
		li := ix.layers[id]
		if reused[id] {
			continue
		}
		var sets []*lineSet
		for _, fi := range li.feats {
			sets = append(sets, fi.lines)
			if fi.lines.grid == nil {
				grids = append(grids, fi.lines)
			}
		}
		if len(sets) > 1 {
			li.merged = mergeLineSets(sets)
			grids = append(grids, li.merged)
		}
	}
	jobs := make(chan *lineSet)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(grids))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ls := range jobs {
				ls.buildGrid(ix.world)
			}
		}()
	}
	var cerr error
	for _, ls := range grids {
		if cerr = ctx.Err(); cerr != nil {
			break
		}
		jobs <- ls
	}
	close(jobs)
	wg.Wait()
	if cerr != nil {
		return nil, fmt.Errorf("spatial: building index: %w", cerr)
	}
	// Project the overlay features now, off the request path, so that the
	// first parcel does not pay for it.
	go func() { _, _ = ix.projectedGeoms() }()
	return ix, nil
}

func newFeatIndex(f *layout.Feature) (*featIndex, error) {
	fi := &featIndex{f: f, bound: f.Geometry.Bound()}
	switch g := f.Geometry.(type) {
	case orb.Point:
		fi.kind = kindPoint
		fi.lines = newLineSet([]orb.LineString{{g}})
	case orb.MultiPoint:
		fi.kind = kindPoint
		var ls []orb.LineString
		for _, p := range g {
			ls = append(ls, orb.LineString{p})
		}
		fi.lines = newLineSet(ls)
	case orb.LineString:
		fi.kind = kindLine
		fi.lines = newLineSet([]orb.LineString{g})
	case orb.MultiLineString:
		fi.kind = kindLine
		fi.lines = newLineSet(g)
	case orb.Polygon:
		fi.kind = kindPolygon
		fi.poly = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		fi.kind = kindPolygon
		fi.poly = g
	default:
		return nil, fmt.Errorf("geometry type %T is not supported", f.Geometry)
	}
	if fi.kind == kindPolygon {
		var ls []orb.LineString
		for _, p := range fi.poly {
			for _, r := range p {
				ls = append(ls, orb.LineString(r))
			}
		}
		fi.lines = newLineSet(ls)
	}
	return fi, nil
}

// Version is the data version the index was built from.
func (ix *Index) Version() string { return ix.version }

// Layer returns the indexed layer, or ErrUnknownLayer.
func (ix *Index) Layer(id string) (*layout.Layer, error) {
	li, ok := ix.layers[id]
	if !ok || li.layer == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLayer, id)
	}
	return li.layer, nil
}

// PointHit is where a point is. Slices are reused by Locate when the caller
// passes the same PointHit again.
type PointHit struct {
	// InsideDistrict: the district covers the point (boundary included).
	InsideDistrict bool
	// OnBoundary: the point is exactly on the district's or an area's boundary.
	OnBoundary bool
	// Area is the area the point belongs to (see the package's boundary
	// rule), nil outside the district.
	Area        *layout.Feature
	Cities      []*layout.Feature
	Bases       []*layout.Feature
	Services    []*layout.Feature
	Agriculture []*layout.Feature
	InCorridor  bool
}

// Locate finds the polygons covering p (WGS84 lon/lat) into hit. It does not
// allocate once hit's slices have grown, and makes no cgo call.
func (ix *Index) Locate(p orb.Point, hit *PointHit) {
	x, y := p[0], p[1]
	din, dbd := ix.district.grid.locate(x, y)
	ain, abd := ix.areas.grid.locate(x, y)
	hit.InsideDistrict = din|dbd|ain|abd != 0
	hit.OnBoundary = dbd|abd != 0
	hit.Area = nil
	if cov := ain | abd; cov != 0 {
		hit.Area = ix.areas.feats[bits.TrailingZeros64(cov)].f
	} else if hit.InsideDistrict {
		hit.Area = ix.nearestArea(p)
	}
	hit.Cities = ix.cities.covering(x, y, hit.Cities[:0])
	hit.Bases = ix.bases.covering(x, y, hit.Bases[:0])
	hit.Services = ix.services.covering(x, y, hit.Services[:0])
	hit.Agriculture = ix.agri.covering(x, y, hit.Agriculture[:0])
	cin, cbd := ix.corridor.grid.locate(x, y)
	hit.InCorridor = cin|cbd != 0
}

// AreaOf returns the area covering p by the package's boundary rule (nil
// outside the district) and whether p is on an area or district boundary: the
// point-in-area query alone.
func (ix *Index) AreaOf(p orb.Point) (*layout.Feature, bool) {
	ain, abd := ix.areas.grid.locate(p[0], p[1])
	if cov := ain | abd; cov != 0 {
		_, dbd := ix.district.grid.locate(p[0], p[1])

		return ix.areas.feats[bits.TrailingZeros64(cov)].f, abd|dbd != 0
	}
	din, dbd := ix.district.grid.locate(p[0], p[1])
	if din|dbd != 0 {
		return ix.nearestArea(p), dbd != 0
	}
	return nil, false
}

func (li *layerIndex) covering(x, y float64, dst []*layout.Feature) []*layout.Feature {
	in, bd := li.grid.locate(x, y)
	m := in | bd
	for i := 0; m != 0; i++ {
		if m&1 != 0 {
			dst = append(dst, li.feats[i].f)
		}
		m >>= 1
	}
	return dst
}

func (ix *Index) nearestArea(p orb.Point) *layout.Feature {
	fr := newLocalFrame(p[1])
	best, bd := (*layout.Feature)(nil), math.Inf(1)
	for _, fi := range ix.areas.feats {
		if _, d := fi.lines.nearest(p, fr); d < bd {
			best, bd = fi.f, d
		}
	}
	return best
}

// Nearest is one feature with the point of it nearest to a query and the
// geodesic distance to that point.
type Nearest struct {
	Feature *layout.Feature
	// Point is the nearest point of the feature (WGS84 lon/lat); the query
	// point itself when the distance is 0 because the feature covers it.
	Point orb.Point
	// Meters is the geodesic distance on the WGS84 ellipsoid.
	Meters float64
}

// nearestOne returns the nearest feature of a layer to p (by its linework:
// callers handle covering polygons).
func (li *layerIndex) nearestOne(p orb.Point, fr localFrame) (Nearest, bool) {
	if m := li.merged; m != nil {
		q, _, si := m.nearestSeg(p, fr)
		if si < 0 {
			return Nearest{}, false
		}
		return Nearest{Feature: li.feats[m.owner[si]].f, Point: q, Meters: lineMeters(p, q)}, true
	}
	var best *featIndex
	var bq orb.Point
	bd := math.Inf(1)
	for _, fi := range li.feats {
		if q, d := fi.lines.nearest(p, fr); d < bd {
			best, bq, bd = fi, q, d
		}
	}
	if best == nil {
		return Nearest{}, false
	}
	return Nearest{Feature: best.f, Point: bq, Meters: lineMeters(p, bq)}, true
}

// Distances are the nearest-feature answers for one point.
type Distances struct {
	Axis, Chain, Corridor, DistrictBoundary Nearest
	// HasAxis etc. are false when the layer has no features.
	HasAxis, HasChain, HasCorridor bool
	// Roads are the k nearest roads, nearest first.
	Roads []Nearest
}

// Distances measures from p to the axis, the chain, the corridor (0 inside
// it), the district boundary (the boundary line, also from inside) and the k
// nearest roads. It reuses d.Roads and makes no cgo call.
func (ix *Index) Distances(p orb.Point, k int, d *Distances) {
	fr := ix.lineDistances(p, d)
	d.DistrictBoundary, _ = ix.district.nearestOne(p, fr)
	d.Roads = ix.roads.kNearest(p, fr, k, d.Roads[:0])
}

// NearestBrief measures from p to the axis, the chain, the corridor and the
// single nearest road only (what batch columns need): d.DistrictBoundary is
// left zero and d.Roads holds at most one road.
func (ix *Index) NearestBrief(p orb.Point, d *Distances) {
	fr := ix.lineDistances(p, d)
	d.DistrictBoundary = Nearest{}
	d.Roads = d.Roads[:0]
	if r, ok := ix.roads.nearestOne(p, fr); ok {
		d.Roads = append(d.Roads, r)
	}
}

// lineDistances fills the answers Distances and NearestBrief share: the
// axis, the chain and the corridor (0 inside it). It returns p's local frame.
func (ix *Index) lineDistances(p orb.Point, d *Distances) localFrame {
	fr := newLocalFrame(p[1])
	d.Axis, d.HasAxis = ix.axis.nearestOne(p, fr)
	d.Chain, d.HasChain = ix.chain.nearestOne(p, fr)
	cin, cbd := ix.corridor.grid.locate(p[0], p[1])
	d.HasCorridor = len(ix.corridor.feats) > 0
	if cov := cin | cbd; cov != 0 {
		d.Corridor = Nearest{Feature: ix.corridor.feats[bits.TrailingZeros64(cov)].f, Point: p}
	} else {
		d.Corridor, _ = ix.corridor.nearestOne(p, fr)
	}
	return fr
}

// kNearest appends the k features nearest to p, nearest first. Features are
// preselected by local-frame distance (polygons covering p at 0) and the
// k+2 best are measured along the geodesic and ranked by it.
func (li *layerIndex) kNearest(p orb.Point, fr localFrame, k int, dst []Nearest) []Nearest {
	if k <= 0 || len(li.feats) == 0 {
		return dst
	}
	// less ranks candidates by distance, then by feature order, so the
	// kept set does not depend on the order they are measured in.
	less := func(a, b nearCand) bool { return a.d2 < b.d2 || a.d2 == b.d2 && a.i < b.i }
	var buf [66]nearCand
	keep := min(k+2, len(li.feats), len(buf))
	cs := buf[:0]
	var inside uint64
	if li.grid != nil {
		in, bd := li.grid.locate(p[0], p[1])
		inside = in | bd
	}
	// Features are measured in order of their bounding boxes' distance to
	// p: once keep are kept, the first box farther than the worst kept ends
	// the search, and every later one is farther still.
	type boxAt struct {
		i  int
		d2 float64
	}
	var obuf [64]boxAt
	order := obuf[:0]
	for i, fi := range li.feats {
		dx := math.Max(0, math.Max(fi.bound.Min[0]-p[0], p[0]-fi.bound.Max[0])) * fr.kx
		dy := math.Max(0, math.Max(fi.bound.Min[1]-p[1], p[1]-fi.bound.Max[1])) * fr.ky
		b := boxAt{i, dx*dx + dy*dy}
		order = append(order, b)
		for j := len(order) - 1; j > 0 && order[j].d2 < order[j-1].d2; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, o := range order {
		if len(cs) == keep && o.d2 > cs[keep-1].d2*1.0001+1 {
			break
		}
		fi := li.feats[o.i]
		c := nearCand{i: o.i, q: p}
		if !(fi.kind == kindPolygon && (inside&(1<<uint(o.i)) != 0 || (li.grid == nil && fi.covers(p)))) {
			c.q, c.d2 = fi.lines.nearest(p, fr)
		}
		// Insert into the sorted list of the best keep candidates.
		if len(cs) == keep && !less(c, cs[keep-1]) {
			continue
		}
		if len(cs) < keep {
			cs = append(cs, c)
		} else {
			cs[keep-1] = c
		}
		for j := len(cs) - 1; j > 0 && less(cs[j], cs[j-1]); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	return li.rankGeodesic(p, cs, k, dst)
}

// nearCand is a feature measured in the local frame: its nearest point q
// and the squared distance d2 to it.
type nearCand struct {
	i  int
	q  orb.Point
	d2 float64
}

// rankGeodesic appends the k nearest of cs (sorted by d2) to dst, ranked by
// the distance along the geodesic.
func (li *layerIndex) rankGeodesic(p orb.Point, cs []nearCand, k int, dst []Nearest) []Nearest {
	start := len(dst)
	for j, c := range cs {
		// Beyond the k-th, only near-ties can change the ranking.
		if j >= k && c.d2 > cs[k-1].d2*1.0001+1 {
			break
		}
		m := 0.0
		if c.d2 > 0 {
			m = lineMeters(p, c.q)
		}
		dst = append(dst, Nearest{Feature: li.feats[c.i].f, Point: c.q, Meters: m})
		for j := len(dst) - 1; j > start && dst[j].Meters < dst[j-1].Meters; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst[:start+min(k, len(dst)-start)]
}

// covers is a grid-free covers test for polygons of layers without a grid.
func (fi *featIndex) covers(p orb.Point) bool {
	if fi.kind != kindPolygon || !fi.poly.Bound().Contains(p) {
		return false
	}
	var edges []edge
	for _, poly := range fi.poly {
		for _, r := range poly {
			for j := range r {
				a, b := r[j], r[(j+1)%len(r)]
				edges = append(edges, edge{ax: a[0], ay: a[1], bx: b[0], by: b[1], bit: 1,
					minx: math.Min(a[0], b[0]), maxx: math.Max(a[0], b[0]), miny: math.Min(a[1], b[1]), maxy: math.Max(a[1], b[1])})
			}
		}
	}
	in, bd := rayCast(edges, p[0], p[1])
	return in|bd != 0
}

// NearestInLayer returns the k features of a layer nearest to p (polygons
// covering p first, at 0 m), nearest first.
func (ix *Index) NearestInLayer(layer string, p orb.Point, k int) ([]Nearest, error) {
	li, ok := ix.layers[layer]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLayer, layer)
	}
	return li.kNearest(p, newLocalFrame(p[1]), k, nil), nil
}
