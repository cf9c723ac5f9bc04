package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/budget"
	"hetang/internal/memstat"
	"hetang/internal/shapes"
)

// TestHostileMemory sends every row of the hostile-parcel corpus, and the
// stress test's heavy parcels, each to a fresh server process (its GEOS
// workers warmed up first), and measures the request's peak memory: the
// server's VmHWM after the request, reset to its VmRSS just before it
// (memstat.ResetHWM), less that VmRSS. Each must stay below the heavy part
// of the default memory budget, and get its status. With
// HETANG_BENCH_MD=FILE the table goes to FILE (for BENCHMARKS.md).
// sharedBodyLimit: requests with smaller bodies share a server in make test.
const sharedBodyLimit = 4 << 10

func TestHostileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server per case")
	}
	bin := buildBinary(t)
	cache := t.TempDir()
	rows := hostileParcels()
	c := shapes.District
	for _, h := range []struct {
		name string
		g    orb.Geometry
	}{
		{"stress: circle of 90,000 vertices", shapes.Circle(c, 90_000, 0.05)},
		{"stress: ring of 50,000 vertices crossing itself 1,401 times", shapes.DoubleLoop(c, 50_000, 700, 0.05)},
		{"stress: 1,000 squares", shapes.Grid(orb.Point{113.05, 27.75}, 1000, 40, 0.005, 0.008)},
		{"stress: circle of 20,000 vertices 0.5° across", shapes.Circle(c, 20_000, 0.5)},
		{"stress: 2° box, a vertex every 0.001°", shapes.Box(112.2, 26.9, 114.2, 28.9, 0.001)},
	} {
		rows = append(rows, hostileParcel{name: h.name, body: string(geometryJSON(t, h.g)), status: http.StatusOK, want: `"area_m2"`})
	}
	light := string(geometryJSON(t, shapes.Square(113.2, 27.87, 0.001)))
	heavy := string(geometryJSON(t, shapes.Circle(c, 10_000, 0.05)))
	capacity := int64(budget.DefaultTotal - budget.DefaultBase - budget.DefaultLightReserve)
	var md strings.Builder
	md.WriteString("| request | body | status | time | peak memory (VmHWM − VmRSS before) |\n|---|---:|---:|---:|---:|\n")
	var worstT time.Duration
	var worstM int64
	var worstTName, worstMName string
	// Starting and warming up a server costs more than a second of CPU. In
	// make test, requests with small bodies (which cannot allocate much)
	// share one server, its peak reset before each; for BENCHMARKS.md
	// (HETANG_BENCH_MD) every row gets a fresh one.
	fresh := os.Getenv("HETANG_BENCH_MD") != ""
	var shared *runningServer
	for _, row := range rows {
		var rs *runningServer
		switch {
		case fresh || len(row.body) >= sharedBodyLimit:
			rs = startServer(t, bin, []string{"HETANG_CACHE_DIR=" + cache})
		case shared != nil:
			rs = shared
		default:
			shared = startServer(t, bin, []string{"HETANG_CACHE_DIR=" + cache})
			rs = shared
		}
		post := func(path, ctype, body string) (int, string, error) {
			resp, err := http.Post(rs.base+path, ctype, strings.NewReader(body))
			if err != nil {
				return 0, "", err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b), nil
		}
		for range 4 { // both lanes' workers build their GEOS copies of the layout (again: cheap when shared)
			for _, b := range []string{light, heavy} {
				if st, body, err := post("/api/v1/locate", geoJSON, b); err != nil || st != http.StatusOK {
					t.Fatalf("warm-up: %d %v %.200s", st, err, body)
				}
			}
		}
		pid := rs.cmd.Process.Pid
		if err := memstat.ResetHWM(pid); err != nil {
			t.Skip(err)
		}
		before, err := memstat.Read(pid)
		if err != nil {
			t.Fatal(err)
		}
		req, err := row.request(rs.base)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var status int
		var body string
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			status, body = resp.StatusCode, string(b)
		}
		el := time.Since(start)
		after, rerr := memstat.Read(pid)
		if rs != shared {
			rs.kill()
		} else if err := rs.healthy(); err != nil {
			t.Fatalf("after %s the shared server is not healthy: %v", row.name, err)
		}
		if err != nil || rerr != nil {
			t.Fatalf("%s: %v %v", row.name, err, rerr)
		}
		peak := after.HWM - before.RSS
		fmt.Fprintf(&md, "| %s | %.1f KB | %d | %.0f ms | %.1f MiB |\n", row.name, float64(len(row.body))/1000, status, el.Seconds()*1000, float64(peak)/(1<<20))
		if status != row.status || !strings.Contains(body, row.want) {
			t.Errorf("%s: %d %.300s; want %d with %q", row.name, status, body, row.status, row.want)
		}
		if peak >= capacity {
			t.Errorf("%s: peak %d MiB, not below the budget's %d MiB for heavy requests", row.name, peak>>20, capacity>>20)
		}
		if el > worstT {
			worstT, worstTName = el, row.name
		}
		if peak > worstM {
			worstM, worstMName = peak, row.name
		}
	}
	fmt.Fprintf(&md, "\nWorst time: %s, %.0f ms. Worst memory: %s, %.1f MiB.\n", worstTName, worstT.Seconds()*1000, worstMName, float64(worstM)/(1<<20))
	t.Log("\n" + md.String())
	if f := os.Getenv("HETANG_BENCH_MD"); f != "" {
		if err := os.WriteFile(f, []byte(md.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
