package kml_test

import (
	"io"
	"testing"
	"time"

	"hetang/internal/cputime"
	"hetang/internal/crs"
	"hetang/internal/export"
	"hetang/internal/fixture"
	"hetang/internal/kml"
	"hetang/internal/layout"
)

// BenchmarkWriteLayout writes the whole layout as KML, KMZ and GCJ-02 KML,
// next to its peer, the GeoJSON download of every layer (export.GeoJSON),
// in WGS84 and in GCJ-02, for BENCHMARKS.md's ratios.
func BenchmarkWriteLayout(b *testing.B) {
	lay := fixture.Layout(b)
	for _, bc := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"kml", func(w io.Writer) error { return kml.Write(w, lay.Layers, kml.Options{Name: "x"}) }},
		{"kmz", func(w io.Writer) error {
			return kml.WriteKMZ(w, lay.Layers, kml.Options{Name: "x"}, "licence", time.Time{})
		}},
		{"kml-gcj02", func(w io.Writer) error { return kml.Write(w, lay.Layers, kml.Options{Name: "x", GCJ02: true}) }},
		{"peer-geojson", func(w io.Writer) error { return geoJSONDownloads(w, lay.Layers, crs.CRS84) }},
		{"peer-geojson-gcj02", func(w io.Writer) error { return geoJSONDownloads(w, lay.Layers, crs.GCJ02) }},
	} {
		b.Run(bc.name, func(b *testing.B) { cputime.BenchDocs(b, bc.write) })
	}
}

// geoJSONDownloads writes the GeoJSON download of every layer in c.
func geoJSONDownloads(w io.Writer, layers []*layout.Layer, c crs.CRS) error {
	for _, ly := range layers {
		doc, err := export.GeoJSON(ly, c, "x")
		if err != nil {
			return err
		}
		if _, err := w.Write(doc); err != nil {
			return err
		}
	}
	return nil
}
