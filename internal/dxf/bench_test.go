package dxf

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/paulmach/orb/geojson"

	"hetang/internal/cputime"
	"hetang/internal/fixture"
)

// BenchmarkWriteLayout writes the whole layout as a DXF drawing (EPSG:4547
// through PROJ, GBK text) next to its peer, the same layers projected to
// EPSG:4547 and encoded as GeoJSON (the ?crs=EPSG:4547 GeoJSON download).
func BenchmarkWriteLayout(b *testing.B) {
	lay := fixture.Layout(b)
	for _, bc := range []struct {
		name string
		run  func(io.Writer) error
	}{
		{"dxf", func(w io.Writer) error { return Write(w, lay.Layers, Options{Title: "x"}) }},
		{"peer-geojson-4547", func(w io.Writer) error {
			for _, ly := range lay.Layers {
				fc := geojson.NewFeatureCollection()
				for _, f := range ly.Features {
					g, err := CRS.GeometryFromWGS84(f.Geometry)
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
