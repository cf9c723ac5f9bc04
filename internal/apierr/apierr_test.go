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
		{"kind invalid", apierr.Errorf(apierr.KindInvalid, "lon %v is outside [-180, 180]", 200), 400, "lon 200 is outside"},
		{"kind wrapped twice", fmt.Errorf("importer: %w", fmt.Errorf("reading: %w", apierr.Errorf(apierr.KindUnsupportedMediaType, "send GeoJSON"))), 415, "send GeoJSON"},
		{"kind unauthorized", apierr.Errorf(apierr.KindUnauthorized, "token missing"), 401, "token missing"},
		{"kind forbidden", apierr.Errorf(apierr.KindForbidden, "imports disabled"), 403, "imports disabled"},
		{"kind conflict, cause hidden", apierr.WithCause(apierr.KindConflict, "read-only", errors.New("store: /srv/x.gpkg is read-only")), 409, "read-only"},
		{"kind too large", apierr.Errorf(apierr.KindTooLarge, "body too big"), 413, "body too big"},
		{"kind unprocessable", apierr.Errorf(apierr.KindUnprocessable, "2 checks failed"), 422, "2 checks failed"},
		{"kind unavailable", apierr.Errorf(apierr.KindUnavailable, "no data loaded yet"), 503, "no data loaded"},
		{"low-level constructor", apierr.New(http.StatusConflict, "old style"), 409, "old style"},
		{"echo 500 hides its message", echo.NewHTTPError(500, "boom at /tmp/x"), 500, "request id"},
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

// TestKindsMapToStatuses checks the one table from kinds to statuses: every
// kind has its own status, and New's status finds its kind again.
func TestKindsMapToStatuses(t *testing.T) {
	want := map[apierr.Kind]int{
		apierr.KindInternal: 500, apierr.KindInvalid: 400, apierr.KindUnauthorized: 401, apierr.KindForbidden: 403,
		apierr.KindNotFound: 404, apierr.KindMethodNotAllowed: 405, apierr.KindConflict: 409, apierr.KindTooLarge: 413,
		apierr.KindUnsupportedMediaType: 415, apierr.KindUnprocessable: 422, apierr.KindCanceled: 499, apierr.KindUnavailable: 503,
	}
	for k, status := range want {
		if got := k.Status(); got != status {
			t.Errorf("%v.Status() = %d, want %d", k, got, status)
		}
		if got := apierr.New(status, "x").Kind; got != k {
			t.Errorf("New(%d).Kind = %v, want %v", status, got, k)
		}
	}
	for status, k := range map[int]apierr.Kind{418: apierr.KindInvalid, 502: apierr.KindInternal} {
		if got := apierr.KindOfStatus(status); got != k {
			t.Errorf("KindOfStatus(%d) = %v, want %v", status, got, k)
		}
	}
}

// TestErrorsCarryTheirKind checks that the category travels with the error
// through wrapping, without looking at any text.
func TestErrorsCarryTheirKind(t *testing.T) {
	cause := errors.New("crs: unknown")
	err := fmt.Errorf("locate: %w", apierr.Errorf(apierr.KindInvalid, "cannot convert: %w", cause))
	if !errors.Is(err, apierr.KindInvalid) || errors.Is(err, apierr.KindNotFound) {
		t.Errorf("errors.Is by kind: invalid %v, not found %v; want true, false", errors.Is(err, apierr.KindInvalid), errors.Is(err, apierr.KindNotFound))
	}
	if !errors.Is(err, cause) {
		t.Error("the cause given with %w is not reachable")
	}
	if got := apierr.KindOf(err); got != apierr.KindInvalid {
		t.Errorf("KindOf = %v, want KindInvalid", got)
	}
	if got, want := apierr.Message(err), "cannot convert: crs: unknown"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if got, want := err.Error(), "locate: cannot convert: crs: unknown"; got != want {
		t.Errorf("Error = %q, want %q", got, want)
	}
	plain := errors.New("the wkt column is empty")
	if apierr.Message(plain) != plain.Error() || apierr.KindOf(plain) != apierr.KindInternal {
		t.Errorf("plain error: Message %q, KindOf %v", apierr.Message(plain), apierr.KindOf(plain))
	}
	for _, tt := range []struct {
		err  error
		want apierr.Kind
	}{
		{&http.MaxBytesError{Limit: 1}, apierr.KindTooLarge},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), apierr.KindUnavailable},
		{context.Canceled, apierr.KindCanceled},
		{echo.ErrMethodNotAllowed, apierr.KindMethodNotAllowed},
	} {
		if got := apierr.KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestFindingsGoThroughTheHandler checks that a problem document carries a
// list of findings, logged like any other rejection.
func TestFindingsGoThroughTheHandler(t *testing.T) {
	type finding struct {
		Check   string `json:"check"`
		Message string `json:"message"`
	}
	var logs strings.Builder
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodPut, "/api/v1/layers/areas", nil), rec)
	c.Response().Header().Set(echo.HeaderXRequestID, "rid-1")
	err := &apierr.Error{Kind: apierr.KindUnprocessable, Detail: "import rejected: 1 check(s) failed",
		Findings: []finding{{Check: "areas-partition", Message: "union differs"}}}
	apierr.Handler(slog.New(slog.NewTextHandler(&logs, nil)))(err, c)
	want := `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"import rejected: 1 check(s) failed",` +
		`"findings":[{"check":"areas-partition","message":"union differs"}],"request_id":"rid-1"}`
	if rec.Code != 422 || rec.Body.String() != want {
		t.Errorf("got %d %s\nwant 422 %s", rec.Code, rec.Body.String(), want)
	}
	if !strings.Contains(logs.String(), "request rejected") || !strings.Contains(logs.String(), "status=422") || !strings.Contains(logs.String(), "request_id=rid-1") {
		t.Errorf("log line %q lacks the rejection", logs.String())
	}
}
