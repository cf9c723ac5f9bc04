// Package cputime measures the process's CPU time, for benchmarks that report
// work per CPU-second: on a shared, loaded machine that is a steadier measure
// than work per wall-clock second.
package cputime

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"
)

// Used returns the process's user+system CPU time so far (0 if unknown).
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportRates reports n units of work as "<unit>/s" (wall clock since the
// benchmark timer started) and "<unit>/cpu-s" (CPU time since cpu0, taken
// with Used).
func ReportRates(b *testing.B, n int, unit string, cpu0 time.Duration) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"/s")
	if c := Used() - cpu0; c > 0 {
		b.ReportMetric(float64(n)/c.Seconds(), unit+"/cpu-s")
	}
}

// BenchDocs runs write once per iteration into a reused buffer and reports
// the document's size ("bytes/doc") and the documents written per second of
// wall clock and of CPU time.
func BenchDocs(b *testing.B, write func(io.Writer) error) {
	var buf bytes.Buffer
	cpu0 := Used()
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := write(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/doc")
	ReportRates(b, b.N, "docs", cpu0)
}
