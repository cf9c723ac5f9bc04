// Package plandata turns the reviewable source data in geodata/ into the
// layout and checks it against the plan: Build reads the GCJ-02 reference
// boundaries and the authored layers, converts them to WGS84 and clips the
// five areas so that they partition the district (with GEOS); Check runs the
// data checks (validity, the areas partition, containment, provenance, the
// plan's structure and the gazetteer anchors) and lists what failed.
//
// The model the build produces lives in package layout, which needs no C
// library; everything here that needs GEOS stays here.
package plandata

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"
	"github.com/twpayne/go-geos"

	"hetang/internal/gcj02"
	"hetang/internal/geosorb"
	"hetang/internal/layout"
)

// Source file names inside the geodata file system.
const (
	referenceDistrict  = "reference/hetang_430202_datav_gcj02.json"
	referenceDistricts = "reference/zhuzhou_districts_datav_gcj02.json"
	layersDir          = "layers"
)

// HetangAdcode is the administrative division code of Hetang District.
const HetangAdcode = 430202

const (
	boundarySource   = "DataV GeoAtlas 430200/430202 (Amap administrative boundary, GCJ-02), converted to WGS84 by this project's internal/gcj02"
	boundaryAccuracy = "approximate: generalised web-map boundary (tens of metres), not a legal or surveyed boundary"
	// The same in Chinese (source_zh, accuracy_zh).
	boundarySourceZH   = "DataV.GeoAtlas 430200/430202（高德行政区划边界，GCJ-02），由本项目 internal/gcj02 转换为 WGS84"
	boundaryAccuracyZH = "近似：网络地图概化边界（数十米），非法定或测绘边界"
)

// englishNames gives English names for the Zhuzhou districts and counties in the reference data.
var englishNames = map[string]string{
	"荷塘区": "Hetang District", "芦淞区": "Lusong District", "石峰区": "Shifeng District",
	"天元区": "Tianyuan District", "渌口区": "Lukou District", "醴陵市": "Liling City",
	"攸县": "You County", "茶陵县": "Chaling County", "炎陵县": "Yanling County",
}

// Build assembles the whole layout from a geodata file system (see package
// geodata): the district boundary and its neighbours converted from the
// GCJ-02 reference files, the authored layers under layers/, and the five
// areas clipped from their sketches so that they partition the district.
func Build(fsys fs.FS) (*layout.Layout, error) {
	h := sha256.New()
	read := func(name string) ([]byte, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("plandata: reading %s: %w", name, err)
		}
		h.Write([]byte(name))
		h.Write(b)
		return b, nil
	}

	districtSrc, err := read(referenceDistrict)
	if err != nil {
		return nil, err
	}
	district, err := districtLayer(districtSrc)
	if err != nil {
		return nil, err
	}
	neighboursSrc, err := read(referenceDistricts)
	if err != nil {
		return nil, err
	}
	neighbours, err := neighboursLayer(neighboursSrc)
	if err != nil {
		return nil, err
	}

	byID := map[string]*layout.Layer{layout.LayerDistrict: district, layout.LayerNeighbours: neighbours}
	names, err := fs.Glob(fsys, path.Join(layersDir, "*.geojson"))
	if err != nil {
		return nil, fmt.Errorf("plandata: listing layers: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		ly, err := ParseLayer(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, dup := byID[ly.ID]; dup {
			return nil, fmt.Errorf("plandata: %s: layer id %q defined twice", name, ly.ID)
		}
		byID[ly.ID] = ly
	}
	if areas, ok := byID[layout.LayerAreas]; ok {
		if err := partitionAreas(areas, district); err != nil {
			return nil, err
		}
	}

	lay := &layout.Layout{Version: hex.EncodeToString(h.Sum(nil))[:16]}
	for _, id := range layout.LayerOrder {
		if ly, ok := byID[id]; ok {
			lay.Layers = append(lay.Layers, ly)
			delete(byID, id)
		} else {
			return nil, fmt.Errorf("plandata: layer %q is missing from the sources", id)
		}
	}
	extra := make([]string, 0, len(byID))
	for id := range byID {
		extra = append(extra, id)
	}
	slices.Sort(extra)
	for _, id := range extra {
		lay.Layers = append(lay.Layers, byID[id])
	}
	for _, ly := range lay.Layers {
		ly.Complete()
	}
	return lay, nil
}

// dataVFeature reads the reference files' features (either a bare array of
// features or a FeatureCollection) and converts their geometry to WGS84.
func dataVFeatures(b []byte) ([]*geojson.Feature, error) {
	var fc geojson.FeatureCollection
	if err := json.Unmarshal(b, &fc); err == nil && len(fc.Features) > 0 {
		return convertGCJ(fc.Features), nil
	}
	var arr []*geojson.Feature
	if err := json.Unmarshal(b, &arr); err != nil {
		return nil, fmt.Errorf("plandata: reference boundary is neither a FeatureCollection nor an array of features: %w", err)
	}
	return convertGCJ(arr), nil
}

func convertGCJ(fs []*geojson.Feature) []*geojson.Feature {
	for _, f := range fs {
		f.Geometry = project.Geometry(f.Geometry, func(p orb.Point) orb.Point {
			lon, lat := gcj02.ToWGS84(p[0], p[1])
			return orb.Point{lon, lat}
		})
	}
	return fs
}

func adcodeOf(f *geojson.Feature) int {
	v, _ := f.Properties["adcode"].(float64)
	return int(v)
}

func boundaryFeature(id, kind string, f *geojson.Feature) *layout.Feature {
	nameZH, _ := f.Properties["name"].(string)
	nameEN := englishNames[nameZH]
	g := f.Geometry
	if p, ok := g.(orb.Polygon); ok {
		g = orb.MultiPolygon{p}
	}
	return &layout.Feature{
		ID:       id,
		Geometry: g,
		Properties: map[string]any{
			layout.PropID: id, layout.PropNameZH: nameZH, layout.PropNameEN: nameEN, layout.PropKind: kind,
			layout.PropPlanRef:       "第一章 (Ch.1) 区情; administrative division",
			layout.PropDescription:   fmt.Sprintf("Administrative boundary of %s (adcode %d), as published on web maps.", nameEN, adcodeOf(f)),
			layout.PropSource:        boundarySource,
			layout.PropAccuracy:      boundaryAccuracy,
			layout.PropDescriptionZH: fmt.Sprintf("%s行政区域边界（行政区划代码 %d），取自网络地图公开数据。", nameZH, adcodeOf(f)),
			layout.PropKindZH:        map[string]string{"district": "区", "neighbour_district": "相邻区县"}[kind],
			layout.PropSourceZH:      boundarySourceZH,
			layout.PropAccuracyZH:    boundaryAccuracyZH,
			"adcode":                 float64(adcodeOf(f)),
		},
	}
}

func districtLayer(b []byte) (*layout.Layer, error) {
	fs, err := dataVFeatures(b)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if adcodeOf(f) == HetangAdcode {
			feat := boundaryFeature("district-hetang", "district", f)
			feat.Properties[layout.PropPlanRef] = "第五章 (Ch.5) 发展空间布局: the district the layout covers"
			return &layout.Layer{
				ID: layout.LayerDistrict, TitleZH: "荷塘区行政区域", TitleEN: "Hetang District boundary",
				Description:  "The district boundary (adcode 430202), converted from the GCJ-02 web-map boundary to WGS84.",
				GeometryType: "MultiPolygon",
				Features:     []*layout.Feature{feat},
			}, nil
		}
	}
	return nil, fmt.Errorf("plandata: reference boundary has no feature with adcode %d", HetangAdcode)
}

func neighboursLayer(b []byte) (*layout.Layer, error) {
	fs, err := dataVFeatures(b)
	if err != nil {
		return nil, err
	}
	ly := &layout.Layer{
		ID: layout.LayerNeighbours, TitleZH: "株洲市其他区县", TitleEN: "Neighbouring Zhuzhou districts",
		Description:  "The other districts and counties of Zhuzhou, for context on the map (generalised boundaries).",
		GeometryType: "MultiPolygon",
	}
	for _, f := range fs {
		code := adcodeOf(f)
		if code == HetangAdcode || code == 0 {
			continue
		}
		ly.Features = append(ly.Features, boundaryFeature(fmt.Sprintf("neighbour-%d", code), "neighbour_district", f))
	}
	return ly, nil
}

// GridSize is the precision grid (in degrees, about 0.1 mm) on which the
// district and the five areas are computed. Overlay on a fixed grid (GEOS
// OverlayNG) is robust and removes the zero-width spikes and slivers that
// floating-point overlay can leave where a sketch edge runs along the
// boundary — spikes that would turn invalid after any reprojection.
const GridSize = 1e-9

// partitionAreas replaces each area sketch by its share of the district:
// area_i = (sketch_i ∩ district) − ∪_{j<i} area_j, in file order, and the last
// area takes the whole remainder. The areas therefore cover the district
// exactly and do not overlap; each keeps its sketch's properties. The
// district itself is snapped to GridSize first so that areas and district
// share their vertices exactly.
func partitionAreas(areas, district *layout.Layer) error {
	if len(areas.Features) == 0 {
		return fmt.Errorf("plandata: areas layer is empty")
	}
	d, err := geosorb.ToGEOS(nil, district.Features[0].Geometry)
	if err != nil {
		return fmt.Errorf("plandata: district: %w", err)
	}
	d = d.SetPrecision(GridSize, geos.PrecisionRuleValidOutput)
	snapped, err := multiPolygonOf(d)
	if err != nil {
		return fmt.Errorf("plandata: district: %w", err)
	}
	district.Features[0].Geometry = snapped

	var taken *geos.Geom
	last := len(areas.Features) - 1
	for i, f := range areas.Features {
		var part *geos.Geom
		if i == last {
			part = d
		} else {
			sketch, err := geosorb.ToGEOS(nil, f.Geometry)
			if err != nil {
				return fmt.Errorf("plandata: area %s: %w", f.ID, err)
			}
			part = sketch.MakeValid().IntersectionPrec(d, GridSize)
		}
		if taken != nil {
			part = part.DifferencePrec(taken, GridSize)
		}
		if taken == nil {
			taken = part
		} else {
			taken = taken.UnionPrec(part, GridSize)
		}
		mp, err := multiPolygonOf(part)
		if err != nil {
			return fmt.Errorf("plandata: area %s: %w", f.ID, err)
		}
		f.Geometry = mp
	}
	areas.GeometryType = "MultiPolygon"
	return nil
}

// multiPolygonOf returns the polygonal part of a GEOS geometry as a MultiPolygon.
func multiPolygonOf(g *geos.Geom) (orb.MultiPolygon, error) {
	og, err := geosorb.FromGEOS(g)
	if err != nil {
		return nil, err
	}
	switch p := geosorb.Polygonal(og).(type) {
	case orb.Polygon:
		return orb.MultiPolygon{p}, nil
	case orb.MultiPolygon:
		return p, nil
	}
	return nil, fmt.Errorf("empty after clipping to the district")
}
