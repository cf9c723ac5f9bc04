package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"hetang/internal/links"
)

// ServeBytes answers with body as a file: Content-Length, ETag and
// If-None-Match (304), HEAD without the body, and byte ranges (206, or 416 for
// a range past the end), as clients that read files by URL need (GDAL's
// /vsicurl/, QGIS's "Protocol HTTP(S)"). name gives the download's file name
// in Content-Disposition ("" for none).
func ServeBytes(c echo.Context, name, mediaType, etag string, body []byte) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, mediaType)
	if etag != "" {
		h.Set(headerETag, etag)
	}
	if name != "" {
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	}
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(body))
	return nil
}

// servesWhole reports whether a request must not be compressed on the fly:
// byte-range requests and HEAD (whose Content-Length must be the body's), and
// the file downloads, which are sent with their length.
func servesWhole(c echo.Context) bool {
	req := c.Request()
	if req.Header.Get("Range") != "" || req.Method == http.MethodHead {
		return true
	}
	p := req.URL.Path
	for _, prefix := range wholePrefixes {
		if len(p) >= len(prefix) && p[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

// wholePrefixes are the paths whose answers are files sent with their length.
var wholePrefixes = []string{links.Download + "/", links.Tiles + "/", links.Licence}
