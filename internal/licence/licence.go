// Package licence owns the data licence: its text (geodata/LICENCE.md), the
// route that serves it, GET /licence, and the short attributions and link
// that every document, download and tileset carries.
package licence

import (
	"github.com/labstack/echo/v4"

	"hetang/geodata"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// Path is where the licence text is served.
const Path = links.Licence

// Title names the licence in links.
const Title = "Data licence: schematic digitisation CC BY 4.0; boundaries DataV.GeoAtlas / Amap terms"

// Attribution credits both kinds of data, for map attributions and file
// headers.
const Attribution = layout.Attribution

// Text is the licence text.
func Text() string { return geodata.Licence }

// Link returns the licence link for a service reached at base (scheme://host).
func Link(base string) links.Link {
	return links.Link{Rel: links.RelLicense, Href: base + Path, Type: mediatype.Markdown, Title: Title}
}

// Server serves the licence.
type Server struct{}

// Mount adds GET /licence.
func (Server) Mount(r httpapi.Routes) {
	r.Echo.GET(Path, func(c echo.Context) error {
		return httpapi.ServeBytes(c, "LICENCE.md", mediatype.Markdown, `"licence"`, []byte(Text()))
	}, r.Std...)
}
