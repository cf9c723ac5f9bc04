package spatial

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/cputime"
	"hetang/internal/layout"
)

// TestBuildFromReusesUnchangedLayers: an index built from the previous one
// after a layer is replaced shares the unchanged layers' parts, rebuilds the
// replaced one, and answers exactly as an index built from scratch.
func TestBuildFromReusesUnchangedLayers(t *testing.T) {
	prev := mustIndex(t)
	lay := &layout.Layout{Version: "next"}
	var roads *layout.Layer
	for _, id := range []string{layout.LayerDistrict, layout.LayerAreas, layout.LayerCities, layout.LayerBases, layout.LayerCorridor,
		layout.LayerServices, layout.LayerAgri, layout.LayerAxis, layout.LayerChain, layout.LayerRoads, layout.LayerPlaces} {
		ly := prev.layers[id].layer
		if id == layout.LayerRoads {
			// Move one road by about 100 m.
			cp := *ly
			cp.Features = append([]*layout.Feature(nil), ly.Features...)
			f := *cp.Features[0]
			f.Geometry = orb.Clone(f.Geometry)
			shift(f.Geometry, 0.001)
			cp.Features[0] = &f
			ly, roads = &cp, &cp
		}
		lay.Layers = append(lay.Layers, ly)
	}
	next, err := BuildFrom(context.Background(), lay, prev)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Build(context.Background(), lay)
	if err != nil {
		t.Fatal(err)
	}
	if next.layers[layout.LayerAreas] != prev.layers[layout.LayerAreas] || next.layers[layout.LayerAxis] != prev.layers[layout.LayerAxis] {
		t.Error("unchanged layers were rebuilt")
	}
	if next.layers[layout.LayerRoads] == prev.layers[layout.LayerRoads] || next.layers[layout.LayerRoads].layer != roads {
		t.Error("the replaced layer was not rebuilt")
	}
	// In the replaced layer, the moved road has new linework; the others
	// keep theirs, grids and all.
	nr, pr := next.layers[layout.LayerRoads], prev.layers[layout.LayerRoads]
	if nr.feats[0].lines == pr.feats[0].lines || nr.merged == pr.merged {
		t.Error("the moved road kept its old linework")
	}
	for j := 1; j < len(nr.feats); j++ {
		if nr.feats[j].lines != pr.feats[j].lines || nr.feats[j].f != roads.Features[j] {
			t.Errorf("road %d: unchanged geometry was not reused, or the feature is not the new one", j)
		}
	}
	for _, p := range probePoints(fresh, 2000, 3) {
		var a, b PointHit
		next.Locate(p, &a)
		fresh.Locate(p, &b)
		var da, db Distances
		next.Distances(p, 3, &da)
		fresh.Distances(p, 3, &db)
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(da, db) {
			t.Fatalf("at %v the reused index answers %+v %+v, a fresh one %+v %+v", p, a, da, b, db)
		}
	}
}

// TestBuildFromReusesUnchangedGeometry: a layer replaced by one with the
// same geometries and new properties (an import that edits attributes)
// keeps all its linework and grids, and answers name the new features.
func TestBuildFromReusesUnchangedGeometry(t *testing.T) {
	prev := mustIndex(t)
	base, err := testLayout()
	if err != nil {
		t.Fatal(err)
	}
	lay := &layout.Layout{Version: "attrs"}
	var roads *layout.Layer
	for _, ly := range base.Layers {
		if ly.ID == layout.LayerRoads {
			cp := *ly
			cp.Features = nil
			for _, f := range ly.Features {
				nf := *f
				nf.Properties = map[string]any{"name": "renamed " + f.ID}
				cp.Features = append(cp.Features, &nf)
			}
			ly, roads = &cp, &cp
		}
		lay.Layers = append(lay.Layers, ly)
	}
	next, err := BuildFrom(context.Background(), lay, prev)
	if err != nil {
		t.Fatal(err)
	}
	nr, pr := next.layers[layout.LayerRoads], prev.layers[layout.LayerRoads]
	if nr == pr || nr.merged != pr.merged {
		t.Error("the merged grid of unchanged roads was rebuilt, or the layer was not replaced")
	}
	for j := range nr.feats {
		if nr.feats[j].lines != pr.feats[j].lines {
			t.Errorf("road %d: unchanged linework was rebuilt", j)
		}
	}
	fresh, err := Build(context.Background(), lay)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probePoints(fresh, 2000, 5) {
		var a, b Distances
		next.Distances(p, 3, &a)
		fresh.Distances(p, 3, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("at %v the reused index answers %+v, a fresh one %+v", p, a, b)
		}
		if !slices.Contains(roads.Features, a.Roads[0].Feature) {
			t.Fatalf("at %v the nearest road is not a feature of the new layer", p)
		}
		var bb Distances
		next.NearestBrief(p, &bb)
		if !slices.Contains(roads.Features, bb.Roads[0].Feature) {
			t.Fatalf("at %v the nearest road (brief) is not a feature of the new layer", p)
		}
	}
}

func shift(g orb.Geometry, dx float64) {
	switch x := g.(type) {
	case orb.LineString:
		for i := range x {
			x[i][0] += dx
		}
	case orb.MultiLineString:
		for _, l := range x {
			shift(l, dx)
		}
	case orb.MultiPoint:
		for i := range x {
			x[i][0] += dx
		}
	}
}

// replaced returns the test layout with layer id replaced by a new
// *layout.Layer, as an import of that layer makes it: with every geometry
// moved by 1e-7° (about a centimetre) when moved, else with the same
// geometries.
func replaced(tb testing.TB, id string, moved bool) *layout.Layout {
	tb.Helper()
	base, err := testLayout()
	if err != nil {
		tb.Fatal(err)
	}
	lay := &layout.Layout{Version: "next"}
	for _, ly := range base.Layers {
		if ly.ID == id {
			cp := *ly
			cp.Features = nil
			for _, f := range ly.Features {
				nf := *f
				if moved {
					nf.Geometry = orb.Clone(f.Geometry)
					if p, ok := nf.Geometry.(orb.Point); ok {
						nf.Geometry = orb.Point{p[0] + 1e-7, p[1]}
					}
					shift(nf.Geometry, 1e-7)
				}
				cp.Features = append(cp.Features, &nf)
			}
			ly = &cp
		}
		lay.Layers = append(lay.Layers, ly)
	}
	return lay
}

// BenchmarkBuildFrom is a snapshot swap after an import of one layer: the
// index of the new version built from the served one. roads is a layer with
// nearest-point grids, imported with every geometry changed (a new survey)
// or with attributes only; places has no grids.
func BenchmarkBuildFrom(b *testing.B) {
	prev := mustIndex(b)
	for _, tc := range []struct {
		name, layer string
		moved       bool
	}{
		{"roads", layout.LayerRoads, true},
		{"roads-attributes", layout.LayerRoads, false},
		{"places", layout.LayerPlaces, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lay := replaced(b, tc.layer, tc.moved)
			cpu0 := cputime.Used()
			var ix *Index
			for b.Loop() {
				var err error
				if ix, err = BuildFrom(context.Background(), lay, prev); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
			if ix.world != prev.world {
				b.Fatal("the indexed extent changed: nothing was reused")
			}
		})
	}
}
