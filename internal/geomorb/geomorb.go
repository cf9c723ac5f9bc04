// Package geomorb converts geometries from orb (the project's in-memory
// geometry types) to github.com/twpayne/go-geom, whose encoders (KML, EWKB,
// WKT) the writers use. Coordinates are copied as they are: nothing is
// rounded, reprojected or re-oriented.
package geomorb

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// ErrUnsupported is returned for a geometry type go-geom has no equivalent of
// (orb.Bound, orb.Ring outside a polygon) or a nil geometry.
var ErrUnsupported = errors.New("geomorb: unsupported geometry")

// ToGeom converts an orb geometry to a two-dimensional (XY) go-geom geometry.
func ToGeom(g orb.Geometry) (geom.T, error) {
	switch x := g.(type) {
	case orb.Point:
		return geom.NewPointFlat(geom.XY, []float64{x[0], x[1]}), nil
	case orb.MultiPoint:
		return geom.NewMultiPointFlat(geom.XY, flat(x)), nil
	case orb.LineString:
		return geom.NewLineStringFlat(geom.XY, flat(x)), nil
	case orb.MultiLineString:
		var coords []float64
		ends := make([]int, len(x))
		for i, ls := range x {
			coords = append(coords, flat(ls)...)
			ends[i] = len(coords)
		}
		return geom.NewMultiLineStringFlat(geom.XY, coords, ends), nil
	case orb.Polygon:
		coords, ends := polygonFlat(nil, x)
		return geom.NewPolygonFlat(geom.XY, coords, ends), nil
	case orb.MultiPolygon:
		var coords []float64
		endss := make([][]int, len(x))
		for i, p := range x {
			coords, endss[i] = polygonFlat(coords, p)
		}
		return geom.NewMultiPolygonFlat(geom.XY, coords, endss), nil
	case orb.Collection:
		gc := geom.NewGeometryCollection()
		for _, m := range x {
			t, err := ToGeom(m)
			if err != nil {
				return nil, err
			}
			if err := gc.Push(t); err != nil {
				return nil, fmt.Errorf("geomorb: %w", err)
			}
		}
		return gc, nil
	case nil:
		return nil, fmt.Errorf("%w: nil geometry", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupported, g)
	}
}

// flat lays points out as x0, y0, x1, y1, …
func flat[P ~[]orb.Point](ps P) []float64 {
	out := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p[0], p[1])
	}
	return out
}

// polygonFlat appends the rings of p to coords and returns the ring ends
// (offsets into the whole coords slice, as go-geom wants them).
func polygonFlat(coords []float64, p orb.Polygon) ([]float64, []int) {
	ends := make([]int, len(p))
	for i, r := range p {
		coords = append(coords, flat(r)...)
		ends[i] = len(coords)
	}
	return coords, ends
}
