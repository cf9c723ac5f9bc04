// Package apierr owns the service's error responses: handlers return errors,
// and Handler, installed once as echo's HTTPErrorHandler, turns them into an
// RFC 9457 problem document with a status code and a message a person can act
// on. 4xx are logged at info level, 5xx at error level; internal details
// (file paths, stack traces) never reach the client.
package apierr

import (
	"hetang/internal/links"
	"hetang/internal/mediatype"

	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// Error is an error with an HTTP status and a message for the client.
type Error struct {
	Status int
	// Detail is shown to the client: say what was wrong and how to fix it.
	Detail string
	// Err is the cause, logged but never shown to the client.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Detail + ": " + e.Err.Error()
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with the given status and client message.
func New(status int, detail string) *Error { return &Error{Status: status, Detail: detail} }

// BadRequest returns a 400 error.
func BadRequest(detail string) *Error { return New(http.StatusBadRequest, detail) }

// NotFound returns a 404 error.
func NotFound(detail string) *Error { return New(http.StatusNotFound, detail) }

// Wrap returns an Error with the given status and client message whose cause is err.
func Wrap(status int, detail string, err error) *Error {
	return &Error{Status: status, Detail: detail, Err: err}
}

// Problem is the JSON body of an error response.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"`
}

// Handler returns echo's HTTPErrorHandler for the service.
func Handler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, detail := classify(err)
		req := c.Request()
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		attrs := []any{"method", req.Method, "path", req.URL.Path, "status", status, "request_id", rid, "err", err.Error()}
		if status >= 500 {
			log.Error("request failed", attrs...)
		} else {
			log.Info("request rejected", attrs...)
		}
		p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, RequestID: rid}
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

func classify(err error) (int, string) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Detail
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, ok := he.Message.(string)
		if !ok || msg == "" {
			msg = http.StatusText(he.Code)
		}
		switch he.Code {
		case http.StatusNotFound:
			msg = "no such resource; GET " + links.Layers + " lists the layers and / is the map"
		case http.StatusMethodNotAllowed:
			msg = "method not allowed on this resource"
		case http.StatusRequestEntityTooLarge:
			msg = "request body too large; split the input or raise the configured limit"
		}
		return he.Code, msg
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "request body exceeds the limit of " + strconv.FormatInt(mbe.Limit, 10) + " bytes; split the input or raise the configured limit"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, "the request took longer than the server's time limit; try a smaller request"
	}
	if errors.Is(err, context.Canceled) {
		return 499, "request cancelled by the client"
	}
	return http.StatusInternalServerError, "internal error; the server log has details under this request id"
}
