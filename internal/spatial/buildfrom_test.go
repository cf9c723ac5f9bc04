package spatial

import (
	"context"
	"reflect"
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
	}
}

// replaced returns the test layout with layer id replaced by a copy (the
// same features, a new *layout.Layer), as an import of that layer makes it.
func replaced(tb testing.TB, id string) *layout.Layout {
	tb.Helper()
	base, err := testLayout()
	if err != nil {
		tb.Fatal(err)
	}
	lay := &layout.Layout{Version: "next"}
	for _, ly := range base.Layers {
		if ly.ID == id {
			cp := *ly
			cp.Features = append([]*layout.Feature(nil), ly.Features...)
			ly = &cp
		}
		lay.Layers = append(lay.Layers, ly)
	}
	return lay
}

// BenchmarkBuildFrom is a snapshot swap after an import of one layer: the
// index of the new version built from the served one. roads is a layer with
// nearest-point grids; places is not.
func BenchmarkBuildFrom(b *testing.B) {
	prev := mustIndex(b)
	for _, id := range []string{layout.LayerRoads, layout.LayerPlaces, layout.LayerDistrict} {
		b.Run(id, func(b *testing.B) {
			lay := replaced(b, id)
			cpu0 := cputime.Used()
			for b.Loop() {
				if _, err := BuildFrom(context.Background(), lay, prev); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}
