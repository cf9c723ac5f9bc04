// Package report makes the site report (选址核查报告) for a point or a
// parcel: the locate answers (area, cities, bases, corridor with shares,
// distances), the plan's own text for the area, city and base with its
// chapter and section, the coordinates in WGS84 and EPSG:4547, the data's
// accuracy notice and the date — as JSON, and as a one-page A4 PDF drawn in
// Go (pdf.go) with a vector map excerpt of the layers.
//
// GET /api/v1/report?lon=&lat=[&crs=][&format=pdf] and POST /api/v1/report
// (a GeoJSON parcel) [?crs=][&format=pdf]; Accept: application/pdf works too.
package report

import (
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"hetang/internal/crs"
	"hetang/internal/layout"
	"hetang/internal/locate"
)

// Subject kinds.
const (
	SubjectPoint  = "point"
	SubjectParcel = "parcel"
)

// AccuracyNoticeZH and AccuracyNoticeEN say what the data is and is not.
const (
	AccuracyNoticeZH = "数据说明：本服务的规划布局图层是依据《株洲市荷塘区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》的文字和示意图所作的示意性数字化，并非测绘成果；片区、两城、基地、道路等范围和走向均为近似，本报告的判定和距离亦为近似，仅供参考。区界为概化的网络地图数据（数十米精度），非法定界线。"
	AccuracyNoticeEN = layout.Notice
)

// Subject is what the report is about.
type Subject struct {
	Kind string `json:"kind"`
	// Name is what the user called it (name=, or a parcel's properties.name).
	Name string `json:"name,omitempty"`
	// CRS is the frame the input was given in.
	CRS string `json:"crs"`
	// Input is the point as given (x-first), for a point.
	Input *[2]float64 `json:"input,omitempty"`
	// Geometry is the parcel in WGS84 (GeoJSON), for a parcel.
	Geometry orb.Geometry `json:"-"`
	AreaM2   float64      `json:"area_m2,omitempty"`
}

// PlanText is the plan's own words about a feature the subject is in.
type PlanText struct {
	For     string `json:"for"` // area | city | base | corridor
	ID      string `json:"id"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en"`
	Section string `json:"section"`  // 第五章 发展空间布局 · 第一节 空间布局
	PlanRef string `json:"plan_ref"` // the feature's plan_ref
	TextZH  string `json:"text_zh"`
	TextEN  string `json:"text_en"`
}

// Coordinates are the subject's point (a parcel's centroid) in WGS84 and
// EPSG:4547, x-first.
type Coordinates struct {
	WGS84    [2]float64  `json:"wgs84"`
	EPSG4547 *[2]float64 `json:"epsg4547"`
}

// Report is the JSON body of /api/v1/report.
type Report struct {
	Title            string      `json:"title"`
	GeneratedAt      string      `json:"generated_at"`
	Date             string      `json:"date"`
	DataVersion      string      `json:"data_version"`
	LayoutVersion    int64       `json:"layout_version"`
	Subject          Subject     `json:"subject"`
	Answers          any         `json:"answers"` // *locate.PointAnswer or *locate.PolygonAnswer
	PlanText         []PlanText  `json:"plan_text"`
	Coordinates      Coordinates `json:"coordinates"`
	AccuracyNoticeZH string      `json:"accuracy_notice_zh"`
	AccuracyNoticeEN string      `json:"accuracy_notice_en"`

	point   *locate.PointAnswer
	polygon *locate.PolygonAnswer
	wgs     orb.Point // the subject's point in WGS84
}

// Title of every report.
const Title = "选址核查报告 Site check report"

// dateZone is the time zone of the report's date (China Standard Time).
var dateZone = time.FixedZone("CST", 8*3600)

func newReport(ly *layout.Layout, now time.Time) *Report {
	t := now.In(dateZone)
	return &Report{
		Title: Title, GeneratedAt: t.Format(time.RFC3339), Date: t.Format("2006-01-02"), DataVersion: ly.Version,
		PlanText: []PlanText{}, AccuracyNoticeZH: AccuracyNoticeZH, AccuracyNoticeEN: AccuracyNoticeEN,
	}
}

// ForPoint builds the report of a point answer.
func ForPoint(ly *layout.Layout, a *locate.PointAnswer, now time.Time) *Report {
	r := newReport(ly, now)
	in := [2]float64{a.Query.Lon, a.Query.Lat}
	r.Subject = Subject{Kind: SubjectPoint, CRS: a.Query.CRS, Input: &in}
	r.Answers, r.point, r.LayoutVersion = a, a, a.LayoutVersion
	if a.WGS84 != nil {
		r.wgs = orb.Point{a.WGS84[0], a.WGS84[1]}
	}
	r.Coordinates = coordinates(r.wgs)
	if a.Area != nil {
		r.addPlanText(ly, "area", a.Area.ID)
	}
	for _, c := range a.Cities {
		r.addPlanText(ly, "city", c.ID)
	}
	for _, b := range a.Bases {
		r.addPlanText(ly, "base", b.ID)
	}
	if a.InCorridor {
		r.addCorridor(ly)
	}
	return r
}

// ForParcel builds the report of a parcel answer; w is the parcel in WGS84.
func ForParcel(ly *layout.Layout, a *locate.PolygonAnswer, w orb.Geometry, now time.Time) *Report {
	r := newReport(ly, now)
	r.Subject = Subject{Kind: SubjectParcel, CRS: a.CRS, Geometry: w, AreaM2: a.AreaM2}
	r.Answers, r.polygon, r.LayoutVersion = a, a, a.LayoutVersion
	c, _ := planar.CentroidArea(w)
	r.wgs = c
	r.Coordinates = coordinates(c)
	for _, o := range a.Areas {
		r.addPlanText(ly, "area", o.ID)
	}
	for _, o := range a.Cities {
		r.addPlanText(ly, "city", o.ID)
	}
	for _, o := range a.Bases {
		r.addPlanText(ly, "base", o.ID)
	}
	if a.InCorridor {
		r.addCorridor(ly)
	}
	return r
}

func (r *Report) addCorridor(ly *layout.Layout) {
	if l, err := ly.Layer("corridor"); err == nil && len(l.Features) > 0 {
		r.addPlanText(ly, "corridor", l.Features[0].ID)
	}
}

func coordinates(w orb.Point) Coordinates {
	c := Coordinates{WGS84: [2]float64{round(w[0], 8), round(w[1], 8)}}
	if gk, err := crs.CGCSGK.FromWGS84(w); err == nil && finite(gk[0]) && finite(gk[1]) {
		c.EPSG4547 = &[2]float64{round(gk[0], 3), round(gk[1], 3)}
	}
	return c
}

// addPlanText adds the plan's text of feature id, once per text (the two
// cities share one sentence).
func (r *Report) addPlanText(ly *layout.Layout, what, id string) {
	f := findFeature(ly, id)
	if f == nil {
		return
	}
	str := func(k string) string { s, _ := f.Properties[k].(string); return s }
	pt := PlanText{For: what, ID: id, NameZH: str(layout.PropNameZH), NameEN: str(layout.PropNameEN),
		Section: str(PropPlanSectionZH), PlanRef: str(layout.PropPlanRef), TextZH: str(PropPlanTextZH), TextEN: str(PropPlanTextEN)}
	if pt.TextZH == "" {
		return
	}
	for i, o := range r.PlanText {
		if o.TextZH == pt.TextZH {
			r.PlanText[i].NameZH += "、" + pt.NameZH
			r.PlanText[i].NameEN += ", " + pt.NameEN
			return
		}
	}
	r.PlanText = append(r.PlanText, pt)
}

// Properties of areas, cities, bases and the corridor holding the plan's
// text (geodata/layers; quoted from the public plan with its section).
const (
	PropPlanSectionZH = "plan_section_zh"
	PropPlanTextZH    = "plan_text_zh"
	PropPlanTextEN    = "plan_text_en"
)

func findFeature(ly *layout.Layout, id string) *layout.Feature {
	for _, l := range ly.Layers {
		for _, f := range l.Features {
			if f.ID == id {
				return f
			}
		}
	}
	return nil
}
