package gpkg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"hetang/internal/layout"
)

// ErrInvalidGeometry is wrapped by every error DecodeGeometry returns for a
// blob that is not a valid GeoPackage geometry.
var ErrInvalidGeometry = errors.New("gpkg: invalid geometry blob")

// GeoPackage binary header layout (GeoPackage 1.3 §2.1.3).
const (
	headerLen      = 8
	flagLittle     = 0x01 // bit 0 set: header numbers are little-endian
	flagEnvShift   = 1    // bits 1-3: envelope contents indicator
	flagEnvMask    = 0x07
	flagEmpty      = 0x10 // bit 4: empty geometry
	flagExtended   = 0x20 // bit 5: ExtendedGeoPackageBinary
	flagReserved   = 0xC0 // bits 6-7: reserved, must be 0
	envelopeNone   = 0
	envelopeXY     = 1
	maxEnvelopeTyp = 4
)

// envelopeLen is the byte length of each envelope contents indicator 0..4:
// none, xy, xyz, xym, xyzm.
var envelopeLen = [...]int{0, 32, 48, 48, 64}

// WKB geometry type codes (2D) understood by the decoder.
const (
	wkbPoint              = 1
	wkbGeometryCollection = 7
)

// header is a decoded GeoPackage binary header.
type header struct {
	order    binary.ByteOrder
	srsID    int
	empty    bool
	envType  int
	envelope []float64 // minx, maxx, miny, maxy[, minz, maxz][, minm, maxm]
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidGeometry, fmt.Sprintf(format, args...))
}

// parseHeader decodes the GeoPackage binary header of b and returns it with
// the WKB that follows.
func parseHeader(b []byte) (header, []byte, error) {
	var h header
	if len(b) < headerLen {
		return h, nil, invalid("too short: %d bytes, the header alone needs %d", len(b), headerLen)
	}
	if b[0] != 'G' || b[1] != 'P' {
		return h, nil, invalid("bad magic %q, want \"GP\"", b[:2])
	}
	if b[2] != 0 {
		return h, nil, invalid("unsupported version %d, want 0", b[2])
	}
	flags := b[3]
	if flags&flagReserved != 0 {
		return h, nil, invalid("reserved flag bits set (flags %#02x)", flags)
	}
	if flags&flagExtended != 0 {
		return h, nil, invalid("extended GeoPackage geometry (flags %#02x) is not supported", flags)
	}
	h.envType = int(flags>>flagEnvShift) & flagEnvMask
	if h.envType > maxEnvelopeTyp {
		return h, nil, invalid("bad envelope contents indicator %d (flags %#02x), want 0-4", h.envType, flags)
	}
	h.empty = flags&flagEmpty != 0
	if flags&flagLittle != 0 {
		h.order = binary.LittleEndian
	} else {
		h.order = binary.BigEndian
	}
	h.srsID = int(int32(h.order.Uint32(b[4:8])))
	n := envelopeLen[h.envType]
	if len(b) < headerLen+n {
		return h, nil, invalid("truncated envelope: indicator %d needs %d bytes, have %d", h.envType, n, len(b)-headerLen)
	}
	h.envelope = make([]float64, n/8)
	for i := range h.envelope {
		h.envelope[i] = math.Float64frombits(h.order.Uint64(b[headerLen+8*i:]))
	}
	return h, b[headerLen+n:], nil
}

// DecodeGeometry decodes a GeoPackage geometry blob (binary header followed by
// 2D ISO WKB in either byte order) and returns the geometry and the srs_id from
// the header. Envelope indicators 0-4 are accepted; the envelope itself is not
// trusted, the geometry is decoded from the WKB. An empty geometry comes back
// as the empty value of its type (an empty point, which WKB writes as NaN
// coordinates, as orb.Point{NaN, NaN}). Geometries with Z or M ordinates, the
// extended GeoPackage binary and trailing bytes are rejected.
func DecodeGeometry(b []byte) (orb.Geometry, int, error) {
	h, w, err := parseHeader(b)
	if err != nil {
		return nil, 0, err
	}
	g, err := decodeWKB(w)
	if err != nil {
		return nil, 0, err
	}
	return g, h.srsID, nil
}

func decodeWKB(w []byte) (orb.Geometry, error) {
	if len(w) == 0 {
		return nil, invalid("no WKB after the header")
	}
	if len(w) < 5 {
		return nil, invalid("truncated WKB: %d bytes, need at least 5", len(w))
	}
	var order binary.ByteOrder
	switch w[0] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return nil, invalid("bad WKB byte order %d, want 0 or 1", w[0])
	}
	typ := order.Uint32(w[1:5])
	if typ < wkbPoint || typ > wkbGeometryCollection {
		if typ&0xE0000000 != 0 || (typ > 1000 && typ < 4000) {
			return nil, invalid("WKB geometry type %#x has Z/M ordinates or EWKB flags; only 2D ISO WKB is supported", typ)
		}
		return nil, invalid("unknown WKB geometry type %d", typ)
	}
	g, err := wkb.Unmarshal(w)
	if err != nil {
		return nil, fmt.Errorf("%w: WKB: %w", ErrInvalidGeometry, err)
	}
	if want := wkbSize(g); want != len(w) {
		if want < len(w) {
			return nil, invalid("%d trailing bytes after the WKB geometry", len(w)-want)
		}
		return nil, invalid("WKB length mismatch: decoded %d bytes, have %d", want, len(w))
	}
	return g, nil
}

// wkbSize is the length of the 2D WKB encoding of g.
func wkbSize(g orb.Geometry) int {
	const prefix = 1 + 4 + 4 // byte order, type, count
	switch g := g.(type) {
	case orb.Point:
		return 1 + 4 + 16
	case orb.MultiPoint:
		return prefix + 21*len(g)
	case orb.LineString:
		return prefix + 16*len(g)
	case orb.MultiLineString:
		n := prefix
		for _, ls := range g {
			n += prefix + 16*len(ls)
		}
		return n
	case orb.Polygon:
		n := prefix
		for _, r := range g {
			n += 4 + 16*len(r)
		}
		return n
	case orb.MultiPolygon:
		n := prefix
		for _, p := range g {
			n += wkbSize(p)
		}
		return n
	case orb.Collection:
		n := prefix
		for _, c := range g {
			n += wkbSize(c)
		}
		return n
	}
	return -1
}

// EncodeGeometry encodes g as a GeoPackage geometry blob: the binary header
// (version 0, little-endian, xy envelope, or no envelope and the empty flag for
// an empty geometry) followed by little-endian ISO WKB. orb.Ring and orb.Bound
// are written as polygons. Non-finite coordinates are an error.
func EncodeGeometry(g orb.Geometry, srsID int) ([]byte, error) {
	switch x := g.(type) {
	case nil:
		return nil, errors.New("gpkg: cannot encode a nil geometry")
	case orb.Ring:
		g = orb.Polygon{x}
	case orb.Bound:
		g = x.ToPolygon()
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon, orb.Collection:
	default:
		return nil, fmt.Errorf("gpkg: cannot encode geometry of type %T", g)
	}
	if srsID < math.MinInt32 || srsID > math.MaxInt32 {
		return nil, fmt.Errorf("gpkg: srs_id %d does not fit in 32 bits", srsID)
	}
	n, err := checkCoords(g)
	if err != nil {
		return nil, err
	}
	w, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("gpkg: encoding WKB: %w", err)
	}
	empty := n == 0
	envType := envelopeXY
	if empty {
		envType = envelopeNone
	}
	out := make([]byte, headerLen+envelopeLen[envType], headerLen+envelopeLen[envType]+len(w))
	out[0], out[1], out[2] = 'G', 'P', 0
	out[3] = flagLittle | byte(envType)<<flagEnvShift
	if empty {
		out[3] |= flagEmpty
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(int32(srsID)))
	if !empty {
		b := g.Bound()
		for i, v := range []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
			binary.LittleEndian.PutUint64(out[headerLen+8*i:], math.Float64bits(v))
		}
	}
	return append(out, w...), nil
}

// checkCoords returns the number of points in g and an error for the first
// non-finite coordinate.
func checkCoords(g orb.Geometry) (int, error) {
	n := 0
	var bad error
	visit := func(p orb.Point) {
		n++
		if bad == nil && (math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0)) {
			bad = fmt.Errorf("gpkg: cannot encode geometry: non-finite coordinate %v", p)
		}
	}
	layout.EachPoint(g, visit)
	return n, bad
}

// blobBound returns the xy bounding box of a geometry blob, from its envelope
// when it has one, and whether the geometry is empty. It backs the ST_MinX…
// SQL functions the R*Tree triggers call.
func blobBound(b []byte) (orb.Bound, bool, error) {
	h, w, err := parseHeader(b)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if h.empty {
		return orb.Bound{}, true, nil
	}
	if h.envType != envelopeNone {
		e := h.envelope
		if !math.IsNaN(e[0]) {
			return orb.Bound{Min: orb.Point{e[0], e[2]}, Max: orb.Point{e[1], e[3]}}, false, nil
		}
	}
	g, err := decodeWKB(w)
	if err != nil {
		return orb.Bound{}, false, err
	}
	n, _ := checkCoords(g)
	if n == 0 {
		return orb.Bound{}, true, nil
	}
	if p, ok := g.(orb.Point); ok && math.IsNaN(p[0]) && math.IsNaN(p[1]) {
		return orb.Bound{}, true, nil
	}
	return g.Bound(), false, nil
}
