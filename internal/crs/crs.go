// Package crs names the coordinate reference systems the service speaks and
// converts coordinates between them and WGS84.
//
// Supported: OGC CRS84 and EPSG:4326 (WGS84), EPSG:4490 (CGCS2000), EPSG:4547
// (CGCS2000 / 3-degree Gauss–Krüger CM 114°E), EPSG:4526 (the same with the
// zone-38 easting prefix), EPSG:3857 (Web Mercator) —
// all through PROJ — and the Chinese web-map frames GCJ-02 and BD-09 through
// the project's own package gcj02.
//
// Axis order: every Point this package takes or returns is in "traditional
// GIS" order, x first: longitude then latitude for geographic frames, easting
// then northing for projected ones. The authority order (EPSG:4326 and
// EPSG:4490 are latitude first, EPSG:4547 is northing first) is reported by
// CRS.AuthorityYX so that the OGC API can swap axes where its standard says to;
// nothing here guesses an order from the numbers.
package crs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
	"github.com/twpayne/go-proj/v11"

	"hetang/internal/gcj02"
)

// ErrUnknown is wrapped by Parse errors for names it does not recognise.
var ErrUnknown = errors.New("crs: unknown or unsupported coordinate reference system")

// URI prefixes used by OGC API – Features.
const (
	EPSGURIPrefix = "http://www.opengis.net/def/crs/EPSG/0/"
	CRS84URI      = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
)

// CRS is one supported coordinate reference system.
type CRS struct {
	// Code is the canonical short name: CRS84, EPSG:4326, EPSG:4490,
	// EPSG:4547, EPSG:3857, GCJ02 or BD09.
	Code string
	// EPSG is the EPSG code, or 0 for CRS84's lon/lat twin (4326) and the
	// non-EPSG frames GCJ02/BD09.
	EPSG int
	// Name is a human-readable name.
	Name string
	// AuthorityYX is true when the authority's axis order puts latitude or
	// northing first.
	AuthorityYX bool
	// Projected is true for frames in metres.
	Projected bool
}

// The supported systems.
var (
	CRS84  = CRS{Code: "CRS84", Name: "WGS 84 longitude/latitude (OGC CRS84)"}
	WGS84  = CRS{Code: "EPSG:4326", EPSG: 4326, Name: "WGS 84", AuthorityYX: true}
	CGCS   = CRS{Code: "EPSG:4490", EPSG: 4490, Name: "China Geodetic Coordinate System 2000", AuthorityYX: true}
	CGCSGK = CRS{Code: "EPSG:4547", EPSG: 4547, Name: "CGCS2000 / 3-degree Gauss-Kruger CM 114E", AuthorityYX: true, Projected: true}
	// CGCSGK38 is the same projection with the zone number 38 prefixed to
	// the easting (38 421 200 rather than 421 200), as many survey files have it.
	CGCSGK38 = CRS{Code: "EPSG:4526", EPSG: 4526, Name: "CGCS2000 / 3-degree Gauss-Kruger zone 38", AuthorityYX: true, Projected: true}
	WebMerc  = CRS{Code: "EPSG:3857", EPSG: 3857, Name: "WGS 84 / Pseudo-Mercator", Projected: true}
	GCJ02    = CRS{Code: "GCJ02", Name: "GCJ-02 (Amap/Gaode, Tencent web maps)"}
	BD09     = CRS{Code: "BD09", Name: "BD-09 (Baidu web maps)"}
)

// All lists the supported systems in a stable order.
var All = []CRS{CRS84, WGS84, CGCS, CGCSGK, WebMerc, GCJ02, BD09}

// Inputs lists every system Parse accepts: All plus the zone-prefixed
// Gauss–Krüger frame, which inputs (uploads, crs= on the query endpoints)
// may use but downloads do not offer.
var Inputs = append(All[:len(All):len(All)], CGCSGK38)

// Parse recognises a CRS by short name (EPSG:4547, 4547, CRS84, WGS84, GCJ02,
// GCJ-02, BD09, BD-09, case-insensitive) or by OGC URI. The empty string
// means CRS84.
func Parse(s string) (CRS, error) {
	t := strings.TrimSpace(s)
	if len(t) > 200 {
		return CRS{}, fmt.Errorf("%w: name too long", ErrUnknown)
	}
	u := strings.ToUpper(t)
	switch {
	case u == "" || u == "CRS84" || u == "OGC:CRS84" || u == "WGS84" || u == strings.ToUpper(CRS84URI) || u == "[OGC:CRS84]":
		return CRS84, nil
	case u == "GCJ02" || u == "GCJ-02":
		return GCJ02, nil
	case u == "BD09" || u == "BD-09":
		return BD09, nil
	}
	code := u
	for _, p := range []string{strings.ToUpper(EPSGURIPrefix), "EPSG:", "[EPSG:", "URN:OGC:DEF:CRS:EPSG::"} {
		code = strings.TrimPrefix(code, p)
	}
	code = strings.TrimSuffix(code, "]")
	n, err := strconv.Atoi(code)
	if err == nil {
		for _, c := range Inputs {
			if c.EPSG != 0 && c.EPSG == n {
				return c, nil
			}
		}
	}
	return CRS{}, fmt.Errorf("%w: %q (use one of CRS84, EPSG:4326, EPSG:4490, EPSG:4547, EPSG:4526, EPSG:3857, GCJ02, BD09)", ErrUnknown, s)
}

// URI returns the OGC URI of the system ("" for GCJ02/BD09, which have none).
func (c CRS) URI() string {
	switch {
	case c.Code == CRS84.Code:
		return CRS84URI
	case c.EPSG != 0:
		return EPSGURIPrefix + strconv.Itoa(c.EPSG)
	}
	return ""
}

// IsWGS84 reports whether coordinates in c are already WGS84 lon/lat
// (CRS84 or EPSG:4326 in x-first order).
func (c CRS) IsWGS84() bool { return c.Code == CRS84.Code || c.Code == WGS84.Code }

// projTargets are the PROJ transforms from WGS84, built once and immutable
// afterwards. PROJ objects serialise their own use through their context.
var projTargets = sync.OnceValues(func() (map[int]*proj.PJ, error) {
	out := map[int]*proj.PJ{}
	for _, c := range Inputs {
		if c.EPSG == 0 || c.EPSG == 4326 {
			continue
		}
		pj, err := proj.NewCRSToCRS("EPSG:4326", "EPSG:"+strconv.Itoa(c.EPSG), nil)
		if err != nil {
			return nil, fmt.Errorf("crs: PROJ cannot build EPSG:4326 → %s: %w", c.Code, err)
		}
		norm, err := pj.NormalizeForVisualization()
		if err != nil {
			return nil, fmt.Errorf("crs: PROJ cannot normalise %s: %w", c.Code, err)
		}
		out[c.EPSG] = norm
	}
	return out, nil
})

func (c CRS) pj() (*proj.PJ, error) {
	m, err := projTargets()
	if err != nil {
		return nil, err
	}
	pj, ok := m[c.EPSG]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknown, c.Code)
	}
	return pj, nil
}

// FromWGS84 converts a WGS84 lon/lat point to c (x-first order).
func (c CRS) FromWGS84(p orb.Point) (orb.Point, error) {
	switch {
	case c.IsWGS84():
		return p, nil
	case c.Code == GCJ02.Code:
		x, y := gcj02.FromWGS84(p[0], p[1])
		return orb.Point{x, y}, nil
	case c.Code == BD09.Code:
		x, y := gcj02.WGS84ToBD09(p[0], p[1])
		return orb.Point{x, y}, nil
	}
	pj, err := c.pj()
	if err != nil {
		return orb.Point{}, err
	}
	out, err := pj.Forward(proj.NewCoord(p[0], p[1], 0, 0))
	if err != nil {
		return orb.Point{}, fmt.Errorf("crs: WGS84 → %s of (%v, %v): %w", c.Code, p[0], p[1], err)
	}
	return orb.Point{out[0], out[1]}, nil
}

// ToWGS84 converts a point in c (x-first order) to WGS84 lon/lat.
func (c CRS) ToWGS84(p orb.Point) (orb.Point, error) {
	switch {
	case c.IsWGS84():
		return p, nil
	case c.Code == GCJ02.Code:
		x, y := gcj02.ToWGS84(p[0], p[1])
		return orb.Point{x, y}, nil
	case c.Code == BD09.Code:
		x, y := gcj02.BD09ToWGS84(p[0], p[1])
		return orb.Point{x, y}, nil
	}
	if err := c.CheckXY(p); err != nil {
		return orb.Point{}, err
	}
	pj, err := c.pj()
	if err != nil {
		return orb.Point{}, err
	}
	out, err := pj.Inverse(proj.NewCoord(p[0], p[1], 0, 0))
	if err != nil {
		return orb.Point{}, fmt.Errorf("crs: %s → WGS84 of (%v, %v): %w", c.Code, p[0], p[1], err)
	}
	return orb.Point{out[0], out[1]}, nil
}

// GeometryFromWGS84 returns a copy of g converted from WGS84 to c.
func (c CRS) GeometryFromWGS84(g orb.Geometry) (orb.Geometry, error) {
	return TransformGeometry(g, c.FromWGS84)
}

// GeometryToWGS84 returns a copy of g converted from c to WGS84.
func (c CRS) GeometryToWGS84(g orb.Geometry) (orb.Geometry, error) {
	return TransformGeometry(g, c.ToWGS84)
}

// BoundFromWGS84 converts a WGS84 bounding box to c, densifying its edges so
// the result encloses the curved image of the box.
func (c CRS) BoundFromWGS84(b orb.Bound) (orb.Bound, error) {
	return transformBound(b, c.FromWGS84)
}

// BoundToWGS84 converts a bounding box in c to a WGS84 box that encloses it.
func (c CRS) BoundToWGS84(b orb.Bound) (orb.Bound, error) {
	return transformBound(b, c.ToWGS84)
}

func transformBound(b orb.Bound, fn func(orb.Point) (orb.Point, error)) (orb.Bound, error) {
	const steps = 20
	var out orb.Bound
	first := true
	for i := 0; i <= steps; i++ {
		t := float64(i) / steps
		x := b.Min[0] + t*(b.Max[0]-b.Min[0])
		y := b.Min[1] + t*(b.Max[1]-b.Min[1])
		for _, p := range []orb.Point{{x, b.Min[1]}, {x, b.Max[1]}, {b.Min[0], y}, {b.Max[0], y}} {
			q, err := fn(p)
			if err != nil {
				return orb.Bound{}, err
			}
			if first {
				out = q.Bound()
				first = false
			} else {
				out = out.Extend(q)
			}
		}
	}
	return out, nil
}

// TransformGeometry returns a copy of g with every point converted by fn; it
// stops converting at fn's first error and returns it.
func TransformGeometry(g orb.Geometry, fn func(orb.Point) (orb.Point, error)) (orb.Geometry, error) {
	var firstErr error
	out := project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point {
		if firstErr != nil {
			return p
		}
		q, err := fn(p)
		if err != nil {
			firstErr = err
			return p
		}
		return q
	})
	return out, firstErr
}
