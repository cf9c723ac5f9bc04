package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/httpapi"
)

func TestParseCRSParam(t *testing.T) {
	ogc := []crs.CRS{crs.CRS84, crs.WGS84, crs.CGCSGK}
	tests := []struct {
		name      string
		value     string
		supported []crs.CRS
		want      string // CRS code, or "" for an error
		detail    string // part of the 400's detail
	}{
		{"default", "", nil, "CRS84", ""},
		{"short name", "EPSG:4547", nil, "EPSG:4547", ""},
		{"web-map frame", "gcj-02", nil, "GCJ02", ""},
		{"unknown", "EPSG:9999", nil, "", "use one of CRS84, EPSG:4326"},
		{"restricted: URI", "http://www.opengis.net/def/crs/EPSG/0/4547", ogc, "EPSG:4547", ""},
		{"restricted: default", "", ogc, "CRS84", ""},
		{"restricted: known but not offered", "GCJ02", ogc, "", `unsupported bbox-crs "GCJ02"; use one of http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4326, http://www.opengis.net/def/crs/EPSG/0/4547`},
		{"restricted: unknown", "nope", ogc, "", `unsupported bbox-crs "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := httpapi.ParamCRS
			if tt.supported != nil {
				name = "bbox-crs"
			}
			got, err := httpapi.ParseCRSParam(url.Values{name: {tt.value}}, name, tt.supported)
			if tt.want != "" {
				if err != nil || got.Code != tt.want {
					t.Fatalf("got %q, %v; want %s", got.Code, err, tt.want)
				}
				return
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status() != http.StatusBadRequest || !strings.Contains(ae.Detail, tt.detail) {
				t.Fatalf("error %v, want a 400 whose detail contains %q", err, tt.detail)
			}
		})
	}
}

// TestResponseCacheIsByteCapped checks that the cache keeps the most
// recently used bodies within its byte cap (rather than emptying itself when
// full) and answers If-None-Match with 304.
func TestResponseCacheIsByteCapped(t *testing.T) {
	const body = 1000
	rc := httpapi.NewResponseCache(3*(body+200), 0) // room for three bodies with their keys
	builds := map[string]int{}
	serve := func(etag, inm string) int {
		e := echo.New()
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		err := rc.Serve(e.NewContext(req, rec), etag, "application/json", func() ([]byte, error) {
			builds[etag]++
			return []byte(strings.Repeat("x", body)), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Header().Get("ETag"); got != etag {
			t.Errorf("ETag %q, want %q", got, etag)
		}
		return rec.Code
	}
	tag := func(i int) string { return fmt.Sprintf(`W/"v.%d"`, i) }
	for i := range 4 {
		serve(tag(i), "")
	}
	// The cache now holds 1, 2 and 3: 0 was the least recently used.
	for _, step := range []struct {
		i      int
		builds int // how often tag(i) has been built after serving it
	}{
		{3, 1}, // kept
		{2, 1}, // kept
		{0, 2}, // evicted before, rebuilt now; evicts 1
		{3, 1}, // still kept
		{1, 2}, // evicted by 0
	} {
		serve(tag(step.i), "")
		if builds[tag(step.i)] != step.builds {
			t.Fatalf("after serving %s: built %d times, want %d (all builds: %v)", tag(step.i), builds[tag(step.i)], step.builds, builds)
		}
	}
	if code := serve(tag(3), `"v.3"`); code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", code)
	}
}
