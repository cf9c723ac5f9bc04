package ogcapi

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hetang/internal/gdaltest"
	"hetang/internal/layout"
)

// TestGDALKeepsEveryField copies the whole service with ogr2ogr (OAPIF
// driver, default page size of 10) into a GeoPackage: every layer keeps
// every field of the layer and every feature. It does so twice: reading the
// describedBy schema, and with IGNORE_SCHEMA=YES, guessing the fields from
// the first page the way QGIS does — which works because every feature
// carries every property.
func TestGDALKeepsEveryField(t *testing.T) {
	requireTool(t, "ogr2ogr")
	ls := startLive(t)
	for _, mode := range []struct {
		name string
		oo   []string
	}{{"schema", nil}, {"first page only", []string{"-oo", "IGNORE_SCHEMA=YES"}}} {
		t.Run(mode.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "copy.gpkg")
			args := append([]string{"-f", "GPKG", out}, mode.oo...)
			run(t, "ogr2ogr", append(args, "OAPIF:"+ls.url)...)
			layers := gdaltest.Layers(t, nil, out)
			for _, ly := range ls.lay.Layers {
				fields := gdaltest.Names(layers[ly.ID].Fields)
				for _, fd := range ly.Fields() {
					if !slices.Contains(fields, fd.Name) {
						t.Errorf("%s: the copy lacks field %s (has %v)", ly.ID, fd.Name, fields)
					}
				}
				if n := layers[ly.ID].Count; n != len(ly.Features) {
					t.Errorf("%s: the copy has %d features, want %d", ly.ID, n, len(ly.Features))
				}
			}
			fc := gdaltest.ReadLayer(t, nil, out, "places")
			found := false
			for _, f := range fc.Features {
				if f.Properties["id"] == "place-poxianling-forest-park" {
					found = true
					if f.Properties["beyond_note"] == nil {
						t.Errorf("places: beyond_note of the Poxianling point is lost: %v", f.Properties)
					}
				}
			}
			if !found {
				t.Error("places: the copy lacks the Poxianling point")
			}
		})
	}
}

// TestGDALGetsFeatureByID: GDAL appends /{id} to the collection's items link
// for an id filter, so the link must carry no query string.
func TestGDALGetsFeatureByID(t *testing.T) {
	requireTool(t, "ogrinfo")
	ls := startLive(t)
	out := run(t, "ogrinfo", "-ro", "OAPIF:"+ls.url, "places", "-where", "id='place-poxianling-forest-park'")
	if m := reID.FindAllStringSubmatch(out, -1); len(m) != 1 || m[0][1] != "place-poxianling-forest-park" {
		t.Errorf("ogrinfo -where id=…: %v\n%s", m, out)
	}
}

// TestFirstPageCarriesEveryProperty is the QGIS-style discovery: the first
// page of every collection names every property of the layer.
func TestFirstPageCarriesEveryProperty(t *testing.T) {
	ls := startLive(t)
	for _, ly := range ls.lay.Layers {
		resp, err := http.Get(ls.url + "collections/" + ly.ID + "/items?limit=10")
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct {
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		err = json.NewDecoder(resp.Body).Decode(&fc)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range fc.Features {
			for _, fd := range ly.Fields() {
				if _, ok := f.Properties[fd.Name]; !ok {
					t.Errorf("%s feature %d lacks %s", ly.ID, i, fd.Name)
				}
			}
		}
	}
}

func TestSchemas(t *testing.T) {
	ls := startLive(t)
	places, _ := ls.lay.Layer("places")
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"collections/places/schema", 200},
		{"collections/places/schema/feature", 200},
		{"collections/places/schema?f=json", 200},
		{"collections/places/schema?f=html", 400},
		{"collections/places/schema?x=1", 400},
		{"collections/nosuch/schema", 404},
		{"collections/nosuch/schema/feature", 404},
		{"collections/places/queryables", 200},
	} {
		resp, err := http.Get(ls.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s = %d, want %d: %s", tc.path, resp.StatusCode, tc.status, b)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/schema+json" {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
		var s struct {
			Properties map[string]struct {
				Type       any            `json:"type"`
				Role       string         `json:"x-ogc-role"`
				Properties map[string]any `json:"properties"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		props := s.Properties
		if p, ok := s.Properties["properties"]; ok && len(p.Properties) > 0 {
			// the GeoJSON feature schema nests the properties
			for _, fd := range places.Fields() {
				if _, ok := p.Properties[fd.Name]; !ok {
					t.Errorf("%s lacks %s", tc.path, fd.Name)
				}
			}
			continue
		}
		for _, fd := range places.Fields() {
			if _, ok := props[fd.Name]; !ok {
				t.Errorf("%s lacks %s", tc.path, fd.Name)
			}
		}
		if strings.HasSuffix(tc.path, "/schema") && (props["id"].Role != "id" || props["geometry"].Role != "primary-geometry") {
			t.Errorf("%s: roles id=%q geometry=%q", tc.path, props["id"].Role, props["geometry"].Role)
		}
		if props[layout.PropExtendsBeyond].Type != "boolean" {
			t.Errorf("%s: extends_beyond_district type %v", tc.path, props[layout.PropExtendsBeyond].Type)
		}
	}
}
