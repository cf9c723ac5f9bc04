package pgstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// SRID of every stored geometry: WGS 84 longitude/latitude.
const SRID = 4326

// ErrGeometry is wrapped by errors about a geometry that cannot be stored or
// read back.
var ErrGeometry = errors.New("pgstore: geometry")

// EncodeEWKB returns g as PostGIS's extended WKB with SRID 4326, through
// go-geom.
func EncodeEWKB(g orb.Geometry) ([]byte, error) {
	t, err := toGeom(g)
	if err != nil {
		return nil, err
	}
	b, err := ewkb.Marshal(t, binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGeometry, err)
	}
	return b, nil
}

// DecodeEWKB reads extended WKB (as ST_AsEWKB writes it) into an orb
// geometry. A geometry with Z or M, or an SRID other than 4326 (or none),
// is an error.
func DecodeEWKB(b []byte) (orb.Geometry, error) {
	// go-geom allocates what a count says before reading the items, so a
	// hostile count would exhaust memory: check the structure first.
	if rest, err := checkWKB(b, 0); err != nil {
		return nil, err
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the geometry", ErrGeometry, len(rest))
	}
	t, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGeometry, err)
	}
	if srid := t.SRID(); srid != SRID && srid != 0 {
		return nil, fmt.Errorf("%w: SRID %d, want %d", ErrGeometry, srid, SRID)
	}
	if err := finite(t); err != nil {
		return nil, err
	}
	return fromGeom(t)
}

// EWKB type flags and the deepest nesting accepted.
const (
	ewkbZ        = 0x80000000
	ewkbM        = 0x40000000
	ewkbSRID     = 0x20000000
	maxWKBDepth  = 16
	pointXYBytes = 16
)

// checkWKB walks one 2D (E)WKB geometry, checking every count against the
// bytes left, and returns what follows it.
func checkWKB(b []byte, depth int) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrGeometry}, args...)...)
	}
	if depth > maxWKBDepth {
		return bad("nested deeper than %d", maxWKBDepth)
	}
	if len(b) < 5 {
		return bad("truncated header")
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch b[0] {
	case 0:
		order = binary.BigEndian
	case 1:
	default:
		return bad("byte order %d", b[0])
	}
	typ := order.Uint32(b[1:5])
	b = b[5:]
	if typ&(ewkbZ|ewkbM) != 0 || (typ&0xffff)/1000 != 0 {
		return bad("only 2D (XY) geometries are stored")
	}
	if typ&ewkbSRID != 0 {
		if len(b) < 4 {
			return bad("truncated SRID")
		}
		b = b[4:]
	}
	count := func(item int) (int, error) {
		if len(b) < 4 {
			return 0, fmt.Errorf("%w: truncated count", ErrGeometry)
		}
		n := int(order.Uint32(b[:4]))
		b = b[4:]
		if n > len(b)/item {
			return 0, fmt.Errorf("%w: a count of %d items does not fit in the %d bytes left", ErrGeometry, n, len(b))
		}
		return n, nil
	}
	points := func() error {
		n, err := count(pointXYBytes)
		if err == nil {
			b = b[n*pointXYBytes:]
		}
		return err
	}
	switch typ &^ ewkbSRID {
	case 1:
		if len(b) < pointXYBytes {
			return bad("truncated point")
		}
		return b[pointXYBytes:], nil
	case 2:
		return b, points()
	case 3:
		n, err := count(4)
		for range n {
			if err != nil {
				break
			}
			err = points()
		}
		return b, err
	case 4, 5, 6, 7:
		n, err := count(5)
		if err != nil {
			return nil, err
		}
		for range n {
			if b, err = checkWKB(b, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return bad("geometry type %d", typ&^ewkbSRID)
}

// finite refuses NaN and infinite coordinates (an empty point is NaN in WKB).
func finite(t geom.T) error {
	if gc, ok := t.(*geom.GeometryCollection); ok {
		for _, m := range gc.Geoms() {
			if err := finite(m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, v := range t.FlatCoords() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: a coordinate is %v", ErrGeometry, v)
		}
	}
	return nil
}

func coord(p orb.Point) geom.Coord { return geom.Coord{p[0], p[1]} }

func coords(ps []orb.Point) []geom.Coord {
	out := make([]geom.Coord, len(ps))
	for i, p := range ps {
		out[i] = coord(p)
	}
	return out
}

func rings(p orb.Polygon) [][]geom.Coord {
	out := make([][]geom.Coord, len(p))
	for i, r := range p {
		out[i] = coords(r)
	}
	return out
}

// toGeom converts an orb geometry to go-geom with SRID 4326.
func toGeom(g orb.Geometry) (geom.T, error) {
	switch x := g.(type) {
	case orb.Point:
		return geom.NewPoint(geom.XY).MustSetCoords(coord(x)).SetSRID(SRID), nil
	case orb.MultiPoint:
		return geom.NewMultiPoint(geom.XY).MustSetCoords(coords(x)).SetSRID(SRID), nil
	case orb.LineString:
		return geom.NewLineString(geom.XY).MustSetCoords(coords(x)).SetSRID(SRID), nil
	case orb.MultiLineString:
		cs := make([][]geom.Coord, len(x))
		for i, l := range x {
			cs[i] = coords(l)
		}
		return geom.NewMultiLineString(geom.XY).MustSetCoords(cs).SetSRID(SRID), nil
	case orb.Ring:
		return toGeom(orb.Polygon{x})
	case orb.Bound:
		return toGeom(x.ToPolygon())
	case orb.Polygon:
		return geom.NewPolygon(geom.XY).MustSetCoords(rings(x)).SetSRID(SRID), nil
	case orb.MultiPolygon:
		cs := make([][][]geom.Coord, len(x))
		for i, p := range x {
			cs[i] = rings(p)
		}
		return geom.NewMultiPolygon(geom.XY).MustSetCoords(cs).SetSRID(SRID), nil
	case orb.Collection:
		gc := geom.NewGeometryCollection()
		for _, m := range x {
			t, err := toGeom(m)
			if err != nil {
				return nil, err
			}
			if err := gc.Push(t); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrGeometry, err)
			}
		}
		return gc.SetSRID(SRID), nil
	}
	return nil, fmt.Errorf("%w: unsupported type %T", ErrGeometry, g)
}

func point(c geom.Coord) orb.Point { return orb.Point{c[0], c[1]} }

func points(cs []geom.Coord) []orb.Point {
	out := make([]orb.Point, len(cs))
	for i, c := range cs {
		out[i] = point(c)
	}
	return out
}

func polygon(rs [][]geom.Coord) orb.Polygon {
	p := make(orb.Polygon, len(rs))
	for i, r := range rs {
		p[i] = orb.Ring(points(r))
	}
	return p
}

// fromGeom converts a 2D go-geom geometry to orb.
func fromGeom(t geom.T) (orb.Geometry, error) {
	if t.Layout() != geom.XY && t.Layout() != geom.NoLayout {
		return nil, fmt.Errorf("%w: layout %v; only 2D (XY) geometries are stored", ErrGeometry, t.Layout())
	}
	switch x := t.(type) {
	case *geom.Point:
		if x.Empty() {
			return nil, fmt.Errorf("%w: empty point", ErrGeometry)
		}
		return point(x.Coords()), nil
	case *geom.MultiPoint:
		return orb.MultiPoint(points(x.Coords())), nil
	case *geom.LineString:
		return orb.LineString(points(x.Coords())), nil
	case *geom.MultiLineString:
		cs := x.Coords()
		out := make(orb.MultiLineString, len(cs))
		for i, l := range cs {
			out[i] = orb.LineString(points(l))
		}
		return out, nil
	case *geom.Polygon:
		return polygon(x.Coords()), nil
	case *geom.MultiPolygon:
		cs := x.Coords()
		out := make(orb.MultiPolygon, len(cs))
		for i, p := range cs {
			out[i] = polygon(p)
		}
		return out, nil
	case *geom.GeometryCollection:
		out := orb.Collection{}
		for _, m := range x.Geoms() {
			g, err := fromGeom(m)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unsupported type %T", ErrGeometry, t)
}
