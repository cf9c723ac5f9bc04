package plandata_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"hetang/geodata"
	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/gcj02"
	"hetang/internal/geosorb"
	"hetang/internal/layout"
	"hetang/internal/plandata"
)

// TestDataChecks runs every data check on the embedded geodata: GEOS
// validity, the areas partition, containment, unique ids and names, plan
// structure and the gazetteer anchors. Good data yields no findings.
func TestDataChecks(t *testing.T) {
	lay := fixture.Layout(t)
	gaz, err := plandata.ReadGazetteer(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaz) < 8 {
		t.Fatalf("gazetteer has %d rows, want ≥ 8", len(gaz))
	}
	for _, f := range plandata.Check(lay, gaz) {
		t.Error(f)
	}
}

func TestLayerOrderAndIDs(t *testing.T) {
	lay := fixture.Layout(t)
	var got []string
	for _, ly := range lay.Layers {
		got = append(got, ly.ID)
	}
	if diff := cmp.Diff(layout.LayerOrder, got); diff != "" {
		t.Errorf("layer ids (-want +got):\n%s", diff)
	}
	if len(lay.Version) != 16 {
		t.Errorf("version %q, want 16 hex digits", lay.Version)
	}
}

// TestDistrictConvertedFromGCJ02 checks that the district layer is the
// reference GCJ-02 boundary converted by gcj02.ToWGS84: every vertex, mapped
// forward again, lands back on the reference vertex.
func TestDistrictConvertedFromGCJ02(t *testing.T) {
	lay := fixture.Layout(t)
	ly, _ := lay.Layer(layout.LayerDistrict)
	mp := ly.Features[0].Geometry.(orb.MultiPolygon)

	raw, err := geodata.FS.ReadFile("reference/hetang_430202_datav_gcj02.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref []struct {
		Geometry struct {
			Coordinates [][][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	// The build snaps the boundary to a 1e-9° grid, which may rotate ring
	// starts, so match each converted vertex to its nearest reference vertex.
	var refPts []orb.Point
	for _, poly := range ref[0].Geometry.Coordinates {
		for _, ring := range poly {
			for _, v := range ring {
				refPts = append(refPts, orb.Point(v))
			}
		}
	}
	n := 0
	for _, poly := range mp {
		for _, ring := range poly {
			for _, p := range ring {
				gx, gy := gcj02.FromWGS84(p[0], p[1])
				best, bestD := orb.Point{}, math.Inf(1)
				for _, r := range refPts {
					if d := geo.Distance(orb.Point{gx, gy}, r); d < bestD {
						best, bestD = r, d
					}
				}
				if bestD > 0.01 {
					t.Fatalf("converted vertex %v maps forward to %.3f m from the nearest reference vertex", p, bestD)
				}
				// The conversion moved the point by the GCJ-02 offset (several hundred metres here).
				if d := geo.Distance(p, best); d < 300 || d > 900 {
					t.Fatalf("vertex %v moved %.0f m, want the 300–900 m GCJ-02 offset", p, d)
				}
				n++
			}
		}
	}
	if n < 400 {
		t.Errorf("compared %d vertices, want the whole 433-vertex boundary", n)
	}
}

// TestAreasPartition checks the partition independently of Check: areas
// computed on the sphere add up to the district.
func TestAreasPartition(t *testing.T) {
	lay := fixture.Layout(t)
	d, _ := lay.Layer(layout.LayerDistrict)
	areas, _ := lay.Layer(layout.LayerAreas)
	dA := geo.Area(d.Features[0].Geometry)
	sum := 0.0
	for _, f := range areas.Features {
		a := geo.Area(f.Geometry)
		if a < 1e6 {
			t.Errorf("area %s is only %.0f m²", f.ID, a)
		}
		sum += a
	}
	if rel := math.Abs(sum-dA) / dA; rel > 1e-3 {
		t.Errorf("areas sum to %.0f m², district is %.0f m² (%.3f %% off)", sum, dA, 100*rel)
	}
	// Hetang is about 150 km² (public figure 151.62 km²).
	if dA < 140e6 || dA > 165e6 {
		t.Errorf("district area %.1f km², want about 150 km²", dA/1e6)
	}
}

// TestCheckFindsBadData makes sure each check can fail: it corrupts a copy
// of the data in several ways and expects the matching finding.
func TestCheckFindsBadData(t *testing.T) {
	gaz := fixture.Gazetteer(t)
	tests := []struct {
		name    string
		corrupt func(*layout.Layout)
		want    string
	}{
		{"overlapping areas", func(l *layout.Layout) {
			a, _ := l.Layer(layout.LayerAreas)
			a.Features[1].Geometry = a.Features[0].Geometry
		}, "areas-overlap"},
		{"gap in areas", func(l *layout.Layout) {
			a, _ := l.Layer(layout.LayerAreas)
			a.Features = a.Features[:4]
		}, "areas-partition"},
		{"duplicate id", func(l *layout.Layout) {
			r, _ := l.Layer(layout.LayerRoads)
			r.Features[1].ID = r.Features[0].ID
		}, "unique-id"},
		{"missing source", func(l *layout.Layout) {
			r, _ := l.Layer(layout.LayerRoads)
			delete(r.Features[0].Properties, layout.PropSource)
		}, "provenance"},
		{"missing description_zh", func(l *layout.Layout) {
			p, _ := l.Layer(layout.LayerPlaces)
			delete(p.Features[3].Properties, layout.PropDescriptionZH)
		}, "zh"},
		{"empty kind_zh on the district", func(l *layout.Layout) {
			d, _ := l.Layer(layout.LayerDistrict)
			d.Features[0].Properties[layout.PropKindZH] = " "
		}, "zh"},
		{"plan_ref names a working file", func(l *layout.Layout) {
			p, _ := l.Layer(layout.LayerPlaces)
			p.Features[5].Properties[layout.PropPlanRef] = "规划纲要其他章节 (other chapters, listed in LAYOUT.md §6)"
		}, "internal-file"},
		{"bowtie polygon", func(l *layout.Layout) {
			b, _ := l.Layer(layout.LayerBases)
			b.Features[0].Geometry = orb.Polygon{{{113.20, 27.90}, {113.21, 27.91}, {113.21, 27.90}, {113.20, 27.91}, {113.20, 27.90}}}
		}, "valid"},
		{"place outside district", func(l *layout.Layout) {
			p, _ := l.Layer(layout.LayerPlaces)
			p.Features[0].Geometry = orb.Point{113.0, 27.5}
		}, "containment"},
		{"road class changed", func(l *layout.Layout) {
			r, _ := l.Layer(layout.LayerRoads)
			for _, f := range r.Features {
				if f.ID == "road-xinhua" {
					f.Properties["class"] = "horizontal"
				}
			}
		}, "structure"},
		{"north base moved south", func(l *layout.Layout) {
			b, _ := l.Layer(layout.LayerBases)
			for _, f := range b.Features {
				if f.Properties["position"] == "north" {
					f.Properties["position"] = "south"
					break
				}
			}
		}, "bases"},
		{"government in wrong area", func(l *layout.Layout) {
			a, _ := l.Layer(layout.LayerAreas)
			a.Features[0].ID, a.Features[1].ID = a.Features[1].ID, a.Features[0].ID
		}, "gazetteer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lay := fixture.LayoutCopy(t) // corrupted below
			tt.corrupt(lay)
			var checks []string
			for _, f := range plandata.Check(lay, gaz) {
				checks = append(checks, f.Check)
			}
			if !strings.Contains(strings.Join(checks, " "), tt.want) {
				t.Errorf("findings %v, want one of check %q", checks, tt.want)
			}
		})
	}
}

func TestParseLayerErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"not json", `{`, "unexpected end"},
		{"not a collection", `{"type":"Feature"}`, "want FeatureCollection"},
		{"no layer member", `{"type":"FeatureCollection","features":[]}`, "missing \"layer\""},
		{"bad layer id", `{"type":"FeatureCollection","layer":{"id":"../x"},"features":[]}`, "layer id"},
		{"numeric feature id", `{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Point"},"features":[{"type":"Feature","id":1,"properties":{"id":"1"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, "not a non-empty string"},
		{"id mismatch", `{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Point"},"features":[{"type":"Feature","id":"a","properties":{"id":"b"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, "differs"},
		{"wrong type", `{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Polygon"},"features":[{"type":"Feature","id":"a","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, "layer declares Polygon"},
		{"latitude out of range", `{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Point"},"features":[{"type":"Feature","id":"a","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[113,95]}}]}`, "outside longitude"},
		{"no geometry", `{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Point"},"features":[{"type":"Feature","id":"a","properties":{"id":"a"},"geometry":null}]}`, "no geometry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plandata.ParseLayer([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseLayer error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildRejectsMissingLayer(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"reference/hetang_430202_datav_gcj02.json", "reference/zhuzhou_districts_datav_gcj02.json", "layers/areas.geojson"} {
		b, err := geodata.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	if _, err := plandata.Build(fsys); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Build with only areas: error %v, want a missing-layer error", err)
	}
}

func FuzzParseLayer(f *testing.F) {
	for _, name := range []string{"layers/axis.geojson", "layers/chain_nodes.geojson"} {
		b, err := geodata.FS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Point"},"features":[{"type":"Feature","id":"a","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[1e309,2]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","layer":{"id":"x","geometry_type":"Polygon"},"features":[{"type":"Feature","id":"a","properties":{"id":"a"},"geometry":{"type":"Polygon","coordinates":[[]]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ly, err := plandata.ParseLayer(b)
		if err != nil {
			return
		}
		for _, ft := range ly.Features {
			if err := layout.CheckLonLat(ft.Geometry); err != nil {
				t.Fatalf("accepted feature with bad coordinates: %v", err)
			}
			if ft.Geometry.GeoJSONType() != ly.GeometryType {
				t.Fatalf("accepted %s in a %s layer", ft.Geometry.GeoJSONType(), ly.GeometryType)
			}
		}
	})
}

// TestAreasSurviveReprojection guards against zero-width spikes in the
// clipped areas: every area must stay valid after a round trip through
// EPSG:4547 (what a GIS user exporting to Gauss–Krüger does), checked by GEOS.
func TestAreasSurviveReprojection(t *testing.T) {
	lay := fixture.Layout(t)
	for _, id := range []string{layout.LayerDistrict, layout.LayerAreas} {
		ly, _ := lay.Layer(id)
		for _, f := range ly.Features {
			gk, err := crs.CGCSGK.GeometryFromWGS84(f.Geometry)
			if err != nil {
				t.Fatal(err)
			}
			back, err := crs.CGCSGK.GeometryToWGS84(gk)
			if err != nil {
				t.Fatal(err)
			}
			for name, g := range map[string]orb.Geometry{"EPSG:4547": gk, "round trip": back} {
				gg, err := geosorb.ToGEOS(nil, g)
				if err != nil {
					t.Fatal(err)
				}
				if !gg.IsValid() {
					t.Errorf("%s %s invalid: %s", f.ID, name, gg.IsValidReason())
				}
			}
		}
	}
}
