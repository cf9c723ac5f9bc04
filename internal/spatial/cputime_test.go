package spatial

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared, loaded
// machine, points per CPU-second is a steadier measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports points/s (wall) and points per CPU-second.
func reportRates(b *testing.B, points int, cpu0 time.Duration) {
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
	if c := cpuTime() - cpu0; c > 0 {
		b.ReportMetric(float64(points)/c.Seconds(), "points/cpu-s")
	}
}
