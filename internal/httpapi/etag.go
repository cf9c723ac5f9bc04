package httpapi

import (
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// Header names echo does not define.
const (
	headerETag        = "ETag"
	headerIfNoneMatch = "If-None-Match"
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

// ResponseCache keeps encoded responses by ETag. An ETag names the data
// version, so entries built from replaced data are never served again.
type ResponseCache struct {
	maxEntries int
	maxBody    int
	mu         sync.Mutex
	m          map[string][]byte
}

// NewResponseCache returns a cache of at most maxEntries bodies (it is
// emptied when full), each at most maxBody bytes (0: any size; larger bodies
// are rebuilt per request).
func NewResponseCache(maxEntries, maxBody int) *ResponseCache {
	return &ResponseCache{maxEntries: maxEntries, maxBody: maxBody, m: map[string][]byte{}}
}

// Serve answers 304 when If-None-Match matches etag, else the cached body or
// the one build returns.
func (rc *ResponseCache) Serve(c echo.Context, etag, mediaType string, build func() ([]byte, error)) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=60, must-revalidate")
	if NotModified(c, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	rc.mu.Lock()
	b, ok := rc.m[etag]
	rc.mu.Unlock()
	if !ok {
		var err error
		if b, err = build(); err != nil {
			return err
		}
		if rc.maxBody <= 0 || len(b) <= rc.maxBody {
			rc.mu.Lock()
			if len(rc.m) >= rc.maxEntries {
				clear(rc.m)
			}
			rc.m[etag] = b
			rc.mu.Unlock()
		}
	}
	return c.Blob(http.StatusOK, mediaType, b)
}
