package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/config"
	"hetang/internal/fixture"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
)

func newServer(t *testing.T, cfg config.Config) *httptest.Server {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = apierr.Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	New(cfg).Mount(httpapi.Routes{Echo: e})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// getString is fixture.Get with the body as a string.
func getString(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, b := fixture.Get(t, url, nil)
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	srv := newServer(t, config.Default())
	tests := []struct {
		name, path string
		status     int
		ctype      string // prefix of Content-Type
		body       string // substring of the body
	}{
		{"index", "/", 200, "text/html", "荷塘区空间布局"},
		{"index loads Leaflet from the same origin", "/", 200, "text/html", `src="/static/vendor/leaflet/leaflet.js"`},
		{"script", "/static/js/main.js", 200, "text/javascript", "layerCounts"},
		{"module", "/static/js/api.js", 200, "text/javascript", "export class ApiError"},
		{"stylesheet", "/static/app.css", 200, "text/css", "@media"},
		{"index by name", "/static/index.html", 200, "text/html", "<!doctype html>"},
		{"no listing of static", "/static/", 404, "application/problem+json", "no such file"},
		{"no listing of a subdirectory", "/static/vendor", 404, "application/problem+json", ""},
		{"missing file", "/static/nope.js", 404, "application/problem+json", "no such file"},
		{"dot-dot", "/static/../web.go", 404, "", ""},
		{"escaped dot-dot", "/static/%2e%2e/web.go", 404, "application/problem+json", ""},
		{"escaped slash dot-dot", "/static/..%2fweb.go", 404, "application/problem+json", ""},
		{"webconfig", "/api/v1/webconfig", 200, "application/json", `"href":"/ogcapi/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := getString(t, srv.URL+tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: status %d, want %d; body %s", tt.path, resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("GET %s: Content-Type %q, want prefix %q", tt.path, ct, tt.ctype)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("GET %s: body lacks %q", tt.path, tt.body)
			}
			if strings.Contains(body, "package web") {
				t.Errorf("GET %s: served Go source", tt.path)
			}
		})
	}
}

func TestIndexHeaders(t *testing.T) {
	srv := newServer(t, config.Default())
	resp, _ := getString(t, srv.URL+"/")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "connect-src 'self'", "script-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the embedded index")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("If-None-Match", etag)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", resp2.StatusCode)
	}
}

func TestWebConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Basemaps = []config.Basemap{
		{ID: "osm", Name: "OpenStreetMap", URL: "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", CRS: "WGS84", Attribution: "© OpenStreetMap", Subdomains: "abc"},
		{ID: "amap", URL: "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", CRS: "GCJ02", Subdomains: "1234", MaxZoom: 17},
	}
	srv := newServer(t, cfg)
	resp, body := getString(t, srv.URL+"/api/v1/webconfig")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got WebConfig
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := WebConfig{
		Basemaps: []Basemap{
			{ID: "osm", Name: "OpenStreetMap", URL: "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", CRS: "WGS84", Attribution: "© OpenStreetMap", Subdomains: "abc", MaxZoom: 18},
			{ID: "amap", Name: "amap", URL: "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", CRS: "GCJ02", Subdomains: "1234", MaxZoom: 17},
		},
		Links: []Link{
			{ID: "gpkg", Kind: LinkDownload, Href: "/api/v1/download/hetang.gpkg", Type: "application/geopackage+sqlite3", TitleZH: "GeoPackage（全部图层）", TitleEN: "GeoPackage (all layers)"},
			{ID: "kml", Kind: LinkDownload, Href: "/api/v1/download/hetang.kml", Type: "application/vnd.google-earth.kml+xml", TitleZH: "KML（全部图层，Google 地球、奥维）", TitleEN: "KML (all layers; Google Earth, Ovi)"},
			{ID: "dxf", Kind: LinkDownload, Href: "/api/v1/download/hetang.dxf", Type: "image/vnd.dxf", TitleZH: "DXF（全部图层，CGCS2000 EPSG:4547，CAD）", TitleEN: "DXF (all layers, CGCS2000 EPSG:4547, for CAD)"},
			{ID: "ogcapi", Kind: LinkService, Href: "/ogcapi/", Type: "text/html", TitleZH: "OGC API – Features 服务地址（QGIS、ArcGIS）", TitleEN: "OGC API – Features address (QGIS, ArcGIS)"},
		},
		Notice: layout.Notice,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("webconfig (-want +got):\n%s", diff)
	}
	resp, _ = getString(t, srv.URL+"/")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: blob: https://*.tile.openstreetmap.org https:") {
		t.Errorf("CSP img-src does not allow the basemaps: %q", csp)
	}
}

func TestAddLinks(t *testing.T) {
	p := New(config.Default())
	p.AddLinks(Link{ID: "wfs", Kind: LinkService, Href: "/wfs", Type: "application/xml", TitleZH: "WFS", TitleEN: "WFS"},
		Link{ID: "gpkg", Kind: LinkDownload, Href: "/x.gpkg", Type: "application/geopackage+sqlite3", TitleZH: "新", TitleEN: "new"})
	var ids, hrefs []string
	for _, l := range p.config.Links {
		ids, hrefs = append(ids, l.ID), append(hrefs, l.Href)
	}
	if diff := cmp.Diff([]string{"gpkg", "kml", "dxf", "ogcapi", "wfs"}, ids); diff != "" {
		t.Errorf("link ids (-want +got):\n%s", diff)
	}
	if hrefs[0] != "/x.gpkg" {
		t.Errorf("a link with a listed id replaces it: %v", hrefs)
	}
	if q := New(config.Default()); len(q.config.Links) != len(defaultLinks) {
		t.Errorf("AddLinks changed the defaults of later pages: %v", q.config.Links)
	}
}

func TestTileSource(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"subdomain placeholder", "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"},
		{"fixed host", "https://tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"},
		{"placeholder inside a label", "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}", "https:"},
		{"tianditu", "http://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY", "http:"},
		{"with port", "http://localhost:8081/{z}/{x}/{y}.png", "http://localhost:8081"},
		{"not http", "file:///tiles/{z}/{x}/{y}.png", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tileSource(tt.url); got != tt.want {
				t.Errorf("tileSource(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestWebDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>from disk</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.WebDir = dir
	srv := newServer(t, cfg)
	if _, body := getString(t, srv.URL+"/"); body != "<p>from disk</p>" {
		t.Errorf("GET / = %q, want the file on disk", body)
	}
	if resp, _ := getString(t, srv.URL+"/static/sub"); resp.StatusCode != 404 {
		t.Errorf("GET /static/sub: status %d, want 404 (no listing)", resp.StatusCode)
	}
	// a directory whose static/ holds index.html (such as web/) works too
	cfg.WebDir = "."
	srv = newServer(t, cfg)
	if _, body := getString(t, srv.URL+"/"); !strings.Contains(body, "荷塘区空间布局") {
		t.Errorf("GET / with web_dir=web: did not serve web/static/index.html")
	}
}
