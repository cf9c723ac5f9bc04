package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		target string
		ok     bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.8.7:1", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"https://LOCALHOST", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.2", false},
		{"http://example.com", false},
		{"http://127.0.0.1.example.com", false},
		{"http://[::ffff:8.8.8.8]:80", false},
		{"http://0.0.0.0:8080", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
	} {
		err := checkLoopback(tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", tc.target, err, tc.ok)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix(DefaultMix)
	if err != nil || len(m) != 4 {
		t.Fatalf("default mix: %v %v", m, err)
	}
	for _, bad := range []string{"", "locate", "locate=x", "nope=1", "locate=1,locate=2", "locate=0", "tiles=-1"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}

func TestCheckGrowth(t *testing.T) {
	flat := []RSSSample{{0, 50000}, {1, 60000}, {2, 61000}, {3, 61000}, {4, 61500}, {5, 61000}}
	if g := CheckGrowth(flat); g.Grew {
		t.Errorf("flat: %s", g.Verdict)
	}
	grow := []RSSSample{{0, 50000}, {1, 60000}, {2, 61000}, {3, 62000}, {4, 90000}, {5, 99000}}
	if g := CheckGrowth(grow); !g.Grew {
		t.Errorf("growth of 37 MiB not detected: %s", g.Verdict)
	}
	// +15 % but only ~9 MiB: not growth (both limits must be exceeded).
	small := []RSSSample{{0, 60000}, {1, 60000}, {2, 60000}, {3, 60000}, {4, 69000}, {5, 69000}}
	if g := CheckGrowth(small); g.Grew {
		t.Errorf("small: %s", g.Verdict)
	}
	if g := CheckGrowth(flat[:3]); g.Grew || !strings.Contains(g.Verdict, "too few") {
		t.Errorf("few samples: %s", g.Verdict)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := pct(d, 50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := pct(d, 99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := pct(nil, 99); p != 0 {
		t.Errorf("empty p99 = %v", p)
	}
}

// TestRunAgainstFake runs the generator against a fake server that knows
// the catalog and layers but not tiles: with -skip-missing tiles are
// dropped, errors are counted, and the request bound holds.
func TestRunAgainstFake(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/layers":
			io.WriteString(w, `{"layers":[{"id":"district","bbox":[113.1,27.8,113.3,28.0]},{"id":"roads","bbox":[113.1,27.8,113.3,28.0]}]}`)
		case strings.HasPrefix(r.URL.Path, "/tiles/"):
			w.WriteHeader(404)
			io.WriteString(w, `{"detail":"no such resource; ..."}`)
		case strings.HasPrefix(r.URL.Path, "/ogcapi/"):
			w.WriteHeader(500)
		default:
			io.WriteString(w, `{}`)
		}
	}))
	defer srv.Close()
	o := Options{Target: srv.URL, Concurrency: 2, Duration: 5 * time.Second, MaxRequests: 200, Timeout: time.Second, Seed: 1, SkipMissing: true}
	o.Mix, _ = ParseMix("locate=1,layers=1,ogc=1,tiles=1")
	res, err := Run(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 200 {
		t.Errorf("requests = %d, want the bound 200", res.Requests)
	}
	if len(res.Skipped) != 1 || res.Skipped[0] != ClassTiles {
		t.Errorf("skipped = %v, want [tiles]", res.Skipped)
	}
	var ogc ClassStats
	for _, c := range res.Classes {
		if c.Class == ClassOGC {
			ogc = c
		}
	}
	if res.Errors == 0 || res.Errors != ogc.Errors || ogc.Errors != ogc.Requests {
		t.Errorf("errors %d, ogc %+v: want every OGC request (500) and nothing else counted", res.Errors, ogc)
	}
	if !strings.Contains(res.Markdown(), "| errors | ") {
		t.Errorf("markdown:\n%s", res.Markdown())
	}
}

// TestCeiling starts the ceiling server and reads its constant answer; it
// refuses an address off the loopback interface.
func TestCeiling(t *testing.T) {
	if code := run(context.Background(), []string{"ceiling", "-addr", "0.0.0.0:0"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("ceiling on 0.0.0.0: exit %d, want 2", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &strings.Builder{}
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() { done <- run(ctx, []string{"ceiling", "-addr", "127.0.0.1:0"}, pw, io.Discard); pw.Close() }()
	line := make([]byte, 200)
	n, _ := pr.Read(line)
	out.Write(line[:n])
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url := strings.TrimSpace(strings.TrimPrefix(out.String(), "ceiling server on "))
	resp, err := http.Get(url + "any/path?x=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) != 100 || resp.ContentLength != 100 {
		t.Errorf("ceiling answered %d, %d bytes (Content-Length %d): %q", resp.StatusCode, len(b), resp.ContentLength, b)
	}
	if b := ceilingBodyOf(1900); len(b) != 1900 || !json.Valid(b) {
		t.Errorf("ceilingBodyOf(1900): %d bytes, valid JSON %v", len(b), json.Valid(b))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the ceiling server did not stop")
	}
}
