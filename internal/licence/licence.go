// Package licence owns the data licence: its text (geodata/LICENCE.md), the
// route that serves it, GET /licence, and the short attributions and link
// that every document, download and tileset carries.
package licence

import (
	"github.com/labstack/echo/v4"

	"hetang/geodata"
	"hetang/internal/httpapi"
)

// Path is where the licence text is served.
const Path = "/licence"

// Rel is the link relation of a licence link (RFC 4946, IANA).
const Rel = "license"

// MediaType is the licence text's media type.
const MediaType = "text/markdown; charset=utf-8"

// Title names the licence in links.
const Title = "Data licence: schematic digitisation CC BY 4.0; boundaries DataV.GeoAtlas / Amap terms"

// Attribution credits both kinds of data, for map attributions and file
// headers.
const Attribution = "Hetang spatial layout, schematic digitisation of the 14th Five-Year Plan (hetang project), CC BY 4.0; boundaries: DataV.GeoAtlas, © 高德地图 (Amap) data"

// Text is the licence text.
func Text() string { return geodata.Licence }

// Link returns the licence link for a service reached at base (scheme://host).
func Link(base string) httpapi.Link {
	return httpapi.Link{Rel: Rel, Href: base + Path, Type: MediaType, Title: Title}
}

// Server serves the licence.
type Server struct{}

// Mount adds GET /licence.
func (Server) Mount(r httpapi.Routes) {
	r.Echo.GET(Path, func(c echo.Context) error {
		return httpapi.ServeBytes(c, "LICENCE.md", MediaType, `"licence"`, []byte(Text()))
	}, r.Std...)
}
