package locate

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"hetang/internal/config"
	"hetang/internal/cputime"
	"hetang/internal/fixture"
	"hetang/internal/httpapi"
	"hetang/internal/spatial"
)

// discardWriter is a ResponseWriter that keeps only the status, so that the
// handler benchmarks measure the server's work, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

// BenchmarkHandler runs GET /healthz and GET /api/v1/locate through the
// whole middleware stack in process (no sockets): the per-request cost and
// allocations of the HTTP path apart from the kernel's.
func BenchmarkHandler(b *testing.B) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	st := fixture.Store(b)
	h := httpapi.New(config.Default(), st, log, "test", New(st, log, spatial.ParcelLimits{}, nil)).Handler()
	// Points spread over the district's box, as scripts/bench.sh sends them.
	r := rand.New(rand.NewPCG(42, 7))
	var points []string
	for range 4096 {
		points = append(points, fmt.Sprintf("/api/v1/locate?lon=%.6f&lat=%.6f", 113.131+r.Float64()*0.154, 27.831+r.Float64()*0.186))
	}
	for _, bc := range []struct {
		name string
		urls []string
	}{
		{"healthz", []string{"/healthz"}},
		{"locate", points},
	} {
		b.Run(bc.name, func(b *testing.B) {
			reqs := make([]*http.Request, len(bc.urls))
			for i, u := range bc.urls {
				reqs[i] = httptest.NewRequest(http.MethodGet, u, nil)
			}
			b.ReportAllocs()
			cpu0 := cputime.Used()
			i := 0
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, reqs[i%len(reqs)])
				i++
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			b.ReportMetric(float64((cputime.Used()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
