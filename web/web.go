// Package web owns the planners' web page: a Leaflet map of the layout served
// at GET /, its assets under /static/, and GET /api/v1/webconfig, which tells
// the page which basemaps the server offers and where the downloads live.
//
// The page is embedded in the binary with go:embed. Leaflet itself comes from
// npm: `make web` (scripts/web.sh) copies it into static/vendor/, which is
// build output and not committed; a checkout without it still compiles, and
// the page then says that Leaflet is missing. Config.WebDir serves the files
// from disk instead, so a developer can edit them without rebuilding.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/config"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

//go:embed static
var embedded embed.FS

// Paths the page serves and links to.
const (
	PathIndex     = "/"
	PathStatic    = "/static/"
	PathWebConfig = links.WebConfig
	PathGPKG      = links.GPKG
	PathOGCAPI    = links.OGCAPI + "/"
	PathLayers    = links.Layers
)

// defaultMaxZoom is used for basemaps whose max_zoom is not configured.
const defaultMaxZoom = 18

// Page serves the web page. Build it with New.
type Page struct {
	files  fs.FS
	disk   bool              // files come from Config.WebDir: no ETag cache, always re-read
	etags  map[string]string // embedded file name → strong ETag
	config WebConfig
	csp    string
}

// Basemap is a basemap as the page sees it.
type Basemap struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	CRS         string `json:"crs"`
	Attribution string `json:"attribution"`
	Subdomains  string `json:"subdomains"`
	MaxZoom     int    `json:"max_zoom"`
}

// Link kinds: a file to download, or a service address to paste into a GIS.
const (
	LinkDownload = "download"
	LinkService  = "service"
)

// Link is a download or a service the page lists under "Downloads and
// services", in the order given. Features add theirs with Page.AddLinks, so
// the page lists new formats without changes of its own.
type Link struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"` // LinkDownload or LinkService
	Href    string `json:"href"`
	Type    string `json:"type"` // media type of what Href answers
	TitleZH string `json:"title_zh"`
	TitleEN string `json:"title_en"`
}

// WebConfig is the body of GET /api/v1/webconfig.
type WebConfig struct {
	Basemaps []Basemap `json:"basemaps"`
	Links    []Link    `json:"links"`
	Notice   string    `json:"notice"`
}

// defaultLinks are the downloads and services every server has.
var defaultLinks = []Link{
	{ID: "gpkg", Kind: LinkDownload, Href: PathGPKG, Type: mediatype.GeoPackage, TitleZH: "GeoPackage（全部图层）", TitleEN: "GeoPackage (all layers)"},
	{ID: "kml", Kind: LinkDownload, Href: links.Download + "/" + links.WholeLayout + links.SuffixKML, Type: mediatype.KML, TitleZH: "KML（全部图层，Google 地球、奥维）", TitleEN: "KML (all layers; Google Earth, Ovi)"},
	{ID: "dxf", Kind: LinkDownload, Href: links.Download + "/" + links.WholeLayout + links.SuffixDXF, Type: mediatype.DXF, TitleZH: "DXF（全部图层，CGCS2000 EPSG:4547，CAD）", TitleEN: "DXF (all layers, CGCS2000 EPSG:4547, for CAD)"},
	{ID: "ogcapi", Kind: LinkService, Href: PathOGCAPI, Type: mediatype.HTML, TitleZH: "OGC API – Features 服务地址（QGIS、ArcGIS）", TitleEN: "OGC API – Features address (QGIS, ArcGIS)"},
}

// AddLinks appends downloads or services to the page's list (call before
// serving). A link whose ID is already listed replaces it.
func (p *Page) AddLinks(links ...Link) {
	for _, l := range links {
		if i := slices.IndexFunc(p.config.Links, func(x Link) bool { return x.ID == l.ID }); i >= 0 {
			p.config.Links[i] = l
			continue
		}
		p.config.Links = append(p.config.Links, l)
	}
}

// New builds the page. With cfg.WebDir set the files are read from that
// directory (the one holding index.html; a directory whose static/ subfolder
// holds it, such as web/, is accepted too) on every request.
func New(cfg config.Config) *Page {
	p := &Page{config: webConfig(cfg), csp: contentSecurityPolicy(cfg.Basemaps)}
	if cfg.WebDir != "" {
		dir := cfg.WebDir
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			if _, err := os.Stat(filepath.Join(dir, "static", "index.html")); err == nil {
				dir = filepath.Join(dir, "static")
			}
		}
		p.files, p.disk = os.DirFS(dir), true
		return p
	}
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic("web: embedded static directory is missing: " + err.Error())
	}
	p.files = sub
	p.etags = map[string]string{}
	_ = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		p.etags[name] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return p
}

func webConfig(cfg config.Config) WebConfig {
	wc := WebConfig{
		Basemaps: []Basemap{},
		Links:    slices.Clone(defaultLinks),
		Notice:   layout.Notice,
	}
	for _, b := range cfg.Basemaps {
		mz := b.MaxZoom
		if mz <= 0 {
			mz = defaultMaxZoom
		}
		name := b.Name
		if name == "" {
			name = b.ID
		}
		wc.Basemaps = append(wc.Basemaps, Basemap{ID: b.ID, Name: name, URL: b.URL, CRS: b.CRS,
			Attribution: b.Attribution, Subdomains: b.Subdomains, MaxZoom: mz})
	}
	return wc
}

// contentSecurityPolicy allows the page to load only from its own origin,
// plus tile images from the configured basemaps' hosts.
func contentSecurityPolicy(basemaps []config.Basemap) string {
	img := []string{"'self'", "data:", "blob:"}
	for _, b := range basemaps {
		if src := tileSource(b.URL); src != "" && !slices.Contains(img, src) {
			img = append(img, src)
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"img-src " + strings.Join(img, " "),
		"style-src 'self' 'unsafe-inline'",
		"script-src 'self'",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'self'",
	}, "; ")
}

// tileSource turns a Leaflet tile URL template into a CSP source: the host,
// with a {s} subdomain placeholder as a leading wildcard label; when a
// placeholder sits elsewhere in the host, only the scheme.
func tileSource(tmpl string) string {
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(tmpl))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	i := strings.Index(tmpl, "://")
	host := tmpl[i+3:]
	if j := strings.IndexAny(host, "/?#"); j >= 0 {
		host = host[:j]
	}
	if !strings.Contains(host, "{") {
		return u.Scheme + "://" + host
	}
	if first, rest, ok := strings.Cut(host, "."); ok && strings.HasPrefix(first, "{") && strings.HasSuffix(first, "}") && !strings.Contains(rest, "{") {
		return u.Scheme + "://*." + rest
	}
	return u.Scheme + ":"
}

// Mount adds the page's routes.
func (p *Page) Mount(r httpapi.Routes) {
	r.Echo.GET(PathIndex, p.index, r.Std...)
	r.Echo.GET(PathStatic+"*", p.static, r.Std...)
	r.Echo.GET(PathWebConfig, p.webconfig, r.Std...)
}

func (p *Page) index(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	return p.serve(c, "index.html")
}

func (p *Page) static(c echo.Context) error {
	name := c.Param("*")
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	clean := strings.TrimPrefix(path.Clean("/"+name), "/")
	if clean != name || !fs.ValidPath(clean) || clean == "." {
		return apierr.NotFound("no such file; the page's assets live under /static/")
	}
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return p.serve(c, clean)
}

// serve writes one file: never a directory listing, revalidated on every use.
func (p *Page) serve(c echo.Context, name string) error {
	f, err := p.files.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if strings.HasPrefix(name, "vendor/") {
				return apierr.NotFound("Leaflet is not built into this binary; run `make web` and rebuild")
			}
			return apierr.NotFound("no such file; the page's assets live under /static/")
		}
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return apierr.NotFound("no such file; directories are not listed")
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return apierr.Errorf(apierr.KindInternal, "web: asset is not seekable")
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	modTime := st.ModTime()
	if !p.disk {
		h.Set("ETag", p.etags[name])
		modTime = time.Time{}
	}
	http.ServeContent(c.Response(), c.Request(), name, modTime, rs)
	return nil
}

func (p *Page) webconfig(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSON(http.StatusOK, p.config)
}
