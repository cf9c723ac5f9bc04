package plandata

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/twpayne/go-geos"

	"hetang/internal/gcj02"
	"hetang/internal/geosorb"
	"hetang/internal/layout"
)

// Finding is one failed data check.
type Finding struct {
	Check   string `json:"check"`
	Layer   string `json:"layer,omitempty"`
	Feature string `json:"feature,omitempty"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	where := f.Layer
	if f.Feature != "" {
		where += "/" + f.Feature
	}
	return fmt.Sprintf("%s: %s: %s", f.Check, where, f.Message)
}

// Tolerances of the data checks.
const (
	// AreaPartitionTolerance is the largest accepted relative difference
	// between the union of the areas and the district.
	AreaPartitionTolerance = 0.001
	// MaxOverlapM2 is the largest accepted overlap between two areas.
	MaxOverlapM2 = 1.0
	// ContainmentToleranceM is how far outside the district an unflagged
	// feature may reach (the boundary itself is generalised to tens of metres).
	ContainmentToleranceM = 30.0
)

// GazetteerPoint is one row of reference/gazetteer.csv converted to WGS84.
type GazetteerPoint struct {
	NameZH, Kind, CRS, Source string
	Point                     orb.Point // WGS84
}

// ReadGazetteer reads reference/gazetteer.csv and converts every point to
// WGS84 (GCJ-02 and BD-09 rows by package gcj02; rows of unknown frame are
// taken as WGS84, as the file's note suggests).
func ReadGazetteer(fsys fs.FS) ([]GazetteerPoint, error) {
	b, err := fs.ReadFile(fsys, "reference/gazetteer.csv")
	if err != nil {
		return nil, fmt.Errorf("plandata: reading gazetteer: %w", err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("plandata: gazetteer: %w", err)
	}
	var out []GazetteerPoint
	for i, r := range rows {
		if i == 0 || len(r) < 6 {
			continue
		}
		lon, err1 := strconv.ParseFloat(r[2], 64)
		lat, err2 := strconv.ParseFloat(r[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("plandata: gazetteer row %d: bad coordinates", i+1)
		}
		switch {
		case strings.HasPrefix(r[4], "GCJ"):
			lon, lat = gcj02.ToWGS84(lon, lat)
		case strings.HasPrefix(r[4], "BD"):
			lon, lat = gcj02.BD09ToWGS84(lon, lat)
		}
		out = append(out, GazetteerPoint{NameZH: r[0], Kind: r[1], CRS: r[4], Source: r[5], Point: orb.Point{lon, lat}})
	}
	return out, nil
}

// metresPerDegree gives a local scale for converting small planar distances
// in degrees near lat to metres (adequate for check tolerances of tens of metres).
func metresPerDegree(lat float64) float64 {
	return 111_320 * math.Sqrt((1+math.Pow(math.Cos(lat*math.Pi/180), 2))/2)
}

// Check runs every data check on a built layout and returns what failed
// (nothing, for good data). gaz is the reference gazetteer.
// internalFile matches mentions of working files (LAYOUT.md, notes.txt)
// that readers of the data cannot open.
var internalFile = regexp.MustCompile(`(?i)\b[\w-]+\.(?:md|txt|docx?)\b`)

func Check(lay *layout.Layout, gaz []GazetteerPoint) []Finding {
	var out []Finding
	add := func(check, layer, feature, format string, args ...any) {
		out = append(out, Finding{Check: check, Layer: layer, Feature: feature, Message: fmt.Sprintf(format, args...)})
	}
	geoms := map[string]*geos.Geom{}
	seenID := map[string]string{}
	for _, ly := range lay.Layers {
		names := map[string]string{}
		for _, f := range ly.Features {
			if prev, dup := seenID[f.ID]; dup {
				add("unique-id", ly.ID, f.ID, "id also used in layer %s", prev)
			}
			seenID[f.ID] = ly.ID
			name, _ := f.Properties[layout.PropNameZH].(string)
			if prev, dup := names[name]; dup {
				add("unique-name", ly.ID, f.ID, "name_zh %q also used by %s", name, prev)
			}
			names[name] = f.ID
			for _, p := range layout.CommonProperties() {
				if s, _ := f.Properties[p].(string); strings.TrimSpace(s) == "" {
					add("provenance", ly.ID, f.ID, "property %s is missing or empty", p)
				}
			}
			for _, p := range layout.ZHProperties() {
				if s, _ := f.Properties[p].(string); strings.TrimSpace(s) == "" {
					add("zh", ly.ID, f.ID, "property %s (the Chinese form) is missing or empty", p)
				}
			}
			for k, v := range f.Properties {
				if s, ok := v.(string); ok && internalFile.MatchString(s) {
					add("internal-file", ly.ID, f.ID, "property %s names a working file (%s); say what it means instead", k, internalFile.FindString(s))
				}
			}
			g, bad := validity(ly.ID, f)
			if bad != nil {
				out = append(out, *bad)
			}
			if g != nil {
				geoms[f.ID] = g
			}
		}
	}

	district, err := lay.Layer(layout.LayerDistrict)
	if err != nil || len(district.Features) != 1 {
		add("district", layout.LayerDistrict, "", "the district layer must hold exactly one feature")
		return out
	}
	dg := geoms[district.Features[0].ID]
	if dg == nil {
		return out
	}
	out = append(out, checkAreas(lay, dg, geoms)...)
	out = append(out, checkContainment(lay, dg, geoms)...)
	out = append(out, checkPlanStructure(lay, geoms)...)
	out = append(out, checkGazetteer(lay, dg, geoms, gaz)...)
	return out
}

// validity converts a feature's geometry to GEOS and checks it is valid:
// the GEOS geometry (nil when it cannot be converted) and the finding, if
// any.
func validity(layer string, f *layout.Feature) (*geos.Geom, *Finding) {
	g, err := geosorb.ToGEOS(nil, f.Geometry)
	if err != nil {
		return nil, &Finding{Check: "valid", Layer: layer, Feature: f.ID, Message: err.Error()}
	}
	if !g.IsValid() {
		return g, &Finding{Check: "valid", Layer: layer, Feature: f.ID, Message: "invalid geometry: " + g.IsValidReason()}
	}
	return g, nil
}

// CheckValid runs the validity check (GEOS) on every feature of one layer:
// what Check reports as "valid" findings for it. The layout-wide checks
// (the areas' partition, containment) overlay invalid geometry slowly or
// not at all, so an import checks this first.
func CheckValid(ly *layout.Layer) []Finding {
	var out []Finding
	for _, f := range ly.Features {
		if _, bad := validity(ly.ID, f); bad != nil {
			out = append(out, *bad)
		}
	}
	return out
}

func checkAreas(lay *layout.Layout, district *geos.Geom, geoms map[string]*geos.Geom) []Finding {
	var out []Finding
	areas, err := lay.Layer(layout.LayerAreas)
	if err != nil {
		return []Finding{{Check: "areas", Message: "no areas layer"}}
	}
	if len(areas.Features) != 5 {
		out = append(out, Finding{Check: "areas", Layer: layout.LayerAreas, Message: fmt.Sprintf("%d areas, the plan has 5", len(areas.Features))})
	}
	var union *geos.Geom
	for i, f := range areas.Features {
		g := geoms[f.ID]
		if g == nil {
			continue
		}
		if union == nil {
			union = g
		} else {
			union = union.Union(g)
		}
		for _, h := range areas.Features[i+1:] {
			hg := geoms[h.ID]
			if hg == nil || !g.Intersects(hg) {
				continue
			}
			if a := AreaM2(g.Intersection(hg)); a >= MaxOverlapM2 {
				out = append(out, Finding{Check: "areas-overlap", Layer: layout.LayerAreas, Feature: f.ID, Message: fmt.Sprintf("overlaps %s by %.1f m²", h.ID, a)})
			}
		}
	}
	if union == nil {
		return out
	}
	dA := AreaM2(district)
	diff := AreaM2(district.SymDifference(union))
	if diff/dA >= AreaPartitionTolerance {
		out = append(out, Finding{Check: "areas-partition", Layer: layout.LayerAreas, Message: fmt.Sprintf("union of areas differs from the district by %.0f m² (%.3f %%)", diff, 100*diff/dA)})
	}
	return out
}

// AreaM2 returns the ellipsoid-free spherical area of a GEOS lon/lat geometry
// in square metres (orb/geo on the WGS84 mean radius; good to a fraction of a
// percent at this size, which is all the checks need).
func AreaM2(g *geos.Geom) float64 {
	og, err := geosorb.FromGEOS(g)
	if err != nil {
		return 0
	}
	return geo.Area(og)
}

func flaggedBeyond(f *layout.Feature) bool {
	v, _ := f.Properties[layout.PropExtendsBeyond].(bool)
	return v
}

func checkContainment(lay *layout.Layout, district *geos.Geom, geoms map[string]*geos.Geom) []Finding {
	var out []Finding
	c := district.Centroid()
	lat := c.Y()
	tol := ContainmentToleranceM / metresPerDegree(lat)
	zone := district.Buffer(tol, 8)
	for _, ly := range lay.Layers {
		if ly.ID == layout.LayerDistrict || ly.ID == layout.LayerNeighbours {
			continue
		}
		for _, f := range ly.Features {
			g := geoms[f.ID]
			if g == nil {
				continue
			}
			inside := zone.Covers(g)
			switch {
			case !inside && !flaggedBeyond(f):
				out = append(out, Finding{Check: "containment", Layer: ly.ID, Feature: f.ID, Message: fmt.Sprintf("reaches more than %.0f m outside the district but is not flagged %s", ContainmentToleranceM, layout.PropExtendsBeyond)})
			case inside && flaggedBeyond(f):
				out = append(out, Finding{Check: "containment", Layer: ly.ID, Feature: f.ID, Message: "flagged as extending beyond the district but lies inside it"})
			}
		}
	}
	return out
}

// checkPlanStructure checks counts and placements the plan states.
func checkPlanStructure(lay *layout.Layout, geoms map[string]*geos.Geom) []Finding {
	var out []Finding
	count := func(layer string, want int) {
		ly, err := lay.Layer(layer)
		if err != nil {
			out = append(out, Finding{Check: "structure", Layer: layer, Message: "layer missing"})
			return
		}
		if len(ly.Features) != want {
			out = append(out, Finding{Check: "structure", Layer: layer, Message: fmt.Sprintf("%d features, the plan has %d", len(ly.Features), want)})
		}
	}
	count(layout.LayerCities, 2)
	count(layout.LayerAxis, 1)
	count(layout.LayerChain, 1)
	count(layout.LayerChainNodes, 4)
	count(layout.LayerRoads, 12)
	count(layout.LayerCorridor, 1)
	count(layout.LayerBases, 5)
	count(layout.LayerAgri, 3)

	if roads, err := lay.Layer(layout.LayerRoads); err == nil {
		n := map[string]int{}
		for _, f := range roads.Features {
			cl, _ := f.Properties["class"].(string)
			n[cl]++
		}
		if n["vertical"] != 5 || n["horizontal"] != 7 {
			out = append(out, Finding{Check: "structure", Layer: layout.LayerRoads, Message: fmt.Sprintf("%d vertical and %d horizontal roads, the plan has 5 and 7", n["vertical"], n["horizontal"])})
		}
	}
	// Bases: south of the corridor below the middle ones below the north ones, all touching the corridor.
	bases, err1 := lay.Layer(layout.LayerBases)
	corr, err2 := lay.Layer(layout.LayerCorridor)
	if err1 == nil && err2 == nil && len(corr.Features) == 1 {
		cg := geoms[corr.Features[0].ID]
		rank := map[string]int{"south": 0, "middle": 1, "north": 2}
		maxLat := [3]float64{-90, -90, -90}
		minLat := [3]float64{90, 90, 90}
		for _, f := range bases.Features {
			pos, _ := f.Properties["position"].(string)
			r, ok := rank[pos]
			g := geoms[f.ID]
			if !ok || g == nil {
				out = append(out, Finding{Check: "bases", Layer: layout.LayerBases, Feature: f.ID, Message: fmt.Sprintf("position %q must be south, middle or north", pos)})
				continue
			}
			if cg != nil && !cg.Intersects(g) {
				out = append(out, Finding{Check: "bases", Layer: layout.LayerBases, Feature: f.ID, Message: "does not touch the corridor"})
			}
			y := g.Centroid().Y()
			maxLat[r] = math.Max(maxLat[r], y)
			minLat[r] = math.Min(minLat[r], y)
		}
		if maxLat[0] >= minLat[1] || maxLat[1] >= minLat[2] {
			out = append(out, Finding{Check: "bases", Layer: layout.LayerBases, Message: "bases are not ordered south < middle < north along the corridor"})
		}
	}
	return out
}

// checkGazetteer checks that the public reference points fall where the plan
// puts them.
func checkGazetteer(lay *layout.Layout, district *geos.Geom, geoms map[string]*geos.Geom, gaz []GazetteerPoint) []Finding {
	var out []Finding
	type expect struct {
		name, kind, crsPrefix string
		featureID             string  // the feature the point must be in or near
		withinM               float64 // 0: must be inside
	}
	expects := []expect{
		{"荷塘区", "government_area", "WGS84", "area-shuizhuhu", 0},
		{"仙庾岭", "poi", "WGS84", "area-hetang-moonlight", 0},
		{"婆仙岭", "poi", "WGS84", "area-hetang-moonlight", 200},
		{"株洲站", "poi", "WGS84", "area-cbd", 300},
		{"株洲站", "poi", "BD-09", "area-cbd", 300},
		{"红旗路", "road_point", "unknown", "road-hongqi", 200},
		{"红旗路", "road_point", "unknown", "area-cbd", 0},
	}
	for _, e := range expects {
		target := geoms[e.featureID]
		if target == nil {
			out = append(out, Finding{Check: "gazetteer", Feature: e.featureID, Message: "feature missing"})
			continue
		}
		for _, gp := range gaz {
			if gp.NameZH != e.name || gp.Kind != e.kind || !strings.HasPrefix(gp.CRS, e.crsPrefix) {
				continue
			}
			pt := geos.NewPoint([]float64{gp.Point[0], gp.Point[1]})
			d := target.Distance(pt) * metresPerDegree(gp.Point[1])
			if (e.withinM == 0 && !target.Covers(pt)) || d > e.withinM {
				out = append(out, Finding{Check: "gazetteer", Feature: e.featureID, Message: fmt.Sprintf("%s (%s, %s) at %.6f,%.6f is %.0f m from it, want %s", gp.NameZH, gp.CRS, gp.Source, gp.Point[0], gp.Point[1], d, map[bool]string{true: "inside", false: fmt.Sprintf("within %.0f m", e.withinM)}[e.withinM == 0])})
			}
		}
	}
	return out
}
