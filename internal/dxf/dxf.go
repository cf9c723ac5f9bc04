// Package dxf writes the layout as an AutoCAD DXF drawing in CGCS2000
// 3-degree Gauss–Krüger, CM 114°E (EPSG:4547): x = easting, y = northing,
// in metres, so a planner can open it in AutoCAD or CASS over survey
// drawings in the same system.
//
// Each map layer becomes one CAD layer named with its Chinese title. Areas
// are closed LWPOLYLINEs (one per ring) with a solid HATCH in the page's fill
// colour; lines are LWPOLYLINEs; points are POINTs. Every feature gets a TEXT
// label with its Chinese name, and every entity carries the feature id as
// extended data (XDATA, application HETANG). Colours are true colours (group
// 420) with the nearest AutoCAD Color Index (group 62) for older readers.
//
// The file is DXF R2004 (AC1018) with $DWGCODEPAGE ANSI_936, its strings in
// GBK, the way AutoCAD saves Chinese drawings in that version; characters GBK
// lacks are written as \U+XXXX escapes. R2007 and later DXF files are UTF-8,
// but GDAL's DXF driver (and so QGIS) decodes every version by
// $DWGCODEPAGE alone, so a UTF-8 file shows garbled Chinese layer names
// there, while ANSI_936 reads correctly in AutoCAD, CASS, GDAL and QGIS.
//
// Text uses the style HZ with AutoCAD's GB fonts (gbenor.shx with the big
// font gbcbig.shx), shipped with every AutoCAD.
package dxf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"hetang/internal/crs"
	"hetang/internal/layout"
	"hetang/internal/style"
)

// CRS is the coordinate system of the drawing.
var CRS = crs.CGCSGK

// Version is the DXF version written ($ACADVER).
const Version = "AC1018"

// CodePage is the drawing's code page ($DWGCODEPAGE).
const CodePage = "ANSI_936"

// AppID is the registered application of the XDATA that carries feature ids.
const AppID = "HETANG"

// TextStyle is the text style of the labels.
const TextStyle = "HZ"

// Label heights in metres by geometry.
const (
	areaTextHeight  = 120
	lineTextHeight  = 80
	pointTextHeight = 50
)

// LabelPointer finds where to put an area's label: a point inside the
// polygon (the centroid can fall outside). The server passes GEOS's
// point-on-surface; nil means the centre of the bounding box.
type LabelPointer func(orb.Geometry) (orb.Point, error)

// Options say how the drawing is written.
type Options struct {
	// Title and Notice go into the drawing as comments (999) and into the
	// layer descriptions.
	Title, Notice string
	// LabelPoint places area labels (nil: bounding-box centre).
	LabelPoint LabelPointer
}

// LayerName is the CAD layer name of a map layer: its Chinese title, with the
// characters AutoCAD forbids in layer names (<>/\":;?*|=`) replaced by _.
func LayerName(ly *layout.Layer) string {
	name := ly.TitleZH
	if strings.TrimSpace(name) == "" {
		name = ly.ID
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>/\":;?*|=`+"`", r) || r < ' ' {
			return '_'
		}
		return r
	}, name)
}

// writer accumulates group codes; the first write error sticks.
type writer struct {
	w      *bufio.Writer
	err    error
	handle int // the last handle given out
}

func (d *writer) pair(code int, value string) {
	if d.err != nil {
		return
	}
	_, d.err = fmt.Fprintf(d.w, "%d\n%s\n", code, value)
}

func (d *writer) str(code int, s string) { d.pair(code, encode(s)) }
func (d *writer) int(code int, v int)    { d.pair(code, strconv.Itoa(v)) }
func (d *writer) num(code int, v float64) {
	d.pair(code, strconv.FormatFloat(v, 'f', -1, 64))
}

// coord writes a point with the 10/20 codes shifted by off (0 for 10/20/30,
// 1 for 11/21/31 …).
func (d *writer) xy(off int, x, y float64) {
	d.num(10+off, x)
	d.num(20+off, y)
}

func (d *writer) next() string {
	d.handle++
	return strconv.FormatInt(int64(d.handle), 16)
}

// encode turns a UTF-8 string into the drawing's code page (GBK), escaping
// characters GBK lacks as \U+XXXX, and removes line breaks.
func encode(s string) string {
	var b strings.Builder
	enc := simplifiedchinese.GBK.NewEncoder()
	for _, r := range s {
		if r == '\n' || r == '\r' {
			b.WriteByte(' ')
			continue
		}
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		out, err := enc.String(string(r))
		if err != nil || out == "" {
			fmt.Fprintf(&b, `\U+%04X`, r)
			continue
		}
		b.WriteString(out)
	}
	return b.String()
}

// entity is what the ENTITIES section gets: a type and a writer of its body.
type layerInfo struct {
	name  string
	style style.Style
	desc  string
}

// Write writes the drawing of layers to w.
func Write(w io.Writer, layers []*layout.Layer, opt Options) error {
	var body bytes.Buffer
	d := &writer{w: bufio.NewWriter(&body), handle: fixedHandles}
	infos := make([]layerInfo, len(layers))
	ext := emptyBound()
	used := map[string]bool{}
	for i, ly := range layers {
		name := LayerName(ly)
		if used[name] {
			name += "_" + ly.ID
		}
		used[name] = true
		var st style.Style
		if len(ly.Features) > 0 {
			st = style.For(ly.ID, ly.Features[0].ID, ly.Features[0].Properties)
		} else {
			st = style.For(ly.ID, "", nil)
		}
		infos[i] = layerInfo{name: name, style: st, desc: ly.TitleEN}
		for _, f := range ly.Features {
			if f.Geometry == nil {
				continue
			}
			g, err := CRS.GeometryFromWGS84(f.Geometry)
			if err != nil {
				return fmt.Errorf("dxf: feature %s to %s: %w", f.ID, CRS.Code, err)
			}
			ext = ext.Union(g.Bound())
			if err := d.feature(ly, name, f, g, opt); err != nil {
				return err
			}
		}
	}
	if err := d.w.Flush(); err != nil {
		return err
	}
	if d.err != nil {
		return d.err
	}
	out := &writer{w: bufio.NewWriter(w), handle: d.handle}
	out.drawing(infos, ext, opt, body.Bytes())
	if out.err != nil {
		return out.err
	}
	return out.w.Flush()
}

func emptyBound() orb.Bound {
	return orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
}

// feature writes the entities of one feature (g is in the drawing's CRS).
func (d *writer) feature(ly *layout.Layer, layer string, f *layout.Feature, g orb.Geometry, opt Options) error {
	st := style.For(ly.ID, f.ID, f.Properties)
	name, _ := f.Properties[layout.PropNameZH].(string)
	switch x := g.(type) {
	case orb.Point:
		d.point(layer, f.ID, st, x)
		d.text(layer, f.ID, st, orb.Point{x[0] + pointTextHeight*0.4, x[1] - pointTextHeight*0.5}, pointTextHeight, 0, name)
	case orb.MultiPoint:
		for _, p := range x {
			d.point(layer, f.ID, st, p)
		}
		if len(x) > 0 {
			d.text(layer, f.ID, st, x[0], pointTextHeight, 0, name)
		}
	case orb.LineString:
		d.polyline(layer, f.ID, st, x, false)
		at, angle := alongLine(x)
		d.text(layer, f.ID, st, at, lineTextHeight, angle, name)
	case orb.MultiLineString:
		for _, ls := range x {
			d.polyline(layer, f.ID, st, ls, false)
		}
		if len(x) > 0 {
			at, angle := alongLine(x[0])
			d.text(layer, f.ID, st, at, lineTextHeight, angle, name)
		}
	case orb.Polygon:
		d.polygon(layer, f.ID, st, orb.MultiPolygon{x})
		d.areaLabel(layer, f, st, f.Geometry, opt, name)
	case orb.MultiPolygon:
		d.polygon(layer, f.ID, st, x)
		d.areaLabel(layer, f, st, f.Geometry, opt, name)
	default:
		return fmt.Errorf("dxf: feature %s: unsupported geometry %T", f.ID, g)
	}
	return nil
}

// areaLabel places the label of an area at a point inside it (computed in
// WGS84 from wgs, then projected).
func (d *writer) areaLabel(layer string, f *layout.Feature, st style.Style, wgs orb.Geometry, opt Options, name string) {
	var at orb.Point
	var err error
	if opt.LabelPoint != nil {
		at, err = opt.LabelPoint(wgs)
	}
	if opt.LabelPoint == nil || err != nil {
		at = wgs.Bound().Center()
	}
	p, err := CRS.FromWGS84(at)
	if err != nil {
		d.err = fmt.Errorf("dxf: label of %s: %w", f.ID, err)
		return
	}
	d.text(layer, f.ID, st, p, areaTextHeight, 0, name)
}

// alongLine returns the middle of a line (by length) and the direction of
// the segment there in degrees, turned to read left to right.
func alongLine(ls orb.LineString) (orb.Point, float64) {
	if len(ls) == 0 {
		return orb.Point{}, 0
	}
	total := 0.0
	for i := 1; i < len(ls); i++ {
		total += dist(ls[i-1], ls[i])
	}
	want := total / 2
	for i := 1; i < len(ls); i++ {
		seg := dist(ls[i-1], ls[i])
		if seg > 0 && want <= seg {
			t := want / seg
			a, b := ls[i-1], ls[i]
			angle := math.Atan2(b[1]-a[1], b[0]-a[0]) * 180 / math.Pi
			if angle > 90 {
				angle -= 180
			} else if angle < -90 {
				angle += 180
			}
			return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, angle
		}
		want -= seg
	}
	return ls[0], 0
}

func dist(a, b orb.Point) float64 { return math.Hypot(b[0]-a[0], b[1]-a[1]) }

// common writes the group codes every entity starts with.
func (d *writer) common(kind, layer string, st style.Style, subclass string) {
	d.pair(0, kind)
	d.pair(5, d.next())
	d.pair(330, handleModelSpaceRecord)
	d.pair(100, "AcDbEntity")
	d.str(8, layer)
	c := st.Stroke
	if kind == "HATCH" {
		c = st.Fill
	}
	d.int(62, ACI(c.R, c.G, c.B))
	d.int(420, int(c.R)<<16|int(c.G)<<8|int(c.B))
	if kind == "HATCH" && c.A < 255 {
		// Transparency: 0x02000000 | alpha (255 = opaque).
		d.int(440, 0x02000000|int(c.A))
	}
	d.pair(100, subclass)
}

// xdata attaches the feature id.
func (d *writer) xdata(id string) {
	d.pair(1001, AppID)
	d.str(1000, id)
}

func (d *writer) point(layer, id string, st style.Style, p orb.Point) {
	d.common("POINT", layer, st, "AcDbPoint")
	d.xy(0, p[0], p[1])
	d.num(30, 0)
	d.xdata(id)
}

func (d *writer) polyline(layer, id string, st style.Style, pts []orb.Point, closed bool) {
	if closed && len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	d.common("LWPOLYLINE", layer, st, "AcDbPolyline")
	d.int(90, len(pts))
	flags := 0
	if closed {
		flags = 1
	}
	d.int(70, flags)
	d.num(43, 0)
	for _, p := range pts {
		d.xy(0, p[0], p[1])
	}
	d.xdata(id)
}

// polygon writes each ring as a closed LWPOLYLINE and the whole as one solid
// HATCH whose boundary paths are the rings.
func (d *writer) polygon(layer, id string, st style.Style, mp orb.MultiPolygon) {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			d.polyline(layer, id, st, r, true)
			n++
		}
	}
	if !st.Filled {
		return
	}
	d.common("HATCH", layer, st, "AcDbHatch")
	d.xy(0, 0, 0)
	d.num(30, 0)
	d.num(210, 0)
	d.num(220, 0)
	d.num(230, 1)
	d.pair(2, "SOLID")
	d.int(70, 1) // solid fill
	d.int(71, 0) // not associative
	d.int(91, n)
	for _, p := range mp {
		for i, r := range p {
			pts := []orb.Point(r)
			if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
				pts = pts[:len(pts)-1]
			}
			flag := 2 // polyline
			if i == 0 {
				flag |= 1 // external
			}
			d.int(92, flag)
			d.int(72, 0) // no bulges
			d.int(73, 1) // closed
			d.int(93, len(pts))
			for _, q := range pts {
				d.xy(0, q[0], q[1])
			}
			d.int(97, 0)
		}
	}
	d.int(75, 0) // normal (odd parity) hatch style
	d.int(76, 1) // predefined pattern
	d.int(98, 0)
	d.xdata(id)
}

func (d *writer) text(layer, id string, st style.Style, at orb.Point, height, angle float64, s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	d.common("TEXT", layer, st, "AcDbText")
	d.xy(0, at[0], at[1])
	d.num(30, 0)
	d.num(40, height)
	d.str(1, s)
	if angle != 0 {
		d.num(50, angle)
	}
	d.str(7, TextStyle)
	d.pair(100, "AcDbText")
	d.xdata(id)
}
