// Package locate is the HTTP face of the spatial queries: locating a point
// (GET /api/v1/locate) or a parcel (POST /api/v1/locate), batches of either
// (POST /api/v1/locate/batch, streaming GeoJSON, CSV and NDJSON in and out),
// geodesic distances (GET /api/v1/distance) and nearest features
// (GET /api/v1/nearest). The same batch codecs serve the `hetang locate`
// command.
//
// Coordinates: every input and output takes crs= (CRS84 default; EPSG:4326,
// EPSG:4490, EPSG:4547, EPSG:3857, GCJ02, BD09) and is always in x-first
// order: longitude then latitude, or easting then northing, whatever the
// authority's axis order. For projected frames the lon parameter or column
// carries the easting and lat the northing.
package locate

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"hetang/internal/apierr"
	"hetang/internal/budget"
	"hetang/internal/crs"
	"hetang/internal/layout"
	"hetang/internal/spatial"
)

// Notice is carried by every answer: the layout is schematic.
const Notice = "schematic: the layout geometry is a digitisation of the Hetang 14th Five-Year Plan's text and schematic maps, not a survey; areas, cities, bases and roads are approximate, and so are the answers (the district boundary is generalised web-map data)"

// DefaultK is the number of nearest roads when k is not given; MaxK the most.
const (
	DefaultK = 3
	MaxK     = 50
)

// XY is a coordinate pair, x first. Answers hold *XY: nil (JSON null) when a
// conversion gave no finite value (EPSG:4547 far outside its zone, say).
type XY [2]float64

// answerMem holds the values one answer points to, allocated together
// rather than one by one (a point answer has some 10 coordinate pairs and 7
// nearest features).
type answerMem struct {
	xys  []XY
	refs []NearestRef
}

// newAnswerMem sizes the memory of an answer with k nearest roads.
func newAnswerMem(k int) answerMem {
	return answerMem{xys: make([]XY, 0, 6+k), refs: make([]NearestRef, 0, 4+k)}
}

// xy returns a pair, or nil when x or y is not finite.
func (m *answerMem) xy(x, y float64) *XY {
	if !finite(x) || !finite(y) {
		return nil
	}
	m.xys = append(m.xys, XY{x, y})
	return &m.xys[len(m.xys)-1]
}

// FeatureRef names a feature in answers.
type FeatureRef struct {
	ID     string `json:"id"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// BaseRef is an industrial base with its position on the corridor.
type BaseRef struct {
	FeatureRef
	Position string `json:"position"`
}

// ServiceRef is a service-industry zone with its kind (belt, centre, zone).
type ServiceRef struct {
	FeatureRef
	Kind string `json:"kind"`
}

// NearestRef is a nearest feature: geodesic distance in metres and the
// nearest point in the request's crs (x-first).
type NearestRef struct {
	FeatureRef
	Kind      string  `json:"kind,omitempty"`
	Class     string  `json:"class,omitempty"`
	DistanceM float64 `json:"distance_m"`
	Point     *XY     `json:"point"`
}

// NearestSet is the "nearest" member of answers.
type NearestSet struct {
	Axis             *NearestRef  `json:"axis"`
	Chain            *NearestRef  `json:"chain"`
	Corridor         *NearestRef  `json:"corridor"`
	DistrictBoundary *NearestRef  `json:"district_boundary"`
	Roads            []NearestRef `json:"roads"`
}

// Query echoes the request's point.
type Query struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	CRS string  `json:"crs"`
}

// PointAnswer is the body of GET /api/v1/locate.
type PointAnswer struct {
	// LayoutVersion is the layout version answered from (what
	// Hetang-Layout-Version says and ?version= takes).
	LayoutVersion       int64        `json:"layout_version"`
	Query               Query        `json:"query"`
	WGS84               *XY          `json:"wgs84"`
	EPSG4547            *XY          `json:"epsg4547"`
	InsideDistrict      bool         `json:"inside_district"`
	OnBoundary          bool         `json:"on_boundary"`
	DistanceToDistrictM float64      `json:"distance_to_district_m"`
	Area                *FeatureRef  `json:"area"`
	Cities              []FeatureRef `json:"cities"`
	Bases               []BaseRef    `json:"bases"`
	InCorridor          bool         `json:"in_corridor"`
	Services            []ServiceRef `json:"services"`
	Agriculture         []FeatureRef `json:"agriculture"`
	Nearest             NearestSet   `json:"nearest"`
	Notice              string       `json:"notice"`
}

// OverlapRef is a feature a parcel overlaps.
type OverlapRef struct {
	FeatureRef
	Position  string  `json:"position,omitempty"`
	OverlapM2 float64 `json:"overlap_m2"`
	Share     float64 `json:"share"`
}

// PolygonAnswer is the body of POST /api/v1/locate.
type PolygonAnswer struct {
	LayoutVersion int64        `json:"layout_version"`
	CRS           string       `json:"crs"`
	Repaired      bool         `json:"repaired"`
	RepairNote    string       `json:"repair_note"`
	AreaM2        float64      `json:"area_m2"`
	PrimaryArea   *OverlapRef  `json:"primary_area"`
	Areas         []OverlapRef `json:"areas"`
	Cities        []OverlapRef `json:"cities"`
	Bases         []OverlapRef `json:"bases"`
	InCorridor    bool         `json:"in_corridor"`
	Nearest       NearestSet   `json:"nearest"`
	Notice        string       `json:"notice"`
}

// Locator answers queries on one index in one crs.
type Locator struct {
	Index *spatial.Index
	// LayoutVersion is the number of the layout version Index belongs to,
	// named in every answer.
	LayoutVersion int64
	CRS           crs.CRS
	// K is the number of nearest roads (DefaultK when 0).
	K int
	// Limits bound each parcel (zero fields: spatial's defaults).
	Limits spatial.ParcelLimits
	// Budget admits parcels by their memory estimates (nil: no budget).
	Budget *budget.Budget
}

func str(f *layout.Feature, key string) string {
	s, _ := f.Properties[key].(string)
	return s
}

func ref(f *layout.Feature) FeatureRef {
	return FeatureRef{ID: f.ID, NameZH: str(f, layout.PropNameZH), NameEN: str(f, layout.PropNameEN)}
}

func (l *Locator) k() int {
	if l.K <= 0 {
		return DefaultK
	}
	return l.K
}

// ToWGS84 converts an input point in the locator's crs and checks it.
func (l *Locator) ToWGS84(p orb.Point) (orb.Point, error) {
	if err := checkXY(l.CRS, p); err != nil {
		return orb.Point{}, err
	}
	w, err := l.CRS.ToWGS84(p)
	if err != nil {
		return orb.Point{}, invalidf(reasonOutOfRange, "cannot convert (%v, %v) from %s: %w", p[0], p[1], l.CRS.Code, err)
	}
	if !finite(w[0]) || !finite(w[1]) || w[0] < -180 || w[0] > 180 || w[1] < -90 || w[1] > 90 {
		return orb.Point{}, invalidf(reasonOutOfRange, "(%v, %v) in %s is not on the Earth", p[0], p[1], l.CRS.Code)
	}
	return w, nil
}

// reason is why a point or parcel cannot be located, as a kind: the
// errors Point and Polygon return for their input carry one (a
// *reasonError), and the batch's error_zh says it in Chinese (zhReason),
// never by reading the English text.
type reason uint8

const (
	reasonInvalid     reason = iota // any other invalid input
	reasonOutOfRange                // coordinates outside the frame's range, or not convertible from it
	reasonNotFinite                 // NaN or infinite coordinates
	reasonNotAreal                  // a parcel with no area
	reasonTooLarge                  // a parcel over a size limit
	reasonTooComplex                // a parcel with too many self-crossings
	reasonUnsupported               // an edge between antipodal points, a ring around a pole
	reasonStopped                   // the deadline passed or the client left
	reasonBusy                      // the memory budget stayed full (budget.ErrBusy)
	reasonOverBudget                // the estimate exceeds the whole budget (budget.ErrTooLarge)
	numReasons
)

// reasonsZH are the reasons in Chinese.
var reasonsZH = [numReasons]string{
	reasonInvalid:     "几何无效",
	reasonOutOfRange:  "坐标超出范围，请检查坐标系",
	reasonNotFinite:   "坐标不是有限数",
	reasonNotAreal:    "地块没有面积",
	reasonTooLarge:    "地块过大（顶点或多边形过多）",
	reasonTooComplex:  "地块过于复杂（自相交过多）",
	reasonUnsupported: "地块的边过长（两端近乎对跖）或环绕极点",
	reasonStopped:     "超时或已取消",
	reasonBusy:        "服务器繁忙，请稍后重试",
	reasonOverBudget:  "地块过大（超出服务器的内存预算）",
}

// reasonError is an error about the caller's input with its reason.
type reasonError struct {
	reason reason
	err    error
}

func (e *reasonError) Error() string { return e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

// invalidf returns an error about the caller's input (apierr.KindInvalid)
// for reason r: its text starts "locate: "; a client reads the rest.
func invalidf(r reason, format string, args ...any) error {
	return &reasonError{r, fmt.Errorf("locate: %w", apierr.Errorf(apierr.KindInvalid, format, args...))}
}

// parcelError gives the spatial errors of a parcel their category and
// reason: no area, unsupported rings and too many self-crossings are the
// client's to fix (400), a parcel over a size limit is too large (413); the
// message says the limit and the setting that holds it.
func parcelError(err error) error {
	var (
		le *spatial.LimitError
		ue *spatial.UnsupportedError
		r  reason
		ae *apierr.Error
	)
	switch {
	case errors.Is(err, spatial.ErrNotAreal):
		r, ae = reasonNotAreal, apierr.WithCause(apierr.KindInvalid, notAreal, err)
	case errors.As(err, &le) && le.TooComplex:
		r, ae = reasonTooComplex, apierr.WithCause(apierr.KindInvalid, le.Detail("parcel"), err)
	case errors.As(err, &le):
		r, ae = reasonTooLarge, apierr.WithCause(apierr.KindTooLarge, le.Detail("parcel"), err)
	case errors.As(err, &ue):
		r, ae = reasonUnsupported, apierr.WithCause(apierr.KindInvalid, ue.Detail(), err)
	default:
		return err
	}
	return &reasonError{r, fmt.Errorf("locate: %w", ae)}
}

// notAreal is what a client reads about a parcel with no area.
const notAreal = "the parcel has no area: it needs a Polygon or MultiPolygon with at least one ring of 3 distinct points enclosing a non-zero area"

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkXY checks an input coordinate pair: finite, and for geographic frames
// longitude in [-180, 180] and latitude in [-90, 90].
func checkXY(c crs.CRS, p orb.Point) error {
	if !finite(p[0]) || !finite(p[1]) {
		return invalidf(reasonNotFinite, "coordinates must be finite numbers, got (%v, %v)", p[0], p[1])
	}
	if lim := c.MaxAbsXY(); lim > 0 {
		if math.Abs(p[0]) > lim || math.Abs(p[1]) > lim {
			return invalidf(reasonOutOfRange, "%s coordinates (%v, %v) are outside the system's valid range: x and y within ±%.2f m", c.Code, p[0], p[1], lim)
		}
		return nil
	}
	if p[0] < -180 || p[0] > 180 {
		return invalidf(reasonOutOfRange, "lon %v is outside [-180, 180] (x-first order: lon, then lat)", p[0])
	}
	if p[1] < -90 || p[1] > 90 {
		return invalidf(reasonOutOfRange, "lat %v is outside [-90, 90] (x-first order: lon, then lat)", p[1])
	}
	return nil
}

func (l *Locator) out(m *answerMem, p orb.Point) *XY {
	q, err := l.CRS.FromWGS84(p)
	if err != nil {
		return nil
	}
	return m.xy(q[0], q[1])
}

// nearestRef describes a nearest feature; ok is false when there is none
// (or its distance is not finite).
func (l *Locator) nearestRef(m *answerMem, n spatial.Nearest) (NearestRef, bool) {
	if n.Feature == nil || !finite(n.Meters) {
		return NearestRef{}, false
	}
	return NearestRef{FeatureRef: ref(n.Feature), Kind: str(n.Feature, layout.PropKind), Class: str(n.Feature, "class"),
		DistanceM: round(n.Meters, 3), Point: l.out(m, n.Point)}, true
}

func (l *Locator) nearestSet(m *answerMem, d *spatial.Distances) NearestSet {
	one := func(n spatial.Nearest, has bool) *NearestRef {
		if !has {
			return nil
		}
		r, ok := l.nearestRef(m, n)
		if !ok {
			return nil
		}
		m.refs = append(m.refs, r)
		return &m.refs[len(m.refs)-1]
	}
	ns := NearestSet{
		Axis:             one(d.Axis, d.HasAxis),
		Chain:            one(d.Chain, d.HasChain),
		Corridor:         one(d.Corridor, d.HasCorridor),
		DistrictBoundary: one(d.DistrictBoundary, d.DistrictBoundary.Feature != nil),
	}
	// The roads share the memory's backing array, after the single refs.
	ns.Roads = m.refs[len(m.refs):len(m.refs)]
	for _, r := range d.Roads {
		if nr, ok := l.nearestRef(m, r); ok {
			ns.Roads = append(ns.Roads, nr)
		}
	}
	m.refs = m.refs[:len(m.refs)+len(ns.Roads)]
	return ns
}

// round rounds to the given number of decimals (millimetres for metres).
func round(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}

// Point answers for a point given in the locator's crs.
func (l *Locator) Point(p orb.Point) (*PointAnswer, error) {
	w, err := l.ToWGS84(p)
	if err != nil {
		return nil, err
	}
	var hit spatial.PointHit
	var d spatial.Distances
	l.Index.Locate(w, &hit)
	l.Index.Distances(w, l.k(), &d)
	gk, err := crs.CGCSGK.FromWGS84(w)
	if err != nil {
		gk = orb.Point{math.NaN(), math.NaN()}
	}
	m := newAnswerMem(l.k())
	a := &PointAnswer{
		LayoutVersion:  l.LayoutVersion,
		Query:          Query{Lon: p[0], Lat: p[1], CRS: l.CRS.Code},
		WGS84:          m.xy(w[0], w[1]),
		EPSG4547:       m.xy(round(gk[0], 3), round(gk[1], 3)),
		InsideDistrict: hit.InsideDistrict,
		OnBoundary:     hit.OnBoundary,
		Cities:         []FeatureRef{},
		Bases:          []BaseRef{},
		InCorridor:     hit.InCorridor,
		Services:       []ServiceRef{},
		Agriculture:    []FeatureRef{},
		Nearest:        l.nearestSet(&m, &d),
		Notice:         Notice,
	}
	if !hit.InsideDistrict && finite(d.DistrictBoundary.Meters) {
		a.DistanceToDistrictM = round(d.DistrictBoundary.Meters, 3)
	}
	if hit.Area != nil {
		r := ref(hit.Area)
		a.Area = &r
	}
	for _, f := range hit.Cities {
		a.Cities = append(a.Cities, ref(f))
	}
	for _, f := range hit.Bases {
		a.Bases = append(a.Bases, BaseRef{ref(f), str(f, "position")})
	}
	for _, f := range hit.Services {
		a.Services = append(a.Services, ServiceRef{ref(f), str(f, layout.PropKind)})
	}
	for _, f := range hit.Agriculture {
		a.Agriculture = append(a.Agriculture, ref(f))
	}
	return a, nil
}

// PrepareParcel checks a parcel given in the locator's crs, converts it to
// WGS84 and prepares it for the overlay (spatial.Index.PrepareParcel):
// everything bounded and cheap that can be done before the parcel's memory
// is reserved. Its Cost is what to reserve.
func (l *Locator) PrepareParcel(ctx context.Context, g orb.Geometry) (*spatial.Parcel, error) {
	var err error
	if err := spatial.CheckParcelSize(g, l.Limits); err != nil {
		return nil, parcelError(err)
	}
	if err := layoutCheck(l.CRS, g); err != nil {
		return nil, err
	}
	w := g
	if !l.CRS.IsWGS84() {
		if w, err = l.CRS.GeometryToWGS84(g); err != nil {
			return nil, invalidf(reasonOutOfRange, "cannot convert the parcel from %s: %w", l.CRS.Code, err)
		}
	}
	p, err := l.Index.PrepareParcel(ctx, w, l.Limits)
	if err != nil {
		return nil, parcelError(err)
	}
	return p, nil
}

// Polygon answers for a parcel given in the locator's crs, with its memory
// reserved in the locator's budget while it is worked on.
func (l *Locator) Polygon(ctx context.Context, g orb.Geometry) (*PolygonAnswer, error) {
	p, err := l.PrepareParcel(ctx, g)
	if err != nil {
		return nil, err
	}
	res, err := l.Budget.Reserve(ctx, "this parcel", p.Cost())
	if err != nil {
		return nil, err
	}
	defer res.Release()
	return l.AnswerParcel(ctx, p)
}

// AnswerParcel answers for a prepared parcel; the caller holds its memory
// reservation.
func (l *Locator) AnswerParcel(ctx context.Context, p *spatial.Parcel) (*PolygonAnswer, error) {
	hit, err := l.Index.LocatePrepared(ctx, p, l.k())
	if err != nil {
		return nil, parcelError(err)
	}
	m := newAnswerMem(l.k())
	ov := func(os []spatial.Overlap) []OverlapRef {
		out := []OverlapRef{}
		for _, o := range os {
			out = append(out, OverlapRef{FeatureRef: ref(o.Feature), Position: str(o.Feature, "position"),
				OverlapM2: round(o.SquareMeters, 2), Share: round(o.Share, 6)})
		}
		return out
	}
	a := &PolygonAnswer{
		LayoutVersion: l.LayoutVersion,
		CRS:           l.CRS.Code, Repaired: hit.Repaired, RepairNote: hit.RepairNote, AreaM2: round(hit.SquareMeters, 2),
		Areas: ov(hit.Areas), Cities: ov(hit.Cities), Bases: ov(hit.Bases), InCorridor: hit.InCorridor,
		Nearest: l.nearestSet(&m, &hit.Distances), Notice: Notice,
	}
	if len(a.Areas) > 0 {
		p := a.Areas[0]
		a.PrimaryArea = &p
	}
	return a, nil
}

// layoutCheck checks every coordinate of an input geometry.
func layoutCheck(c crs.CRS, g orb.Geometry) error {
	var bad error
	layout.EachPoint(g, func(p orb.Point) {
		if bad == nil {
			bad = checkXY(c, p)
		}
	})
	return bad
}
