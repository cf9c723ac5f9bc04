package spatial

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"hetang/internal/crs"
	"hetang/internal/geosorb"
	"hetang/internal/layout"
)

// ErrNotAreal is returned by LocatePolygon for input with no area: empty,
// points or lines, or rings that collapse to nothing.
var ErrNotAreal = errors.New("spatial: the geometry has no area (need a Polygon or MultiPolygon with at least one ring of 3 distinct points enclosing a non-zero area)")

// Overlap is how much of a parcel lies in one feature.
type Overlap struct {
	Feature *layout.Feature
	// SquareMeters is the overlap area on the WGS84 ellipsoid.
	SquareMeters float64
	// Share is SquareMeters over the parcel's area (0–1).
	Share float64
}

// PolygonHit is where a parcel is.
type PolygonHit struct {
	// Repaired is true when the input was not a valid polygon and was
	// repaired (rings closed, GEOS MakeValid); RepairNote says what was wrong.
	Repaired   bool
	RepairNote string
	// SquareMeters is the area of the (repaired) parcel on the ellipsoid.
	SquareMeters float64
	// PrimaryArea is the area with the largest overlap, nil when the parcel
	// is outside the district.
	PrimaryArea *Overlap
	// Areas, Cities and Bases overlapped, largest overlap first.
	Areas, Cities, Bases []Overlap
	InCorridor           bool
	// Distances from the parcel's edge (0 where it meets the feature); each
	// Nearest.Point is on the feature.
	Distances Distances
}

// projected holds the EPSG:4547 (CGCS2000 / 3° Gauss–Krüger CM 114°E)
// geometries parcel overlays work with (densified along geodesics), built
// once on first use; each worker converts them into its GEOS context.
type projected struct {
	once  sync.Once
	err   error
	geoms map[*featIndex]orb.Geometry
}

// overlayLayers are the layers a parcel is intersected with or measured to.
var overlayLayers = []string{layout.LayerDistrict, layout.LayerAreas, layout.LayerCities, layout.LayerBases, layout.LayerCorridor, layout.LayerAxis, layout.LayerChain, layout.LayerRoads}

func (ix *Index) projectedGeoms() (map[*featIndex]orb.Geometry, error) {
	ix.proj.once.Do(func() {
		m := map[*featIndex]orb.Geometry{}
		for _, id := range overlayLayers {
			for _, fi := range ix.layers[id].feats {
				g := fi.f.Geometry
				if id == layout.LayerDistrict {
					g = boundaryLines(fi.poly)
				}
				pg, err := crs.CGCSGK.GeometryFromWGS84(densify(g))
				if err != nil {
					ix.proj.err = fmt.Errorf("spatial: projecting %s: %w", fi.f.ID, err)
					return
				}
				m[fi] = pg
			}
		}
		ix.proj.geoms = m
	})
	return ix.proj.geoms, ix.proj.err
}

func boundaryLines(mp orb.MultiPolygon) orb.MultiLineString {
	var out orb.MultiLineString
	for _, p := range mp {
		for _, r := range p {
			out = append(out, orb.LineString(r))
		}
	}
	return out
}

// ParcelOptions tune LocateParcel.
type ParcelOptions struct {
	// K is the number of nearest roads.
	K int
	// Limits bound the parcel's size and complexity.
	Limits ParcelLimits
}

// LocatePolygon is LocateParcel with the default limits.
func (ix *Index) LocatePolygon(ctx context.Context, g orb.Geometry, k int) (*PolygonHit, error) {
	return ix.LocateParcel(ctx, g, ParcelOptions{K: k})
}

// LocateParcel answers for a parcel given in WGS84 lon/lat (a Polygon or
// MultiPolygon): its ellipsoidal area, its overlaps with the areas, cities
// and bases, the primary area, whether it meets the corridor, and the
// distances from its edge to the axis, chain, corridor, district boundary
// and the k nearest roads.
//
// Edges are geodesics (as in PostGIS geography). A ring encloses the points
// it winds around (nonzero rule: for a simple ring, its inside); a polygon
// is its outer ring's region less its holes', a MultiPolygon the union of
// its polygons — which is what GEOS's MakeValid "structure" method makes of
// invalid input; such input is repaired and the answer says so. Input with
// no area gives ErrNotAreal, input over the limits a *LimitError, an edge
// between antipodal points or a ring around a pole ErrUnsupported.
//
// The cost is bounded before any GEOS call: the parcel is cut to the
// district's neighbourhood (the features' box grown by 1°, beyond which
// nothing can overlap and every distance is over 95 km) by a clip that
// keeps every winding number inside it, so that GEOS only ever sees the
// parcel's outline near the district; its size and self-crossings are
// counted against the limits first. Areas are Karney's geodesic areas of
// the whole parcel; overlays run in EPSG:4547 in a worker of the index's
// pool; ctx is checked between steps and inside long loops.
func (ix *Index) LocateParcel(ctx context.Context, g orb.Geometry, opt ParcelOptions) (*PolygonHit, error) {
	p, err := ix.PrepareParcel(ctx, g, opt.Limits)
	if err != nil {
		return nil, err
	}
	return ix.LocatePrepared(ctx, p, opt.K)
}

// Parcel is a parcel checked against its limits and cut to the district's
// neighbourhood, ready for the overlay; Cost says how much memory the
// overlay may take. Made by PrepareParcel, answered by LocatePrepared.
type Parcel struct {
	lim   ParcelLimits
	shape *parcelShape
	notes []string
	// vertices and parts of the input.
	vertices, parts int
	// prepTime is how long PrepareParcel took.
	prepTime time.Duration
}

// PrepareParcel checks a parcel (WGS84 lon/lat, a Polygon or MultiPolygon)
// against the limits and shapes it for the overlay — its rings unwrapped,
// cut into geodesic pieces and clipped to the district's neighbourhood —
// without any GEOS call: what it does is bounded by the limits
// (MaxVertices, MaxWorkVertices) and fast. Errors are those of LocateParcel.
func (ix *Index) PrepareParcel(ctx context.Context, g orb.Geometry, lim ParcelLimits) (*Parcel, error) {
	start := time.Now()
	lim = lim.withDefaults()
	if err := CheckParcelSize(g, lim); err != nil {
		return nil, err
	}
	mp, notes, err := polygonalInput(g)
	if err != nil {
		return nil, err
	}
	mp, notes = dropDuplicateParts(mp, notes)
	sh, err := ix.shapeParcel(ctx, mp, lim)
	if err != nil {
		return nil, err
	}
	p := &Parcel{lim: lim, shape: sh, notes: notes}
	p.vertices, p.parts = countParcel(g)
	p.prepTime = time.Since(start)
	return p, nil
}

// Memory a parcel's answer may take, in bytes: a fixed part (the overlay
// of a parcel of any size with the areas' outlines, GEOS's own working
// memory, the answer), and parts per vertex of the input (held as given and
// unwrapped), of the whole outline cut into geodesic pieces (the crossing
// count and the distances beyond the neighbourhood walk it), of the outline
// near the district (in GEOS: the parcel, its repair, its intersections
// with every feature it meets) and per polygon. Measured with the garbage
// collector off, so that everything allocated counts, against the Go heap
// (runtime.MemStats.TotalAlloc) and the C heap (mallinfo2) by
// TestParcelCostCoversMemory, with a margin.
const (
	costFixed          = 4 << 20
	costPerVertex      = 400
	costPerOutlineVert = 400
	costPerWorkVertex  = 700
	costPerPart        = 1024
)

// Cost is an upper bound of the memory (Go and C heap, in bytes) the
// parcel's overlay may take, including the prepared parcel itself: what a
// memory budget should reserve for LocatePrepared.
func (p *Parcel) Cost() int64 {
	return costFixed + int64(p.vertices)*costPerVertex + int64(p.shape.outlineN)*costPerOutlineVert +
		int64(p.shape.work)*costPerWorkVertex + int64(p.parts)*costPerPart
}

// WorkVertices is the number of vertices of the parcel's outline near the
// district: the size of what GEOS gets.
func (p *Parcel) WorkVertices() int { return p.shape.work }

// LocatePrepared answers for a prepared parcel (see LocateParcel), in a
// worker of the index's pool; ctx is checked between steps and inside long
// loops.
func (ix *Index) LocatePrepared(ctx context.Context, p *Parcel, k int) (*PolygonHit, error) {
	w, release, err := ix.acquireWorker(ctx, p.Cost())
	if err != nil {
		return nil, err
	}
	defer release()
	if p.Cost() <= LightParcelCost {
		return ix.overlayParcel(ctx, w, p, k)
	}
	// Heavy overlays run at a lower CPU priority.
	var hit *PolygonHit
	niced(func() { hit, err = ix.overlayParcel(ctx, w, p, k) })
	return hit, err
}

// overlayParcel answers for a prepared parcel in the worker w.
func (ix *Index) overlayParcel(ctx context.Context, w *worker, p *Parcel, k int) (*PolygonHit, error) {
	sh, lim, notes := p.shape, p.lim, p.notes
	ov, err := ix.newOverlay(ctx, newPace(ctx, p.prepTime), w, sh, lim)
	if err != nil {
		return nil, err
	}
	hit := &PolygonHit{}
	if hit.SquareMeters, err = ov.parcelArea(ctx, sh, lim); err != nil {
		return nil, err
	}
	if notes = append(slices.Clip(notes), ov.notes...); len(notes) > 0 {
		hit.Repaired, hit.RepairNote = true, strings.Join(notes, "; ")
	}
	if !(hit.SquareMeters > 0) {
		return nil, ErrNotAreal
	}
	if err := ix.overlaps(ctx, ov, hit); err != nil {
		return nil, err
	}
	if err := ix.parcelDistances(ctx, ov, sh, k, &hit.Distances); err != nil {
		return nil, err
	}
	return hit, nil
}

// overlay is a parcel within the neighbourhood, in EPSG:4547, in one
// worker's GEOS context: nil when nothing of it is there.
type overlay struct {
	pace   *pace
	w      *worker
	parcel *geos.Geom
	prep   *geos.PrepGeom
	// repaired: the parcel near the district needed repair.
	repaired bool
	// whole: nothing of the parcel lies beyond the neighbourhood, so the
	// overlay's parcel is all of it.
	whole bool
	notes []string
}

// newOverlay builds the clipped parcel in GEOS, repairing it when invalid
// (after counting its self-crossings against the limit).
func (ix *Index) newOverlay(ctx context.Context, pc *pace, w *worker, sh *parcelShape, lim ParcelLimits) (*overlay, error) {
	ov := &overlay{w: w, pace: pc, whole: !sh.wasClipped}
	if len(sh.clipped) == 0 {
		return ov, nil
	}
	var polys []*geos.Geom
	for _, p := range sh.clipped {
		var rings [][][]float64
		for _, r := range p {
			gk, err := w.toGK(r)
			if err != nil {
				return nil, err
			}
			rings = append(rings, gk)
		}
		polys = append(polys, w.geos.NewPolygon(rings))
	}
	if err := pc.step(); err != nil {
		return nil, err
	}
	var g *geos.Geom
	if len(polys) == 1 {
		g = polys[0]
	} else {
		g = w.geos.NewCollection(geos.TypeIDMultiPolygon, polys)
	}
	if !g.IsValid() {
		reason := lonLatReason(g.IsValidReason(), w.fromGK)
		if err := checkCrossings(ctx, sh.clipped, lim); err != nil {
			return nil, err
		}
		if err := pc.step(); err != nil {
			return nil, err
		}
		g = g.MakeValidWithParams(geos.MakeValidStructure, geos.MakeValidDiscardCollapsed)
		ov.repaired = true
		ov.notes = append(ov.notes, "invalid polygon ("+reason+"), repaired with GEOS MakeValid (structure method: the union of what the rings enclose)")
	}
	if err := pc.step(); err != nil {
		return nil, err
	}
	if g.IsEmpty() || g.Area() == 0 {
		return ov, nil
	}
	ov.parcel, ov.prep = g, g.Prepare()
	return ov, nil
}

// parcelArea is the parcel's geodesic area: of the input rings when the
// parcel is valid, else of the repaired parcel (the whole of it, repaired
// in lon/lat, when it reaches beyond the neighbourhood).
func (ov *overlay) parcelArea(ctx context.Context, sh *parcelShape, lim ParcelLimits) (float64, error) {
	if err := ov.pace.step(); err != nil {
		return 0, err
	}
	if !sh.wasClipped {
		if !ov.repaired {
			return GeodesicArea(sh.parts), nil
		}
		if ov.parcel == nil {
			return 0, nil
		}
		return ov.w.geodesicAreaGK(ov.parcel)
	}
	whole, err := geosorb.ToGEOS(ov.w.geos, sh.parts)
	if err != nil {
		return 0, fmt.Errorf("spatial: parcel: %w", err)
	}
	if whole.IsValid() {
		return GeodesicArea(sh.parts), nil
	}
	if err := checkCrossings(ctx, sh.parts, lim); err != nil {
		return 0, err
	}
	if !ov.repaired {
		ov.notes = append(ov.notes, "invalid polygon ("+lonLatReason(whole.IsValidReason(), nil)+"), repaired with GEOS MakeValid (structure method: the union of what the rings enclose)")
	}
	fixed, err := geosorb.FromGEOS(whole.MakeValidWithParams(geos.MakeValidStructure, geos.MakeValidDiscardCollapsed))
	if err != nil {
		return 0, fmt.Errorf("spatial: repaired parcel: %w", err)
	}
	return GeodesicArea(geosorb.Polygonal(fixed)), nil
}

// lonLatReason writes the place GEOS names in a validity reason
// ("Self-intersection[421200.57 3082109.27]") as the lon/lat the parcel
// was given in: toLonLat converts the point when the geometry checked was
// in EPSG:4547 (nil: it was lon/lat already).
func lonLatReason(reason string, toLonLat func([][]float64) ([]orb.Point, error)) string {
	i := strings.LastIndexByte(reason, '[')
	if i < 0 || !strings.HasSuffix(reason, "]") {
		return reason
	}
	f := strings.Fields(reason[i+1 : len(reason)-1])
	if len(f) != 2 {
		return reason
	}
	x, errX := strconv.ParseFloat(f[0], 64)
	y, errY := strconv.ParseFloat(f[1], 64)
	if errX != nil || errY != nil {
		return reason
	}
	p := orb.Point{x, y}
	if toLonLat != nil {
		ll, err := toLonLat([][]float64{{x, y}})
		if err != nil || len(ll) != 1 {
			return reason
		}
		p = ll[0]
	}
	return fmt.Sprintf("%s at lon %.7f, lat %.7f", strings.TrimSpace(reason[:i]), p[0], p[1])
}

// geodesicAreaGK is the geodesic area of a polygonal EPSG:4547 geometry:
// its vertices back in lon/lat, edges as geodesics (the edges GEOS produces
// are pieces of densified edges, each within micrometres of its geodesic).
func (w *worker) geodesicAreaGK(g *geos.Geom) (float64, error) {
	if g == nil || g.IsEmpty() {
		return 0, nil
	}
	og, err := geosorb.FromGEOS(g)
	if err != nil {
		return 0, err
	}
	poly := geosorb.Polygonal(og)
	if poly == nil {
		return 0, nil
	}
	var conv func(orb.Geometry) (orb.Geometry, error)
	ring := func(r orb.Ring) (orb.Ring, error) {
		pts := make([][]float64, len(r))
		for i, p := range r {
			pts[i] = []float64{p[0], p[1]}
		}
		ll, err := w.fromGK(pts)
		return orb.Ring(ll), err
	}
	conv = func(g orb.Geometry) (orb.Geometry, error) {
		switch x := g.(type) {
		case orb.Polygon:
			out := make(orb.Polygon, len(x))
			for i, r := range x {
				var err error
				if out[i], err = ring(r); err != nil {
					return nil, err
				}
			}
			return out, nil
		case orb.MultiPolygon:
			out := make(orb.MultiPolygon, len(x))
			for i, p := range x {
				q, err := conv(p)
				if err != nil {
					return nil, err
				}
				out[i] = q.(orb.Polygon)
			}
			return out, nil
		}
		return nil, nil
	}
	ll, err := conv(poly)
	if err != nil {
		return 0, err
	}
	return GeodesicArea(ll), nil
}

// overlaps fills the areas, cities and bases the parcel overlaps, the
// primary area and InCorridor.
func (ix *Index) overlaps(ctx context.Context, ov *overlay, hit *PolygonHit) error {
	if ov.parcel == nil {
		return nil
	}
	layer := func(li *layerIndex) ([]Overlap, error) {
		var out []Overlap
		for _, fi := range li.feats {
			if err := ov.pace.step(); err != nil {
				return nil, err
			}
			fg := ov.w.feats[fi]
			if !ov.prep.Intersects(fg) {
				continue
			}
			a := hit.SquareMeters // the whole parcel lies in the feature
			if !ov.whole || !ov.prep.CoveredBy(fg) {
				var err error
				if a, err = ov.w.geodesicAreaGK(ov.parcel.Intersection(fg)); err != nil {
					return nil, err
				}
			}
			if a <= 0 {
				continue
			}
			out = append(out, Overlap{Feature: fi.f, SquareMeters: a, Share: math.Min(1, a/hit.SquareMeters)})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].SquareMeters > out[j].SquareMeters })
		return out, nil
	}
	var err error
	if hit.Areas, err = layer(ix.areas); err != nil {
		return err
	}
	if hit.Cities, err = layer(ix.cities); err != nil {
		return err
	}
	if hit.Bases, err = layer(ix.bases); err != nil {
		return err
	}
	if len(hit.Areas) > 0 {
		hit.PrimaryArea = &hit.Areas[0]
	}
	for _, fi := range ix.corridor.feats {
		if ov.prep.Intersects(ov.w.feats[fi]) {
			hit.InCorridor = true
		}
	}
	return nil
}

// parcelDistances measures from the parcel's edge to the axis, chain,
// corridor, district boundary and the k nearest roads: in EPSG:4547 from the
// parcel near the district, exact up to clipMarginMeters (nothing beyond
// the neighbourhood is nearer); beyond that, or when nothing of the parcel
// is near, along the whole outline (farNearest).
func (ix *Index) parcelDistances(ctx context.Context, ov *overlay, sh *parcelShape, k int, d *Distances) error {
	var ferr error
	one := func(fi *featIndex) (Nearest, bool) {
		if ferr != nil {
			return Nearest{}, false
		}
		if ferr = ov.pace.step(); ferr != nil {
			return Nearest{}, false
		}
		if ov.parcel != nil {
			n, err := nearestGK(ov, fi)
			if err == nil && n.Meters <= clipMarginMeters {
				n.Feature = fi.f
				return n, true
			}
		}
		n, ok := farNearest(fi, sh.outline)
		n.Feature = fi.f
		return n, ok
	}
	near := func(li *layerIndex) []Nearest {
		var out []Nearest
		for _, fi := range li.feats {
			if n, ok := one(fi); ok {
				out = append(out, n)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Meters < out[j].Meters })
		return out
	}
	first := func(li *layerIndex) (Nearest, bool) {
		ns := near(li)
		if len(ns) == 0 {
			return Nearest{}, false
		}
		return ns[0], true
	}
	d.Axis, d.HasAxis = first(ix.axis)
	d.Chain, d.HasChain = first(ix.chain)
	d.Corridor, d.HasCorridor = first(ix.corridor)
	d.DistrictBoundary, _ = first(ix.district)
	roads := near(ix.roads)
	if k < len(roads) {
		roads = roads[:max(k, 0)]
	}
	d.Roads = roads
	return ferr
}

// nearestGK finds the nearest points of the parcel and a feature in EPSG:4547
// and returns the point on the target (WGS84) and the geodesic distance
// between the two points (0 when they meet).
func nearestGK(ov *overlay, fi *featIndex) (Nearest, error) {
	// The feature, prepared once per worker, is the large side: searching
	// from its index is what makes this fast.
	pts := ov.w.prepared(fi).NearestPoints(ov.parcel).ToCoords()
	if len(pts) != 2 {
		return Nearest{}, errors.New("spatial: no nearest points")
	}
	ll, err := ov.w.fromGK(pts) // on the feature, on the parcel
	if err != nil {
		return Nearest{}, err
	}
	if ov.prep.Intersects(ov.w.feats[fi]) {
		return Nearest{Point: ll[0], Meters: 0}, nil
	}
	return Nearest{Point: ll[0], Meters: GeodesicMeters(ll[1], ll[0])}, nil
}

// farNearest is the nearest point of a feature to a parcel's outline
// (densified rings, lon/lat) and the geodesic distance to it, for parcels
// whose nearest point may lie beyond the neighbourhood: outline pieces are
// taken in the order of a lower bound of their distance to the feature's
// box, and each is searched along its geodesic (golden section) for the
// point nearest the feature's linework.
func farNearest(fi *featIndex, outline []orb.Ring) (Nearest, bool) {
	if fi.lines == nil || len(fi.lines.segs) == 0 {
		return Nearest{}, false
	}
	b := fi.bound
	boxDist := func(p orb.Point) float64 {
		q := orb.Point{math.Max(b.Min[0], math.Min(b.Max[0], p[0])), math.Max(b.Min[1], math.Min(b.Max[1], p[1]))}
		return GeodesicMeters(p, q)
	}
	type piece struct {
		a, b orb.Point
		lb   float64
	}
	var ps []piece
	for _, r := range outline {
		for i := 1; i < len(r); i++ {
			a, c := r[i-1], r[i]
			a[0], c[0] = wrapLon(a[0]), wrapLon(c[0])
			half := GeodesicMeters(a, c) / 2
			ps = append(ps, piece{a, c, math.Min(boxDist(a), boxDist(c)) - half})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].lb < ps[j].lb })
	eval := func(p orb.Point) (orb.Point, float64) {
		q, _ := fi.lines.nearest(p, newLocalFrame(p[1]))
		return q, GeodesicMeters(p, q)
	}
	best, bq := math.Inf(1), orb.Point{}
	for _, pc := range ps {
		if pc.lb > best {
			break
		}
		f := func(t float64) float64 {
			q, d := eval(geodesicInterpolate(pc.a, pc.b, t))
			if d < best {
				best, bq = d, q
			}
			return d
		}
		const g = 0.6180339887498949
		lo, hi := 0.0, 1.0
		f(lo)
		f(hi)
		x1, x2 := hi-g*(hi-lo), lo+g*(hi-lo)
		f1, f2 := f(x1), f(x2)
		for range 40 {
			if f1 < f2 {
				hi, x2, f2 = x2, x1, f1
				x1 = hi - g*(hi-lo)
				f1 = f(x1)
			} else {
				lo, x1, f1 = x1, x2, f2
				x2 = lo + g*(hi-lo)
				f2 = f(x2)
			}
		}
	}
	return Nearest{Point: bq, Meters: best}, !math.IsInf(best, 1)
}

// wrapLon brings a longitude into [-180, 180].
func wrapLon(x float64) float64 {
	if x >= -180 && x <= 180 {
		return x
	}
	return wrap180(x)
}

// densify returns a copy of g whose edges are cut into geodesic pieces of at
// most maxSegmentMeters.
func densify(g orb.Geometry) orb.Geometry {
	line := func(ls []orb.Point) []orb.Point {
		if len(ls) < 2 {
			return ls
		}
		out := []orb.Point{ls[0]}
		for i := 1; i < len(ls); i++ {
			a, b := ls[i-1], ls[i]
			if d := GeodesicMeters(a, b); d > maxSegmentMeters {
				n := int(math.Ceil(d / maxSegmentMeters))
				for k := 1; k < n; k++ {
					out = append(out, geodesicInterpolate(a, b, float64(k)/float64(n)))
				}
			}
			out = append(out, b)
		}
		return out
	}
	switch x := g.(type) {
	case orb.LineString:
		return orb.LineString(line(x))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(x))
		for i, l := range x {
			out[i] = orb.LineString(line(l))
		}
		return out
	case orb.Polygon:
		out := make(orb.Polygon, len(x))
		for i, r := range x {
			out[i] = orb.Ring(line(r))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(x))
		for i, p := range x {
			out[i] = densify(p).(orb.Polygon)
		}
		return out
	}
	return g
}

// polygonalInput checks the input and closes unclosed rings.
func polygonalInput(g orb.Geometry) (orb.MultiPolygon, []string, error) {
	var mp orb.MultiPolygon
	switch x := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{x}
	case orb.MultiPolygon:
		mp = x
	case nil:
		return nil, nil, ErrNotAreal
	default:
		return nil, nil, fmt.Errorf("%w: got a %s", ErrNotAreal, g.GeoJSONType())
	}
	if err := layout.CheckLonLat(mp); err != nil {
		return nil, nil, fmt.Errorf("spatial: %w", err)
	}
	var notes []string
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, p := range mp {
		var np orb.Polygon
		for ri, r := range p {
			if len(r) > 0 && r[0] != r[len(r)-1] {
				r = append(orb.Ring(nil), r...)
				r = append(r, r[0])
				notes = append(notes, "unclosed ring closed")
			}
			distinct := map[orb.Point]bool{}
			for _, v := range r {
				distinct[v] = true
			}
			// Collinear in lon/lat is not flat on the ellipsoid: edges are
			// geodesics, so a ring whose vertices share a parallel encloses
			// area (or goes around a pole, which unwrapRing reports).
			if len(distinct) < 3 || collinear(r) && ringArea(r) < minRingArea {
				if ri == 0 {
					np = nil
					break
				}
				notes = append(notes, "degenerate hole dropped")
				continue
			}
			np = append(np, r)
		}
		if len(np) > 1 {
			big := 0
			for i, r := range np {
				if math.Abs(shoelace(r)) > math.Abs(shoelace(np[big])) {
					big = i
				}
			}
			if big != 0 {
				np = append(orb.Polygon{np[big]}, append(append(orb.Polygon{}, np[:big]...), np[big+1:]...)...)
				notes = append(notes, "the largest ring was not the first: taken as the outer ring")
			}
		}
		if len(np) > 0 {
			out = append(out, np)
		}
	}
	if len(out) == 0 {
		return nil, nil, ErrNotAreal
	}
	return out, notes, nil
}

// minRingArea (m²) is the geodesic area below which a ring whose vertices
// are collinear in lon/lat is taken as degenerate: well above the rounding
// of Karney's area for rings along a meridian or the equator.
const minRingArea = 1.0

// shoelace is the planar signed area of a closed ring in its own units.
func shoelace(r orb.Ring) float64 {
	a := 0.0
	for i := 1; i < len(r); i++ {
		a += (r[i-1][0]-r[0][0])*(r[i][1]-r[0][1]) - (r[i][0]-r[0][0])*(r[i-1][1]-r[0][1])
	}
	return a / 2
}

// collinear reports whether all vertices of the ring lie on one line.
func collinear(r orb.Ring) bool {
	a := r[0]
	var b orb.Point
	found := false
	for _, p := range r[1:] {
		if p != a {
			b, found = p, true
			break
		}
	}
	if !found {
		return true
	}
	for _, p := range r {
		if orient(a[0], a[1], b[0], b[1], p[0], p[1]) != 0 {
			return false
		}
	}
	return true
}
