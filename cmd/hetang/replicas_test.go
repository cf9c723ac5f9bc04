package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hetang/internal/pgtest"
)

// replicaWriter is the writer token of the replica tests.
const replicaWriter = "replica-writer-0123456789"

// replica is one `hetang serve` process on the shared database; its
// process may be killed and replaced.
type replica struct {
	mu   sync.Mutex
	srv  *runningServer
	down atomic.Bool
}

func (r *replica) base() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srv.base
}

// layerState is what one read of a layer showed.
type layerState struct {
	version     int64  // Hetang-Layout-Version
	dataVersion string // Hetang-Data-Version, which the body's data_version must equal
	marker      string // the description every feature carries ("" when they differ)
	features    int
}

var replicaClient = &http.Client{Timeout: 10 * time.Second}

func readLayer(base, layer string) (layerState, error) {
	resp, err := replicaClient.Get(base + "/api/v1/layers/" + layer)
	if err != nil {
		return layerState{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return layerState{}, err
	}
	if resp.StatusCode != 200 {
		return layerState{}, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var fc struct {
		DataVersion string `json:"data_version"`
		Features    []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return layerState{}, err
	}
	st := layerState{dataVersion: resp.Header.Get("Hetang-Data-Version"), features: len(fc.Features)}
	if st.version, err = strconv.ParseInt(resp.Header.Get("Hetang-Layout-Version"), 10, 64); err != nil {
		return st, fmt.Errorf("no layout version header: %v", resp.Header)
	}
	if fc.DataVersion != st.dataVersion {
		return st, fmt.Errorf("body data_version %q, header %q", fc.DataVersion, st.dataVersion)
	}
	for i, f := range fc.Features {
		d, _ := f.Properties["description"].(string)
		if i == 0 {
			st.marker = d
		} else if d != st.marker {
			st.marker = ""
		}
	}
	return st, nil
}

// layerWith returns a layer as GeoJSON, as the replica at base serves it,
// with every description set to marker and, when dx is not 0, every
// longitude moved by dx degrees (a new geometry for every feature).
func layerWith(t *testing.T, base, layer, marker string, dx float64) []byte {
	t.Helper()
	resp, err := replicaClient.Get(base + "/api/v1/layers/" + layer)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		t.Fatal(err)
	}
	for _, f := range fc["features"].([]any) {
		f := f.(map[string]any)
		f["properties"].(map[string]any)["description"] = marker
		if dx != 0 {
			g := f["geometry"].(map[string]any)
			g["coordinates"] = shiftLon(g["coordinates"], dx)
		}
	}
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shiftLon moves every position of GeoJSON coordinates by dx in longitude.
func shiftLon(c any, dx float64) any {
	a := c.([]any)
	if x, ok := a[0].(float64); ok {
		a[0] = x + dx
		return a
	}
	for i := range a {
		a[i] = shiftLon(a[i], dx)
	}
	return a
}

// importLayer PUTs a layer with a message; it returns the new version number.
func importLayer(base, layer string, body []byte, message string) (int64, error) {
	req, err := http.NewRequest(http.MethodPut, base+"/api/v1/layers/"+layer+"?message="+message, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+replicaWriter)
	req.Header.Set("Content-Type", "application/geo+json")
	resp, err := replicaClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("import %s: %d %s", layer, resp.StatusCode, b)
	}
	var res struct {
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, err
	}
	return res.Version, nil
}

func waitReadyz(t *testing.T, base string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := replicaClient.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s: %v", base, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicas runs 3 `hetang serve` processes on one PostGIS database with
// 8 readers spread over them, and imports through different replicas, of
// the places and of the roads with every geometry moved (a layer whose
// nearest-point grids every replica rebuilds): every replica serves each
// new version within 1 s of the import's answer; no read ever shows a
// mixed or missing layer, a body that disagrees with its version header, or
// a version going backwards; killing a replica and restarting PostgreSQL in
// the middle lose nothing; the versions are consecutive.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	cluster := pgtest.Require(t)
	url := cluster.URL()
	schema := cluster.Schema(t)
	bin := buildBinary(t)
	ctx := context.Background()

	if out, err := exec.CommandContext(ctx, bin, "build", "-o", url, "-schema", schema).CombinedOutput(); err != nil {
		t.Fatalf("hetang build -o postgres://…: %v\n%s", err, out)
	}
	env := []string{"HETANG_TOKENS=tester:writer:" + replicaWriter, "HETANG_DATA_SCHEMA=" + schema, "HETANG_LOG_FORMAT=text"}
	start := func() *runningServer { return startServer(t, bin, env, "-data", url) }
	reps := make([]*replica, 3)
	for i := range reps {
		reps[i] = &replica{srv: start()}
	}

	// Version 2: every feature marked, so a reader can tell a whole layer
	// from a mixed one.
	if _, err := importLayer(reps[0].base(), "places", layerWith(t, reps[0].base(), "places", "gen-0", 0), "gen-0"); err != nil {
		t.Fatal(err)
	}
	layers := []string{"places", "roads"}
	wantFeatures := map[string]int{}
	for _, layer := range layers {
		st, err := readLayer(reps[0].base(), layer)
		if err != nil {
			t.Fatal(err)
		}
		wantFeatures[layer] = st.features
	}

	// Import k (k ≥ 1) is version k+2, with message and marker gen-k. Every
	// third is of the roads with every geometry moved (by 1e-7°, back and
	// forth), the others of the places.
	isRoads := func(k int) bool { return k%3 == 2 }
	// markerOf is the marker a layer must show at version n: that of the
	// layer's last import up to n ("" for the roads before their first, as
	// built descriptions differ).
	markerOf := func(layer string, n int64) string {
		for k := int(n - 2); k >= 0; k-- {
			if (layer == "roads") == (k > 0 && isRoads(k)) {
				return "gen-" + strconv.Itoa(k)
			}
		}
		return ""
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads, downReads atomic.Int64
	errs := make(chan string, 100)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Sprintf(format, args...):
		default:
		}
	}
	for i := range 8 {
		readers.Add(1)
		go func(r *replica) {
			defer readers.Done()
			var last int64
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				layer := layers[j%len(layers)]
				down := r.down.Load()
				st, err := readLayer(r.base(), layer)
				switch {
				case err != nil && (down || r.down.Load()):
					downReads.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				case err != nil:
					report("read: %v", err)
					continue
				}
				reads.Add(1)
				if st.features != wantFeatures[layer] {
					report("version %d: %d %s, want %d (a missing part of the layer)", st.version, st.features, layer, wantFeatures[layer])
				}
				if want := markerOf(layer, st.version); st.version >= 2 && st.marker != want {
					report("version %d shows %s marked %q, want %q (mixed or wrong data)", st.version, layer, st.marker, want)
				}
				if st.version < last {
					report("version went back from %d to %d", last, st.version)
				}
				last = st.version
			}
		}(reps[i%3])
	}

	imports := 0
	doImport := func(via int) int64 {
		t.Helper()
		imports++
		marker := "gen-" + strconv.Itoa(imports)
		layer, dx := "places", 0.0
		if isRoads(imports) {
			layer, dx = "roads", 1e-7
			if imports/3%2 == 1 {
				dx = -dx
			}
		}
		var n int64
		var err error
		for attempt := 0; attempt < 40; attempt++ {
			r := reps[(via+attempt)%3]
			if r.down.Load() {
				continue
			}
			if n, err = importLayer(r.base(), layer, layerWith(t, r.base(), layer, marker, dx), marker); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("import %d: %v", imports, err)
		}
		committed := time.Now()
		if want := int64(imports + 2); n != want {
			t.Fatalf("import %d became version %d, want %d", imports, n, want)
		}
		// Every live replica serves it within 1 s (each watched by a
		// poller of its own).
		var wg sync.WaitGroup
		for i, r := range reps {
			if r.down.Load() {
				continue
			}
			wg.Add(1)
			go func(i int, base string) {
				defer wg.Done()
				for {
					var h struct {
						LayoutVersion int64 `json:"layout_version"`
					}
					resp, err := replicaClient.Get(base + "/healthz")
					if err == nil {
						_ = json.NewDecoder(resp.Body).Decode(&h)
						resp.Body.Close()
					}
					if h.LayoutVersion >= n {
						t.Logf("version %d (%s): replica %d serves it %s after the import's answer", n, layer, i, time.Since(committed).Round(time.Millisecond))
						return
					}
					if time.Since(committed) > time.Second {
						report("replica %d still serves version %d more than 1 s after version %d (%s) was committed", i, h.LayoutVersion, n, layer)
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}(i, r.base())
		}
		wg.Wait()
		return n
	}

	for k := range 3 {
		doImport(k)
	}

	// Kill replica 1 in the middle; imports go on through the others; a new
	// replica 1 starts on the same database and catches up.
	reps[1].down.Store(true)
	reps[1].srv.kill()
	doImport(2)
	doImport(0)
	next := start()
	reps[1].mu.Lock()
	reps[1].srv = next
	reps[1].mu.Unlock()
	reps[1].down.Store(false)
	if st, err := readLayer(next.base, "places"); err != nil || st.version != int64(imports+2) {
		t.Fatalf("the restarted replica serves version %d (%v), want %d", st.version, err, imports+2)
	}
	doImport(1)

	// Restart PostgreSQL in the middle: reads keep being answered from
	// memory; a write while it is down fails cleanly; after it is back the
	// replicas reconnect and follow again.
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	before := reads.Load()
	time.Sleep(1500 * time.Millisecond)
	if reads.Load()-before < 10 {
		t.Errorf("only %d reads answered while PostgreSQL was down", reads.Load()-before)
	}
	// The refusal is a 503 that says why (the client may retry), not a 500.
	if _, err := importLayer(reps[0].base(), "places", layerWith(t, reps[0].base(), "places", "while-down", 0), "while-down"); err == nil {
		t.Error("an import succeeded while PostgreSQL was down")
	} else if msg := err.Error(); !strings.HasPrefix(msg, "import places: 503 ") || !strings.Contains(msg, "database cannot be reached") {
		t.Errorf("an import while PostgreSQL is down: %v; want a 503 saying the database cannot be reached", err)
	}
	for _, r := range reps {
		if resp, err := replicaClient.Get(r.base() + "/readyz"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("readyz answers %d while the database is down, want 503", resp.StatusCode)
			}
			// A public endpoint: no socket path, host or user name.
			if strings.Contains(string(body), ".s.PGSQL") || strings.Contains(string(body), "user=") {
				t.Errorf("readyz tells the world how the database is reached: %s", body)
			}
			resp.Body.Close()
		}
	}
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		waitReadyz(t, r.base(), 30*time.Second)
	}
	time.Sleep(1500 * time.Millisecond) // the notification connections reconnect (backoff up to 1 s)
	for k := range 3 {
		doImport(k)
	}

	close(stop)
	readers.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("%d reads checked (%d refused while a replica was down)", reads.Load(), downReads.Load())

	// Nothing lost: versions 1 … imports+2, consecutive, each import's
	// message in its place, every replica serving the last one.
	var list struct {
		Versions []struct {
			N       int64  `json:"version"`
			Message string `json:"message"`
		} `json:"versions"`
	}
	getJSON(t, reps[2].base()+"/api/v1/versions?limit=100", &list)
	head := int64(imports + 2)
	if int64(len(list.Versions)) != head {
		t.Fatalf("%d versions, want %d", len(list.Versions), head)
	}
	for i, v := range list.Versions {
		if want := head - int64(i); v.N != want {
			t.Errorf("versions are not consecutive: position %d holds %d, want %d", i, v.N, want)
		}
		if want := "gen-" + strconv.FormatInt(v.N-2, 10); v.N >= 2 && v.Message != want {
			t.Errorf("version %d message %q, want %q", v.N, v.Message, want)
		}
	}
	for i, r := range reps {
		for _, layer := range layers {
			st, err := readLayer(r.base(), layer)
			if want := markerOf(layer, head); err != nil || st.version != head || st.marker != want {
				t.Errorf("replica %d ends at version %d, %s marked %q (%v), want %d %q", i, st.version, layer, st.marker, err, head, want)
			}
		}
	}
	if t.Failed() {
		for i, r := range reps {
			var lines []string
			for _, l := range strings.Split(r.srv.logs.String(), "\n") {
				if !strings.Contains(l, "msg=request ") {
					lines = append(lines, l)
				}
			}
			t.Logf("replica %d log (requests left out):\n%s", i, tail(strings.Join(lines, "\n"), 40))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
