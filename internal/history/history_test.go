package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/geodata"
	"hetang/internal/config"
	"hetang/internal/fixture"
	"hetang/internal/history"
	"hetang/internal/httpapi"
	"hetang/internal/importer"
	"hetang/internal/layers"
	"hetang/internal/locate"
	"hetang/internal/spatial"
	"hetang/internal/store"
	"hetang/internal/store/storetest"
)

const (
	writer = "writer-token-0123456789"
	reader = "reader-token-0123456789"
)

func newServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	return newServerLog(t, io.Discard)
}

// newServerLog is newServer writing its JSON log to w.
func newServerLog(t *testing.T, w io.Writer) (*httptest.Server, *store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "layout.gpkg")
	if err := store.Create(context.Background(), path, storetest.Layout(t), "build"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.TokensEnv = "alice:writer:" + writer + ",auditor:reader-admin:" + reader
	log := slog.New(slog.NewJSONHandler(w, nil))
	srv := httpapi.New(cfg, st, log, "test", layers.New(st), locate.New(st, log, spatial.ParcelLimits{}, nil), importer.NewServer(cfg, st, geodata.FS, spatial.ParcelLimits{}, nil), history.New(cfg, st))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, st
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, token string, body []byte, ctype string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// TestHistoryOverHTTP walks the history: import, read any version,
// details and diffs for reader-admins, rollback for writers, the audit log.
func TestHistoryOverHTTP(t *testing.T) {
	ts, _ := newServer(t)
	get := func(path, token string) response { return do(t, http.MethodGet, ts.URL+path, token, nil, "") }

	v1 := get("/api/v1/layers/places", "")
	if v1.status != 200 || v1.header.Get(httpapi.HeaderLayoutVersion) != "1" || v1.header.Get(httpapi.HeaderDataVersion) == "" {
		t.Fatalf("layer at version 1: %d, headers %v", v1.status, v1.header)
	}
	loc1 := get("/api/v1/locate?lon=113.17&lat=27.86", "")

	// Import a moved place as alice.
	var fc geojson.FeatureCollection
	if err := json.Unmarshal(v1.body, &fc); err != nil {
		t.Fatal(err)
	}
	p := fc.Features[0].Geometry.(orb.Point)
	fc.Features[0].Geometry = orb.Point{p[0] + 0.001, p[1]}
	moved, _ := json.Marshal(fc)
	imp := do(t, http.MethodPut, ts.URL+"/api/v1/layers/places?message=survey+2026", writer, moved, "application/geo+json")
	if imp.status != 200 || !strings.Contains(string(imp.body), `"version":2`) || !strings.Contains(string(imp.body), `"message":"survey 2026"`) {
		t.Fatalf("import: %d %s", imp.status, imp.body)
	}
	v2 := get("/api/v1/layers/places", "")
	if v2.header.Get(httpapi.HeaderLayoutVersion) != "2" || bytes.Equal(v2.body, v1.body) {
		t.Fatalf("after the import: version header %q, body changed %v", v2.header.Get(httpapi.HeaderLayoutVersion), !bytes.Equal(v2.body, v1.body))
	}
	// Any earlier version, on any data endpoint.
	old := get("/api/v1/layers/places?version=1", "")
	if old.status != 200 || old.header.Get(httpapi.HeaderLayoutVersion) != "1" || !bytes.Equal(old.body, v1.body) {
		t.Errorf("?version=1: %d, version %q, same bytes as version 1: %v", old.status, old.header.Get(httpapi.HeaderLayoutVersion), bytes.Equal(old.body, v1.body))
	}
	if l := get("/api/v1/locate?lon=113.17&lat=27.86&version=1", ""); l.status != 200 || l.header.Get(httpapi.HeaderLayoutVersion) != "1" || !bytes.Equal(l.body, loc1.body) {
		t.Errorf("locate at version 1: %d %s", l.status, l.body)
	}

	for _, tc := range []struct {
		name, path, token string
		want              int
		wantBody          string
	}{
		{"list is public", "/api/v1/versions", "", 200, `"version":2`},
		{"list hides authors", "/api/v1/versions", "", 200, `"message":"survey 2026"`},
		{"details need a token", "/api/v1/versions/2", "", 401, "reader-admin"},
		{"details for a reader-admin", "/api/v1/versions/2", reader, 200, `"author":"alice"`},
		{"details for a writer", "/api/v1/versions/2", writer, 200, `"changed":1`},
		{"unknown version", "/api/v1/versions/9", reader, 404, "no layout version 9"},
		{"bad version", "/api/v1/versions/x", reader, 400, "not a layout version number"},
		{"diff needs a token", "/api/v1/versions/2/diff", "", 401, ""},
		{"audit needs a token", "/api/v1/audit", "", 401, ""},
		{"data at an unknown version", "/api/v1/layers?version=9", "", 404, "no layout version 9"},
		{"data at a bad version", "/api/v1/layers?version=0", "", 400, "layout version number"},
		{"bad limit", "/api/v1/versions?limit=0", "", 400, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(tc.path, tc.token)
			if r.status != tc.want || !strings.Contains(string(r.body), tc.wantBody) {
				t.Errorf("GET %s = %d %s; want %d containing %q", tc.path, r.status, r.body, tc.want, tc.wantBody)
			}
		})
	}
	if r := get("/api/v1/versions", ""); strings.Contains(string(r.body), "alice") {
		t.Errorf("the public list names the author: %s", r.body)
	}

	// The diff: one place moved, by about 98 m (0.001° of longitude at 27.86°N).
	d := get("/api/v1/versions/2/diff", reader)
	if d.status != 200 || d.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("diff: %d %s", d.status, d.body)
	}
	var dfc geojson.FeatureCollection
	if err := json.Unmarshal(d.body, &dfc); err != nil {
		t.Fatal(err)
	}
	if len(dfc.Features) != 1 || dfc.Features[0].Properties["change"] != "changed" || dfc.Features[0].Properties["layer"] != "places" {
		t.Fatalf("diff features: %s", d.body)
	}
	if m := dfc.Features[0].Properties["moved_m"].(float64); m < 95 || m > 100 {
		t.Errorf("moved %g m, want about 98", m)
	}

	// Rollback: readers may not, writers may; the result is version 1's bytes.
	if r := do(t, http.MethodPost, ts.URL+"/api/v1/versions/1/rollback", reader, nil, ""); r.status != 403 {
		t.Errorf("rollback by a reader-admin: %d %s", r.status, r.body)
	}
	if r := do(t, http.MethodPost, ts.URL+"/api/v1/versions/1/rollback", "", nil, ""); r.status != 401 {
		t.Errorf("rollback without a token: %d %s", r.status, r.body)
	}
	rb := do(t, http.MethodPost, ts.URL+"/api/v1/versions/1/rollback?message=undo", writer, nil, "")
	if rb.status != 200 || rb.header.Get(httpapi.HeaderLayoutVersion) != "3" || !strings.Contains(string(rb.body), `"rollback_of":1`) {
		t.Fatalf("rollback: %d %s", rb.status, rb.body)
	}
	v3 := get("/api/v1/layers/places", "")
	if v3.header.Get(httpapi.HeaderLayoutVersion) != "3" || !bytes.Equal(v3.body, v1.body) {
		t.Errorf("after the rollback: version %q; the layer is byte for byte version 1's: %v", v3.header.Get(httpapi.HeaderLayoutVersion), bytes.Equal(v3.body, v1.body))
	}
	if r := get("/api/v1/layers/places", ""); r.header.Get("ETag") != v1.header.Get("ETag") {
		t.Errorf("ETag after rollback %q, version 1's %q (same data, same tag)", r.header.Get("ETag"), v1.header.Get("ETag"))
	}

	a := get("/api/v1/audit", reader)
	var audit struct{ Entries []store.AuditEntry }
	if err := json.Unmarshal(a.body, &audit); err != nil || len(audit.Entries) != 3 {
		t.Fatalf("audit: %d %s", a.status, a.body)
	}
	if e := audit.Entries[0]; e.Actor != "alice" || e.Action != store.KindRollback || e.Version != 3 || e.RequestID == "" {
		t.Errorf("newest audit entry %+v", e)
	}
	if e := audit.Entries[1]; e.Actor != "alice" || e.Action != store.KindImport || e.Target != "places" || e.Version != 2 {
		t.Errorf("import audit entry %+v", e)
	}

	// Operations.
	h := get("/healthz", "")
	if !strings.Contains(string(h.body), `"layout_version":3`) {
		t.Errorf("healthz: %s", h.body)
	}
	if r := get("/readyz", ""); r.status != 200 || !strings.Contains(string(r.body), `"layout_version":3`) {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	t.Run("metrics", func(t *testing.T) { checkMetrics(t, get("/metrics", "")) })
}

// checkMetrics parses /metrics with the Prometheus project's own Python
// parser (python3-prometheus-client) and checks the numbers.
func checkMetrics(t *testing.T, r response) {
	t.Helper()
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %q", r.status, r.header.Get("Content-Type"))
	}
	// Debian's python3 (where python3-prometheus-client installs), not
	// whichever python3 comes first in PATH.
	py, err := exec.LookPath("/usr/bin/python3")
	if err == nil {
		err = exec.Command(py, "-c", "import prometheus_client").Run()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-prometheus-client is missing (`make deps-test` installs it): %v", err)
		}
		t.Skipf("python3-prometheus-client is missing: %v", err)
	}
	const script = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
    out.setdefault("_types", {})[fam.name] = fam.type
print(json.dumps(out))
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(r.body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Prometheus parser rejects /metrics: %v\n%s\n%s", err, out, r.body)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	samples := func(name string) [][2]any {
		var s [][2]any
		_ = json.Unmarshal(got[name], &s)
		return s
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		for _, s := range samples(name) {
			ls, _ := s[0].(map[string]any)
			match := true
			for k, v := range labels {
				if ls[k] != v {
					match = false
				}
			}
			if match {
				return s[1].(float64), true
			}
		}
		return 0, false
	}
	if v, ok := value("hetang_layout_version", nil); !ok || v != 3 {
		t.Errorf("hetang_layout_version = %v (%v), want 3", v, ok)
	}
	if v, ok := value("hetang_http_requests_total", map[string]string{"route": "/api/v1/layers/:layer", "code": "200"}); !ok || v < 4 {
		t.Errorf("layer requests answered 200: %v (%v), want at least 4", v, ok)
	}
	if v, ok := value("hetang_http_requests_total", map[string]string{"route": "/api/v1/versions/:n", "code": "401"}); !ok || v != 1 {
		t.Errorf("401s on version details: %v (%v), want 1", v, ok)
	}
	count, _ := value("hetang_http_request_duration_seconds_count", map[string]string{"route": "/api/v1/layers/:layer"})
	inf, _ := value("hetang_http_request_duration_seconds_bucket", map[string]string{"route": "/api/v1/layers/:layer", "le": "+Inf"})
	if count < 4 || inf != count {
		t.Errorf("latency histogram: count %v, +Inf bucket %v", count, inf)
	}
	for _, name := range []string{"hetang_replica_lag_seconds", "hetang_snapshot_age_seconds", "hetang_layout_newest_version", "hetang_build_info"} {
		if _, ok := value(name, nil); !ok {
			t.Errorf("%s is missing", name)
		}
	}
	if !strings.Contains(string(got["_types"]), `"hetang_http_request_duration_seconds": "histogram"`) {
		t.Errorf("types: %s", got["_types"])
	}
}

// Writes refused over HTTP say why: a rollback to the version being served
// would only add an empty version (409); a message with control characters
// is a 400 on imports and rollbacks, before any work, and so is a
// ?version= (a write applies to the newest version); nothing is written.
func TestRefusedWritesOverHTTP(t *testing.T) {
	var logBuf fixture.SyncBuffer
	ts, st := newServerLog(t, &logBuf)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		want               int
		wantDetail         string
	}{
		{"rollback to the newest", http.MethodPost, "/api/v1/versions/1/rollback", nil, 409, "would change nothing: version 1 is the newest version"},
		{"rollback, NUL in message", http.MethodPost, "/api/v1/versions/1/rollback?message=a%00b", nil, 400, "message=: it holds the control character U+0000"},
		{"import, escape in message", http.MethodPut, "/api/v1/layers/places?message=%1B%5B2J", []byte(`{"type":"FeatureCollection","features":[]}`), 400, "control character U+001B"},
		{"import at a version", http.MethodPut, "/api/v1/layers/places?version=1", []byte(`{"type":"FeatureCollection","features":[]}`), 400, "a write always applies to the newest version"},
		{"rollback at a version", http.MethodPost, "/api/v1/versions/1/rollback?version=1", nil, 400, "a write always applies to the newest version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, ts.URL+tc.path, writer, tc.body, "application/geo+json")
			if r.status != tc.want || !strings.Contains(string(r.body), tc.wantDetail) {
				t.Errorf("%d %s; want %d saying %q", r.status, r.body, tc.want, tc.wantDetail)
			}
		})
	}
	if vs, err := st.Versions(context.Background(), 0, 10); err != nil || len(vs) != 1 {
		t.Errorf("refused writes wrote versions: %d (%v)", len(vs), err)
	}
	// The audit log holds committed writes; the access log names who
	// attempted each refused one (a known token, even with the wrong role).
	do(t, http.MethodPost, ts.URL+"/api/v1/versions/1/rollback", reader, nil, "")
	do(t, http.MethodPost, ts.URL+"/api/v1/versions/1/rollback", "not-a-token-0123456789", nil, "")
	actors := map[int][]string{}
	for _, line := range strings.Split(strings.TrimSpace(logBuf.String()), "\n") {
		var e struct {
			Msg, URI, Actor string
			Status          int
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e.Msg == "request" {
			actors[e.Status] = append(actors[e.Status], e.Actor)
		}
	}
	want := map[int][]string{409: {"alice"}, 400: {"alice", "alice", "alice", "alice"}, 403: {"auditor"}, 401: {""}}
	for status, names := range want {
		if !slices.Equal(actors[status], names) {
			t.Errorf("access log actors of the %d answers: %q, want %q", status, actors[status], names)
		}
	}
}
