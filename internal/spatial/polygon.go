package spatial

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

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

// projected holds the EPSG:4547 (CGCS2000 / 3° Gauss–Krüger CM 114°E) GEOS
// geometries parcel overlays work with, built once on first use.
type projected struct {
	once  sync.Once
	err   error
	geoms map[*featIndex]*geos.Geom
}

// overlayLayers are the layers a parcel is intersected with or measured to.
var overlayLayers = []string{layout.LayerDistrict, layout.LayerAreas, layout.LayerCities, layout.LayerBases, layout.LayerCorridor, layout.LayerAxis, layout.LayerChain, layout.LayerRoads}

func (ix *Index) projectedGeoms() (map[*featIndex]*geos.Geom, error) {
	ix.proj.once.Do(func() {
		m := map[*featIndex]*geos.Geom{}
		for _, id := range overlayLayers {
			for _, fi := range ix.layers[id].feats {
				g := fi.f.Geometry
				if id == layout.LayerDistrict {
					g = boundaryLines(fi.poly)
				}
				pg, err := toGK(g)
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

// toGK densifies g along geodesics (pieces of at most 100 m, so every edge
// stands for the geodesic between its vertices, as in PostGIS geography and
// SpatiaLite) and projects it to EPSG:4547 for GEOS.
func toGK(g orb.Geometry) (*geos.Geom, error) {
	pg, err := crs.CGCSGK.GeometryFromWGS84(densify(g))
	if err != nil {
		return nil, err
	}
	return geosorb.ToGEOS(nil, pg)
}

// ellipsoidalArea is the area on the WGS84 ellipsoid of a polygonal GEOS
// geometry in EPSG:4547: its vertices back in lon/lat, edges as geodesics,
// measured with Karney's algorithm (GeodesicArea). The edges GEOS produces
// are pieces of the densified parcel and feature edges, each within
// micrometres of its geodesic.
func ellipsoidalArea(g *geos.Geom) float64 {
	if g.IsEmpty() {
		return 0
	}
	og, err := geosorb.FromGEOS(g)
	if err != nil {
		return 0
	}
	poly := geosorb.Polygonal(og)
	if poly == nil {
		return 0
	}
	ll, err := crs.CGCSGK.GeometryToWGS84(poly)
	if err != nil {
		return 0
	}
	return GeodesicArea(ll)
}

// LocatePolygon answers for a parcel given in WGS84 lon/lat (a Polygon or
// MultiPolygon): its ellipsoidal area, its overlaps with the areas, cities
// and bases, the primary area, whether it meets the corridor, and the
// distances from its edge to the axis, chain, corridor, district boundary and
// the k nearest roads. Invalid input is repaired and the answer says so; input
// with no area gives ErrNotAreal. Overlays are computed by GEOS in EPSG:4547.
func (ix *Index) LocatePolygon(ctx context.Context, g orb.Geometry, k int) (*PolygonHit, error) {
	mp, notes, err := polygonalInput(g)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("spatial: %w", err)
	}
	geoms, err := ix.projectedGeoms()
	if err != nil {
		return nil, err
	}
	parcel, err := toGK(mp)
	if err != nil {
		return nil, fmt.Errorf("spatial: parcel: %w", err)
	}
	hit := &PolygonHit{}
	if !parcel.IsValid() {
		notes = append(notes, "invalid polygon ("+parcel.IsValidReason()+"), repaired with GEOS MakeValid")
		parcel = parcel.MakeValid()
		og, err := geosorb.FromGEOS(parcel)
		if err != nil {
			return nil, fmt.Errorf("spatial: repaired parcel: %w", err)
		}
		poly := geosorb.Polygonal(og)
		if poly == nil {
			return nil, ErrNotAreal
		}
		if parcel, err = geosorb.ToGEOS(nil, poly); err != nil {
			return nil, fmt.Errorf("spatial: repaired parcel: %w", err)
		}
	}
	if len(notes) > 0 {
		hit.Repaired = true
		hit.RepairNote = strings.Join(notes, "; ")
	}
	hit.SquareMeters = ellipsoidalArea(parcel)
	if !(hit.SquareMeters > 0) {
		return nil, ErrNotAreal
	}
	prep := parcel.Prepare()
	overlaps := func(li *layerIndex) []Overlap {
		var out []Overlap
		for _, fi := range li.feats {
			fg := geoms[fi]
			if !prep.Intersects(fg) {
				continue
			}
			a := ellipsoidalArea(parcel.Intersection(fg))
			if a <= 0 {
				continue
			}
			out = append(out, Overlap{Feature: fi.f, SquareMeters: a, Share: math.Min(1, a/hit.SquareMeters)})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].SquareMeters > out[j].SquareMeters })
		return out
	}
	hit.Areas = overlaps(ix.areas)
	hit.Cities = overlaps(ix.cities)
	hit.Bases = overlaps(ix.bases)
	if len(hit.Areas) > 0 {
		hit.PrimaryArea = &hit.Areas[0]
	}
	for _, fi := range ix.corridor.feats {
		if prep.Intersects(geoms[fi]) {
			hit.InCorridor = true
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("spatial: %w", err)
	}
	near := func(li *layerIndex) []Nearest {
		var out []Nearest
		for _, fi := range li.feats {
			n, err := nearestGK(prep, parcel, geoms[fi])
			if err != nil {
				continue
			}
			n.Feature = fi.f
			out = append(out, n)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Meters < out[j].Meters })
		return out
	}
	one := func(li *layerIndex) (Nearest, bool) {
		ns := near(li)
		if len(ns) == 0 {
			return Nearest{}, false
		}
		return ns[0], true
	}
	d := &hit.Distances
	d.Axis, d.HasAxis = one(ix.axis)
	d.Chain, d.HasChain = one(ix.chain)
	d.Corridor, d.HasCorridor = one(ix.corridor)
	d.DistrictBoundary, _ = one(ix.district)
	roads := near(ix.roads)
	if k < len(roads) {
		roads = roads[:k]
	}
	d.Roads = roads
	return hit, nil
}

// nearestGK finds the nearest points of parcel and target in EPSG:4547 and
// returns the point on the target (WGS84) and the geodesic distance between
// the two points (0 when they meet).
func nearestGK(prep *geos.PrepGeom, parcel, target *geos.Geom) (Nearest, error) {
	pts := parcel.NearestPoints(target)
	if len(pts) != 2 {
		return Nearest{}, errors.New("spatial: no nearest points")
	}
	q, err := crs.CGCSGK.ToWGS84(orb.Point{pts[1][0], pts[1][1]})
	if err != nil {
		return Nearest{}, err
	}
	if prep.Intersects(target) {
		return Nearest{Point: q, Meters: 0}, nil
	}
	p, err := crs.CGCSGK.ToWGS84(orb.Point{pts[0][0], pts[0][1]})
	if err != nil {
		return Nearest{}, err
	}
	return Nearest{Point: q, Meters: GeodesicMeters(p, q)}, nil
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
			if len(distinct) < 3 || collinear(r) {
				if ri == 0 {
					np = nil
					break
				}
				notes = append(notes, "degenerate hole dropped")
				continue
			}
			np = append(np, r)
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

func toGEOSWGS(g orb.Geometry) (*geos.Geom, error) { return geosorb.ToGEOS(nil, g) }

func fromGEOS(g *geos.Geom) (orb.Geometry, error) { return geosorb.FromGEOS(g) }

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
