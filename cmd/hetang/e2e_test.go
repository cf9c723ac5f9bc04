package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hetang/internal/fixture"
	"hetang/internal/pgtest"
)

// requireTool skips when a command-line tool is missing on a developer's
// machine, and fails under CI, where `make test` installs it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found; `make deps-test` installs it", name)
		}
		t.Skipf("%s not found", name)
	}
	return p
}

// TestMain links the binary in the background while the in-process tests
// run, and removes the shared test files (the fixture's and the binary) and
// stops the PostgreSQL cluster (pgtest) when the tests end.
func TestMain(m *testing.M) {
	go theBinary()
	code := fixture.Run(fixture.RunFunc(func() int { return pgtest.Main(m) }))
	stopBuild() // a run that never needed the binary does not wait for it
	theBinary()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binDir holds the binary built for the tests.
var binDir string

var buildCtx, stopBuild = context.WithCancel(context.Background())

// theBinary compiles cmd/hetang once per test binary (linking it costs
// seconds; every test runs the same program).
var theBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hetang-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "hetang")
	cmd := exec.CommandContext(buildCtx, "go", "build", "-ldflags", "-X main.version=e2e", "-o", bin, ".")
	// Stopping the build stops the compiler and linker it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// buildBinary returns the path of the compiled cmd/hetang (built on first use).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin, err := theBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

type runningServer struct {
	cmd      *exec.Cmd
	base     string
	logs     *strings.Builder
	done     chan error
	killOnce sync.Once
}

// kill stops the server with SIGKILL (once; later calls do nothing).
func (rs *runningServer) kill() {
	rs.killOnce.Do(func() {
		_ = rs.cmd.Process.Kill()
		<-rs.done
	})
}

// healthy reports whether the server still answers /healthz with 200.
func (rs *runningServer) healthy() error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(rs.base + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %s", resp.Status)
	}
	return nil
}

// startServer runs `hetang serve` on a free loopback port and waits until it
// answers /readyz.
func startServer(t *testing.T, bin string, env []string, args ...string) *runningServer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "HETANG_CACHE_DIR="+t.TempDir()), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs := &runningServer{cmd: cmd, logs: logs, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	go func() { rs.done <- cmd.Wait() }()
	t.Cleanup(rs.kill)
	select {
	case line := <-lines:
		m := regexp.MustCompile(`http://(\S+?)/`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected first line %q", line)
		}
		rs.base = "http://" + m[1]
	case err := <-rs.done:
		t.Fatalf("server exited: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start\n%s", logs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(rs.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return rs
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

type catalog struct {
	DataVersion string `json:"data_version"`
	Layers      []struct {
		ID           string `json:"id"`
		FeatureCount int    `json:"feature_count"`
		GeometryType string `json:"geometry_type"`
	} `json:"layers"`
}

// TestEndToEnd starts the real binary and checks the layer service and the
// GeoPackage it serves, the latter with GDAL's ogrinfo as an independent reader.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	ogrinfo := requireTool(t, "ogrinfo")
	bin := buildBinary(t)
	srv := startServer(t, bin, nil)

	var health struct {
		Status, Version, DataVersion string
	}
	getJSON(t, srv.base+"/healthz", &struct {
		Status      *string `json:"status"`
		Version     *string `json:"version"`
		DataVersion *string `json:"data_version"`
	}{&health.Status, &health.Version, &health.DataVersion})
	if health.Status != "ok" || health.Version != "e2e" || health.DataVersion == "" {
		t.Errorf("healthz = %+v", health)
	}

	var cat catalog
	getJSON(t, srv.base+"/api/v1/layers", &cat)
	if len(cat.Layers) != 13 || cat.DataVersion != health.DataVersion {
		t.Fatalf("catalog has %d layers (want 13), version %q vs %q", len(cat.Layers), cat.DataVersion, health.DataVersion)
	}
	for _, l := range cat.Layers {
		var fc struct {
			Type     string            `json:"type"`
			Features []json.RawMessage `json:"features"`
		}
		getJSON(t, srv.base+"/api/v1/layers/"+l.ID, &fc)
		if fc.Type != "FeatureCollection" || len(fc.Features) != l.FeatureCount {
			t.Errorf("layer %s: %s with %d features, catalog says %d", l.ID, fc.Type, len(fc.Features), l.FeatureCount)
		}
	}

	// Download the GeoPackage and let GDAL read it.
	resp, err := http.Get(srv.base + "/api/v1/download/hetang.gpkg")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hetang.gpkg")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(fh, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fh.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/geopackage+sqlite3" {
		t.Errorf("GeoPackage Content-Type %q", ct)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	text := string(out)
	if strings.Contains(text, "ERROR") || strings.Contains(text, "Warning") {
		t.Errorf("ogrinfo complained:\n%s", text)
	}
	counts := parseOgrinfo(text)
	for _, l := range cat.Layers {
		got, ok := counts[l.ID]
		if !ok {
			t.Errorf("ogrinfo does not list layer %s", l.ID)
			continue
		}
		if got.count != l.FeatureCount {
			t.Errorf("ogrinfo: %s has %d features, want %d", l.ID, got.count, l.FeatureCount)
		}
		if !strings.EqualFold(strings.ReplaceAll(got.geomType, " ", ""), l.GeometryType) {
			t.Errorf("ogrinfo: %s geometry %q, want %s", l.ID, got.geomType, l.GeometryType)
		}
		if got.epsg != 4326 {
			t.Errorf("ogrinfo: %s SRS EPSG %d, want 4326", l.ID, got.epsg)
		}
	}
}

type ogrLayer struct {
	count    int
	geomType string
	epsg     int
}

// parseOgrinfo reads `ogrinfo -so -al` output: per layer its feature count,
// geometry type and the EPSG code of its SRS.
func parseOgrinfo(text string) map[string]ogrLayer {
	out := map[string]ogrLayer{}
	var cur string
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "Layer name: "):
			cur = strings.TrimPrefix(line, "Layer name: ")
			out[cur] = ogrLayer{}
		case cur == "":
		case strings.HasPrefix(line, "Geometry: "):
			l := out[cur]
			l.geomType = strings.TrimPrefix(line, "Geometry: ")
			out[cur] = l
		case strings.HasPrefix(line, "Feature Count: "):
			l := out[cur]
			l.count, _ = strconv.Atoi(strings.TrimPrefix(line, "Feature Count: "))
			out[cur] = l
		case strings.HasPrefix(strings.TrimSpace(line), `ID["EPSG",`):
			l := out[cur]
			fmt.Sscanf(strings.TrimSpace(line), `ID["EPSG",%d]]`, &l.epsg)
			out[cur] = l
		}
	}
	return out
}

// TestGracefulShutdown sends SIGTERM while a request is in flight on a
// kept-alive connection; the server exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	srv := startServer(t, bin, nil)
	resp, err := http.Get(srv.base + "/api/v1/layers/areas")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.done:
		srv.done <- err // for the cleanup
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, srv.logs)
		}
		if !strings.Contains(srv.logs.String(), "shutting down") {
			t.Errorf("no shutdown log line:\n%s", srv.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30 s of SIGTERM")
	}
}

// TestServeFlagsAndEnv checks that -addr beats HETANG_ADDR and a bad address is a usage error.
func TestServeFlagsAndEnv(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"serve", "-addr", "nonsense"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "host:port") {
		t.Errorf("bad -addr: exit %d, stderr %q; want 2 and a host:port hint", code, stderr.String())
	}
	code = run(context.Background(), []string{"frobnicate"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "unknown command") {
		t.Errorf("unknown command: exit %d", code)
	}
	bin := buildBinary(t)
	srv := startServer(t, bin, []string{"HETANG_ADDR=127.0.0.1:1"})
	if strings.HasSuffix(srv.base, ":1") {
		t.Errorf("HETANG_ADDR overrode -addr: %s", srv.base)
	}
}

// TestServeRejectsCorruptGeoPackage starts the server on a file that is not
// a GeoPackage: it must exit non-zero with a clear message, not panic.
func TestServeRejectsCorruptGeoPackage(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.gpkg")
	if err := os.WriteFile(bad, []byte("this is not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-data", bad}, &stdout, &stderr)
	if code != 1 || strings.Contains(stderr.String(), "panic") || !strings.Contains(stderr.String(), "bad.gpkg") {
		t.Errorf("corrupt GeoPackage: exit %d, stderr %q", code, stderr.String())
	}
}

// TestBuildAndCheckCommands runs `hetang build` and `hetang check` in-process.
func TestBuildAndCheckCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "layout.gpkg")
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"build", "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "13 layers") {
		t.Errorf("build output %q", stdout.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("build left %d files in the output directory, want just the GeoPackage", len(entries))
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"check"}, &stdout, &stderr); code != 0 {
		t.Fatalf("check: exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	if code := run(context.Background(), []string{"check", "-geodata", dir}, &stdout, &stderr); code != 1 {
		t.Errorf("check on an empty directory: exit %d, want 1", code)
	}
}
