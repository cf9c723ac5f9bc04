package apierr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/mediatype"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		detailPart string
	}{
		{"api error", apierr.BadRequest("lon must be a number"), 400, "lon must be a number"},
		{"wrapped api error", fmt.Errorf("locate: %w", apierr.NotFound("no such layer")), 404, "no such layer"},
		{"cause hidden", apierr.Wrap(503, "try again", errors.New("open /var/lib/secret.gpkg: no such file")), 503, "try again"},
		{"echo 404", echo.ErrNotFound, 404, "GET /api/v1/layers"},
		{"echo 405", echo.ErrMethodNotAllowed, 405, "not allowed"},
		{"body too large", &http.MaxBytesError{Limit: 1024}, 413, "limit of 1024 bytes"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, "time limit"},
		{"internal", errors.New("sql: database is locked at /tmp/x.gpkg"), 500, "request id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			rec := httptest.NewRecorder()
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/x", nil), rec)
			apierr.Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))(tt.err, c)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != mediatype.Problem {
				t.Errorf("Content-Type %q", ct)
			}
			var p apierr.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.status || !strings.Contains(p.Detail, tt.detailPart) {
				t.Errorf("problem %+v, want status %d and detail containing %q", p, tt.status, tt.detailPart)
			}
			if strings.Contains(rec.Body.String(), "/tmp/") || strings.Contains(rec.Body.String(), "/var/lib") {
				t.Errorf("problem leaks a path: %s", rec.Body.String())
			}
		})
	}
}
