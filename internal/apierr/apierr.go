// Package apierr owns the service's error responses: handlers return errors,
// and Handler, installed once as echo's HTTPErrorHandler, turns them into an
// RFC 9457 problem document with a status code and a message a person can act
// on. 4xx are logged at info level, 5xx at error level; internal details
// (file paths, stack traces) never reach the client.
//
// Errors carry their category, a Kind: an *Error has one, and Status maps
// each Kind to its HTTP status in one table. Code that finds a client's
// mistake returns an *Error (Errorf, WithCause, or the shorthands BadRequest
// and NotFound), possibly wrapped with %w; code that knows a lower layer's
// sentinel error turns it into one with errors.Is. Nothing decides a status
// from an error's text.
package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// Kind is the category of an error. Each Kind maps to one HTTP status
// (Status); a Kind is itself an error value, so errors.Is(err, KindNotFound)
// asks whether err is, or wraps, an *Error of that kind.
type Kind uint8

// The kinds. The zero Kind is KindInternal.
const (
	KindInternal             Kind = iota // a fault of the server: 500
	KindInvalid                          // an invalid argument, parameter or body: 400
	KindUnauthorized                     // missing or wrong credentials: 401
	KindForbidden                        // not allowed on this server: 403
	KindNotFound                         // no such resource: 404
	KindMethodNotAllowed                 // the resource does not take this method: 405
	KindConflict                         // the resource's state forbids it (read-only data): 409
	KindTooLarge                         // the body exceeds a limit: 413
	KindUnsupportedMediaType             // the body's media type is not one the resource reads: 415
	KindUnprocessable                    // well-formed input that fails validation: 422
	KindCanceled                         // the client went away: 499 (nginx's "client closed request")
	KindUnavailable                      // cannot be served now (time limit, data not loaded): 503
	numKinds
)

// StatusClientClosedRequest is the status logged for requests the client
// abandoned (nginx's 499); the client never sees it.
const StatusClientClosedRequest = 499

// kinds is the one table from kinds to HTTP statuses and names.
var kinds = [numKinds]struct {
	status int
	name   string
}{
	KindInternal:             {http.StatusInternalServerError, "internal error"},
	KindInvalid:              {http.StatusBadRequest, "invalid argument"},
	KindUnauthorized:         {http.StatusUnauthorized, "unauthorized"},
	KindForbidden:            {http.StatusForbidden, "forbidden"},
	KindNotFound:             {http.StatusNotFound, "not found"},
	KindMethodNotAllowed:     {http.StatusMethodNotAllowed, "method not allowed"},
	KindConflict:             {http.StatusConflict, "conflict"},
	KindTooLarge:             {http.StatusRequestEntityTooLarge, "too large"},
	KindUnsupportedMediaType: {http.StatusUnsupportedMediaType, "unsupported media type"},
	KindUnprocessable:        {http.StatusUnprocessableEntity, "unprocessable"},
	KindCanceled:             {StatusClientClosedRequest, "canceled"},
	KindUnavailable:          {http.StatusServiceUnavailable, "unavailable"},
}

// Status returns the HTTP status of k.
func (k Kind) Status() int {
	if k >= numKinds {
		return http.StatusInternalServerError
	}
	return kinds[k].status
}

// Error names the kind, so that a Kind can be a sentinel error.
func (k Kind) Error() string {
	if k >= numKinds {
		return "apierr: kind " + strconv.Itoa(int(k))
	}
	return "apierr: " + kinds[k].name
}

// KindOfStatus returns the kind whose status is status; a status no kind
// has is KindInvalid when it is 4xx and KindInternal otherwise.
func KindOfStatus(status int) Kind {
	for k := range numKinds {
		if kinds[k].status == status {
			return k
		}
	}
	if status >= 400 && status < 500 {
		return KindInvalid
	}
	return KindInternal
}

// Error is an error with a category and a message for the client.
type Error struct {
	Kind Kind
	// Detail is shown to the client: say what was wrong and how to fix it.
	Detail string
	// Err is the cause, logged but never shown to the client.
	Err error
	// Findings, when not nil, is sent as the problem's "findings" member: a
	// JSON array of what failed (for example the checks an import failed).
	Findings any
	// RetryAfter, when positive, is sent as the Retry-After header (whole
	// seconds, rounded up): when a refused request may be tried again.
	RetryAfter time.Duration

	// wrapped is a cause Errorf took with %w: already part of Detail, kept
	// for errors.Is and errors.As.
	wrapped error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Detail + ": " + e.Err.Error()
	}
	return e.Detail
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return e.wrapped
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Status returns the HTTP status of e's kind.
func (e *Error) Status() int { return e.Kind.Status() }

// Errorf returns an Error of the given kind whose Detail is formatted from
// format and args. Causes given with %w are part of the Detail (as their
// text) and stay reachable for errors.Is and errors.As.
func Errorf(kind Kind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Detail: err.Error(), wrapped: errors.Unwrap(err)}
}

// WithCause returns an Error of the given kind with the client message
// detail and the cause err, which is logged but not shown.
func WithCause(kind Kind, detail string, err error) *Error {
	return &Error{Kind: kind, Detail: detail, Err: err}
}

// New returns an Error with the given status and client message (the kind
// is KindOfStatus(status)).
func New(status int, detail string) *Error {
	return &Error{Kind: KindOfStatus(status), Detail: detail}
}

// Wrap returns an Error with the given status and client message whose
// cause is err.
func Wrap(status int, detail string, err error) *Error {
	return &Error{Kind: KindOfStatus(status), Detail: detail, Err: err}
}

// BadRequest returns a KindInvalid error (400).
func BadRequest(detail string) *Error { return &Error{Kind: KindInvalid, Detail: detail} }

// NotFound returns a KindNotFound error (404).
func NotFound(detail string) *Error { return &Error{Kind: KindNotFound, Detail: detail} }

// KindOf returns the kind of err: that of the *Error it is or wraps; for
// the standard library's and echo's errors the kind they mean (a body over
// its limit, a deadline, a cancelled request, echo's routing errors); else
// KindInternal.
func KindOf(err error) Kind {
	k, _, _ := classify(err)
	return k
}

// Message returns what a person should read about err: the Detail of the
// *Error it is or wraps, or else err's own text. (For a client, Handler
// shows a generic message instead of the text of an uncategorised error.)
func Message(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Detail
	}
	return err.Error()
}

// Problem is the JSON body of an error response.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Findings any    `json:"findings,omitempty"`
	// RequestID finds the request's log line.
	RequestID string `json:"request_id,omitempty"`
}

// Handler returns echo's HTTPErrorHandler for the service.
func Handler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		kind, detail, findings := classify(err)
		status := kind.Status()
		req := c.Request()
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		attrs := []any{"method", req.Method, "path", req.URL.Path, "status", status, "request_id", rid, "err", err.Error()}
		if status >= 500 {
			log.Error("request failed", attrs...)
		} else {
			log.Info("request rejected", attrs...)
		}
		p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Findings: findings, RequestID: rid}
		if d := retryAfter(err); d > 0 {
			c.Response().Header().Set(HeaderRetryAfter, strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
		}
		if req.Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		body, jerr := json.Marshal(p)
		if jerr != nil {
			body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		}
		_ = c.Blob(status, mediatype.Problem, body)
	}
}

// HeaderRetryAfter tells a refused client when to try again (RFC 9110 §10.2.3).
const HeaderRetryAfter = "Retry-After"

// retryAfter is the RetryAfter of the *Error err is or wraps.
func retryAfter(err error) time.Duration {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// internalDetail is what a client reads about a fault of the server.
const internalDetail = "internal error; the server log has details under this request id"

func classify(err error) (Kind, string, any) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Kind, ae.Detail, ae.Findings
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, ok := he.Message.(string)
		if !ok || msg == "" {
			msg = http.StatusText(he.Code)
		}
		kind := KindOfStatus(he.Code)
		switch kind {
		case KindNotFound:
			msg = "no such resource; GET " + links.Layers + " lists the layers and / is the map"
		case KindMethodNotAllowed:
			msg = "method not allowed on this resource"
		case KindTooLarge:
			msg = "request body too large; split the input or raise the configured limit"
		case KindUnavailable:
			msg = "the request took longer than the server's time limit; try again later, or send a smaller request"
		case KindInternal:
			msg = internalDetail
		}
		return kind, msg, nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return KindTooLarge, "request body exceeds the limit of " + strconv.FormatInt(mbe.Limit, 10) + " bytes; split the input or raise the configured limit", nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindUnavailable, "the request took longer than the server's time limit; try a smaller request", nil
	}
	if errors.Is(err, context.Canceled) {
		return KindCanceled, "request cancelled by the client", nil
	}
	return KindInternal, internalDetail, nil
}
