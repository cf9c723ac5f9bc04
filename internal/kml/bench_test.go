package kml

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/paulmach/orb/geojson"

	"hetang/internal/cputime"
	"hetang/internal/crs"
	"hetang/internal/fixture"
)

// BenchmarkWriteLayout writes the whole layout as KML, KMZ and GCJ-02 KML,
// next to its peer, the same layers encoded as GeoJSON FeatureCollections
// (what the GeoJSON downloads do), for BENCHMARKS.md's ratios.
func BenchmarkWriteLayout(b *testing.B) {
	lay := fixture.Layout(b)
	for _, bc := range []struct {
		name string
		run  func(io.Writer) error
	}{
		{"kml", func(w io.Writer) error { return Write(w, lay.Layers, Options{Name: "x"}) }},
		{"kmz", func(w io.Writer) error { return WriteKMZ(w, lay.Layers, Options{Name: "x"}, "licence", time.Time{}) }},
		{"kml-gcj02", func(w io.Writer) error { return Write(w, lay.Layers, Options{Name: "x", GCJ02: true}) }},
		{"peer-geojson", func(w io.Writer) error {
			for _, ly := range lay.Layers {
				fc := geojson.NewFeatureCollection()
				for _, f := range ly.Features {
					gf := geojson.NewFeature(f.Geometry)
					gf.ID, gf.Properties = f.ID, f.Properties
					fc.Append(gf)
				}
				if err := json.NewEncoder(w).Encode(fc); err != nil {
					return err
				}
			}
			return nil
		}},
		{"peer-geojson-gcj02", func(w io.Writer) error {
			for _, ly := range lay.Layers {
				fc := geojson.NewFeatureCollection()
				for _, f := range ly.Features {
					g, err := crs.GCJ02.GeometryFromWGS84(f.Geometry)
					if err != nil {
						return err
					}
					gf := geojson.NewFeature(g)
					gf.ID, gf.Properties = f.ID, f.Properties
					fc.Append(gf)
				}
				if err := json.NewEncoder(w).Encode(fc); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf bytes.Buffer
			cpu0 := cputime.Used()
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := bc.run(&buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/doc")
			cputime.ReportRates(b, b.N, "docs", cpu0)
		})
	}
}
