package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"hetang/internal/config"
	"hetang/internal/fixture"
	"hetang/internal/httpapi"
)

// probe is a feature made for these tests: it echoes its query, panics,
// sends a body big enough to compress, and has one parameter that may
// repeat.
type probe struct{}

func (probe) Mount(r httpapi.Routes) {
	r.Echo.GET("/probe/query", func(c echo.Context) error { return c.JSON(200, c.QueryParams()) }, r.Std...)
	r.Echo.GET("/probe/repeat", func(c echo.Context) error { return c.JSON(200, c.QueryParams()) }, r.Std...)
	r.AllowRepeated("/probe/repeat", "tag")
	r.Echo.GET("/probe/own", func(c echo.Context) error { return c.JSON(200, c.QueryParams()) }, r.Std...)
	r.ChecksOwnQuery("/probe/own")
	r.Echo.POST("/probe/auth", func(c echo.Context) error { return c.String(200, c.Request().Header.Get("Authorization")) }, r.Std...)
	r.Echo.GET("/probe/panic", func(echo.Context) error { panic("probe: deliberate panic for the stack test") }, r.Quick...)
	r.Echo.GET("/probe/big", func(c echo.Context) error {
		return c.Blob(200, "application/json", bytes.Repeat([]byte(`{"k":"v"},`), 4000))
	}, r.Std...)
}

// newProbeServer returns the server with the probe feature and its log.
// Requests are served in the test's goroutine (ServeHTTP on a recorder), so
// the log needs no lock of its own.
func newProbeServer(t *testing.T) (http.Handler, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	return httpapi.New(config.Default(), fixture.Store(t), log, "test", probe{}).Handler(), logs
}

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

type header = [][2]string

func serve(h http.Handler, method, target string, hdr header, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for _, kv := range hdr {
		req.Header.Add(kv[0], kv[1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestStrictInput checks the one rule for ambiguous requests, on every
// route: a parameter or single-valued header given twice, a query string
// that does not parse or is not UTF-8, is a 400 naming what is wrong.
func TestStrictInput(t *testing.T) {
	h, _ := newProbeServer(t)
	tests := []struct {
		name, method, target string
		hdr                  header
		status               int
		detail               string
	}{
		{"plain", "GET", "/probe/query?a=1&b=2", nil, 200, ""},
		{"empty pairs and flags", "GET", "/probe/query?a=1&&b&", nil, 200, ""},
		{"repeated parameter", "GET", "/probe/query?lat=27.86&lon=113.17&lat=99", nil, 400, `query parameter "lat" is given more than once`},
		{"repeated by escape", "GET", "/probe/query?lat=1&l%61t=2", nil, 400, `"lat" is given more than once`},
		{"repeated empty", "GET", "/probe/query?f&f", nil, 400, `"f" is given more than once`},
		{"repeated among many", "GET", "/probe/query?" + manyParams(30) + "&p7=again", nil, 400, `"p7" is given more than once`},
		{"many distinct", "GET", "/probe/query?" + manyParams(40), nil, 200, ""},
		{"repeat allowed on its route", "GET", "/probe/repeat?tag=a&tag=b", nil, 200, ""},
		{"only the allowed one repeats", "GET", "/probe/repeat?tag=a&x=1&x=2", nil, 400, `"x" is given more than once`},
		{"a route that checks its own query", "GET", "/probe/own?A=1&A=2&b=%zz", nil, 200, ""},
		{"allowed only on its route", "GET", "/probe/query?tag=a&tag=b", nil, 400, `"tag" is given more than once`},
		{"repeated on an unknown route", "GET", "/nowhere?a=1&a=2", nil, 400, `"a" is given more than once`},
		{"bad escape", "GET", "/probe/query?crs=EPSG%3", nil, 400, `query parameter "crs": its value has a '%' that is not followed by two hex digits`},
		{"bad escape in a name", "GET", "/probe/query?c%zzrs=1", nil, 400, `query parameter name "c%zzrs" has a '%'`},
		{"semicolon", "GET", "/probe/query?a=1;b=2", nil, 400, "use '&'"},
		{"escaped invalid UTF-8", "GET", "/probe/query?name=%ff%fe", nil, 400, `query parameter "name": its value is not UTF-8`},
		{"two Authorization headers", "POST", "/probe/auth", header{{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}}, 400, "the Authorization header is given 2 times"},
		{"two Content-Type headers", "POST", "/probe/auth", header{{"Content-Type", "text/csv"}, {"Content-Type", "application/json"}}, 400, "the Content-Type header is given 2 times"},
		{"one Authorization header", "POST", "/probe/auth", header{{"Authorization", "Bearer a"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, tt.method, tt.target, tt.hdr, "")
			var p struct{ Detail string }
			if tt.status != 200 {
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
					t.Fatalf("%s: %v", rec.Body, err)
				}
			}
			if rec.Code != tt.status || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.target, rec.Code, rec.Body, tt.status, tt.detail)
			}
		})
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString("p")
		b.WriteString(string(rune('0' + i/10)))
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString("=1")
	}
	return strings.ReplaceAll(b.String(), "p0", "p")
}

func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"lon=113.17&lat=27.86", "lat=1&lat=2", "a=%zz", "a;b", "%ff=1", "x&&y=&=z", "tag=a&tag=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := httpapi.CheckQuery(raw, map[string]bool{"tag": true})
		vals, perr := parseQueryRef(raw)
		if perr != nil {
			if err == nil {
				t.Fatalf("CheckQuery(%q) accepted a query url.ParseQuery refuses: %v", raw, perr)
			}
			return
		}
		ambiguous := false
		for k, v := range vals {
			if len(v) > 1 && k != "tag" || !utf8.ValidString(k) {
				ambiguous = true
			}
			for _, s := range v {
				ambiguous = ambiguous || !utf8.ValidString(s)
			}
		}
		if ambiguous != (err != nil) {
			t.Fatalf("CheckQuery(%q) = %v; the values are %v", raw, err, vals)
		}
	})
}

// TestRequestID checks the client's X-Request-Id is kept only when short
// and printable, and is then the id of the log line and of error bodies.
func TestRequestID(t *testing.T) {
	h, logs := newProbeServer(t)
	long := strings.Repeat("a", httpapi.MaxRequestIDLen+1)
	tests := []struct {
		name string
		hdr  header
		kept bool
	}{
		{"none", nil, false},
		{"short", header{{"X-Request-Id", "trace-42.ABC_x"}}, true},
		{"longest", header{{"X-Request-Id", long[1:]}}, true},
		{"too long", header{{"X-Request-Id", long}}, false},
		{"with a space", header{{"X-Request-Id", "a b"}}, false},
		{"with a control byte", header{{"X-Request-Id", "a\x01b"}}, false},
		{"not ASCII", header{{"X-Request-Id", "荷塘"}}, false},
		{"two ids", header{{"X-Request-Id", "one"}, {"X-Request-Id", "two"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, "GET", "/probe/query?x=1&x=2", tt.hdr, "")
			got := rec.Header().Get("X-Request-Id")
			if !httpapi.ValidRequestID(got) {
				t.Fatalf("X-Request-Id %q is not a valid id", got)
			}
			if kept := len(tt.hdr) > 0 && got == tt.hdr[0][1]; kept != tt.kept {
				t.Errorf("X-Request-Id %q: kept %v, want %v", got, kept, tt.kept)
			}
			var p struct {
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.RequestID != got {
				t.Errorf("error body request_id %q, header %q (%v)", p.RequestID, got, err)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
				t.Errorf("no log line with request_id %q", got)
			}
			if tt.hdr != nil && !tt.kept && strings.Contains(logs.String(), tt.hdr[0][1]) && tt.hdr[0][1] != "one" {
				t.Errorf("the refused id %q reached the log", tt.hdr[0][1])
			}
		})
	}
}

// TestRemoteIP checks whose address the access log names: X-Forwarded-For
// is believed only from a proxy on a loopback or private network, and only
// if it holds IP addresses.
func TestRemoteIP(t *testing.T) {
	h, logs := newProbeServer(t)
	tests := []struct {
		name, peer, xff, want string
	}{
		{"no proxy", "203.0.113.5:4000", "", "203.0.113.5"},
		{"a client's own header", "203.0.113.5:4000", "198.51.100.7", "203.0.113.5"},
		{"a load balancer on the private network", "10.0.0.2:4000", "198.51.100.7", "198.51.100.7"},
		{"a proxy on loopback behind that", "127.0.0.1:4000", "198.51.100.7, 10.0.0.2", "198.51.100.7"},
		{"a forged entry before the proxy's", "10.0.0.2:4000", "1.2.3.4, 198.51.100.7", "198.51.100.7"},
		{"garbage from a trusted peer", "10.0.0.2:4000", strings.Repeat("evil", 2000), "10.0.0.2"},
		{"IPv6 client through a proxy", "[::1]:4000", "2001:db8::7", "2001:db8::7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			req := httptest.NewRequest("GET", "/probe/query?x=1", nil)
			req.RemoteAddr = tt.peer
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			var line struct {
				Msg      string `json:"msg"`
				RemoteIP string `json:"remote_ip"`
			}
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				if err := json.Unmarshal([]byte(l), &line); err == nil && line.Msg == "request" {
					break
				}
			}
			if line.Msg != "request" || line.RemoteIP != tt.want {
				t.Errorf("access log remote_ip %q (line %q), want %q", line.RemoteIP, line.Msg, tt.want)
			}
			if strings.Contains(logs.String(), "evil") {
				t.Error("the header's text reached the log")
			}
		})
	}
}

// TestPanicLogsStack checks a panic is a 500 without details for the
// client and a log line with the panicking goroutine's stack.
func TestPanicLogsStack(t *testing.T) {
	h, logs := newProbeServer(t)
	rec := serve(h, "GET", "/probe/panic", nil, "")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "goroutine") || strings.Contains(rec.Body.String(), "deliberate") {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body)
	}
	var line struct {
		Msg, Stack, Err string
	}
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"msg":"panic"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !strings.Contains(line.Err, "deliberate panic") || !strings.HasPrefix(line.Stack, "goroutine ") || !strings.Contains(line.Stack, "middleware_test.go") {
		t.Fatalf("panic log line: err %q, stack %.300q", line.Err, line.Stack)
	}
	if strings.Count(line.Stack, "\ngoroutine ") > 0 {
		t.Errorf("the stack has other goroutines than the panicking one")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"gzip, deflate, br"}, true},
		{[]string{"GZIP;Q=0.5"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip;q=0, identity"}, false},
		{[]string{"gzip;q=0.000"}, false},
		{[]string{"gzip; q=0.001"}, true},
		{[]string{"identity"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"*, gzip;q=0"}, false},
		{[]string{"gzip;q=0", "*"}, false},
		{[]string{"br", "gzip"}, true},
		{[]string{"gzip;q=1.5"}, false},
		{[]string{"gzip;q=abc"}, false},
		{[]string{"gzip;q=0.5;level=1"}, true},
		{[]string{"notgzip"}, false},
		{[]string{"deflate;q=0, *;q=0.1"}, true},
	}
	for _, tt := range tests {
		if got := httpapi.AcceptsGzip(tt.values); got != tt.want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0, identity", "*;q=0.5", "br;q=1.0, gzip;q=0.001", ";;,=q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := httpapi.AcceptsGzip([]string{s})
		// An explicit refusal of gzip is always honoured.
		for elem := range strings.SplitSeq(s, ",") {
			c, p, _ := strings.Cut(elem, ";")
			if strings.EqualFold(strings.TrimSpace(c), "gzip") && strings.EqualFold(strings.ReplaceAll(p, " ", ""), "q=0") && got && !strings.Contains(strings.ToLower(s), "x-gzip") && strings.Count(strings.ToLower(s), "gzip") == 1 {
				t.Fatalf("AcceptsGzip(%q) = true despite gzip;q=0", s)
			}
		}
	})
}

// TestGzipHonoursQValues checks the compression middleware follows
// AcceptsGzip.
func TestGzipHonoursQValues(t *testing.T) {
	h, _ := newProbeServer(t)
	for _, tt := range []struct {
		accept string
		gzip   bool
	}{{"gzip", true}, {"gzip;q=0.5, identity", true}, {"gzip;q=0, identity", false}, {"identity", false}, {"", false}} {
		rec := serve(h, "GET", "/probe/big", header{{"Accept-Encoding", tt.accept}}, "")
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tt.gzip {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tt.accept, got, tt.gzip)
		}
		if !tt.gzip {
			if b, _ := io.ReadAll(rec.Body); !bytes.HasPrefix(b, []byte(`{"k":"v"}`)) {
				t.Errorf("Accept-Encoding %q: body not plain", tt.accept)
			}
		}
	}
}
