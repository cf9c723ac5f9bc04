package main

import (
	"fmt"
	"sort"
	"strings"
)

// Summary is the human-readable result printed at the end of a run.
func (res *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "target %s, concurrency %d, mix %s, %.1f s\n", res.Target, res.Concurrency, res.Mix, res.Duration)
	fmt.Fprintf(&b, "requests %d, errors %d, %.1f req/s\n", res.Requests, res.Errors, res.ReqPerSec)
	fmt.Fprintf(&b, "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", res.P50ms, res.P90ms, res.P99ms, res.Maxms)
	if m := res.Memory; m != nil {
		fmt.Fprintf(&b, "server RSS peak %.1f MiB (VmHWM %.1f MiB), %d samples\n", mib(m.PeakRSSKB), mib(m.VmHWMKB), len(m.Samples))
		if m.Growth != nil {
			fmt.Fprintf(&b, "memory %s\n", m.Growth.Verdict)
		}
	}
	for _, e := range res.ErrorSample {
		fmt.Fprintf(&b, "  error: %s: %d %s\n", e.Path, e.Status, e.Error)
	}
	return b.String()
}

// Markdown renders the result as the body of a BENCHMARKS.md section.
func (res *Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| started (UTC) | %s |\n", res.Started.Format("2006-01-02 15:04:05"))
	fmt.Fprintf(&b, "| concurrency | %d |\n", res.Concurrency)
	fmt.Fprintf(&b, "| mix (weights) | %s |\n", res.Mix)
	if len(res.Skipped) > 0 {
		fmt.Fprintf(&b, "| classes skipped (endpoint missing) | %s |\n", strings.Join(res.Skipped, ", "))
	}
	fmt.Fprintf(&b, "| duration | %.1f s |\n", res.Duration)
	fmt.Fprintf(&b, "| requests | %d |\n", res.Requests)
	fmt.Fprintf(&b, "| errors | %d |\n", res.Errors)
	fmt.Fprintf(&b, "| throughput | %.1f req/s |\n", res.ReqPerSec)
	fmt.Fprintf(&b, "| latency p50 / p90 / p99 / max | %.2f / %.2f / %.2f / %.2f ms |\n", res.P50ms, res.P90ms, res.P99ms, res.Maxms)
	if m := res.Memory; m != nil {
		fmt.Fprintf(&b, "| server peak RSS (sampled VmRSS) | %.1f MiB |\n", mib(m.PeakRSSKB))
		fmt.Fprintf(&b, "| server VmHWM (lifetime peak) | %.1f MiB |\n", mib(m.VmHWMKB))
		if m.Growth != nil {
			fmt.Fprintf(&b, "| memory growth check | %s |\n", m.Growth.Verdict)
		}
	}
	fmt.Fprintf(&b, "| status codes | %s |\n", strings.Join(statusList(res.StatusCount), ", "))
	fmt.Fprintf(&b, "\n| class | requests | errors | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n")
	for _, c := range res.Classes {
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f |\n", c.Class, c.Requests, c.Errors, c.P50ms, c.P99ms)
	}
	if m := res.Memory; m != nil && m.Growth != nil {
		fmt.Fprintf(&b, "\nServer RSS samples (s: MiB): ")
		for i, s := range m.Samples {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.0f: %.1f", s.T, mib(s.RSSKB))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// statusList writes status counts as "200 × 12", by status.
func statusList[N int | int64](counts map[int]N) []string {
	codes := make([]int, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d × %d", c, counts[c]))
	}
	return parts
}
