package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/httpapi"
	"hetang/internal/store"
)

// A write the store refused is answered by why: another writer kept
// committing first (409, retry), the database out of reach (503 with
// Retry-After, nothing changed), the connection lost while committing (503
// that says the write may be saved), a bad message (400), nothing to
// change (409); anything else is the server's fault (500).
func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		retry  bool
		detail string
	}{
		{"conflict", fmt.Errorf("%w (base 7, newest 8)", store.ErrConflict), http.StatusConflict, true, "other writes kept committing first"},
		{"database down", fmt.Errorf("%w: dial: refused", store.ErrUnavailable), http.StatusServiceUnavailable, true, "the import was not saved: the database cannot be reached"},
		{"lost while committing", fmt.Errorf("%w: version 9: EOF", store.ErrOutcomeUnknown), http.StatusServiceUnavailable, true, "may or may not have been saved"},
		{"bad message", fmt.Errorf("%w: it holds the control character U+0000 at byte 3", store.ErrMessage), http.StatusBadRequest, false, "message=: it holds the control character U+0000"},
		{"unchanged", fmt.Errorf("%w: version 4 is the newest version", store.ErrUnchanged), http.StatusConflict, false, "would change nothing: version 4 is the newest version"},
		{"read-only", store.ErrReadOnly, http.StatusConflict, false, "read-only"},
		{"other", errors.New("disk on fire"), http.StatusInternalServerError, false, "could not be saved"},
		{"already an answer", apierr.NotFound("no such layer"), http.StatusNotFound, false, "no such layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := httpapi.WriteError(tc.err, "the import")
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status() != tc.status {
				t.Fatalf("WriteError(%v) = %v, want status %d", tc.err, err, tc.status)
			}
			if (ae.RetryAfter > 0) != tc.retry {
				t.Errorf("Retry-After %v, want one: %v", ae.RetryAfter, tc.retry)
			}
			if !strings.Contains(ae.Detail, tc.detail) || strings.Contains(ae.Detail, "store:") {
				t.Errorf("detail %q, want it to say %q (and no Go package names)", ae.Detail, tc.detail)
			}
			if !errors.Is(err, tc.err) {
				t.Error("the cause is lost (the log needs it)")
			}
		})
	}
}

// ?message= is checked before any work: text of at most store.MaxMessage
// characters, newlines and tabs allowed, no other control characters; a
// ?version= on a write is refused, not ignored.
func TestWriteMessage(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  string // the message, or the 400's detail
		ok    bool
	}{
		{"", "", true},
		{"message=survey+2026", "survey 2026", true},
		{"message=%E4%B8%A4%E8%A1%8C%0A%09ok", "两行\n\tok", true},
		{"message=a%00b", "control character U+0000 at byte 1", false},
		{"message=%1B%5B31m", "control character U+001B", false},
		{"message=" + strings.Repeat("x", store.MaxMessage+1), fmt.Sprintf("%d characters; at most %d", store.MaxMessage+1, store.MaxMessage), false},
		{"message=ok&version=3", `version="3": a write always applies to the newest version`, false},
	} {
		c := echo.New().NewContext(httptest.NewRequest(http.MethodPut, "/?"+tc.query, nil), httptest.NewRecorder())
		got, err := httpapi.WriteMessage(c)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("%.40s: %q, %v; want %q", tc.query, got, err, tc.want)
			}
			continue
		}
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Status() != http.StatusBadRequest || !strings.Contains(ae.Detail, tc.want) {
			t.Errorf("%.40s: %v; want a 400 saying %q", tc.query, err, tc.want)
		}
	}
}
