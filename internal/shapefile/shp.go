// Package shapefile reads and writes the parts of an ESRI Shapefile this
// service exchanges: the main file (.shp), its index (.shx) and the dBASE III
// attribute table (.dbf), after the ESRI Shapefile Technical Description
// (July 1998) and the dBASE III+ file format.
//
// Geometry is 2D: Point, MultiPoint, PolyLine and Polygon are written; their
// Z and M variants are read too (Z and M values are dropped). Polygons are
// written with clockwise outer rings and counter-clockwise holes, as the
// format requires, and read back by the same rule (a hole belongs to the outer
// ring that contains it). Coordinates are taken and returned as they are,
// x first; the CRS lives in the .prj file, which callers handle.
//
// Attribute text is written as UTF-8 (callers add a .cpg saying so); on read
// the caller supplies the text decoder chosen from the .cpg or the DBF
// language driver id (see Decoder).
//
// Package export writes the downloads with it and package importer reads
// uploaded shapefiles with it.
package shapefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// ErrFormat is wrapped by every error about malformed input.
var ErrFormat = errors.New("shapefile: malformed file")

// ShapeType is the shape type code of a shapefile.
type ShapeType int32

// Shape types (Technical Description, table 1).
const (
	NullShape   ShapeType = 0
	Point       ShapeType = 1
	PolyLine    ShapeType = 3
	Polygon     ShapeType = 5
	MultiPoint  ShapeType = 8
	PointZ      ShapeType = 11
	PolyLineZ   ShapeType = 13
	PolygonZ    ShapeType = 15
	MultiPointZ ShapeType = 18
	PointM      ShapeType = 21
	PolyLineM   ShapeType = 23
	PolygonM    ShapeType = 25
	MultiPointM ShapeType = 28
	MultiPatch  ShapeType = 31
)

const (
	fileCode   = 9994
	version    = 1000
	headerSize = 100
	// MaxRecords bounds the records read from one file.
	MaxRecords = 1 << 24
)

// base returns the 2D shape type of t (PolygonZ → Polygon …).
func (t ShapeType) base() ShapeType {
	switch t {
	case PointZ, PointM:
		return Point
	case PolyLineZ, PolyLineM:
		return PolyLine
	case PolygonZ, PolygonM:
		return Polygon
	case MultiPointZ, MultiPointM:
		return MultiPoint
	}
	return t
}

// String names the shape type.
func (t ShapeType) String() string {
	switch t {
	case NullShape:
		return "Null"
	case Point:
		return "Point"
	case PolyLine:
		return "PolyLine"
	case Polygon:
		return "Polygon"
	case MultiPoint:
		return "MultiPoint"
	case PointZ, PolyLineZ, PolygonZ, MultiPointZ:
		return t.base().String() + "Z"
	case PointM, PolyLineM, PolygonM, MultiPointM:
		return t.base().String() + "M"
	case MultiPatch:
		return "MultiPatch"
	}
	return fmt.Sprintf("ShapeType(%d)", int32(t))
}

// ShapeTypeOf returns the 2D shape type that holds g.
func ShapeTypeOf(g orb.Geometry) (ShapeType, error) {
	switch g.(type) {
	case orb.Point:
		return Point, nil
	case orb.MultiPoint:
		return MultiPoint, nil
	case orb.LineString, orb.MultiLineString:
		return PolyLine, nil
	case orb.Polygon, orb.MultiPolygon, orb.Ring, orb.Bound:
		return Polygon, nil
	case nil:
		return NullShape, nil
	}
	return 0, fmt.Errorf("shapefile: %s cannot be stored in a shapefile", g.GeoJSONType())
}

// EncodeSHP encodes geoms, all of shape type t (nil geometries become null
// shapes), as the bytes of a .shp file and its .shx index.
func EncodeSHP(t ShapeType, geoms []orb.Geometry) (shp, shx []byte, err error) {
	if t != Point && t != MultiPoint && t != PolyLine && t != Polygon {
		return nil, nil, fmt.Errorf("shapefile: cannot write shape type %s", t)
	}
	var body bytes.Buffer
	var index bytes.Buffer
	var bound orb.Bound
	first := true
	for i, g := range geoms {
		content, err := encodeShape(t, g)
		if err != nil {
			return nil, nil, fmt.Errorf("shapefile: record %d: %w", i+1, err)
		}
		if g != nil {
			if first {
				bound, first = g.Bound(), false
			} else {
				bound = bound.Union(g.Bound())
			}
		}
		offset := (headerSize + body.Len()) / 2
		be32(&body, int32(i+1))
		be32(&body, int32(len(content)/2))
		body.Write(content)
		be32(&index, int32(offset))
		be32(&index, int32(len(content)/2))
	}
	if headerSize+body.Len() > math.MaxInt32 {
		return nil, nil, errors.New("shapefile: .shp would exceed 2 GB")
	}
	shp = append(header(t, headerSize+body.Len(), bound), body.Bytes()...)
	shx = append(header(t, headerSize+index.Len(), bound), index.Bytes()...)
	return shp, shx, nil
}

func header(t ShapeType, fileLen int, b orb.Bound) []byte {
	var h bytes.Buffer
	be32(&h, fileCode)
	for range 5 {
		be32(&h, 0)
	}
	be32(&h, int32(fileLen/2))
	le32(&h, version)
	le32(&h, int32(t))
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1], 0, 0, 0, 0} {
		le64(&h, v)
	}
	return h.Bytes()
}

func encodeShape(t ShapeType, g orb.Geometry) ([]byte, error) {
	var b bytes.Buffer
	if g == nil {
		le32(&b, int32(NullShape))
		return b.Bytes(), nil
	}
	got, err := ShapeTypeOf(g)
	if err != nil {
		return nil, err
	}
	if got != t {
		return nil, fmt.Errorf("a %s in a %s shapefile", g.GeoJSONType(), t)
	}
	le32(&b, int32(t))
	switch t {
	case Point:
		p := g.(orb.Point)
		le64(&b, p[0])
		le64(&b, p[1])
	case MultiPoint:
		mp := g.(orb.MultiPoint)
		writeBound(&b, mp.Bound())
		le32(&b, int32(len(mp)))
		for _, p := range mp {
			le64(&b, p[0])
			le64(&b, p[1])
		}
	case PolyLine:
		var parts [][]orb.Point
		switch x := g.(type) {
		case orb.LineString:
			parts = [][]orb.Point{x}
		case orb.MultiLineString:
			for _, ls := range x {
				parts = append(parts, ls)
			}
		}
		writeParts(&b, g.Bound(), parts)
	case Polygon:
		var polys []orb.Polygon
		switch x := g.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{x}
		case orb.MultiPolygon:
			polys = x
		case orb.Ring:
			polys = []orb.Polygon{{x}}
		case orb.Bound:
			polys = []orb.Polygon{x.ToPolygon()}
		}
		var parts [][]orb.Point
		for _, p := range polys {
			for i, r := range p {
				r = closed(r)
				// Outer rings clockwise, holes counter-clockwise (orb's
				// orientation is the sign of the y-up shoelace area).
				want := orb.CW
				if i > 0 {
					want = orb.CCW
				}
				if o := r.Orientation(); o != 0 && o != want {
					r = reversed(r)
				}
				parts = append(parts, r)
			}
		}
		writeParts(&b, g.Bound(), parts)
	}
	return b.Bytes(), nil
}

func closed(r orb.Ring) orb.Ring {
	if len(r) > 0 && !r.Closed() {
		return append(orb.Ring(nil), append(r, r[0])...)
	}
	return r
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

func writeBound(b *bytes.Buffer, bd orb.Bound) {
	for _, v := range []float64{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]} {
		le64(b, v)
	}
}

func writeParts(b *bytes.Buffer, bd orb.Bound, parts [][]orb.Point) {
	writeBound(b, bd)
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	le32(b, int32(len(parts)))
	le32(b, int32(n))
	start := 0
	for _, p := range parts {
		le32(b, int32(start))
		start += len(p)
	}
	for _, p := range parts {
		for _, pt := range p {
			le64(b, pt[0])
			le64(b, pt[1])
		}
	}
}

func be32(b *bytes.Buffer, v int32) { _ = binary.Write(b, binary.BigEndian, v) }
func le32(b *bytes.Buffer, v int32) { _ = binary.Write(b, binary.LittleEndian, v) }
func le64(b *bytes.Buffer, v float64) {
	_ = binary.Write(b, binary.LittleEndian, math.Float64bits(v))
}

// ReadSHP decodes a .shp file: its shape type and one geometry per record
// (nil for a null shape). PolyLines come back as LineString or
// MultiLineString, Polygons as Polygon or MultiPolygon, by part count.
func ReadSHP(b []byte) (ShapeType, []orb.Geometry, error) {
	if len(b) < headerSize {
		return 0, nil, fmt.Errorf("%w: .shp is %d bytes, shorter than its 100-byte header", ErrFormat, len(b))
	}
	if code := int32(binary.BigEndian.Uint32(b[0:])); code != fileCode {
		return 0, nil, fmt.Errorf("%w: .shp file code is %d, want %d", ErrFormat, code, fileCode)
	}
	t := ShapeType(int32(binary.LittleEndian.Uint32(b[32:])))
	if t.base() != Point && t.base() != PolyLine && t.base() != Polygon && t.base() != MultiPoint && t != NullShape {
		return 0, nil, fmt.Errorf("%w: unsupported shape type %s", ErrFormat, t)
	}
	// The header's length is trusted only as far as the bytes go.
	end := int64(binary.BigEndian.Uint32(b[24:])) * 2
	if end > int64(len(b)) || end < headerSize {
		end = int64(len(b))
	}
	var geoms []orb.Geometry
	off := int64(headerSize)
	for off+8 <= end {
		if len(geoms) >= MaxRecords {
			return 0, nil, fmt.Errorf("%w: more than %d records", ErrFormat, MaxRecords)
		}
		n := int64(binary.BigEndian.Uint32(b[off+4:])) * 2
		if n < 4 || off+8+n > end {
			return 0, nil, fmt.Errorf("%w: record %d at byte %d: content length %d runs past the end", ErrFormat, len(geoms)+1, off, n)
		}
		g, err := decodeShape(t, b[off+8:off+8+n])
		if err != nil {
			return 0, nil, fmt.Errorf("%w: record %d: %w", ErrFormat, len(geoms)+1, err)
		}
		geoms = append(geoms, g)
		off += 8 + n
	}
	return t, geoms, nil
}

// reader reads little-endian values from a record, failing once past its end.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) u32() uint32 {
	if r.err != nil || r.off+4 > len(r.b) {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) f64() float64 {
	if r.err != nil || r.off+8 > len(r.b) {
		r.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
	r.off += 8
	return v
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errors.New("record shorter than its shape")
	}
}

func (r *reader) point() orb.Point { return orb.Point{r.f64(), r.f64()} }

func decodeShape(fileType ShapeType, c []byte) (orb.Geometry, error) {
	r := &reader{b: c}
	t := ShapeType(int32(r.u32()))
	if t == NullShape {
		return nil, nil
	}
	if t != fileType {
		return nil, fmt.Errorf("shape type %s in a %s file", t, fileType)
	}
	switch t.base() {
	case Point:
		p := r.point()
		return p, r.err
	case MultiPoint:
		r.off += 32 // box
		n := int(r.u32())
		if r.err != nil || n < 0 || n > (len(c)-r.off)/16 {
			return nil, errors.New("point count exceeds the record")
		}
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			mp[i] = r.point()
		}
		if len(mp) == 1 {
			return mp[0], r.err
		}
		return mp, r.err
	}
	r.off += 32 // box
	nParts, nPoints := int(r.u32()), int(r.u32())
	if r.err != nil {
		return nil, r.err
	}
	if nParts <= 0 || nPoints <= 0 || nParts > (len(c)-r.off)/4 || nPoints > (len(c)-r.off-4*nParts)/16 {
		return nil, fmt.Errorf("%d parts and %d points do not fit the record", nParts, nPoints)
	}
	starts := make([]int, nParts)
	for i := range starts {
		starts[i] = int(int32(r.u32()))
		if starts[i] < 0 || starts[i] >= nPoints || (i > 0 && starts[i] <= starts[i-1]) || (i == 0 && starts[i] != 0) {
			return nil, fmt.Errorf("part %d starts at point %d of %d", i, starts[i], nPoints)
		}
	}
	pts := make([]orb.Point, nPoints)
	for i := range pts {
		pts[i] = r.point()
	}
	if r.err != nil {
		return nil, r.err
	}
	parts := make([][]orb.Point, nParts)
	for i, s := range starts {
		e := nPoints
		if i+1 < nParts {
			e = starts[i+1]
		}
		parts[i] = pts[s:e]
	}
	if t.base() == PolyLine {
		if nParts == 1 {
			return orb.LineString(parts[0]), nil
		}
		mls := make(orb.MultiLineString, nParts)
		for i, p := range parts {
			mls[i] = p
		}
		return mls, nil
	}
	return assemblePolygons(parts), nil
}

// assemblePolygons groups rings into polygons: clockwise rings are outer
// rings, counter-clockwise ones holes of the first outer ring containing
// them. A file whose rings are all counter-clockwise (wrongly wound) is read
// as one polygon per ring.
func assemblePolygons(parts [][]orb.Point) orb.Geometry {
	var outers []orb.Polygon
	var holes []orb.Ring
	for _, p := range parts {
		r := closed(orb.Ring(p))
		if r.Orientation() == orb.CCW {
			holes = append(holes, r)
		} else {
			outers = append(outers, orb.Polygon{r})
		}
	}
	if len(outers) == 0 {
		for _, h := range holes {
			outers = append(outers, orb.Polygon{h})
		}
		holes = nil
	}
	for _, h := range holes {
		placed := false
		for i := range outers {
			if len(h) > 0 && planar.RingContains(outers[i][0], h[0]) {
				outers[i] = append(outers[i], h)
				placed = true
				break
			}
		}
		if !placed {
			outers = append(outers, orb.Polygon{h})
		}
	}
	if len(outers) == 1 {
		return outers[0]
	}
	return orb.MultiPolygon(outers)
}
