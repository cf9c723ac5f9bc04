package web_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"hetang/internal/fixture"
)

// chromiumPath is the browser the test drives: Debian's Chromium, installed by
// `make deps-test`.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser builds the real binary, serves the embedded page and data on a
// free loopback port, makes the upload fixtures (fixtures_test.go) and runs
// web/test/browser.mjs (playwright-core driving headless Chromium) against
// it. Screenshots land in test-results/web/ under the module root.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	webDir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(webDir)
	need := func(what, path string) {
		if _, err := os.Stat(path); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing (%s); run make deps-test", what, path)
			}
			t.Skipf("%s is missing (%s); run make deps-test", what, path)
		}
	}
	need("Chromium", chromiumPath)
	need("playwright-core", filepath.Join(webDir, "node_modules", "playwright-core"))
	need("Leaflet in web/static/vendor", filepath.Join(webDir, "static", "vendor", "leaflet", "leaflet.js"))
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is missing; run make deps-test")
		}
		t.Skip("node is missing")
	}

	// Read the script here so that editing it invalidates go test's cache (the
	// cache tracks files the test opens, not those node does). Changes to the
	// server outside this package still need -count=1.
	script := filepath.Join(webDir, "test", "browser.mjs")
	for _, f := range []string{script, filepath.Join(webDir, "test", "flows.mjs")} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}

	bin := filepath.Join(t.TempDir(), "hetang")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=browser-test", "-o", bin, "./cmd/hetang")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	addr := freeAddr(t)
	// A GCJ-02 basemap whose tiles come from the server's own origin, so
	// nothing leaves the machine; the tiles 404, and browser.mjs allows
	// exactly those failed loads.
	cfg, err := json.Marshal(map[string]any{"basemaps": []map[string]any{{
		"id": "gcj-test", "name": "GCJ-02 test tiles", "crs": "GCJ02",
		"url":         "http://" + addr + "/static/tile-test/{z}/{x}/{y}.png",
		"attribution": "test tiles", "max_zoom": 18,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "hetang.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(bin, "serve", "-addr", addr, "-config", cfgFile)
	srv.Env = append(os.Environ(), "HETANG_CACHE_DIR="+t.TempDir(), "HETANG_LOG_FORMAT=text")
	logs := &fixture.SyncBuffer{}
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		<-exited
	})
	base := "http://" + addr
	waitReady(t, base, exited, logs)

	out := filepath.Join(root, "test-results", "web")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	fixtures := writeUploadFixtures(t, base, t.TempDir())
	// browser.mjs bounds itself (two Chromium starts of at most
	// 90 s, then LIMIT_S); this is the backstop.
	ctx, cancel := context.WithTimeout(context.Background(), 480*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, node, script, base, out, fixtures)
	run.Dir = webDir
	res, err := run.CombinedOutput()
	t.Logf("browser.mjs:\n%s", res)
	t.Logf("screenshots: %s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v\nserver log (tail):\n%s", err, tail(logs.String(), 4000))
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func waitReady(t *testing.T, base string, exited <-chan error, logs *fixture.SyncBuffer) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("server exited: %v\n%s", err, logs)
		default:
		}
		if resp, err := client.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 60 s\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
