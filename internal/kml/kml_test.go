package kml

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/gdaltest"
	"hetang/internal/layout"
)

func buildLayout(t *testing.T) *layout.Layout {
	t.Helper()
	lay := fixture.Layout(t)
	return lay
}

// TestGDALReadsEveryLayer writes the whole layout as KML, KMZ and GCJ-02
// KML and reads each layer back with GDAL's LIBKML driver: the same number
// of features, every property of the layer as a field with the feature's
// value, and every vertex within 1e-9° of the stored (or GCJ-02-shifted)
// coordinate. GDAL's older KML driver must see the same counts and the
// Chinese names.
func TestGDALReadsEveryLayer(t *testing.T) {
	gdaltest.Require(t, "ogr2ogr")
	lay := buildLayout(t)
	dir := t.TempDir()
	for _, v := range []struct {
		name string
		gcj  bool
		kmz  bool
	}{{"hetang.kml", false, false}, {"hetang.kmz", false, true}, {"hetang-gcj02.kml", true, false}} {
		t.Run(v.name, func(t *testing.T) {
			path := filepath.Join(dir, v.name)
			var buf bytes.Buffer
			opt := Options{Name: "荷塘区 test", GCJ02: v.gcj, DataVersion: lay.Version}
			var err error
			if v.kmz {
				err = WriteKMZ(&buf, lay.Layers, opt, "licence text", time.Time{})
			} else {
				err = Write(&buf, lay.Layers, opt)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			layers := gdaltest.Layers(t, libkml, path)
			for _, ly := range lay.Layers {
				checkLayer(t, path, layers, ly, v.gcj, !v.kmz)
			}
		})
	}
}

// libkml makes GDAL read KML with its LIBKML driver (ogrinfo of GDAL 3.6 has
// no -if). Data elements are untyped: GDAL reads every field as a string.
var libkml = []string{"OGR_SKIP=KML"}

func checkLayer(t *testing.T, path string, layers map[string]gdaltest.Layer, ly *layout.Layer, gcj, plainKML bool) {
	t.Helper()
	name := ly.TitleZH + " " + ly.TitleEN
	info, ok := layers[name]
	if !ok {
		t.Fatalf("GDAL LIBKML finds no layer %q", name)
	}
	names := gdaltest.Names(info.Fields)
	for _, fd := range ly.Fields() {
		if !slices.Contains(names, fd.Name) {
			t.Errorf("layer %s: GDAL LIBKML lacks field %s (has %v)", ly.ID, fd.Name, names)
		}
	}
	fc := gdaltest.ReadLayer(t, libkml, path, name)
	if len(fc.Features) != len(ly.Features) {
		t.Fatalf("layer %s: GDAL read %d features, want %d", ly.ID, len(fc.Features), len(ly.Features))
	}
	for i, f := range ly.Features {
		gf := fc.Features[i]
		for _, fd := range ly.Fields() {
			want, wok := value(f.Properties[fd.Name])
			gv, present := gf.Properties[fd.Name]
			gotS, gok := value(gv)
			if wok != (present && gok) || (wok && want != gotS) {
				t.Errorf("layer %s feature %s: %s = %q (present %v), want %q (present %v)", ly.ID, f.ID, fd.Name, gotS, present && gok, want, wok)
			}
		}
		want := f.Geometry
		if gcj {
			var err error
			if want, err = crs.GCJ02.GeometryFromWGS84(want); err != nil {
				t.Fatal(err)
			}
		}
		d, ok := gdaltest.MaxDiff(gdaltest.Points(want), gdaltest.Points(gf.Geometry))
		if !ok || d > 1e-9 {
			t.Errorf("layer %s feature %s: vertices differ by %g° (same count %v)", ly.ID, f.ID, d, ok)
		}
	}
	// GDAL's own KML driver reads names and geometry only, and no KMZ.
	if !plainKML {
		return
	}
	old := gdaltest.ReadLayer(t, []string{"OGR_SKIP=LIBKML"}, path, name)
	if len(old.Features) != len(ly.Features) {
		t.Fatalf("layer %s: GDAL KML driver read %d features, want %d", ly.ID, len(old.Features), len(ly.Features))
	}
	for i, f := range ly.Features {
		if got, want := old.Features[i].Properties["Name"], f.Properties[layout.PropNameZH]; got != want {
			t.Errorf("layer %s feature %d: KML Name %v, want %v", ly.ID, i, got, want)
		}
	}
}

func TestDocument(t *testing.T) {
	lay := buildLayout(t)
	var buf bytes.Buffer
	if err := Write(&buf, lay.Layers, Options{Name: "doc", GCJ02: true, LicenceURL: "http://x/licence"}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{
		"GCJ-02",                      // labelled as such
		"http://x/licence",            // licence linked
		`<Style id="areas-area-cbd">`, // per-area colours
		"<color>8ca0a7f3</color>",     // #f3a7a0 at 0.55 opacity, KML's aabbggrr
		"<name>株洲火车站</name>",          // Chinese placemark names
		"<width>6</width>",            // the axis as wide as on the page
	} {
		if !strings.Contains(s, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}

func TestKMZHoldsDocAndLicence(t *testing.T) {
	lay := buildLayout(t)
	made := time.Date(2026, 3, 4, 5, 6, 8, 0, time.UTC)
	for _, tc := range []struct {
		modified, want time.Time
	}{{made, made}, {time.Time{}, time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		var buf bytes.Buffer
		if err := WriteKMZ(&buf, lay.Layers[:1], Options{Name: "x"}, "licence", tc.modified); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			// The DOS date 0 (month 0, day 0) is not a date: unzip shows
			// 1980-00-00 and strict readers refuse the entry.
			if got := f.Modified.UTC(); !got.Equal(tc.want) {
				t.Errorf("%s modified %v, want %v", f.Name, got, tc.want)
			}
		}
		// KML 2.2 Annex C: the root document is the first entry; apps that
		// open the first entry of a KMZ would otherwise get the licence.
		if got, want := fmt.Sprint(names), "[doc.kml LICENCE.md]"; got != want {
			t.Errorf("KMZ entries %s, want %s", got, want)
		}
	}
}

func TestEmptyAndNil(t *testing.T) {
	ly := &layout.Layer{ID: "x", TitleZH: "空", TitleEN: "empty", Features: []*layout.Feature{{ID: "nogeom", Properties: map[string]any{"id": "nogeom"}}}}
	var buf bytes.Buffer
	if err := Write(&buf, []*layout.Layer{ly, {ID: "none"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<name>nogeom</name>") {
		t.Error("a feature without geometry keeps its placemark, named by id")
	}
	_ = orb.Point{}
}
