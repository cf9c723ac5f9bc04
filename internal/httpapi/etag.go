package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"hetang/internal/lru"
)

// Header names echo does not define.
const (
	headerETag         = "ETag"
	headerIfNoneMatch  = "If-None-Match"
	headerCacheControl = "Cache-Control"
)

// ETagMatches reports whether an If-None-Match header matches etag, using
// the weak comparison RFC 9110 prescribes for If-None-Match.
func ETagMatches(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// NotModified sets etag on the response and reports whether the request's
// If-None-Match already names it (the caller then answers 304).
func NotModified(c echo.Context, etag string) bool {
	c.Response().Header().Set(headerETag, etag)
	inm := c.Request().Header.Get(headerIfNoneMatch)
	return inm != "" && ETagMatches(inm, etag)
}

// ResponseCache keeps encoded responses by ETag in a byte-capped LRU. An
// ETag names the data version, so entries built from replaced data are never
// served again; they age out.
type ResponseCache struct {
	maxBody int
	bodies  *lru.Cache[[]byte]
}

// NewResponseCache returns a cache of at most maxBytes of bodies, each at
// most maxBody bytes (0: any size that fits; larger bodies are rebuilt per
// request).
func NewResponseCache(maxBytes int64, maxBody int) *ResponseCache {
	return &ResponseCache{maxBody: maxBody, bodies: lru.New[[]byte](maxBytes)}
}

// Serve answers 304 when If-None-Match matches etag, else the cached body or
// the one build returns.
func (rc *ResponseCache) Serve(c echo.Context, etag, mediaType string, build func() ([]byte, error)) error {
	c.Response().Header().Set(headerCacheControl, "public, max-age=60, must-revalidate")
	if NotModified(c, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	b, ok := rc.bodies.Get(etag)
	if !ok {
		var err error
		if b, err = build(); err != nil {
			return err
		}
		if rc.maxBody <= 0 || len(b) <= rc.maxBody {
			rc.bodies.Put(etag, b, int64(len(b)))
		}
	}
	return c.Blob(http.StatusOK, mediaType, b)
}
