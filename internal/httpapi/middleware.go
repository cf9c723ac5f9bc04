package httpapi

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/auth"
)

// MaxRequestIDLen is the longest X-Request-Id a client may choose; longer
// ones, or ones with other than printable ASCII, are replaced by a new id.
const MaxRequestIDLen = 64

// ValidRequestID reports whether a client's request id is used as it is:
// 1 to MaxRequestIDLen printable ASCII characters without spaces.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	const hex = "0123456789abcdef"
	var b [16]byte
	v := rand.Uint64()
	for i := range b {
		b[i] = hex[v&0xF]
		v >>= 4
	}
	return string(b[:])
}

// edge is the first middleware every request meets after routing: it puts
// back the HEAD the router saw as GET, sets the request id, refuses
// ambiguous input (checkInput), turns a panic into a 500 logged with its
// stack, answers any error through the error handler, and writes the access
// log line with the status the client got. One middleware rather than five
// because echo builds each request's chain anew, one closure per
// middleware.
func (s *Server) edge(rep repeatable) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Get(headKey) != nil {
				c.Request().Method = http.MethodHead
			}
			start := time.Now()
			setRequestID(c)
			err := s.guard(c, rep, next)
			if err != nil {
				c.Error(err)
			}
			s.logRequest(c, time.Since(start))
			// The error is answered; returning it lets outer middleware see
			// it (echo's error handler ignores it once the response is out).
			return err
		}
	}
}

// setRequestID sets X-Request-Id on the response: the client's, when there
// is exactly one and ValidRequestID accepts it, else a new one. The error
// handler and the access log read it from there.
func setRequestID(c echo.Context) {
	id := ""
	if vs := c.Request().Header[echo.HeaderXRequestID]; len(vs) == 1 && ValidRequestID(vs[0]) {
		id = vs[0]
	} else {
		id = newRequestID()
	}
	c.Response().Header()[echo.HeaderXRequestID] = []string{id}
}

// logRequest writes the access log line and counts the request. A request
// made with a recognised token names it (actor): the audit log holds the
// committed writes, this line every attempt, refused ones included.
func (s *Server) logRequest(c echo.Context, latency time.Duration) {
	req, res := c.Request(), c.Response()
	s.metrics.Request(c.Path(), res.Status, latency)
	attrs := [...]slog.Attr{slog.String("method", req.Method), slog.String("uri", req.RequestURI), slog.Int("status", res.Status),
		slog.Duration("latency", latency), slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
		slog.String("remote_ip", c.RealIP()), slog.Int64("bytes", res.Size), {}}
	n := len(attrs) - 1
	if actor, ok := c.Get(auth.ContextActor).(string); ok {
		attrs[n] = slog.String("actor", actor)
		n++
	}
	s.log.LogAttrs(req.Context(), slog.LevelInfo, "request", attrs[:n]...)
}

// panicStackSize is the most bytes of a panicking goroutine's stack logged.
const panicStackSize = 16 << 10

// guard checks the input, then runs next; a panic becomes a 500 whose log
// line carries the panicking goroutine's stack (never sent to the client).
// An http.ErrAbortHandler panic goes on up, as net/http means it to.
func (s *Server) guard(c echo.Context, rep repeatable, next echo.HandlerFunc) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler {
			panic(r)
		}
		stack := make([]byte, panicStackSize)
		stack = stack[:runtime.Stack(stack, false)]
		s.log.Error("panic", "path", c.Request().URL.Path, "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"err", fmt.Sprint(r), "stack", string(stack))
		err = apierr.Errorf(apierr.KindInternal, "internal error; the server log has details under this request id")
	}()
	if err := checkInput(c, rep); err != nil {
		return err
	}
	return next(c)
}

// AcceptsGzip reports whether the Accept-Encoding header values accept
// gzip (RFC 9110 §12.5.3): gzip or x-gzip listed with a q-value above 0, or
// else "*" with a q-value above 0. No header means no compression. (echo's
// gzip middleware, which this gates, compresses only when "gzip" is named.)
func AcceptsGzip(values []string) bool {
	gzipQ, starQ := -1, -1
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(elem, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1000
			if params != "" {
				var ok bool
				if q, ok = qValue(params); !ok {
					continue // a malformed element accepts nothing
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// qValue reads the q parameter of an Accept-Encoding element's parameters
// in thousandths: "q=0.5" → 500. ok is false when it is malformed.
func qValue(params string) (int, bool) {
	q := 1000
	for p := range strings.SplitSeq(params, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		val = strings.TrimSpace(val)
		// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
		if val == "" || val[0] != '0' && val[0] != '1' || len(val) > 5 || len(val) > 1 && val[1] != '.' {
			return 0, false
		}
		whole := int(val[0] - '0')
		frac, scale := 0, 100
		for i := 2; i < len(val); i++ {
			d := val[i]
			if d < '0' || d > '9' {
				return 0, false
			}
			frac += int(d-'0') * scale
			scale /= 10
		}
		if whole == 1 && frac > 0 {
			return 0, false
		}
		q = whole*1000 + frac
	}
	return q, true
}
