package spatial

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ParcelLimits bound the work one parcel (a POST /locate body, one batch
// record, one CLI record) may cause, so that its cost is known before any
// GEOS call. The zero value of a field means its default.
type ParcelLimits struct {
	// MaxVertices is the most vertices a parcel may have, all rings of all
	// parts together (default DefaultMaxVertices).
	MaxVertices int
	// MaxParts is the most polygons a MultiPolygon may have (default
	// DefaultMaxParts).
	MaxParts int
	// MaxWorkVertices is the most vertices of the parcel's outline near the
	// district once its edges are cut into geodesic pieces of at most 250 m:
	// the size of the input every GEOS call gets (default
	// DefaultMaxWorkVertices).
	MaxWorkVertices int
	// MaxCrossings is the most self-crossings a parcel's rings may have for
	// it to be repaired (default DefaultMaxCrossings).
	MaxCrossings int
}

// Defaults of ParcelLimits.
const (
	DefaultMaxVertices     = 100_000
	DefaultMaxParts        = 10_000
	DefaultMaxWorkVertices = 200_000
	DefaultMaxCrossings    = 2_000
)

func (l ParcelLimits) withDefaults() ParcelLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxVertices, DefaultMaxVertices)
	def(&l.MaxParts, DefaultMaxParts)
	def(&l.MaxWorkVertices, DefaultMaxWorkVertices)
	def(&l.MaxCrossings, DefaultMaxCrossings)
	return l
}

// LimitError says a parcel exceeds one of its ParcelLimits. TooComplex
// limits (self-crossings) are about the input's shape, the others about its
// size.
type LimitError struct {
	// What is counted, e.g. "vertices".
	What       string
	Got, Limit int
	// Setting names the configuration that holds the limit.
	Setting string
	// TooComplex marks the self-crossing limit.
	TooComplex bool
	// Partial: counting stopped once over the limit, so Got is only what
	// was counted by then; the message says "more than Limit".
	Partial bool
	// Hint says what to do.
	Hint string
}

func (e *LimitError) Error() string { return "spatial: " + e.Detail("parcel") }

// Detail says what is over the limit and what to do, of a thing called
// noun ("parcel", "geometry").
func (e *LimitError) Detail(noun string) string {
	got := fmt.Sprint(e.Got)
	if e.TooComplex || e.Partial {
		got = "more than " + fmt.Sprint(e.Limit)
	}
	return fmt.Sprintf("the %s has %s %s; the limit is %d (%s): %s", noun, got, e.What, e.Limit, e.Setting, e.Hint)
}

// ErrUnsupported is returned for rings the service cannot read as a parcel:
// an edge between (nearly) antipodal points, whose geodesic is not unique,
// or a ring that goes around a pole.
var ErrUnsupported = errors.New("spatial: unsupported parcel")

// CheckParcelSize counts the vertices and parts of a parcel against the
// limits, before anything else is done with it.
func CheckParcelSize(g orb.Geometry, lim ParcelLimits) error {
	lim = lim.withDefaults()
	verts, parts := countParcel(g)
	if parts > lim.MaxParts {
		return &LimitError{What: "polygons", Got: parts, Limit: lim.MaxParts, Setting: "HETANG_PARCEL_MAX_PARTS",
			Hint: "send the parts separately (as parcels, a batch takes any number; as features, an import takes any number), or merge them"}
	}
	if verts > lim.MaxVertices {
		return &LimitError{What: "vertices", Got: verts, Limit: lim.MaxVertices, Setting: "HETANG_PARCEL_MAX_VERTICES",
			Hint: "simplify the outline (e.g. to 1 m: ST_Simplify, QGIS Simplify) or split it into pieces"}
	}
	return nil
}

// CheckGeometry bounds the validation of a feature's geometry as given
// (an import, whose edges are straight in lon/lat and which is checked, not
// repaired): its vertices and polygons against lim, and for polygons the
// places where its rings' edges cross or touch one another, counted with
// bounded work, before GEOS ever sees it — GEOS's validity check and the
// overlays of the data checks take far longer on a tangle than on a clean
// outline. It returns nil or a *LimitError naming the limit.
func CheckGeometry(ctx context.Context, g orb.Geometry, lim ParcelLimits) error {
	lim = lim.withDefaults()
	switch x := g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		if err := CheckParcelSize(g, lim); err != nil {
			return err
		}
		mp, ok := x.(orb.MultiPolygon)
		if !ok {
			mp = orb.MultiPolygon{x.(orb.Polygon)}
		}
		return checkCrossings(ctx, mp, lim)
	case orb.LineString, orb.MultiLineString, orb.MultiPoint:
		verts, parts := 0, 1
		switch y := x.(type) {
		case orb.LineString:
			verts = len(y)
		case orb.MultiPoint:
			verts = len(y)
		case orb.MultiLineString:
			parts = len(y)
			for _, l := range y {
				verts += len(l)
			}
		}
		if parts > lim.MaxParts {
			return &LimitError{What: "parts", Got: parts, Limit: lim.MaxParts, Setting: "HETANG_PARCEL_MAX_PARTS", Hint: "split the feature"}
		}
		if verts > lim.MaxVertices {
			return &LimitError{What: "vertices", Got: verts, Limit: lim.MaxVertices, Setting: "HETANG_PARCEL_MAX_VERTICES",
				Hint: "simplify the line (e.g. to 1 m: ST_Simplify, QGIS Simplify) or split the feature"}
		}
	}
	return nil
}

// countParcel returns the vertices (all rings of all parts) and the
// polygons of a Polygon or MultiPolygon (0, 0 for other geometries).
func countParcel(g orb.Geometry) (verts, parts int) {
	count := func(p orb.Polygon) {
		parts++
		for _, r := range p {
			verts += len(r)
		}
	}
	switch x := g.(type) {
	case orb.Polygon:
		count(x)
	case orb.MultiPolygon:
		for _, p := range x {
			count(p)
		}
	}
	return verts, parts
}

// antipodalMeters: edges longer than this join points within about 100 km
// of antipodal, where geodesics stop being unique.
const antipodalMeters = 19_900_000

// clipMarginDeg is how far (degrees) the neighbourhood a parcel is clipped
// to reaches beyond the indexed features' box: at the district's latitude
// at least clipMarginMeters.
const (
	clipMarginDeg    = 1.0
	clipMarginMeters = 95_000
)

// parcelShape is a parcel prepared for the overlay: its rings with
// longitudes unwrapped next to the district, cut into geodesic pieces (of at
// most maxSegmentMeters near the district, longer far away), and the same
// clipped to the district's neighbourhood.
type parcelShape struct {
	// parts are the input polygons, unwrapped (not densified).
	parts orb.MultiPolygon
	// outline is every ring densified (for distances beyond the neighbourhood).
	outline []orb.Ring
	// clipped is the densified parcel clipped to box: winding numbers of
	// every point inside the box are those of the parcel.
	clipped orb.MultiPolygon
	// wasClipped is true when some ring reached beyond box.
	wasClipped bool
	box        orb.Bound
	work       int // vertices of clipped
	outlineN   int // vertices of outline
}

// outlineSlack is how many more vertices the whole densified outline may
// have than MaxWorkVertices allows near the district (pieces far away are
// long and few).
const outlineSlack = 50_000

func tooLong(n, limit int) error {
	return &LimitError{What: "vertices near the district once its edges are cut into geodesic pieces of 250 m", Got: n, Limit: limit,
		Setting: "HETANG_PARCEL_MAX_WORK_VERTICES", Hint: "the outline within about 100 km of the district is too long; split the parcel"}
}

// shapeParcel unwraps, densifies and clips mp (closed rings, lon/lat).
func (ix *Index) shapeParcel(ctx context.Context, mp orb.MultiPolygon, lim ParcelLimits) (*parcelShape, error) {
	c := ix.world.Center()
	sh := &parcelShape{box: orb.Bound{
		Min: orb.Point{ix.world.Min[0] - clipMarginDeg, ix.world.Min[1] - clipMarginDeg},
		Max: orb.Point{ix.world.Max[0] + clipMarginDeg, ix.world.Max[1] + clipMarginDeg},
	}}
	near := ix.world.Max[1] - c[1] + clipMarginDeg // degrees of latitude from c to the box's edge
	steps := 0
	for pi, poly := range mp {
		var part, cpart orb.Polygon
		for ri, r := range poly {
			u, err := unwrapRing(r, c[0])
			if err != nil {
				return nil, &UnsupportedError{Polygon: pi + 1, Ring: ri + 1, Err: err}
			}
			part = append(part, u)
			d, err := densifyRing(ctx, u, c, near, &steps, lim.MaxWorkVertices+outlineSlack-sh.outlineN)
			if le := (*LimitError)(nil); errors.As(err, &le) {
				// densifyRing counts one ring against what is left of the
				// whole outline's allowance: say it of the parcel, with the
				// limit as configured.
				le.Got, le.Limit, le.Partial = sh.outlineN+le.Got, lim.MaxWorkVertices, true
				le.What = "vertices in its whole outline once its edges are cut into geodesic pieces (of 250 m near the district, longer far away)"
				le.Hint = "the outline is too long; send only the part within about 100 km of the district, or split the parcel"
				return nil, le
			}
			if err != nil {
				return nil, err
			}
			sh.outlineN += len(d)
			sh.outline = append(sh.outline, d)
			cr := d
			if b := d.Bound(); !sh.box.Contains(b.Min) || !sh.box.Contains(b.Max) {
				sh.wasClipped = true
				cr = clipRing(d, sh.box)
			}
			if ri == 0 && len(cr) < 4 {
				cpart = nil
				break
			}
			if len(cr) >= 4 {
				cpart = append(cpart, cr)
				sh.work += len(cr)
			}
			if sh.work > lim.MaxWorkVertices {
				return nil, tooLong(sh.work, lim.MaxWorkVertices)
			}
		}
		sh.parts = append(sh.parts, part)
		if len(cpart) > 0 {
			sh.clipped = append(sh.clipped, cpart)
		}
	}
	return sh, nil
}

// unwrapRing returns r with each longitude moved by whole turns so that no
// edge spans more than 180° of longitude (edges are geodesics, the shorter
// way round) and the first vertex is within 180° of lon0. It fails for an
// edge between (nearly) antipodal points and for a ring around a pole.
func unwrapRing(r orb.Ring, lon0 float64) (orb.Ring, error) {
	out := make(orb.Ring, len(r))
	out[0] = orb.Point{lon0 + wrap180(r[0][0]-lon0), r[0][1]}
	// An edge along a pole (both ends at latitude ±90) has no length; its
	// longitude step is taken as written (the plate carrée reading of e.g. a
	// hemisphere bounded by two meridians), and the first such edge absorbs
	// whatever keeps the ring closed.
	ds := make([]float64, len(r))
	sum, pole := 0.0, -1
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		if math.Abs(a[1]) == 90 && a[1] == b[1] {
			ds[i] = b[0] - a[0]
			if pole < 0 {
				pole = i
			}
		} else {
			ds[i] = wrap180(b[0] - a[0])
		}
		sum += ds[i]
	}
	if pole > 0 {
		ds[pole] -= sum
	}
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		if math.Abs(ds[i]) > 170 || math.Abs(b[1]-a[1]) > 170 {
			if s := GeodesicMeters(a, b); s > antipodalMeters {
				return nil, fmt.Errorf("the edge from (%g, %g) to (%g, %g) is %.0f km long, between nearly antipodal points, where the shortest path (parcel edges are geodesics, as in PostGIS geography) is not unique; add vertices along the path you mean (one every 90° of longitude is enough), or send a polygon around the part of the world you are asking about: nothing beyond about 100 km of the district changes the answer", a[0], a[1], b[0], b[1], s/1000)
			}
		}
		out[i] = orb.Point{out[i-1][0] + ds[i], b[1]}
	}
	if n := len(out); math.Abs(out[n-1][0]-out[0][0]) > 1e-9 {
		return nil, errors.New("the ring goes around a pole (its longitudes turn through 360°), and a parcel must not enclose a pole; send the part of it near the district instead (nothing beyond about 100 km of the district changes the answer)")
	}
	out[len(out)-1] = out[0]
	return out, nil
}

// wrap180 wraps a longitude difference into (-180, 180].
func wrap180(d float64) float64 {
	d = math.Mod(d, 360)
	if d > 180 {
		d -= 360
	} else if d <= -180 {
		d += 360
	}
	return d
}

// ctxEvery is how many loop steps pass between context checks.
const ctxEvery = 4096

func checkCtx(ctx context.Context, steps *int) error {
	*steps++
	if *steps%ctxEvery == 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("spatial: %w", err)
		}
	}
	return nil
}

// densifyRing cuts the edges of a ring (unwrapped lon/lat) into geodesic
// pieces: of at most maxSegmentMeters (as the old densify did) for edges
// shorter than about 50 km, and for longer edges of at most
// maxSegmentMeters within near degrees of c and of an eighth of their
// distance from there beyond, so that pieces far away stay few and a chord
// never strays into the neighbourhood.
func densifyRing(ctx context.Context, r orb.Ring, c orb.Point, near float64, steps *int, budget int) (orb.Ring, error) {
	out := orb.Ring{r[0]}
	for i := 1; i < len(r); i++ {
		if len(out) > budget {
			return nil, tooLong(len(out), budget)
		}
		a, b := r[i-1], r[i]
		if math.Abs(b[0]-a[0]) < 0.5 && math.Abs(b[1]-a[1]) < 0.5 {
			if d := GeodesicMeters(a, b); d > maxSegmentMeters {
				n := int(math.Ceil(d / maxSegmentMeters))
				if len(out)+n > budget {
					return nil, tooLong(len(out)+n, budget)
				}
				for k := 1; k < n; k++ {
					p := geodesicInterpolate(a, b, float64(k)/float64(n))
					p[0] = a[0] + wrap180(p[0]-a[0])
					out = append(out, p)
					if err := checkCtx(ctx, steps); err != nil {
						return nil, err
					}
				}
			}
			out = append(out, b)
			continue
		}
		var err error
		if out, err = densifyLong(ctx, out, a, b, c, near, steps); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// densifyLong appends the pieces of the long geodesic a→b (after a) to out,
// cut adaptively by their distance from c (Karney's direct problem along
// the line, so the pieces lie on the ellipsoidal geodesic).
func densifyLong(ctx context.Context, out orb.Ring, a, b, c orb.Point, near float64, steps *int) (orb.Ring, error) {
	var s12, azi1 float64
	wgs84.Inverse(a[1], a[0], b[1], b[0], &s12, &azi1, nil)
	at := func(s float64) orb.Point {
		var lat, lon float64
		wgs84.Direct(a[1], a[0], azi1, s, &lat, &lon, nil)
		return orb.Point{a[0] + wrap180(lon-a[0]), lat}
	}
	nearM := near * 111_000
	var rec func(s0, s1 float64, p0, p1 orb.Point) error
	rec = func(s0, s1 float64, p0, p1 orb.Point) error {
		if err := checkCtx(ctx, steps); err != nil {
			return err
		}
		l := s1 - s0
		lb := math.Min(GeodesicMeters(c, p0), GeodesicMeters(c, p1)) - l/2 - nearM
		if l <= maxSegmentMeters || l <= lb/8 {
			out = append(out, p1)
			return nil
		}
		sm := (s0 + s1) / 2
		pm := at(sm)
		if err := rec(s0, sm, p0, pm); err != nil {
			return err
		}
		return rec(sm, s1, pm, p1)
	}
	if err := rec(0, s12, a, at(s12)); err != nil {
		return nil, err
	}
	out[len(out)-1] = b
	return out, nil
}

// clipRing clips a ring (lon/lat) to the box with Sutherland–Hodgman
// against each side in turn. Each step replaces the ring's excursions beyond
// a side by their projection onto it, which keeps the winding number of
// every point inside the box, for any ring, self-intersecting or not: so
// the nonzero-winding region of the result is the ring's region within the
// box. The result is closed; fewer than 4 points means nothing is left.
func clipRing(r orb.Ring, b orb.Bound) orb.Ring {
	type side struct {
		in  func(p orb.Point) bool
		cut func(p, q orb.Point) orb.Point
	}
	atX := func(x float64) func(p, q orb.Point) orb.Point {
		return func(p, q orb.Point) orb.Point {
			t := (x - p[0]) / (q[0] - p[0])
			return orb.Point{x, p[1] + t*(q[1]-p[1])}
		}
	}
	atY := func(y float64) func(p, q orb.Point) orb.Point {
		return func(p, q orb.Point) orb.Point {
			t := (y - p[1]) / (q[1] - p[1])
			return orb.Point{p[0] + t*(q[0]-p[0]), y}
		}
	}
	sides := []side{
		{func(p orb.Point) bool { return p[0] >= b.Min[0] }, atX(b.Min[0])},
		{func(p orb.Point) bool { return p[0] <= b.Max[0] }, atX(b.Max[0])},
		{func(p orb.Point) bool { return p[1] >= b.Min[1] }, atY(b.Min[1])},
		{func(p orb.Point) bool { return p[1] <= b.Max[1] }, atY(b.Max[1])},
	}
	pts := []orb.Point(r[:len(r)-1])
	for _, s := range sides {
		if len(pts) == 0 {
			break
		}
		var next []orb.Point
		prev := pts[len(pts)-1]
		for _, p := range pts {
			switch pin, qin := s.in(p), s.in(prev); {
			case pin && qin:
				next = append(next, p)
			case pin && !qin:
				next = append(next, s.cut(prev, p), p)
			case !pin && qin:
				next = append(next, s.cut(prev, p))
			}
			prev = p
		}
		pts = next
	}
	// Drop repeated points the projections leave.
	out := orb.Ring{}
	for _, p := range pts {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	if len(out) < 3 {
		return nil
	}
	return append(out, out[0])
}

// UnsupportedError is ErrUnsupported about one ring: errors.Is(err,
// ErrUnsupported) holds, and Detail says which ring and why, for people.
type UnsupportedError struct {
	Polygon, Ring int   // 1-based
	Err           error // why, in words for people
}

func (e *UnsupportedError) Error() string { return ErrUnsupported.Error() + ": " + e.Detail() }

// Detail names the ring and says why it cannot be read.
func (e *UnsupportedError) Detail() string {
	return fmt.Sprintf("polygon %d ring %d: %v", e.Polygon, e.Ring, e.Err)
}

// Is makes the error ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// Unwrap returns why.
func (e *UnsupportedError) Unwrap() error { return e.Err }
