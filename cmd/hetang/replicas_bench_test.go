package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hetang/internal/pgtest"
)

// TestBenchReplicas measures, on this machine, what BENCHMARKS.md reports
// for replicas on one PostGIS database: single-point locate throughput
// with 1 and with 3 `hetang serve` processes (wrk, the same total number of
// connections), the snapshot swap time (a replica loading and indexing a
// newer version: a small layer and a hot one), and import-to-visible
// latency (from an import's answer until every replica serves it). It runs
// only with HETANG_BENCH=1 (make bench-replicas) and prints a Markdown table.
func TestBenchReplicas(t *testing.T) {
	if os.Getenv("HETANG_BENCH") == "" {
		t.Skip("a benchmark: run with HETANG_BENCH=1 (make bench-replicas)")
	}
	wrk := requireTool(t, "wrk")
	dur := 10 * time.Second
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	conns := 24
	cluster := pgtest.Require(t)
	url, schema := cluster.URL(), cluster.Schema(t)
	bin := buildBinary(t)
	if out, err := exec.Command(bin, "build", "-o", url, "-schema", schema).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := []string{"HETANG_TOKENS=tester:writer:" + replicaWriter, "HETANG_DATA_SCHEMA=" + schema, "HETANG_LOG_FORMAT=text"}
	reps := []*runningServer{startServer(t, bin, env, "-data", url)}

	script := filepath.Join(t.TempDir(), "locate.lua")
	if err := os.WriteFile(script, []byte(`math.randomseed(42)
request = function()
  local x = 113.10 + math.random() * 0.25
  local y = 27.78 + math.random() * 0.22
  return wrk.format("GET", string.format("/api/v1/locate?lon=%.6f&lat=%.6f", x, y))
end
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	load := func(targets []*runningServer) float64 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0.0
		per := conns / len(targets)
		for _, r := range targets {
			wg.Add(1)
			go func(base string) {
				defer wg.Done()
				out, err := exec.Command(wrk, "-t1", "-c"+strconv.Itoa(per), "-d"+dur.String(), "-s", script, base).CombinedOutput()
				if err != nil {
					t.Errorf("wrk: %v\n%s", err, out)
					return
				}
				m := rps.FindSubmatch(out)
				if m == nil {
					t.Errorf("wrk output: %s", out)
					return
				}
				v, _ := strconv.ParseFloat(string(m[1]), 64)
				mu.Lock()
				total += v
				mu.Unlock()
			}(r.base)
		}
		wg.Wait()
		return total
	}
	warm := func() {
		for _, r := range reps {
			for range 200 {
				if resp, err := http.Get(r.base + "/api/v1/locate?lon=113.17&lat=27.86"); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}
	}
	warm()
	one := load(reps)
	reps = append(reps, startServer(t, bin, env, "-data", url), startServer(t, bin, env, "-data", url))
	warm()
	three := load(reps)

	// Import-to-visible latency and swap times, by kind of import: the
	// places (small, not indexed for every point), the roads with new
	// attributes only, and the roads with every geometry moved (by 1e-7°,
	// back and forth): a hot layer whose nearest-point grids every replica
	// rebuilds.
	kinds := []struct {
		name, layer string
		dx          float64
	}{{"places", "places", 0}, {"roads, attributes only", "roads", 0}, {"roads, every geometry moved", "roads", 1e-7}}
	latencies := map[string][]time.Duration{}
	swaps := map[string][]time.Duration{}
	for i := range 6 * len(kinds) {
		kind := kinds[i%len(kinds)]
		dx := kind.dx
		if i/len(kinds)%2 == 1 {
			dx = -dx
		}
		via := reps[i%3].base
		marker := "bench-" + strconv.Itoa(i)
		n, err := importLayer(via, kind.layer, layerWith(t, via, kind.layer, marker, dx), marker)
		if err != nil {
			t.Fatal(err)
		}
		answered := time.Now()
		for {
			all := true
			for _, r := range reps {
				if servedVersion(r.base) < n {
					all = false
				}
			}
			if all {
				break
			}
			if time.Since(answered) > 10*time.Second {
				t.Fatalf("version %d not served everywhere after 10 s", n)
			}
			time.Sleep(2 * time.Millisecond)
		}
		latencies[kind.name] = append(latencies[kind.name], time.Since(answered))
		for j, r := range reps {
			if j != i%3 { // the writer swaps as it commits; the others follow
				swaps[kind.name] = append(swaps[kind.name], swapSeconds(t, r.base))
			}
		}
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[int(float64(len(s)-1)*p)]
	}
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\nReplicas on one PostGIS (%d CPUs, Go %s, load average %s; wrk %d connections in total, %s per run)\n\n",
		runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(la))[:3], " "), conns, dur)
	fmt.Printf("| measure | value |\n|---|---|\n")
	fmt.Printf("| locate req/s, 1 replica | %.0f |\n", one)
	fmt.Printf("| locate req/s, 3 replicas (3 × wrk, %d connections each) | %.0f |\n", conns/3, three)
	fmt.Printf("| 3 replicas / 1 replica | %.2f |\n", three/one)
	for _, k := range kinds {
		fmt.Printf("| snapshot swap (load + index), %s: median / max (%d swaps) | %s / %s |\n", k.name, len(swaps[k.name]),
			pct(swaps[k.name], 0.5).Round(100*time.Microsecond), pct(swaps[k.name], 1).Round(100*time.Microsecond))
	}
	for _, k := range kinds {
		ls := latencies[k.name]
		fmt.Printf("| import answered → served by all 3 replicas, %s: median / max (%d imports) | %s / %s |\n", k.name, len(ls),
			pct(ls, 0.5).Round(time.Millisecond), pct(ls, 1).Round(time.Millisecond))
	}
}

func servedVersion(base string) int64 {
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	n, _ := strconv.ParseInt(resp.Header.Get("Hetang-Layout-Version"), 10, 64)
	return n
}

// swapSeconds reads hetang_snapshot_swap_seconds from a replica's /metrics.
func swapSeconds(t *testing.T, base string) time.Duration {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hetang_snapshot_swap_seconds "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return time.Duration(f * float64(time.Second))
		}
	}
	t.Fatal("no hetang_snapshot_swap_seconds")
	return 0
}
