package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"hetang/internal/config"
	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtureLayout is a small layout: 12 places on a 4×3 grid (every third a
// village), one road, one polygon layer whose id has a dot, and the district
// with one area.
//
//	27.92 p09 p10 p11 p12
//	27.91 p05 p06 p07 p08
//	27.90 p01 p02 p03 p04
//	     113.20 .21 .22 .23
func fixtureLayout() *layout.Layout {
	var places []*layout.Feature
	for i := 0; i < 12; i++ {
		id := fmt.Sprintf("p%02d", i+1)
		kind := "park"
		if i%3 == 0 {
			kind = "village"
		}
		places = append(places, &layout.Feature{ID: id, Geometry: orb.Point{113.20 + 0.01*float64(i%4), 27.90 + 0.01*float64(i/4)},
			Properties: map[string]any{layout.PropID: id, layout.PropNameZH: "地" + id, layout.PropNameEN: "Place " + id,
				layout.PropKind: kind, "plan_order": float64(i + 1), "key": i < 2}})
	}
	square := orb.MultiPolygon{{{{113.1, 27.8}, {113.4, 27.8}, {113.4, 28.1}, {113.1, 28.1}, {113.1, 27.8}}}}
	return &layout.Layout{Version: "sha256:fixture", Layers: []*layout.Layer{
		{ID: "places", TitleZH: "地名", TitleEN: "Named places", Description: "Test places.", GeometryType: "Point", Features: places},
		{ID: "roads", TitleZH: "道路", TitleEN: "Roads", GeometryType: "LineString", Features: []*layout.Feature{
			{ID: "road-1", Geometry: orb.LineString{{113.195, 27.905}, {113.235, 27.905}},
				Properties: map[string]any{layout.PropID: "road-1", layout.PropNameEN: "Road one", layout.PropKind: "road", "class": "horizontal"}},
		}},
		{ID: "zones.v2", TitleZH: "区", TitleEN: "Zones", GeometryType: "Polygon", Features: []*layout.Feature{
			{ID: "zone-1", Geometry: orb.Polygon{{{113.2, 27.9}, {113.3, 27.9}, {113.3, 28.0}, {113.2, 28.0}, {113.2, 27.9}}},
				Properties: map[string]any{layout.PropID: "zone-1", layout.PropKind: "area"}},
		}},
		// The store indexes the district and its areas, so every layout has them.
		{ID: "district", TitleEN: "District", GeometryType: "MultiPolygon", Features: []*layout.Feature{
			{ID: "district", Geometry: square, Properties: map[string]any{layout.PropID: "district", layout.PropKind: "district"}},
		}},
		{ID: "areas", TitleEN: "Areas", GeometryType: "MultiPolygon", Features: []*layout.Feature{
			{ID: "area-1", Geometry: square, Properties: map[string]any{layout.PropID: "area-1", layout.PropKind: "area"}},
		}},
	}}
}

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

// newTestServer serves lay (through a real GeoPackage) with the OGC API mounted.
func newTestServer(t testing.TB, lay *layout.Layout, extra ...httpapi.Mounter) (*store.Store, http.Handler) {
	t.Helper()
	st := fixture.StoreOf(t, lay)
	return st, fixture.Handler(config.Default(), st, append([]httpapi.Mounter{New(st)}, extra...)...)
}

func get(t *testing.T, h http.Handler, url string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v\n%s", rec.Header().Get("Content-Type"), err, rec.Body.String())
	}
	return v
}

func ids(fc FeatureCollection) []string {
	var out []string
	for _, f := range fc.Features {
		out = append(out, f.ID)
	}
	return out
}

func link(links []Link, rel string) *Link {
	for i := range links {
		if links[i].Rel == rel {
			return &links[i]
		}
	}
	return nil
}

func TestLandingConformanceCollections(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())

	rec := get(t, h, "/ogcapi/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /ogcapi/ = %d %s", rec.Code, rec.Body)
	}
	land := decode[Landing](t, rec)
	type rt struct{ Rel, Type, Href string }
	var got []rt
	for _, l := range land.Links {
		got = append(got, rt{l.Rel, l.Type, l.Href})
	}
	want := []rt{
		{"self", mediatype.JSON, "http://example.com/ogcapi/?f=json"},
		{"alternate", mediatype.HTML, "http://example.com/ogcapi/?f=html"},
		{"service-desc", "application/vnd.oai.openapi+json;version=3.0", "http://example.com/ogcapi/api"},
		{"conformance", mediatype.JSON, "http://example.com/ogcapi/conformance"},
		{"data", mediatype.JSON, "http://example.com/ogcapi/collections"},
		{"enclosure", "application/geopackage+sqlite3", "http://example.com/api/v1/download/hetang.gpkg"},
		{"enclosure", mediatype.KMZ, "http://example.com/api/v1/download/hetang.kmz"},
		{"enclosure", mediatype.DXF, "http://example.com/api/v1/download/hetang.dxf"},
		{"service", mediatype.XML, "http://example.com/wfs?SERVICE=WFS&REQUEST=GetCapabilities"},
		{"tiles", mediatype.JSON, "http://example.com/tiles/all.json"},
		{"license", mediatype.Markdown, "http://example.com/licence"},
	}
	for _, l := range got {
		if !strings.HasPrefix(l.Href, "http://") {
			t.Errorf("landing link %s %s is not absolute", l.Rel, l.Href)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("landing links (-want +got):\n%s", diff)
	}
	if rec := get(t, h, "/ogcapi"); rec.Code != http.StatusOK {
		t.Errorf("GET /ogcapi = %d", rec.Code)
	}

	conf := decode[Conformance](t, get(t, h, "/ogcapi/conformance"))
	for _, c := range []string{ConfCore, ConfGeoJSON, ConfHTML, ConfOAS30, ConfCRS, ConfFilter, ConfFeaturesFilter, ConfCQL2Text, ConfBasicCQL2, ConfQueryables} {
		if !slices.Contains(conf.ConformsTo, c) {
			t.Errorf("conformance lacks %s", c)
		}
	}

	cols := decode[Collections](t, get(t, h, "/ogcapi/collections"))
	var gotIDs []string
	for _, c := range cols.Collections {
		gotIDs = append(gotIDs, c.ID)
	}
	if diff := cmp.Diff([]string{"places", "roads", "zones_v2", "district", "areas"}, gotIDs); diff != "" {
		t.Errorf("collection ids (-want +got):\n%s", diff)
	}
	places := cols.Collections[0]
	if diff := cmp.Diff([][4]float64{{113.2, 27.9, 113.23, 27.92}}, places.Extent.Spatial.BBox, cmpFloat); diff != "" {
		t.Errorf("extent.spatial.bbox (-want +got):\n%s", diff)
	}
	if places.StorageCRS != crs.CRS84URI || !slices.Contains(places.CRS, "http://www.opengis.net/def/crs/EPSG/0/4547") || places.CRS[0] != crs.CRS84URI {
		t.Errorf("storageCrs %q, crs %v", places.StorageCRS, places.CRS)
	}
	if l := link(places.Links, links.RelItems); l == nil || l.Type != mediatype.GeoJSON {
		t.Errorf("items link %+v", l)
	}

	one := decode[Collection](t, get(t, h, "/ogcapi/collections/zones_v2"))
	if one.ID != "zones_v2" || one.FeatureCount != 1 {
		t.Errorf("collection zones_v2 = %+v", one)
	}
}

var cmpFloat = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })

func TestItems(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	tests := []struct {
		name               string
		url                string
		wantIDs            []string
		wantMatched        int
		wantNext, wantPrev string // query of the link, "" for none
	}{
		{"default limit 10 with next", "/ogcapi/collections/places/items",
			[]string{"p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10"}, 12, "f=geojson&limit=10&offset=10", ""},
		{"second page", "/ogcapi/collections/places/items?offset=10",
			[]string{"p11", "p12"}, 12, "", "f=geojson&limit=10&offset=0"},
		{"middle page", "/ogcapi/collections/places/items?limit=3&offset=3",
			[]string{"p04", "p05", "p06"}, 12, "f=geojson&limit=3&offset=6", "f=geojson&limit=3&offset=0"},
		{"limit above maximum is clamped", "/ogcapi/collections/places/items?limit=20000",
			[]string{"p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12"}, 12, "", ""},
		{"limit beyond int range is clamped", "/ogcapi/collections/places/items?limit=100000000000000000000000",
			[]string{"p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12"}, 12, "", ""},
		{"offset past the end", "/ogcapi/collections/places/items?offset=50", nil, 12, "", "f=geojson&limit=10&offset=40"},
		{"bbox", "/ogcapi/collections/places/items?bbox=113.205,27.905,113.225,27.925",
			[]string{"p06", "p07", "p10", "p11"}, 4, "", ""},
		{"bbox touching a point counts", "/ogcapi/collections/places/items?bbox=113.2,27.9,113.2,27.9",
			[]string{"p01"}, 1, "", ""},
		{"bbox-crs EPSG:4326 is lat,lon", "/ogcapi/collections/places/items?bbox=27.905,113.205,27.925,113.225&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
			[]string{"p06", "p07", "p10", "p11"}, 4, "", ""},
		{"property parameter", "/ogcapi/collections/places/items?kind=village",
			[]string{"p01", "p04", "p07", "p10"}, 4, "", ""},
		{"numeric property parameter", "/ogcapi/collections/places/items?plan_order=5", []string{"p05"}, 1, "", ""},
		{"boolean property parameter", "/ogcapi/collections/places/items?key=true", []string{"p01", "p02"}, 1 + 1, "", ""},
		{"cql2 comparison", "/ogcapi/collections/places/items?filter=kind%3D%27village%27%20AND%20plan_order%3E4&filter-lang=cql2-text",
			[]string{"p07", "p10"}, 2, "", ""},
		{"cql2 like in", "/ogcapi/collections/places/items?filter=name_en%20LIKE%20%27Place%20p1%25%27%20OR%20plan_order%20IN%20(1,2)",
			[]string{"p01", "p02", "p10", "p11", "p12"}, 5, "", ""},
		{"cql2 s_intersects polygon", "/ogcapi/collections/places/items?filter=S_INTERSECTS(geometry,POLYGON((113.195%2027.895,113.215%2027.895,113.215%2027.915,113.195%2027.895)))",
			[]string{"p01", "p02", "p06"}, 3, "", ""},
		{"cql2 s_intersects in filter-crs EPSG:4326", "/ogcapi/collections/places/items?filter=S_INTERSECTS(geometry,BBOX(27.905,113.205,27.925,113.225))&filter-crs=EPSG:4326",
			[]string{"p06", "p07", "p10", "p11"}, 4, "", ""},
		{"filter and bbox and property combine", "/ogcapi/collections/places/items?filter=plan_order%3C%3E7&bbox=113.205,27.905,113.225,27.925&kind=village",
			[]string{"p10"}, 1, "", ""},
		{"datetime is ignored", "/ogcapi/collections/roads/items?datetime=2021-01-01T00:00:00Z", []string{"road-1"}, 1, "", ""},
		{"datetime date", "/ogcapi/collections/roads/items?datetime=2021-01-01", []string{"road-1"}, 1, "", ""},
		{"datetime interval", "/ogcapi/collections/roads/items?datetime=2021-01-01/2021-12-31T23:59:59%2B08:00", []string{"road-1"}, 1, "", ""},
		{"datetime open intervals", "/ogcapi/collections/roads/items?datetime=../2021-12-31", []string{"road-1"}, 1, "", ""},
		{"offset near the largest int", "/ogcapi/collections/places/items?offset=9223372036854775798", nil, 12, "", "f=geojson&limit=10&offset=9223372036854775788"},
		{"offset beyond any int", "/ogcapi/collections/places/items?offset=99999999999999999999999&limit=5", nil, 12, "", "f=geojson&limit=5&offset=9223372036854775802"},
		{"line crossing the bbox", "/ogcapi/collections/roads/items?bbox=113.21,27.9,113.22,27.91", []string{"road-1"}, 1, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.url)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s", tc.url, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != mediatype.GeoJSON {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get(httpapi.HeaderContentCRS); cc != "<"+crs.CRS84URI+">" {
				t.Errorf("Content-Crs %q", cc)
			}
			fc := decode[FeatureCollection](t, rec)
			if diff := cmp.Diff(tc.wantIDs, ids(fc)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if fc.NumberMatched != tc.wantMatched || fc.NumberReturned != len(tc.wantIDs) {
				t.Errorf("numberMatched %d numberReturned %d, want %d %d", fc.NumberMatched, fc.NumberReturned, tc.wantMatched, len(tc.wantIDs))
			}
			for rel, want := range map[string]string{links.RelNext: tc.wantNext, links.RelPrev: tc.wantPrev} {
				l := link(fc.Links, rel)
				switch {
				case want == "" && l != nil:
					t.Errorf("unexpected %s link %s", rel, l.Href)
				case want != "" && l == nil:
					t.Errorf("no %s link", rel)
				case want != "":
					if l.Type != mediatype.GeoJSON {
						t.Errorf("%s link type %q", rel, l.Type)
					}
					if !strings.HasSuffix(l.Href, want) && !strings.Contains(l.Href, want) {
						t.Errorf("%s link %s, want query containing %s", rel, l.Href, want)
					}
				}
			}
		})
	}
}

func TestItemsCRS(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	for _, tc := range []struct {
		crs     string
		wantURI string
		yx      bool
	}{
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", crs.CRS84URI, false},
		{"http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/4326", true},
		{"http://www.opengis.net/def/crs/EPSG/0/4490", "http://www.opengis.net/def/crs/EPSG/0/4490", true},
		{"http://www.opengis.net/def/crs/EPSG/0/4547", "http://www.opengis.net/def/crs/EPSG/0/4547", true},
		{"http://www.opengis.net/def/crs/EPSG/0/3857", "http://www.opengis.net/def/crs/EPSG/0/3857", false},
	} {
		t.Run(tc.crs, func(t *testing.T) {
			cr, err := crs.Parse(tc.crs)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cr.FromWGS84(orb.Point{113.2, 27.9})
			if err != nil {
				t.Fatal(err)
			}
			if tc.yx {
				want = orb.Point{want[1], want[0]}
			}
			for _, url := range []string{"/ogcapi/collections/places/items?limit=1&crs=" + tc.crs, "/ogcapi/collections/places/items/p01?crs=" + tc.crs} {
				rec := get(t, h, url)
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s = %d %s", url, rec.Code, rec.Body)
				}
				if got := rec.Header().Get(httpapi.HeaderContentCRS); got != "<"+tc.wantURI+">" {
					t.Errorf("Content-Crs %q, want <%s>", got, tc.wantURI)
				}
				var body struct {
					Geometry *struct{ Coordinates []float64 }
					Features []struct {
						Geometry struct{ Coordinates []float64 }
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				got := []float64(nil)
				if body.Geometry != nil {
					got = body.Geometry.Coordinates
				} else {
					got = body.Features[0].Geometry.Coordinates
				}
				if diff := cmp.Diff([]float64{want[0], want[1]}, got, cmpFloat); diff != "" {
					t.Errorf("GET %s coordinates (-want +got):\n%s", url, diff)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	tests := []struct {
		url        string
		wantStatus int
		wantDetail string
	}{
		{"/ogcapi/collections/nope", 404, `collection "nope" does not exist`},
		{"/ogcapi/collections/nope/items", 404, `collection "nope" does not exist`},
		{"/ogcapi/collections/zones.v2/items", 404, `collection "zones.v2" does not exist`},
		{"/ogcapi/collections/places/items/nope", 404, `collection "places" has no feature "nope"`},
		{"/ogcapi/collections/places/items?limit=0", 400, `bad limit "0"`},
		{"/ogcapi/collections/places/items?limit=ten", 400, `bad limit "ten"`},
		{"/ogcapi/collections/places/items?offset=-1", 400, `bad offset "-1"`},
		{"/ogcapi/collections/places/items?bbox=1,2,3", 400, "give 4 comma-separated numbers"},
		{"/ogcapi/collections/places/items?bbox=1,2,3,4,5,6", 400, "got 6 values"},
		{"/ogcapi/collections/places/items?bbox=1,x,3,4", 400, `"x" is not a number`},
		{"/ogcapi/collections/places/items?bbox=3,2,1,4", 400, "a minimum exceeds its maximum"},
		{"/ogcapi/collections/places/items?bbox=1,2,3,95", 400, "outside the range"},
		{"/ogcapi/collections/places/items?crs=EPSG:9999", 400, `unsupported crs "EPSG:9999"`},
		{"/ogcapi/collections/places/items?crs=GCJ02", 400, `unsupported crs "GCJ02"`},
		{"/ogcapi/collections/places/items?bbox=1,2,3,4&bbox-crs=EPSG:1", 400, `unsupported bbox-crs`},
		{"/ogcapi/collections/places/items?foo=1", 400, `unknown query parameter "foo"`},
		{"/ogcapi/collections/places/items/p01?limit=1", 400, `unknown query parameter "limit"`},
		{"/ogcapi/collections?bbox=1,2,3,4", 400, `unknown query parameter "bbox"`},
		{"/ogcapi/collections/places/items?filter-lang=cql2-json&filter=%7B%7D", 400, `unsupported filter-lang "cql2-json"`},
		{"/ogcapi/collections/places/items?filter=kind%20%3D%3D%20%27a%27", 400, "CQL2 syntax error at character 7"},
		{"/ogcapi/collections/places/items?filter=colour%3D%27red%27", 400, `unknown property "colour"`},
		{"/ogcapi/collections/places/items?filter=S_INTERSECTS(geom,POINT(1%202))", 400, `"geom" is not a geometry property`},
		{"/ogcapi/collections/places/items?plan_order=abc", 400, "property plan_order is a number"},
		{"/ogcapi/collections/places/items?f=xml", 400, `unsupported format f="xml"`},
		{"/ogcapi/collections/places/items?plan_order=NaN", 400, `property plan_order is a number; "NaN" is not a decimal number`},
		{"/ogcapi/collections/places/items?plan_order=Inf", 400, `"Inf" is not a decimal number`},
		{"/ogcapi/collections/places/items?plan_order=0x5", 400, `"0x5" is not a decimal number`},
		{"/ogcapi/collections/places/items?plan_order=1_0", 400, `"1_0" is not a decimal number`},
		{"/ogcapi/collections/places/items?limit=0x10", 400, `bad limit "0x10"`},
		{"/ogcapi/collections/places/items?limit=1.5", 400, `bad limit "1.5"`},
		{"/ogcapi/collections/places/items?offset=1e3", 400, `bad offset "1e3"`},
		{"/ogcapi/collections/places/items?bbox=0x71,27,114,28", 400, `"0x71" is not a number`},
		{"/ogcapi/collections/places/items?bbox=1_13,27,114,28", 400, `"1_13" is not a number`},
		{"/ogcapi/collections/places/items?bbox=1,2,30000000,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857", 400, "outside the valid range of EPSG:3857"},
		{"/ogcapi/collections/places/items?datetime=notadate", 400, `bad datetime "notadate": not a date-time or a date`},
		{"/ogcapi/collections/places/items?datetime=2021-02-30", 400, `bad datetime`},
		{"/ogcapi/collections/places/items?datetime=2021-01-01T00:00:00", 400, `bad datetime`},
		{"/ogcapi/collections/places/items?datetime=../..", 400, "an interval needs at least one end"},
		{"/ogcapi/collections/places/items?datetime=2022-01-01/2021-01-01", 400, "the interval ends before it starts"},
		{"/ogcapi/collections/places/items?datetime=2021-01-01/2021-02-01/2021-03-01", 400, "an interval has two ends"},
		{"/ogcapi/collections/places/items?datetime=" + strings.Repeat("9", 30000), 400, "bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			rec := get(t, h, tc.url)
			if rec.Code != tc.wantStatus {
				t.Fatalf("GET %s = %d, want %d: %s", tc.url, rec.Code, tc.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var p struct{ Detail string }
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.Detail, tc.wantDetail) {
				t.Errorf("detail %q, want it to contain %q", p.Detail, tc.wantDetail)
			}
		})
	}
}

func TestHTMLAndNegotiation(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	browser := []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	tests := []struct {
		url      string
		hdr      []string
		wantType string
		wantBody string
	}{
		{"/ogcapi/?f=html", nil, "text/html; charset=utf-8", "service-desc"},
		{"/ogcapi/", browser, "text/html; charset=utf-8", "Hetang District spatial layout"},
		{"/ogcapi/conformance?f=html", nil, "text/html; charset=utf-8", ConfCQL2Text},
		{"/ogcapi/collections", browser, "text/html; charset=utf-8", "zones_v2"},
		{"/ogcapi/collections/places?f=html", nil, "text/html; charset=utf-8", "Named places"},
		{"/ogcapi/collections/places/items?f=html&limit=2", nil, "text/html; charset=utf-8", "2 of 12 matching features"},
		{"/ogcapi/collections/places/items/p01", browser, "text/html; charset=utf-8", "地p01"},
		{"/ogcapi/collections/places/items?f=json", browser, mediatype.GeoJSON, `"numberMatched":12`},
		{"/ogcapi/collections/places/items", []string{"Accept", "application/geo+json"}, mediatype.GeoJSON, `"type":"FeatureCollection"`},
		{"/ogcapi/collections/places/items/p01?f=geojson", nil, mediatype.GeoJSON, `"id":"p01"`},
		{"/ogcapi/collections/places/queryables", nil, mediatype.SchemaJSON, `"x-ogc-role":"primary-geometry"`},
		{"/ogcapi/api", nil, mediatype.OpenAPI, `"openapi":"3.0.3"`},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			rec := get(t, h, tc.url, tc.hdr...)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s", tc.url, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tc.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tc.wantType)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("body lacks %q:\n%.600s", tc.wantBody, rec.Body)
			}
			if strings.HasPrefix(tc.wantType, "text/html") && (strings.Contains(rec.Body.String(), "<script") || strings.Contains(rec.Body.String(), "<link rel=\"stylesheet\"")) {
				t.Errorf("HTML page loads external assets")
			}
		})
	}
}

func TestQueryables(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	var q struct {
		Properties map[string]struct {
			Type   string
			Format string
		}
	}
	rec := get(t, h, "/ogcapi/collections/places/queryables")
	if err := json.Unmarshal(rec.Body.Bytes(), &q); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range q.Properties {
		got[k] = v.Type + v.Format
	}
	want := map[string]string{"geometry": "geometry-point", "id": "string", "name_zh": "string", "name_en": "string",
		"kind": "string", "plan_order": "integer", "key": "boolean"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queryables (-want +got):\n%s", diff)
	}
}

func TestETag(t *testing.T) {
	st, h := newTestServer(t, fixtureLayout())
	url := "/ogcapi/collections/places/items?kind=village"
	first := get(t, h, url)
	tag := first.Header().Get("ETag")
	if !strings.Contains(tag, st.Current().Layout.Version) {
		t.Fatalf("ETag %q does not name the data version %q", tag, st.Current().Layout.Version)
	}
	if rec := get(t, h, url, "If-None-Match", tag); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", rec.Code)
	}
	if other := get(t, h, url+"&limit=2").Header().Get("ETag"); other == tag {
		t.Errorf("different query, same ETag %q", tag)
	}
	// Replacing a layer changes the version, hence the ETag.
	ly := fixtureLayout().Layers[0]
	ly.Features = ly.Features[:3]
	if _, err := st.ReplaceLayer(context.Background(), ly, "sha256:fixture2"); err != nil {
		t.Fatal(err)
	}
	rec := get(t, h, url, "If-None-Match", tag)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == tag {
		t.Errorf("after replacement: %d ETag %q", rec.Code, rec.Header().Get("ETag"))
	}
	if fc := decode[FeatureCollection](t, rec); fc.NumberMatched != 1 {
		t.Errorf("after replacement numberMatched %d, want 1", fc.NumberMatched)
	}
}

func TestGolden(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	for _, tc := range []struct{ file, url string }{
		{"openapi.json", "/ogcapi/api"},
		{"items-places.json", "/ogcapi/collections/places/items?limit=2&offset=1"},
		{"items-roads-4547.json", "/ogcapi/collections/roads/items?crs=http://www.opengis.net/def/crs/EPSG/0/4547"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rec := get(t, h, tc.url)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s", tc.url, rec.Code, rec.Body)
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatal(err)
			}
			got := append(buf.Bytes(), '\n')
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from %s (-want +got; run go test -update if the change is intended):\n%s", tc.url, path, diff)
			}
		})
	}
}

func TestOpenAPIListsQueryables(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Parameters []struct {
					Ref  string `json:"$ref"`
					Name string
					In   string
				}
			}
		}
	}
	if err := json.Unmarshal(get(t, h, "/ogcapi/api").Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range doc.Paths["/collections/places/items"].Get.Parameters {
		if p.In == "query" {
			names = append(names, p.Name)
		}
	}
	if diff := cmp.Diff([]string{"id", "name_zh", "name_en", "kind", "key", "plan_order"}, names); diff != "" {
		t.Errorf("query parameters of /collections/places/items (-want +got):\n%s", diff)
	}
	for _, p := range []string{"/", "/conformance", "/collections", "/collections/zones_v2", "/collections/zones_v2/items/{featureId}", "/collections/zones_v2/queryables"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("OpenAPI document lacks path %s", p)
		}
	}
}

func TestBBoxCRS4547(t *testing.T) {
	_, h := newTestServer(t, fixtureLayout())
	// A 600 m square in EPSG:4547 around p06 (113.21, 27.91), written in
	// the authority order northing,easting; the grid spacing is about 1 km.
	c, err := crs.CGCSGK.FromWGS84(orb.Point{113.21, 27.91})
	if err != nil {
		t.Fatal(err)
	}
	e, n := c[0], c[1]
	url := fmt.Sprintf("/ogcapi/collections/places/items?bbox=%f,%f,%f,%f&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4547", n-300, e-300, n+300, e+300)
	rec := get(t, h, url)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, rec.Code, rec.Body)
	}
	if diff := cmp.Diff([]string{"p06"}, ids(decode[FeatureCollection](t, rec))); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	// The same numbers in x-first order select nothing near the data.
	url = fmt.Sprintf("/ogcapi/collections/places/items?bbox=%f,%f,%f,%f&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4547", e-300, n-300, e+300, n+300)
	if got := ids(decode[FeatureCollection](t, get(t, h, url))); len(got) != 0 {
		t.Errorf("x-first box selected %v", got)
	}
}
