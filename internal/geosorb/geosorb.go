// Package geosorb moves geometries between orb (the project's in-memory
// geometry types) and GEOS (used for validity, overlay, prepared predicates and
// planar distances). Both directions go through ISO WKB, which both libraries
// read and write exactly, so no coordinate is rounded on the way.
package geosorb

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"
)

// ErrEmpty is returned when a geometry is nil or has no coordinates.
var ErrEmpty = errors.New("geosorb: empty geometry")

// ToGEOS converts an orb geometry to a GEOS geometry in the given context
// (geos.DefaultContext when ctx is nil).
func ToGEOS(ctx *geos.Context, g orb.Geometry) (*geos.Geom, error) {
	if g == nil {
		return nil, ErrEmpty
	}
	if ctx == nil {
		ctx = geos.DefaultContext
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("geosorb: encoding %s as WKB: %w", g.GeoJSONType(), err)
	}
	gg, err := ctx.NewGeomFromWKB(b)
	if err != nil {
		return nil, fmt.Errorf("geosorb: GEOS rejected %s: %w", g.GeoJSONType(), err)
	}
	return gg, nil
}

// FromGEOS converts a GEOS geometry back to orb.
func FromGEOS(g *geos.Geom) (orb.Geometry, error) {
	if g == nil {
		return nil, ErrEmpty
	}
	og, err := wkb.Unmarshal(g.ToWKB())
	if err != nil {
		return nil, fmt.Errorf("geosorb: decoding GEOS %s: %w", g.Type(), err)
	}
	return og, nil
}

// Polygonal returns the polygonal part of g as a Polygon or MultiPolygon,
// dropping points and lines that overlay operations can leave behind in a
// GeometryCollection. It returns nil when g has no polygonal part.
func Polygonal(g orb.Geometry) orb.Geometry {
	var mp orb.MultiPolygon
	var walk func(orb.Geometry)
	walk = func(g orb.Geometry) {
		switch x := g.(type) {
		case orb.Polygon:
			mp = append(mp, x)
		case orb.MultiPolygon:
			mp = append(mp, x...)
		case orb.Collection:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(g)
	switch len(mp) {
	case 0:
		return nil
	case 1:
		return mp[0]
	default:
		return mp
	}
}
