package locate

import (
	"io"
	"log/slog"
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
	h := httpapi.New(config.Default(), st, log, "test", New(st, log, spatial.ParcelLimits{})).Handler()
	for _, bc := range []struct{ name, url string }{
		{"healthz", "/healthz"},
		{"locate", "/api/v1/locate?lon=113.17&lat=27.86"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bc.url, nil)
			b.ReportAllocs()
			cpu0 := cputime.Used()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			b.ReportMetric(float64((cputime.Used()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
