package ogcapi

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"hetang/internal/apierr"
	"hetang/internal/cql2"
	"hetang/internal/crs"
	"hetang/internal/decimal"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
)

// supportedCRS are the systems offered by every collection, storage CRS first.
var supportedCRS = []crs.CRS{crs.CRS84, crs.WGS84, crs.CGCS, crs.CGCSGK, crs.WebMerc}

func crsURIs() []string {
	out := make([]string, len(supportedCRS))
	for i, c := range supportedCRS {
		out[i] = c.URI()
	}
	return out
}

// toAuthority puts g's coordinates in the axis order of cr's authority
// (a copy, swapped, for latitude/northing-first systems).
func toAuthority(g orb.Geometry, cr crs.CRS) orb.Geometry {
	if !cr.AuthorityYX {
		return g
	}
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
}

// fromCRS converts a geometry given in cr (authority axis order) to CRS84.
// A bounding box becomes the polygon its densified edges map to.
func fromCRS(g orb.Geometry, cr crs.CRS) (orb.Geometry, error) {
	if b, ok := g.(orb.Bound); ok {
		if cr.AuthorityYX {
			b = orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}
		}
		if cr.IsWGS84() {
			return b, nil
		}
		return cr.GeometryToWGS84(densify(b))
	}
	g = toAuthority(g, cr) // swapping is its own inverse
	if cr.IsWGS84() {
		return g, nil
	}
	return cr.GeometryToWGS84(g)
}

// densify returns b as a polygon with 20 points per edge, so that its image
// in another CRS follows the curved edges.
func densify(b orb.Bound) orb.Polygon {
	const steps = 20
	var ring orb.Ring
	corners := []orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min}
	for i := 0; i < 4; i++ {
		a, z := corners[i], corners[i+1]
		for k := 0; k < steps; k++ {
			t := float64(k) / steps
			ring = append(ring, orb.Point{a[0] + t*(z[0]-a[0]), a[1] + t*(z[1]-a[1])})
		}
	}
	ring = append(ring, b.Min)
	return orb.Polygon{ring}
}

// itemsQuery is a validated items request.
type itemsQuery struct {
	limit, offset int
	crs           crs.CRS
	// filter is the conjunction of bbox, filter and property parameters, or nil.
	filter cql2.Expr
}

// itemsParams are the parameters of the items resource besides queryables.
var itemsParams = []string{ParamF, ParamLimit, ParamOffset, ParamBBox, ParamBBoxCRS, ParamCRS, ParamDatetime, ParamFilter, ParamFilterLang, ParamFilterCRS}

func parseItemsQuery(c echo.Context, ly *layout.Layer) (*itemsQuery, error) {
	fields := ly.Fields()
	fieldType := map[string]layout.FieldType{}
	for _, f := range fields {
		fieldType[f.Name] = f.Type
	}
	if err := checkParams(c, itemsParams, func(name string) bool { _, ok := fieldType[name]; return ok }); err != nil {
		return nil, apierr.BadRequest(err.(*apierr.Error).Detail + ", and the queryables of the collection (GET " + links.OGCAPI + "/collections/" + links.CollectionID(ly.ID) + "/queryables)")
	}
	q := &itemsQuery{limit: DefaultLimit}
	var err error
	if v := c.QueryParam(ParamLimit); v != "" {
		n, err := decimal.ParseInt(v)
		if errors.Is(err, decimal.ErrRange) && !strings.HasPrefix(v, "-") {
			n, err = MaxLimit, nil // a whole number too large for an int is reduced like any other
		}
		if err != nil || n < 1 {
			return nil, apierr.BadRequest(fmt.Sprintf("bad limit %s; give a whole number from 1 to %d (larger values are reduced to %d)", apierr.Quote(v), MaxLimit, MaxLimit))
		}
		q.limit = int(min(n, MaxLimit))
	}
	if v := c.QueryParam(ParamOffset); v != "" {
		n, err := decimal.ParseInt(v)
		if errors.Is(err, decimal.ErrRange) && !strings.HasPrefix(v, "-") {
			n, err = math.MaxInt64, nil // past the end of any collection: an empty page
		}
		if err != nil || n < 0 {
			return nil, apierr.BadRequest(fmt.Sprintf("bad offset %s; give a whole number of features to skip, 0 or more", apierr.Quote(v)))
		}
		q.offset = int(min(n, math.MaxInt))
	}
	if v := c.QueryParam(ParamDatetime); v != "" {
		if err := checkDatetime(v); err != nil {
			return nil, err
		}
	}
	if q.crs, err = httpapi.ParseCRSParam(c.QueryParams(), ParamCRS, supportedCRS); err != nil {
		return nil, err
	}
	var conj []cql2.Expr
	if v := c.QueryParam(ParamBBox); v != "" {
		bcrs, err := httpapi.ParseCRSParam(c.QueryParams(), ParamBBoxCRS, supportedCRS)
		if err != nil {
			return nil, err
		}
		b, err := parseBBox(v, bcrs)
		if err != nil {
			return nil, err
		}
		g, err := fromCRS(b, bcrs)
		if err != nil {
			return nil, apierr.BadRequest(fmt.Sprintf("bbox %q cannot be converted from %s: %v", v, bcrs.Code, err))
		}
		conj = append(conj, &cql2.Intersects{Property: GeometryProperty, Geometry: g})
	} else if c.QueryParam(ParamBBoxCRS) != "" {
		if _, err := httpapi.ParseCRSParam(c.QueryParams(), ParamBBoxCRS, supportedCRS); err != nil {
			return nil, err
		}
	}
	if lang := c.QueryParam(ParamFilterLang); lang != "" && lang != FilterLangCQL2Text {
		return nil, apierr.BadRequest(fmt.Sprintf("unsupported filter-lang %q; only %s is supported", lang, FilterLangCQL2Text))
	}
	if v := c.QueryParam(ParamFilter); v != "" {
		e, err := parseFilter(c, v, ly, fieldType)
		if err != nil {
			return nil, err
		}
		conj = append(conj, e)
	} else if c.QueryParam(ParamFilterCRS) != "" {
		if _, err := httpapi.ParseCRSParam(c.QueryParams(), ParamFilterCRS, supportedCRS); err != nil {
			return nil, err
		}
	}
	// Property parameters, in a stable order.
	for _, f := range fields {
		v, ok := c.QueryParams()[f.Name]
		if !ok {
			continue
		}
		lit, err := literalOf(f, v[0])
		if err != nil {
			return nil, err
		}
		conj = append(conj, &cql2.Comparison{Op: "=", Left: cql2.Property{Name: f.Name}, Right: lit})
	}
	switch len(conj) {
	case 0:
	case 1:
		q.filter = conj[0]
	default:
		q.filter = &cql2.And{Args: conj}
	}
	return q, nil
}

func literalOf(f layout.Field, v string) (cql2.Literal, error) {
	switch f.Type {
	case layout.FieldInteger, layout.FieldReal:
		n, err := decimal.Parse(v)
		if err != nil {
			return cql2.Literal{}, apierr.BadRequest(fmt.Sprintf("property %s is a number; %s is not a decimal number (finite, in digits, e.g. 3 or 2.5)", f.Name, apierr.Quote(v)))
		}
		return cql2.Literal{Value: n}, nil
	case layout.FieldBoolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cql2.Literal{}, apierr.BadRequest(fmt.Sprintf("property %s is true or false; %q is neither", f.Name, v))
		}
		return cql2.Literal{Value: b}, nil
	}
	return cql2.Literal{Value: v}, nil
}

func parseBBox(v string, cr crs.CRS) (orb.Bound, error) {
	order := "minimum x, minimum y, maximum x, maximum y"
	if cr.AuthorityYX {
		order = "minimum latitude/northing, minimum longitude/easting, maximum latitude/northing, maximum longitude/easting (the axis order of " + cr.Code + ")"
	} else if !cr.Projected {
		order = "west, south, east, north in degrees"
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return orb.Bound{}, apierr.BadRequest(fmt.Sprintf("bad bbox %s: give 4 comma-separated numbers (%s); got %d values", apierr.Quote(v), order, len(parts)))
	}
	var n [4]float64
	for i, p := range parts {
		f, err := decimal.Parse(strings.TrimSpace(p))
		if err != nil {
			return orb.Bound{}, apierr.BadRequest(fmt.Sprintf("bad bbox %s: %s is not a number; give %s in decimal digits", apierr.Quote(v), apierr.Quote(p), order))
		}
		n[i] = f
	}
	if lim := cr.MaxAbsXY(); lim > 0 {
		for _, f := range n {
			if math.Abs(f) > lim {
				return orb.Bound{}, apierr.BadRequest(fmt.Sprintf("bad bbox %s: outside the valid range of %s (coordinates within ±%.2f m); give %s", apierr.Quote(v), cr.Code, lim, order))
			}
		}
	}
	if n[0] > n[2] || n[1] > n[3] {
		return orb.Bound{}, apierr.BadRequest(fmt.Sprintf("bad bbox %s: a minimum exceeds its maximum; give %s (boxes crossing the antimeridian are not supported)", apierr.Quote(v), order))
	}
	if !cr.Projected {
		lat0, lat1, lon0, lon1 := n[1], n[3], n[0], n[2]
		if cr.AuthorityYX {
			lat0, lat1, lon0, lon1 = n[0], n[2], n[1], n[3]
		}
		if lat0 < -90 || lat1 > 90 || lon0 < -180 || lon1 > 180 {
			return orb.Bound{}, apierr.BadRequest(fmt.Sprintf("bad bbox %s: outside the range of %s; give %s", apierr.Quote(v), cr.Code, order))
		}
	}
	return orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}, nil
}

func parseFilter(c echo.Context, v string, ly *layout.Layer, fieldType map[string]layout.FieldType) (cql2.Expr, error) {
	e, err := cql2.Parse(v)
	if err != nil {
		var se *cql2.SyntaxError
		if errors.As(err, &se) {
			return nil, apierr.BadRequest(fmt.Sprintf("filter: CQL2 syntax error at character %d (%s): %s", se.Pos+1, caret(v, se.Pos), se.Msg))
		}
		return nil, apierr.BadRequest("filter: " + err.Error())
	}
	for _, name := range cql2.Properties(e) {
		if _, ok := fieldType[name]; !ok {
			return nil, apierr.BadRequest(fmt.Sprintf("filter: unknown property %q; GET %s/collections/%s/queryables lists the queryables", name, links.OGCAPI, links.CollectionID(ly.ID)))
		}
	}
	for _, name := range cql2.GeometryProperties(e) {
		if name != GeometryProperty {
			return nil, apierr.BadRequest(fmt.Sprintf("filter: %q is not a geometry property; use %q", name, GeometryProperty))
		}
	}
	fcrs, err := httpapi.ParseCRSParam(c.QueryParams(), ParamFilterCRS, supportedCRS)
	if err != nil {
		return nil, err
	}
	if err := cql2.TransformGeometries(e, func(g orb.Geometry) (orb.Geometry, error) { return fromCRS(g, fcrs) }); err != nil {
		return nil, apierr.BadRequest(fmt.Sprintf("filter: a geometry cannot be converted from %s: %v", fcrs.Code, err))
	}
	return e, nil
}

// caret shows the filter text around pos with a marker, for error messages.
func caret(s string, pos int) string {
	pos = min(max(pos, 0), len(s))
	start, end := max(0, pos-30), min(len(s), pos+30)
	return strings.ToValidUTF8(s[start:pos]+"⟨here⟩"+s[pos:end], "?")
}

// withQuery returns u with the query parameters in set replaced.
func withQuery(base string, q url.Values, set map[string]string) string {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	for k, v := range set {
		out.Set(k, v)
	}
	return base + "?" + out.Encode()
}

// checkDatetime checks a datetime parameter (OGC API – Features Part 1,
// §7.15.4): an RFC 3339 date-time or full date, or an interval of two of
// them separated by "/", either end open ("..", or empty). The layout has
// no temporal property, so a valid datetime selects every feature; an
// invalid one is a 400, not ignored.
func checkDatetime(v string) error {
	bad := func(why string) error {
		return apierr.BadRequest(fmt.Sprintf("bad datetime %s: %s; give an RFC 3339 date-time (2021-02-01T00:00:00Z), a date (2021-02-01) or an interval of them (2021-01-01/2021-12-31, ../2021-12-31, 2021-01-01/..)", apierr.Quote(v), why))
	}
	parts := strings.Split(v, "/")
	if len(parts) > 2 {
		return bad("an interval has two ends")
	}
	var ends [2]time.Time
	for i, p := range parts {
		if len(parts) == 2 && (p == ".." || p == "") {
			continue
		}
		t, err := parseInstant(p)
		switch {
		case err != nil && len(parts) == 1:
			return bad("not a date-time or a date")
		case err != nil:
			return bad([]string{"the start", "the end"}[i] + " is not a date-time or a date")
		}
		ends[i] = t
	}
	if len(parts) == 2 {
		open0, open1 := parts[0] == ".." || parts[0] == "", parts[1] == ".." || parts[1] == ""
		if open0 && open1 {
			return bad("an interval needs at least one end")
		}
		if !open0 && !open1 && ends[1].Before(ends[0]) {
			return bad("the interval ends before it starts")
		}
	}
	return nil
}

// parseInstant reads an RFC 3339 date-time or a full date.
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}
