package report

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"hetang/internal/layout"
	"hetang/internal/locate"
)

// FontPaths are where the PDF's Chinese font is looked for, in order: a
// TrueType (glyf) font with CJK coverage, embedded as a subset with a
// ToUnicode map so that text extraction (pdftotext) gives the Chinese text
// back. Debian's fonts-droid-fallback installs the first; scripts/deps.sh
// installs it with `make run`. HETANG_REPORT_FONT overrides the list.
var FontPaths = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
}

// FontEnv names the environment variable overriding FontPaths.
const FontEnv = "HETANG_REPORT_FONT"

// ErrNoFont is returned when no usable CJK font is installed.
var ErrNoFont = errors.New("report: no Chinese TrueType font for the PDF: install Debian's fonts-droid-fallback (scripts/deps.sh does) or set HETANG_REPORT_FONT to a .ttf with CJK glyphs")

// font is the font file's bytes, read once.
var font = sync.OnceValues(func() ([]byte, error) {
	paths := FontPaths
	if p := os.Getenv(FontEnv); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".ttc") {
			continue // collections: fpdf reads single fonts only
		}
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, ErrNoFont
})

// FontAvailable reports whether PDFs can be made (and the error if not).
func FontAvailable() error {
	_, err := font()
	return err
}

// Page geometry (mm, A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 12.0
	mapX, mapY   = margin, 36.0
	mapW, mapH   = pageW - 2*margin, 100.0
)

// colours of the map layers (RGB).
var areaFill = map[string][3]int{
	"area-cbd": {253, 224, 221}, "area-shuizhuhu": {222, 235, 247}, "area-taiyang": {255, 240, 205},
	"area-jinshan": {229, 245, 224}, "area-hetang-moonlight": {239, 229, 247},
}

// PDF renders r on one A4 page.
func (r *Report) PDF(ly *layout.Layout) ([]byte, error) {
	cjk, err := font()
	if err != nil {
		return nil, err
	}
	latin, err := latinFont()
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetTitle("选址核查报告 Site check report", true)
	pdf.SetCreator("hetang", true)
	pdf.AddUTF8FontFromBytes(fontCJK, "", cjk)
	pdf.AddUTF8FontFromBytes(fontLatin, "", latin)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("report: font: %w", err)
	}
	pdf.AddPage()
	w := &writer{pdf: pdf}
	const textW = pageW - 2*margin

	// Header.
	w.setSize(16)
	w.line(margin, margin, 8, textW, "选址核查报告  Site check report", false)
	w.setSize(8)
	w.line(margin, margin, 3.8, textW, "日期 Date: "+r.Date, true)
	w.line(margin, margin+3.8, 3.8, textW, fmt.Sprintf("数据版本 Data version: %s（布局版本 layout version %d）", r.DataVersion, r.LayoutVersion), true)
	w.setSize(8.5)
	w.para(margin, margin+11, textW, 4, r.subjectLine(), 3)

	r.drawMap(pdf, w, ly)

	// Answers.
	y := mapY + mapH + 4
	w.setSize(11)
	w.line(margin, y, 6, textW, "查询结果 Answers", false)
	y += 7
	const labelW = 40
	for _, row := range r.answerRows() {
		w.setSize(8.5)
		pdf.SetTextColor(90, 90, 90)
		w.line(margin, y, 4.3, labelW, row[0], false)
		pdf.SetTextColor(0, 0, 0)
		y = w.para(margin+labelW, y, textW-labelW, 4.3, row[1], 3)
	}

	// The plan's text, as much as fits above the notice.
	const noticeTop = pageH - margin - 21
	y += 2
	if len(r.PlanText) > 0 && y < noticeTop-14 {
		w.setSize(11)
		w.line(margin, y, 6, textW, "规划原文 The plan's text", false)
		y += 7
	}
	for _, pt := range r.PlanText {
		if y > noticeTop-12.5 { // room for the heading and two lines
			break
		}
		w.setSize(8.5)
		pdf.SetTextColor(40, 70, 120)
		y = w.para(margin, y, textW, 4.3, fmt.Sprintf("%s %s · %s · %s", forZH[pt.For], pt.NameZH, pt.NameEN, pt.Section), 1)
		pdf.SetTextColor(0, 0, 0)
		w.setSize(8)
		room := int((noticeTop - y - 1) / 3.8)
		if room <= 0 {
			break
		}
		y = w.para(margin, y, textW, 3.8, "“"+pt.TextZH+"”", room) + 1.2
	}

	// Notice and source, at the foot.
	pdf.SetDrawColor(160, 160, 160)
	pdf.SetLineWidth(0.2)
	pdf.Line(margin, noticeTop-1.5, pageW-margin, noticeTop-1.5)
	w.setSize(6.8)
	pdf.SetTextColor(60, 60, 60)
	y = w.para(margin, noticeTop, textW, 3.1, AccuracyNoticeZH, 3)
	y = w.para(margin, y, textW, 3.1, AccuracyNoticeEN, 2)
	w.para(margin, y+0.5, textW, 3.1, "hetang · "+r.GeneratedAt+" · 地图为规划图层的示意矢量图，非测绘地图 / the map draws the schematic plan layers, not a survey map", 1)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("report: writing the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

var forZH = map[string]string{"area": "片区", "city": "城", "base": "基地", "corridor": "长廊"}

func (r *Report) subjectLine() string {
	c := r.Coordinates
	gk := "—"
	if c.EPSG4547 != nil {
		gk = fmt.Sprintf("E %.1f, N %.1f", c.EPSG4547[0], c.EPSG4547[1])
	}
	what := "点位 Point"
	if r.Subject.Kind == SubjectParcel {
		what = fmt.Sprintf("地块 Parcel %.2f 公顷 ha（中心点 centroid）", r.Subject.AreaM2/1e4)
	}
	if r.Subject.Name != "" {
		what += " “" + r.Subject.Name + "”"
	}
	return fmt.Sprintf("%s · WGS84 %.6f°E, %.6f°N · CGCS2000 / 3° GK CM114°E (EPSG:4547) %s", what, c.WGS84[0], c.WGS84[1], gk)
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func metres(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f km", v/1000)
	}
	return fmt.Sprintf("%.0f m", v)
}

// answerRows are the answers as label/value rows.
func (r *Report) answerRows() [][2]string {
	var rows [][2]string
	add := func(label, value string) { rows = append(rows, [2]string{label, value}) }
	join := func(parts []string) string {
		if len(parts) == 0 {
			return "无 none"
		}
		return strings.Join(parts, "；")
	}
	var near *locate.NearestSet
	switch {
	case r.point != nil:
		a := r.point
		switch {
		case a.OnBoundary:
			add("区内外 District", "区界上 on the district boundary")
		case a.InsideDistrict:
			add("区内外 District", "区内 inside Hetang District")
		default:
			add("区内外 District", fmt.Sprintf("区外 outside Hetang District（距区界 %s）", metres(a.DistanceToDistrictM)))
		}
		area := "—（区外 outside）"
		if a.Area != nil {
			area = a.Area.NameZH + " " + a.Area.NameEN
		}
		add("片区 Area", area)
		var cs, bs []string
		for _, c := range a.Cities {
			cs = append(cs, c.NameZH+" "+c.NameEN)
		}
		for _, b := range a.Bases {
			bs = append(bs, fmt.Sprintf("%s %s（%s）", b.NameZH, b.NameEN, b.Position))
		}
		add("两城 Cities", join(cs))
		add("基地 Bases", join(bs))
		add("产业长廊 Corridor", map[bool]string{true: "在长廊内 inside", false: "不在长廊内 outside"}[a.InCorridor])
		near = &a.Nearest
	case r.polygon != nil:
		a := r.polygon
		if len(a.Areas) == 0 {
			add("区内外 District", "区外 outside Hetang District")
		} else {
			add("区内外 District", "区内 inside（与区域重叠 overlaps the district）")
		}
		ov := func(os []locate.OverlapRef) string {
			var parts []string
			for _, o := range os {
				parts = append(parts, fmt.Sprintf("%s %s %s（%.0f m²）", o.NameZH, o.NameEN, pct(o.Share), o.OverlapM2))
			}
			return join(parts)
		}
		add("片区 Areas (share)", ov(a.Areas))
		add("两城 Cities (share)", ov(a.Cities))
		add("基地 Bases (share)", ov(a.Bases))
		add("产业长廊 Corridor", map[bool]string{true: "与长廊相交 intersects", false: "不与长廊相交 outside"}[a.InCorridor])
		if a.Repaired {
			add("几何修复 Repaired", a.RepairNote)
		}
		near = &a.Nearest
	}
	if near != nil {
		d := func(n *locate.NearestRef) string {
			if n == nil {
				return "—"
			}
			return metres(n.DistanceM)
		}
		add("距离 Distances", fmt.Sprintf("发展轴 axis %s · 生态链 chain %s · 长廊 corridor %s", d(near.Axis), d(near.Chain), d(near.Corridor)))
		var rs []string
		for i, rd := range near.Roads {
			if i == 3 {
				break
			}
			rs = append(rs, fmt.Sprintf("%s %s", rd.NameZH, metres(rd.DistanceM)))
		}
		add("最近道路 Nearest roads", join(rs))
	}
	return rows
}

// view maps WGS84 to the map frame (an equirectangular projection about
// the frame's centre, true to scale there: fine over a few kilometres).
type view struct {
	lon0, lat0, k float64 // k: mm per metre
	cosLat        float64
}

const mPerDegLat = 110_574.0

func (v view) xy(p orb.Point) (float64, float64) {
	x := (p[0] - v.lon0) * 111_320 * v.cosLat * v.k
	y := (p[1] - v.lat0) * mPerDegLat * v.k
	return mapX + mapW/2 + x, mapY + mapH/2 - y
}

// extent is the map's frame: the subject with a margin, at least about
// 4 km across; a point outside the district is shown with the district.
func (r *Report) extent(ly *layout.Layout) orb.Bound {
	const minHalf = 0.018 // degrees: about 2 km on each side
	b := orb.Bound{Min: r.wgs, Max: r.wgs}
	if r.Subject.Geometry != nil {
		b = r.Subject.Geometry.Bound()
	}
	outside := r.point != nil && !r.point.InsideDistrict || r.polygon != nil && len(r.polygon.Areas) == 0
	if d, err := ly.Layer("district"); outside && err == nil && len(d.Features) > 0 {
		b = b.Union(d.Features[0].Geometry.Bound())
	}
	c := b.Center()
	half := math.Max(math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])*0.7, minHalf)
	return orb.Bound{Min: orb.Point{c[0] - half, c[1] - half}, Max: orb.Point{c[0] + half, c[1] + half}}
}

func (r *Report) drawMap(pdf *fpdf.Fpdf, w *writer, ly *layout.Layout) {
	b := r.extent(ly)
	c := b.Center()
	v := view{lon0: c[0], lat0: c[1], cosLat: math.Cos(c[1] * math.Pi / 180)}
	wm := (b.Max[0] - b.Min[0]) * 111_320 * v.cosLat
	hm := (b.Max[1] - b.Min[1]) * mPerDegLat
	v.k = math.Min(mapW/wm, mapH/hm)
	if w := mapW / v.k; w > wm {
		wm = w
	}

	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.3)
	pdf.SetFillColor(248, 248, 245)
	pdf.Rect(mapX, mapY, mapW, mapH, "FD")
	pdf.ClipRect(mapX, mapY, mapW, mapH, false)

	layer := func(id string) []*layout.Feature {
		if l, err := ly.Layer(id); err == nil {
			return l.Features
		}
		return nil
	}
	// Areas, filled; the corridor hatched lightly; the district outline.
	pdf.SetLineWidth(0.2)
	for _, f := range layer("areas") {
		col := areaFill[f.ID]
		pdf.SetFillColor(col[0], col[1], col[2])
		pdf.SetDrawColor(150, 150, 150)
		drawPolygons(pdf, v, f.Geometry, "FD")
	}
	pdf.SetAlpha(0.25, "Normal")
	pdf.SetFillColor(200, 120, 40)
	for _, f := range layer("corridor") {
		drawPolygons(pdf, v, f.Geometry, "F")
	}
	pdf.SetAlpha(1, "Normal")
	pdf.SetDrawColor(40, 40, 40)
	pdf.SetLineWidth(0.5)
	pdf.SetDashPattern([]float64{2, 1}, 0)
	for _, f := range layer("district") {
		drawPolygons(pdf, v, f.Geometry, "D")
	}
	pdf.SetDashPattern(nil, 0)
	// Roads, then the axis on top.
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetLineWidth(0.6)
	for _, f := range layer("roads") {
		drawLines(pdf, v, f.Geometry)
	}
	pdf.SetDrawColor(200, 30, 30)
	pdf.SetLineWidth(1.0)
	for _, f := range layer("axis") {
		drawLines(pdf, v, f.Geometry)
	}
	// Labels: areas and roads whose anchor is in the frame.
	pdf.SetTextColor(60, 60, 60)
	w.setSize(8)
	for _, f := range layer("areas") {
		cx, cy := v.xy(labelPoint(f.Geometry, b))
		label(w, cx, cy, f.Properties[layout.PropNameZH])
	}
	w.setSize(6.5)
	for _, f := range layer("roads") {
		if p, ok := lineMid(f.Geometry, b); ok {
			cx, cy := v.xy(p)
			label(w, cx, cy, f.Properties[layout.PropNameZH])
		}
	}
	// The subject.
	pdf.SetDrawColor(0, 70, 200)
	pdf.SetFillColor(0, 70, 200)
	if r.Subject.Geometry != nil {
		pdf.SetLineWidth(0.8)
		pdf.SetAlpha(0.3, "Normal")
		drawPolygons(pdf, v, r.Subject.Geometry, "F")
		pdf.SetAlpha(1, "Normal")
		drawPolygons(pdf, v, r.Subject.Geometry, "D")
	} else {
		x, y := v.xy(r.wgs)
		pdf.SetLineWidth(0.4)
		pdf.Circle(x, y, 1.6, "FD")
		pdf.Line(x-4, y, x-2.2, y)
		pdf.Line(x+2.2, y, x+4, y)
		pdf.Line(x, y-4, x, y-2.2)
		pdf.Line(x, y+2.2, x, y+4)
	}
	pdf.ClipEnd()

	// North arrow (top right) and scale bar (bottom left).
	ax, ay := mapX+mapW-9, mapY+5
	pdf.SetFillColor(0, 0, 0)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	pdf.Polygon([]fpdf.PointType{{X: ax, Y: ay}, {X: ax - 2.5, Y: ay + 8}, {X: ax, Y: ay + 6.2}, {X: ax + 2.5, Y: ay + 8}}, "FD")
	w.setSize(8)
	pdf.SetTextColor(0, 0, 0)
	w.text(ax-w.width("N 北")/2, ay+12, "N 北")
	bar := niceLength(wm / 4)
	bw := bar * v.k
	sx, sy := mapX+5, mapY+mapH-6
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(sx-1.5, sy-4.5, bw+18, 7.5, "F")
	pdf.SetFillColor(0, 0, 0)
	pdf.Rect(sx, sy, bw/2, 1.2, "FD")
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(sx+bw/2, sy, bw/2, 1.2, "FD")
	w.setSize(7)
	w.text(sx-0.8, sy-1, "0")
	w.text(sx+bw-w.width(metres(bar))/2, sy-1, metres(bar))
	// Legend.
	lx, lyy := mapX+mapW-60, mapY+mapH-5
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(lx-2, lyy-4, 61, 6.5, "F")
	pdf.SetDrawColor(200, 30, 30)
	pdf.SetLineWidth(1)
	pdf.Line(lx, lyy-1, lx+5, lyy-1)
	w.text(lx+6, lyy, "发展轴")
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetLineWidth(0.6)
	pdf.Line(lx+16, lyy-1, lx+21, lyy-1)
	w.text(lx+22, lyy, "道路")
	pdf.SetAlpha(0.35, "Normal")
	pdf.SetFillColor(200, 120, 40)
	pdf.Rect(lx+30, lyy-2.5, 4, 3, "F")
	pdf.SetAlpha(1, "Normal")
	w.text(lx+35, lyy, "产业长廊")
	pdf.SetDrawColor(40, 40, 40)
	pdf.SetLineWidth(0.4)
	pdf.SetDashPattern([]float64{1.5, 0.8}, 0)
	pdf.Line(lx+47, lyy-1, lx+52, lyy-1)
	pdf.SetDashPattern(nil, 0)
	w.text(lx+53, lyy, "区界")
	pdf.SetLineWidth(0.3)
	pdf.SetDrawColor(0, 0, 0)
	pdf.Rect(mapX, mapY, mapW, mapH, "D")
}

// label sets name centred at (x, y) unless it leaves the frame or
// overlaps a label already set (areas are set first, so they win).
func label(w *writer, x, y float64, name any) {
	s, _ := name.(string)
	if s == "" || x < mapX+2 || x > mapX+mapW-2 || y < mapY+3 || y > mapY+mapH-2 {
		return
	}
	wd := w.width(s)
	box := orb.Bound{Min: orb.Point{x - wd/2 - 1, y - w.size*0.35 - 0.5}, Max: orb.Point{x + wd/2 + 1, y + 0.8}}
	for _, o := range w.placed {
		if o.Intersects(box) {
			return
		}
	}
	w.placed = append(w.placed, box)
	w.text(x-wd/2, y, s)
}

// labelPoint is where an area's label goes: its centroid if in the frame,
// else the centre of the part of its box inside the frame.
func labelPoint(g orb.Geometry, frame orb.Bound) orb.Point {
	c, _ := planarCentroid(g)
	if frame.Contains(c) {
		return c
	}
	b := g.Bound()
	i := orb.Bound{Min: orb.Point{math.Max(b.Min[0], frame.Min[0]), math.Max(b.Min[1], frame.Min[1])},
		Max: orb.Point{math.Min(b.Max[0], frame.Max[0]), math.Min(b.Max[1], frame.Max[1])}}
	return i.Center()
}

// lineMid is a vertex of a line inside the frame, near its middle.
func lineMid(g orb.Geometry, frame orb.Bound) (orb.Point, bool) {
	var pts []orb.Point
	switch x := g.(type) {
	case orb.LineString:
		pts = x
	case orb.MultiLineString:
		for _, l := range x {
			pts = append(pts, l...)
		}
	}
	var in []orb.Point
	for _, p := range pts {
		if frame.Contains(p) {
			in = append(in, p)
		}
	}
	if len(in) == 0 {
		return orb.Point{}, false
	}
	return in[len(in)/2], true
}

func drawPolygons(pdf *fpdf.Fpdf, v view, g orb.Geometry, style string) {
	switch x := g.(type) {
	case orb.Polygon:
		for _, ring := range x {
			pts := make([]fpdf.PointType, len(ring))
			for i, p := range ring {
				pts[i].X, pts[i].Y = v.xy(p)
			}
			pdf.Polygon(pts, style)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			drawPolygons(pdf, v, p, style)
		}
	}
}

func drawLines(pdf *fpdf.Fpdf, v view, g orb.Geometry) {
	switch x := g.(type) {
	case orb.LineString:
		for i := 1; i < len(x); i++ {
			x1, y1 := v.xy(x[i-1])
			x2, y2 := v.xy(x[i])
			pdf.Line(x1, y1, x2, y2)
		}
	case orb.MultiLineString:
		for _, l := range x {
			drawLines(pdf, v, l)
		}
	}
}

// niceLength rounds a length down to 1, 2 or 5 × 10^n metres.
func niceLength(m float64) float64 {
	if m <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{5, 2, 1} {
		if f*p <= m {
			return f * p
		}
	}
	return p
}

func round(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func planarCentroid(g orb.Geometry) (orb.Point, float64) { return planar.CentroidArea(g) }
