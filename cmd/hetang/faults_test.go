package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"hetang/geodata"
	"hetang/internal/crs"
	"hetang/internal/export"
	"hetang/internal/fixture"
	"hetang/internal/gpkg"
	"hetang/internal/layout"
	"hetang/internal/store"
)

// The fault tests kill processes with SIGKILL at the worst moments and break
// the disk under them; afterwards the GeoPackage must hold the previous or
// the complete new data, never a partial file, and a restarted server must
// serve it. Start-up on a broken disk or a corrupt file must fail with a
// clear message, never a panic.

// tempFiles lists the temporary files gpkg.Write leaves next to path.
func tempFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// killDuringWrite starts cmd and SIGKILLs it at a random moment; when
// targetWrite is set it waits until the temporary GeoPackage appears next to
// path (the write phase has begun) and kills within the next maxDelay.
// It reports whether the kill landed while the temporary file existed and
// whether the process had already finished.
func killDuringWrite(t *testing.T, cmd *exec.Cmd, path string, r *rand.Rand, maxDelay time.Duration) (inWrite, finished bool) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	// Wait for the write to begin, or for the process to end.
	deadline := time.Now().Add(30 * time.Second)
	for len(tempFiles(t, path)) == 0 {
		select {
		case <-done:
			return false, true
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("no temporary file appeared within 30 s\n%s", out.String())
		}
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(time.Duration(r.Int64N(int64(maxDelay))))
	select {
	case <-done:
		return false, true
	default:
	}
	inWrite = len(tempFiles(t, path)) > 0
	_ = cmd.Process.Kill()
	<-done
	return inWrite, false
}

// checkIntact opens the GeoPackage at path and checks it holds one of the
// allowed versions with all 13 layers and the expected feature count.
func checkIntact(t *testing.T, path string, features int, versions ...string) string {
	t.Helper()
	lay, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatalf("after the kill %s does not open: %v", path, err)
	}
	ok := false
	for _, v := range versions {
		ok = ok || lay.Version == v
	}
	if !ok {
		t.Errorf("after the kill %s has data version %q, want one of %q", path, lay.Version, versions)
	}
	n := 0
	for _, ly := range lay.Layers {
		n += len(ly.Features)
	}
	if len(lay.Layers) != 13 || n != features {
		t.Errorf("after the kill %s has %d layers and %d features, want 13 and %d", path, len(lay.Layers), n, features)
	}
	return lay.Version
}

func countFeatures(lay *layout.Layout) int {
	n := 0
	for _, ly := range lay.Layers {
		n += len(ly.Features)
	}
	return n
}

// previousVersion rewrites the GeoPackage at path under another data
// version, so a test can tell the previous file from a rebuilt one.
func previousVersion(t *testing.T, path, version string) *layout.Layout {
	t.Helper()
	ctx := context.Background()
	lay, err := gpkg.Read(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	lay.Version = version
	if err := gpkg.Write(ctx, path, lay); err != nil {
		t.Fatal(err)
	}
	return lay
}

// TestKillDuringRebuild runs `hetang build -o existing.gpkg` 20 times and
// SIGKILLs it during the GeoPackage write: the file at the final name is
// always the previous or the complete new GeoPackage.
func TestKillDuringRebuild(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	path := filepath.Join(t.TempDir(), "existing.gpkg")
	if out, err := exec.Command(bin, "build", "-o", path).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	newLay, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	features := countFeatures(newLay)
	previousVersion(t, path, "previous")
	r := rand.New(rand.NewPCG(1, 2))
	inWrite, finished, sawNew := 0, 0, 0
	for i := range 20 {
		w, f := killDuringWrite(t, exec.Command(bin, "build", "-o", path), path, r, 40*time.Millisecond)
		if w {
			inWrite++
		}
		if f {
			finished++
		}
		if v := checkIntact(t, path, features, "previous", newLay.Version); v == newLay.Version {
			sawNew++
			previousVersion(t, path, "previous")
		}
		if t.Failed() {
			t.Fatalf("iteration %d", i)
		}
		for _, tmp := range tempFiles(t, path) {
			os.Remove(tmp) // left by the killed writer; the final name is what matters
		}
	}
	t.Logf("20 kills: %d while the temporary GeoPackage was being written, %d after the build finished; %d times the new file was already in place", inWrite, finished, sawNew)
	if inWrite == 0 {
		t.Error("no kill landed during the write; the test did not test anything")
	}
	// A server starts on the survivor.
	srv := startServer(t, bin, nil, "-data", path)
	var cat catalog
	getJSON(t, srv.base+"/api/v1/layers", &cat)
	if len(cat.Layers) != 13 {
		t.Errorf("restarted server lists %d layers", len(cat.Layers))
	}
}

// layerGeoJSON returns a layer of the GeoPackage at path as GeoJSON, as
// the server's GeoJSON download encodes it: a valid import input.
func layerGeoJSON(t *testing.T, path, layer string) []byte {
	t.Helper()
	lay, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ly, err := lay.Layer(layer)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.GeoJSON(ly, crs.CRS84, lay.Version)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKillDuringImportCLI SIGKILLs `hetang import` while it writes the new
// GeoPackage: the file keeps the previous or the complete new data.
func TestKillDuringImportCLI(t *testing.T) {
	t.Parallel()
	if _, ok := commands()["import"]; !ok {
		t.Skip("no import subcommand yet")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hetang.gpkg")
	if out, err := exec.Command(bin, "build", "-o", path).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	input := filepath.Join(dir, "places.geojson")
	if err := os.WriteFile(input, layerGeoJSON(t, path, "places"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	features := countFeatures(before)
	// One complete import tells the version an import produces.
	probe := filepath.Join(dir, "probe.gpkg")
	copyFile(t, path, probe)
	if out, err := exec.Command(bin, "import", "-data", probe, "-layer", "places", input).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	after, err := gpkg.Read(context.Background(), probe)
	if err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(dir, "orig.gpkg")
	copyFile(t, path, orig)
	r := rand.New(rand.NewPCG(3, 4))
	inWrite := 0
	const n = 3
	for range n {
		w, _ := killDuringWrite(t, exec.Command(bin, "import", "-data", path, "-layer", "places", input), path, r, 10*time.Millisecond)
		if w {
			inWrite++
		}
		if v := checkIntact(t, path, features, before.Version, after.Version); v != before.Version {
			copyFile(t, orig, path)
		}
		if t.Failed() {
			t.FailNow()
		}
		for _, tmp := range tempFiles(t, path) {
			os.Remove(tmp)
		}
	}
	t.Logf("%d kills of `hetang import`, %d during the GeoPackage write", n, inWrite)
	srv := startServer(t, bin, nil, "-data", path)
	var cat catalog
	getJSON(t, srv.base+"/api/v1/layers", &cat)
	if cat.DataVersion != before.Version && cat.DataVersion != after.Version {
		t.Errorf("restarted server serves version %q", cat.DataVersion)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKillServerDuringImport SIGKILLs the server while it handles
// PUT /api/v1/layers/places, then restarts it on the same file.
func TestKillServerDuringImport(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hetang.gpkg")
	if out, err := exec.Command(bin, "build", "-o", path).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	body := layerGeoJSON(t, path, "places")
	before, err := gpkg.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	features := countFeatures(before)
	env := []string{"HETANG_ADMIN_TOKEN=" + testToken}
	srv := startServer(t, bin, env, "-data", path)
	if !routeExists(t, srv.base, http.MethodPut, "/api/v1/layers/places") {
		t.Skip("PUT /api/v1/layers/{layer} is not routed yet")
	}
	r := rand.New(rand.NewPCG(5, 6))
	inWrite := 0
	const n = 3
	for i := range n {
		if i > 0 {
			srv = startServer(t, bin, env, "-data", path)
		}
		reqDone := make(chan string, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPut, srv.base+"/api/v1/layers/places", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/geo+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				reqDone <- "error: " + err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			reqDone <- fmt.Sprintf("%d %s", resp.StatusCode, b)
		}()
		// Kill once the new GeoPackage is being written, or at a random
		// moment of the checks when the write never shows.
		deadline := time.Now().Add(20 * time.Second)
		for len(tempFiles(t, path)) == 0 && time.Now().Before(deadline) {
			select {
			case res := <-reqDone:
				// Finished before the write showed.
				reqDone <- res
				deadline = time.Time{}
			default:
				time.Sleep(200 * time.Microsecond)
			}
		}
		time.Sleep(time.Duration(r.Int64N(int64(30 * time.Millisecond))))
		if len(tempFiles(t, path)) > 0 {
			inWrite++
		}
		_ = srv.cmd.Process.Kill()
		err := <-srv.done
		srv.done <- err
		select {
		case res := <-reqDone:
			t.Logf("import request: %.80s", res)
		case <-time.After(10 * time.Second):
			t.Fatal("the client did not notice the server's death")
		}
		lay, err := gpkg.Read(context.Background(), path)
		if err != nil {
			t.Fatalf("after killing the server mid-import %s does not open: %v", path, err)
		}
		if lay.Version != before.Version && !strings.HasPrefix(lay.Version, before.Version+"+") {
			t.Errorf("after the kill the data version is %q", lay.Version)
		}
		if countFeatures(lay) != features || len(lay.Layers) != 13 {
			t.Errorf("after the kill: %d layers, %d features", len(lay.Layers), countFeatures(lay))
		}
		for _, tmp := range tempFiles(t, path) {
			os.Remove(tmp)
		}
		before.Version = lay.Version
	}
	t.Logf("%d server kills during PUT imports, %d while the GeoPackage was being written", n, inWrite)
	srv = startServer(t, bin, env, "-data", path)
	var cat catalog
	getJSON(t, srv.base+"/api/v1/layers", &cat)
	if cat.DataVersion != before.Version || len(cat.Layers) != 13 {
		t.Errorf("restarted server serves version %q with %d layers, want %q and 13", cat.DataVersion, len(cat.Layers), before.Version)
	}
}

// routeExists reports whether the router knows method path (anything but
// its own 404).
func routeExists(t *testing.T, base, method, path string) bool {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return !(resp.StatusCode == http.StatusNotFound && strings.Contains(string(b), "no such resource"))
}

// TestKillServerDuringBatch SIGKILLs the server in the middle of a large
// batch locate request; the data file is untouched and a restarted server
// serves it.
func TestKillServerDuringBatch(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	path := filepath.Join(t.TempDir(), "hetang.gpkg")
	if out, err := exec.Command(bin, "build", "-o", path).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, bin, nil, "-data", path)
	if !routeExists(t, srv.base, http.MethodPost, "/api/v1/locate/batch") {
		t.Skip("POST /api/v1/locate/batch is not routed yet")
	}
	// A batch that streams in for a while: 200k CSV rows sent slowly.
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		fmt.Fprintln(pw, "id,lon,lat")
		r := rand.New(rand.NewPCG(7, 8))
		for i := range 200_000 {
			if _, err := fmt.Fprintf(pw, "%d,%.6f,%.6f\n", i, 113.10+r.Float64()*0.25, 27.78+r.Float64()*0.2); err != nil {
				return
			}
			if i%5000 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	req, _ := http.NewRequest(http.MethodPost, srv.base+"/api/v1/locate/batch", pr)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Accept", "text/csv")
	got := make(chan int64, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- -1
			return
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- n
	}()
	time.Sleep(300 * time.Millisecond)
	_ = srv.cmd.Process.Kill()
	err = <-srv.done
	srv.done <- err
	select {
	case n := <-got:
		t.Logf("client saw the batch cut off after %d response bytes", n)
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not notice the server's death")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a killed batch request changed the GeoPackage")
	}
	srv = startServer(t, bin, nil, "-data", path)
	var cat catalog
	getJSON(t, srv.base+"/api/v1/layers", &cat)
	if len(cat.Layers) != 13 {
		t.Errorf("restarted server lists %d layers", len(cat.Layers))
	}
}

// mountTmpfs mounts a tmpfs of the given size (in bytes) at a new
// directory, or skips when mounting is not permitted. ro remounts it
// read-only after fill has run.
func mountTmpfs(t *testing.T, size int64, fill func(dir string), ro bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	if fill != nil {
		fill(dir)
	}
	if ro {
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot remount read-only: %v %s", err, out)
		}
	}
	return dir
}

// serveFails runs `hetang serve` in-process and wants it to fail at start-up
// with exit 1 and a message containing each of want, without a panic.
func serveFails(t *testing.T, args []string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr strings.Builder
	code := run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	msg := stderr.String()
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr %q", code, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr %q does not contain %q", msg, w)
		}
	}
	for _, bad := range []string{"panic", "goroutine", ".go:"} {
		if strings.Contains(msg, bad) {
			t.Errorf("stderr contains %q: %s", bad, msg)
		}
	}
	t.Logf("start-up error: %s", strings.TrimSpace(msg))
}

// TestStartupDiskFaults starts the server with its cache directory on a
// full disk, on a read-only file system and under a regular file.
func TestStartupDiskFaults(t *testing.T) {
	t.Run("cache dir on a full disk", func(t *testing.T) {
		dir := mountTmpfs(t, 64<<10, nil, false)
		t.Setenv("HETANG_CACHE_DIR", dir)
		serveFails(t, nil, "disk is full", dir)
	})
	t.Run("cache dir read-only", func(t *testing.T) {
		dir := mountTmpfs(t, 1<<20, nil, true)
		t.Setenv("HETANG_CACHE_DIR", filepath.Join(dir, "cache"))
		serveFails(t, nil, "read-only file system")
	})
	t.Run("cache dir under a regular file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HETANG_CACHE_DIR", filepath.Join(file, "cache"))
		serveFails(t, nil, "cache directory", "not a directory")
	})
	t.Run("data on a read-only file system", func(t *testing.T) {
		// Reading works: the server starts and serves; imports then fail clearly.
		src := fixture.WritableGPKG(t)
		dir := mountTmpfs(t, 2<<20, func(dir string) { copyFile(t, src, filepath.Join(dir, "hetang.gpkg")) }, true)
		bin := buildBinary(t)
		srv := startServer(t, bin, []string{"HETANG_ADMIN_TOKEN=" + testToken}, "-data", filepath.Join(dir, "hetang.gpkg"))
		importFails(t, srv.base, http.StatusInternalServerError, "could not be saved")
	})
	t.Run("import onto a full disk", func(t *testing.T) {
		src := fixture.WritableGPKG(t)
		fi, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		dir := mountTmpfs(t, fi.Size()+64<<10, func(dir string) { copyFile(t, src, filepath.Join(dir, "hetang.gpkg")) }, false)
		path := filepath.Join(dir, "hetang.gpkg")
		bin := buildBinary(t)
		srv := startServer(t, bin, []string{"HETANG_ADMIN_TOKEN=" + testToken}, "-data", path)
		importFails(t, srv.base, http.StatusInternalServerError, "could not be saved")
		if _, err := gpkg.Read(context.Background(), path); err != nil {
			t.Errorf("after a failed import on a full disk the GeoPackage does not open: %v", err)
		}
		if left := tempFiles(t, path); len(left) > 0 {
			t.Errorf("a failed write left %v", left)
		}
		// The CLI says the same, with exit 1.
		input := filepath.Join(t.TempDir(), "places.geojson")
		if err := os.WriteFile(input, placesBody(t, srv.base), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := commands()["import"]; ok {
			var stdout, stderr strings.Builder
			code := run(context.Background(), []string{"import", "-data", path, "-layer", "places", input}, &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), "disk is full") || strings.Contains(stderr.String(), "panic") {
				t.Errorf("import CLI on a full disk: exit %d, stderr %q", code, stderr.String())
			}
		}
	})
}

// placesBody is the places layer as the server at base serves it.
func placesBody(t *testing.T, base string) []byte {
	t.Helper()
	resp, b := fixture.Get(t, base+"/api/v1/layers/places", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET places: %d %s", resp.StatusCode, b)
	}
	return b
}

// importFails PUTs a valid import and wants the given status and message,
// then checks the server still serves the previous data.
func importFails(t *testing.T, base string, status int, detail string) {
	t.Helper()
	if !routeExists(t, base, http.MethodPut, "/api/v1/layers/places") {
		t.Skip("PUT /api/v1/layers/{layer} is not routed yet")
	}
	var before catalog
	getJSON(t, base+"/api/v1/layers", &before)
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/layers/places", bytes.NewReader(placesBody(t, base)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/geo+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status || !strings.Contains(string(b), detail) {
		t.Errorf("import: %d %s; want %d and %q", resp.StatusCode, b, status, detail)
	}
	for _, l := range leaks {
		if strings.Contains(string(b), l) {
			t.Errorf("import error leaks %q: %s", l, b)
		}
	}
	var after catalog
	getJSON(t, base+"/api/v1/layers", &after)
	if after.DataVersion != before.DataVersion {
		t.Errorf("a failed import changed the served version from %q to %q", before.DataVersion, after.DataVersion)
	}
}

// TestStartupCorruptGeoPackage starts the server on broken files: exit 1
// with a message naming the file, no panic.
func TestStartupCorruptGeoPackage(t *testing.T) {
	t.Parallel()
	good := fixture.WritableGPKG(t)
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	random := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	// An SQLite database that is not a GeoPackage.
	plain := filepath.Join(dir, "plain-sqlite.gpkg")
	db, err := sql.Open("sqlite3", plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A GeoPackage whose pages are damaged in the middle.
	damaged := bytes.Clone(goodBytes)
	copy(damaged[len(damaged)/2:], random[:8192])

	for _, tc := range []struct {
		name, path string
	}{
		{"truncated to half", write("truncated.gpkg", goodBytes[:len(goodBytes)/2])},
		{"truncated header", write("header-only.gpkg", goodBytes[:100])},
		{"random bytes", write("random.gpkg", random)},
		{"empty file", write("empty.gpkg", nil)},
		{"SQLite but not a GeoPackage", plain},
		{"a directory", dir},
		{"missing", filepath.Join(dir, "missing.gpkg")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serveFails(t, []string{"-data", tc.path}, filepath.Base(tc.path))
		})
	}
	t.Run("damaged pages", func(t *testing.T) {
		p := write("damaged.gpkg", damaged)
		if _, err := store.Open(context.Background(), p); !errors.Is(err, gpkg.ErrCorrupt) {
			t.Errorf("store.Open on a damaged GeoPackage: %v, want gpkg.ErrCorrupt", err)
		}
		serveFails(t, []string{"-data", p}, "damaged.gpkg")
	})
	t.Run("corrupt cached default GeoPackage is rebuilt", func(t *testing.T) {
		cache := t.TempDir()
		// The cache as a first start leaves it: the default GeoPackage under its data version.
		if err := os.WriteFile(filepath.Join(cache, "hetang-"+fixture.Layout(t).Version+".gpkg"), fixture.GPKG(t), 0o644); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(cache, "hetang-*.gpkg"))
		if len(files) != 1 {
			t.Fatalf("cache holds %v", files)
		}
		if err := os.WriteFile(files[0], random[:4096], 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := store.OpenDefault(context.Background(), cache, geodata.FS)
		if err != nil {
			t.Fatalf("reopening over a corrupt cache file: %v", err)
		}
		if n := len(st.Current().Layout.Layers); n != 13 {
			t.Errorf("rebuilt cache serves %d layers", n)
		}
	})
}

// TestSIGTERMDrainsInFlight sends SIGTERM while a batch request is still
// streaming its body: the request completes with every record answered, new
// connections are refused, and the server exits 0.
func TestSIGTERMDrainsInFlight(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	srv := startServer(t, bin, nil)
	if !routeExists(t, srv.base, http.MethodPost, "/api/v1/locate/batch") {
		t.Skip("POST /api/v1/locate/batch is not routed yet")
	}
	const rows = 2000
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		fmt.Fprintln(pw, "id,lon,lat")
		for i := range rows {
			fmt.Fprintf(pw, "%d,113.2,27.87\n", i)
			if i%200 == 0 {
				time.Sleep(150 * time.Millisecond) // about 1.5 s in all
			}
		}
	}()
	req, _ := http.NewRequest(http.MethodPost, srv.base+"/api/v1/locate/batch", pr)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Accept", "text/csv")
	type result struct {
		status int
		lines  int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, lines: strings.Count(string(b), "\n"), err: err}
	}()
	time.Sleep(400 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// While the batch is still streaming, the listener is closed: a new
	// connection is refused. (Checked during the drain: once the process
	// has exited, another test's server may be given the same port.)
	refused := false
	for until := time.Now().Add(5 * time.Second); time.Now().Before(until) && len(got) == 0; time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.base, "http://"), time.Second)
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("the server still accepted connections while draining")
	}
	select {
	case r := <-got:
		if r.err != nil || r.status != 200 || r.lines != rows+1 {
			t.Errorf("in-flight batch after SIGTERM: status %d, %d lines (want 200 and %d), err %v", r.status, r.lines, rows+1, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the in-flight request did not finish within 30 s of SIGTERM")
	}
	select {
	case err := <-srv.done:
		srv.done <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, srv.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit within 30 s of SIGTERM")
	}
}
