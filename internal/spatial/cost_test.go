package spatial

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/memstat"
	"hetang/internal/shapes"
)

// costCases are the parcels whose memory TestParcelCostCoversMemory
// measures: the heavy shapes of the stress test and the hostile corpus.
func costCases() []struct {
	name string
	g    orb.Geometry
} {
	c := shapes.District
	out := []struct {
		name string
		g    orb.Geometry
	}{
		{"tiny square", shapes.Square(113.2, 27.87, 0.001)},
		{"circle of 90,000 vertices", shapes.Circle(c, 90_000, 0.05)},
		{"circle of 20,000 vertices, 0.5° across the district", shapes.Circle(c, 20_000, 0.5)},
		{"double loop of 50,000 vertices, ~1,400 crossings", shapes.DoubleLoop(c, 50_000, 700, 0.05)},
		{"1,000 squares", shapes.Grid(orb.Point{113.05, 27.75}, 1000, 40, 0.005, 0.008)},
		{"box 2° around the district, a vertex every 0.001°", shapes.Box(112.2, 26.9, 114.2, 28.9, 0.001)},
	}
	for _, h := range hostileParcels() {
		out = append(out, struct {
			name string
			g    orb.Geometry
		}{"hostile: " + h.name, h.g})
	}
	return out
}

// measureParcel runs LocateParcel on g with the garbage collector off, so
// that every byte allocated stays counted, and returns the Go heap
// allocated (TotalAlloc) and the peak growth of the C heap (mallinfo2,
// sampled every 100 µs from another thread while GEOS runs).
func measureParcel(ix *Index, g orb.Geometry) (goBytes, cBytes int64, p *Parcel, err error) {
	runtime.GC()
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	c0 := memstat.CHeap()
	var peak atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			peak.Store(max(peak.Load(), memstat.CHeap()-c0))
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	p, err = ix.PrepareParcel(context.Background(), g, ParcelLimits{})
	if err == nil {
		_, err = ix.LocatePrepared(context.Background(), p, 3)
	}
	runtime.ReadMemStats(&m1)
	close(stop)
	<-done
	peak.Store(max(peak.Load(), memstat.CHeap()-c0))
	return int64(m1.TotalAlloc - m0.TotalAlloc), peak.Load(), p, err
}

// TestParcelCostCoversMemory checks Parcel.Cost, the estimate the memory
// budget reserves, against what each parcel's answer really allocates in
// the Go heap and the C heap (GEOS), measured with the collector off.
func TestParcelCostCoversMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory of large parcels")
	}
	ix := mustIndex(t)
	// Give every worker its GEOS copy of the features first.
	for range 2 * runtime.GOMAXPROCS(0) {
		for _, g := range []orb.Geometry{shapes.Square(113.2, 27.87, 0.001), shapes.Circle(shapes.District, 30_000, 0.05)} {
			if _, err := ix.LocatePolygon(context.Background(), g, 3); err != nil {
				t.Fatal(err)
			}
		}
	}
	worstShare := 0.0
	for _, c := range costCases() {
		goB, cB, p, err := measureParcel(ix, c.g)
		if p == nil {
			t.Logf("%-60s refused before the overlay: %v", c.name, err)
			continue
		}
		var le *LimitError
		if err != nil && !errors.As(err, &le) && !errors.Is(err, ErrNotAreal) {
			t.Errorf("%s: %v", c.name, err)
		}
		got, est := goB+cB, p.Cost()
		share := float64(cB) / float64(max(got, 1))
		if got > 8<<20 {
			worstShare = max(worstShare, share)
		}
		t.Logf("%-60s vertices %7d work %7d: Go %6.1f MiB + C %5.1f MiB (C %2.0f %%) = %6.1f MiB; estimate %6.1f MiB (%.1f×)",
			c.name, p.vertices, p.shape.work, mb(goB), mb(cB), 100*share, mb(got), mb(est), float64(est)/float64(max(got, 1)))
		if got > est {
			t.Errorf("%s: used %.1f MiB, more than its estimate %.1f MiB", c.name, mb(got), mb(est))
		}
	}
	t.Logf("largest C-heap share of a parcel over 8 MiB: %.0f %%", 100*worstShare)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// BenchmarkLocateParcel is the parcel path (PrepareParcel, then the
// overlay in a worker) for the parcels BENCHMARKS.md measures over HTTP: a
// 100 m square, a 1,000-vertex circle 2 km across, and the stress test's
// 90,000-vertex circle; parcels/s is reported per wall-clock second.
func BenchmarkLocateParcel(b *testing.B) {
	ix := mustIndex(b)
	for _, c := range []struct {
		name string
		g    orb.Geometry
	}{
		{"small", shapes.Square(113.2, 27.87, 0.001)},
		{"1000-vertices", shapes.Circle(shapes.District, 1000, 0.01)},
		{"90000-vertices", shapes.Circle(shapes.District, 90_000, 0.05)},
	} {
		b.Run(c.name, func(b *testing.B) {
			if _, err := ix.LocatePolygon(context.Background(), c.g, 3); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if _, err := ix.LocatePolygon(context.Background(), c.g, 3); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "parcels/s")
		})
	}
}
