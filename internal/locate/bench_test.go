package locate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"hetang/internal/cputime"
	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/intake"
)

// BenchmarkBatchCSV is the batch pipeline in process (decode, locate with
// distances, encode), 100,000 CSV points per op.
func BenchmarkBatchCSV(b *testing.B) {
	ix := fixture.Index(b)
	const n = 100_000
	cpu0 := cputime.Used()
	for b.Loop() {
		bt := &Batch{Locator: &Locator{Index: ix, CRS: crs.CRS84}, Input: intake.Options{Format: intake.FormatCSV}, Out: FormatCSV}
		if _, _, err := bt.Run(context.Background(), &pointStream{n: n}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	cputime.ReportRates(b, n*b.N, "points", cpu0)
}

// BenchmarkHTTPBatch posts 1,000,000 CSV points to /api/v1/locate/batch on
// a loopback server and reads the CSV answer: points/s end to end.
func BenchmarkHTTPBatch(b *testing.B) {
	srv := newTestServer(b, nil)
	const n = 1_000_000
	cpu0 := cputime.Used()
	for b.Loop() {
		resp, err := http.Post(srv.URL+"/api/v1/locate/batch", "text/csv", &pointStream{n: n})
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	cputime.ReportRates(b, n*b.N, "points", cpu0)
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1M-points")
}

// BenchmarkHTTPLocate is GET /api/v1/locate over loopback with keep-alive,
// from as many clients as GOMAXPROCS×4, reporting req/s and p50/p99 latency.
func BenchmarkHTTPLocate(b *testing.B) {
	srv := newTestServer(b, nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4)
	b.ResetTimer()
	cpu0 := cputime.Used()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		var mine []time.Duration
		for pb.Next() {
			x := 113.12 + float64(i%997)/997*0.18
			y := 27.82 + float64(i%991)/991*0.2
			i++
			t0 := time.Now()
			resp, err := client.Get(fmt.Sprintf("%s/api/v1/locate?lon=%.6f&lat=%.6f", srv.URL, x, y))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(len(lat))/(cputime.Used()-cpu0).Seconds(), "req/cpu-s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkPointAnswer is the handler's work for one GET /locate without
// HTTP: the full answer (k=3 roads) encoded as JSON.
func BenchmarkPointAnswer(b *testing.B) {
	l := &Locator{Index: fixture.Index(b), CRS: crs.CRS84}
	i := 0
	cpu0 := cputime.Used()
	for b.Loop() {
		x := 113.12 + float64(i%997)/997*0.18
		y := 27.82 + float64(i%991)/991*0.2
		i++
		a, err := l.Point([2]float64{x, y})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(a); err != nil {
			b.Fatal(err)
		}
	}
	cputime.ReportRates(b, b.N, "points", cpu0)
}
