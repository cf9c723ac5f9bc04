package intake

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-proj/v11"

	"hetang/internal/crs"
)

// Where a CRS came from (CRSInfo.Source).
const (
	SourceParameter = "parameter"
	SourceFile      = "file"
	SourceDetected  = "detected"
	SourceDefault   = "default"
)

// CRSInfo says which coordinate reference system the input was read in,
// where that came from and why, in Chinese and English.
type CRSInfo struct {
	// Code is a crs package code (CRS84, EPSG:4547, GCJ02 …), an other
	// EPSG code PROJ knows, or "WKT" for a definition from a .prj or a
	// GeoPackage that matches none of them.
	Code     string `json:"code"`
	Name     string `json:"name"`
	Source   string `json:"source"`
	ReasonZH string `json:"reason_zh"`
	ReasonEN string `json:"reason_en"`
	// SwapXY is true when the file's first coordinate is the northing or
	// latitude and was swapped to x-first.
	SwapXY bool `json:"swap_xy"`
}

// Frame converts input coordinates (x-first) to WGS84 longitude/latitude.
type Frame struct {
	// Known is the crs package system when the input is one (ok true).
	Known   crs.CRS
	IsKnown bool
	code    string
	name    string
	toWGS84 func(orb.Point) (orb.Point, error)
}

// Code names the frame as CRSInfo.Code does.
func (f *Frame) Code() string { return f.code }

// ToWGS84 converts one point.
func (f *Frame) ToWGS84(p orb.Point) (orb.Point, error) {
	if f.toWGS84 == nil {
		return p, nil
	}
	return f.toWGS84(p)
}

func knownFrame(c crs.CRS) *Frame {
	f := &Frame{Known: c, IsKnown: true, code: c.Code, name: c.Name}
	if !c.IsWGS84() {
		f.toWGS84 = c.ToWGS84
	}
	return f
}

var (
	epsgName  = regexp.MustCompile(`(?i)^(?:urn:ogc:def:crs:epsg:[0-9.]*:|epsg:{1,2}|https?://www\.opengis\.net/def/crs/epsg/0/)([0-9]{1,6})$`)
	crs84Name = regexp.MustCompile(`(?i)^(?:urn:ogc:def:crs:ogc:[0-9.]*:crs84|ogc:crs84|crs84|https?://www\.opengis\.net/def/crs/ogc/1\.3/crs84)$`)
	cgcsName  = regexp.MustCompile(`(?i)cgcs|china[ _]?2000|china geodetic`)
	wktName   = regexp.MustCompile(`^\s*(?:PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|BOUNDCRS|COMPOUNDCRS)\s*\[\s*"([^"]{0,200})"`)
)

// CRSNameDef normalises a CRS name: "" for CRS84/WGS84 lon/lat, EPSG:n for
// EPSG codes, GCJ02/BD09 for the web-map frames. WKT is returned as it is.
func CRSNameDef(name string) (string, error) {
	n := strings.TrimSpace(name)
	if strings.ContainsAny(n, "[(") {
		return n, nil
	}
	if crs84Name.MatchString(n) {
		return "", nil
	}
	if m := epsgName.FindStringSubmatch(n); m != nil {
		code, _ := strconv.Atoi(m[1])
		if code == 4326 {
			return "", nil
		}
		return "EPSG:" + strconv.Itoa(code), nil
	}
	if c, err := crs.Parse(n); err == nil && n != "" {
		if c.IsWGS84() {
			return "", nil
		}
		return c.Code, nil
	}
	return "", inputErr("无法识别的坐标系名称 %q；请用 EPSG:编号、CRS84、GCJ02 或 BD09", "unknown CRS name %q; use EPSG:n, CRS84, GCJ02 or BD09", Echo(name))
}

// NewFrame builds the conversion from def (see CRSNameDef: "" is WGS84) to
// WGS84: the crs package for the systems it knows, PROJ for any other EPSG
// code or WKT. A WKT that describes one of the known systems (checked by
// converting test points both ways) is reported as that system.
func NewFrame(def string) (*Frame, error) {
	if def == "" {
		return knownFrame(crs.CRS84), nil
	}
	if c, err := crs.Parse(def); err == nil {
		return knownFrame(c), nil
	}
	pj, err := proj.NewCRSToCRS(def, "EPSG:4326", nil)
	if err != nil {
		return nil, inputErr("PROJ 无法理解坐标系 %s", "PROJ does not understand the CRS %s: %s", shorten(def), Echo(err.Error()))
	}
	norm, err := pj.NormalizeForVisualization()
	if err != nil {
		return nil, inputErr("PROJ 无法规范化坐标系 %s", "PROJ cannot normalise the CRS %s: %s", shorten(def), Echo(err.Error()))
	}
	to := func(p orb.Point) (orb.Point, error) {
		out, err := norm.Forward(proj.NewCoord(p[0], p[1], 0, 0))
		if err != nil {
			return orb.Point{}, fmt.Errorf("intake: (%v, %v) → WGS84: %w", p[0], p[1], err)
		}
		return orb.Point{out[0], out[1]}, nil
	}
	if c, ok := identify(to); ok {
		if !c.Projected { // WGS84 and CGCS2000 differ by centimetres: the name decides
			c = crs.CRS84
			if cgcsName.MatchString(def) {
				c = crs.CGCS
			}
		}
		return knownFrame(c), nil
	}
	name := "WKT"
	if m := wktName.FindStringSubmatch(def); m != nil {
		name = m[1]
	} else if strings.HasPrefix(strings.ToUpper(def), "EPSG:") {
		name = def
	}
	code := "WKT"
	if epsgName.MatchString(def) {
		code = strings.ToUpper(def)
	}
	return &Frame{code: code, name: Echo(name), toWGS84: to}, nil
}

// identify finds the known system that converts like to at points around
// the district (to 1 mm), so a .prj of CGCS2000 / GK CM 114E is reported as
// EPSG:4547 whatever its WKT dialect.
func identify(to func(orb.Point) (orb.Point, error)) (crs.CRS, bool) {
	probe := []orb.Point{{113.17, 27.86}, {113.3, 27.95}}
	for _, c := range crs.Inputs {
		if c.Code == crs.WGS84.Code || c.Code == crs.GCJ02.Code || c.Code == crs.BD09.Code {
			continue
		}
		ok := true
		for _, w := range probe {
			in, err := c.FromWGS84(w)
			if err != nil {
				ok = false
				break
			}
			got, err := to(in)
			if err != nil || math.Abs(got[0]-w[0]) > 1e-8 || math.Abs(got[1]-w[1]) > 1e-8 {
				ok = false
				break
			}
		}
		if ok {
			return c, true
		}
	}
	return crs.CRS{}, false
}

func shorten(s string) string {
	if len(s) > 80 {
		return strconv.Quote(Echo(s[:77]) + "...")
	}
	return strconv.Quote(Echo(s))
}
