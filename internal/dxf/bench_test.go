package dxf_test

import (
	"io"
	"testing"

	"hetang/internal/cputime"
	"hetang/internal/dxf"
	"hetang/internal/export"
	"hetang/internal/fixture"
)

// BenchmarkWriteLayout writes the whole layout as a DXF drawing (EPSG:4547
// through PROJ, GBK text) next to its peer, the ?crs=EPSG:4547 GeoJSON
// download of every layer (export.GeoJSON).
func BenchmarkWriteLayout(b *testing.B) {
	lay := fixture.Layout(b)
	b.Run("dxf", func(b *testing.B) {
		cputime.BenchDocs(b, func(w io.Writer) error { return dxf.Write(w, lay.Layers, dxf.Options{Title: "x"}) })
	})
	b.Run("peer-geojson-4547", func(b *testing.B) {
		cputime.BenchDocs(b, func(w io.Writer) error {
			for _, ly := range lay.Layers {
				doc, err := export.GeoJSON(ly, dxf.CRS, "x")
				if err != nil {
					return err
				}
				if _, err := w.Write(doc); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
