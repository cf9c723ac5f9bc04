// Package metrics counts what the service does and writes it in the
// Prometheus text exposition format (version 0.0.4), by hand, without a
// client library: request counts by route and status code, a latency
// histogram by route, and gauges read when scraped (the served layout
// version, snapshot age, replica lag …).
//
// Routes are echo's route patterns (/api/v1/layers/:layer), so the number of
// series is bounded by the number of routes; requests no route matched are
// counted under the route "unmatched".
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ContentType is the media type of the exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Unmatched is the route label of requests no route matched.
const Unmatched = "unmatched"

// Buckets are the latency histogram's upper bounds, in seconds.
var Buckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

type route struct {
	mu     sync.Mutex
	codes  map[int]uint64
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

type gauge struct {
	name, help, kind string
	labels           string
	f                func() float64
}

// Registry holds the counters and the gauges.
type Registry struct {
	mu     sync.RWMutex
	routes map[string]*route
	gauges []gauge
}

// New returns an empty registry.
func New() *Registry { return &Registry{routes: map[string]*route{}} }

// Request counts one answered request.
func (r *Registry) Request(path string, status int, d time.Duration) {
	if path == "" {
		path = Unmatched
	}
	r.mu.RLock()
	rt := r.routes[path]
	r.mu.RUnlock()
	if rt == nil {
		r.mu.Lock()
		if rt = r.routes[path]; rt == nil {
			rt = &route{codes: map[int]uint64{}, counts: make([]uint64, len(Buckets)+1)}
			r.routes[path] = rt
		}
		r.mu.Unlock()
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(Buckets, s)
	rt.mu.Lock()
	rt.codes[status]++
	rt.counts[i]++
	rt.sum += s
	rt.n++
	rt.mu.Unlock()
}

// Gauge registers a gauge whose value f returns when scraped. labels is a
// fixed label set in exposition syntax (`version="1.2"`) or "".
func (r *Registry) Gauge(name, help, labels string, f func() float64) {
	r.add(gauge{name: name, help: help, kind: "gauge", labels: labels, f: f})
}

// Counter registers a counter whose running total f returns when scraped.
func (r *Registry) Counter(name, help string, f func() float64) {
	r.add(gauge{name: name, help: help, kind: "counter", f: f})
}

func (r *Registry) add(g gauge) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges = append(r.gauges, g)
}

// Metric names of the request metrics.
const (
	NameRequests = "hetang_http_requests_total"
	NameLatency  = "hetang_http_request_duration_seconds"
)

// Write writes every metric in the text exposition format.
func (r *Registry) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	r.mu.RLock()
	names := make([]string, 0, len(r.routes))
	for p := range r.routes {
		names = append(names, p)
	}
	gauges := slices.Clone(r.gauges)
	r.mu.RUnlock()
	sort.Strings(names)

	fmt.Fprintf(bw, "# HELP %s HTTP requests answered, by route and status code.\n# TYPE %s counter\n", NameRequests, NameRequests)
	type snap struct {
		codes  map[int]uint64
		counts []uint64
		sum    float64
		n      uint64
	}
	snaps := make([]snap, len(names))
	for i, p := range names {
		rt := r.routes[p]
		rt.mu.Lock()
		snaps[i] = snap{codes: make(map[int]uint64, len(rt.codes)), counts: slices.Clone(rt.counts), sum: rt.sum, n: rt.n}
		for c, n := range rt.codes {
			snaps[i].codes[c] = n
		}
		rt.mu.Unlock()
	}
	for i, p := range names {
		codes := make([]int, 0, len(snaps[i].codes))
		for c := range snaps[i].codes {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			fmt.Fprintf(bw, "%s{route=%s,code=\"%d\"} %d\n", NameRequests, quote(p), c, snaps[i].codes[c])
		}
	}
	fmt.Fprintf(bw, "# HELP %s Time to answer HTTP requests, by route.\n# TYPE %s histogram\n", NameLatency, NameLatency)
	for i, p := range names {
		s := snaps[i]
		var cum uint64
		for j, le := range Buckets {
			cum += s.counts[j]
			fmt.Fprintf(bw, "%s_bucket{route=%s,le=\"%s\"} %d\n", NameLatency, quote(p), formatFloat(le), cum)
		}
		cum += s.counts[len(Buckets)]
		fmt.Fprintf(bw, "%s_bucket{route=%s,le=\"+Inf\"} %d\n", NameLatency, quote(p), cum)
		fmt.Fprintf(bw, "%s_sum{route=%s} %s\n", NameLatency, quote(p), formatFloat(s.sum))
		fmt.Fprintf(bw, "%s_count{route=%s} %d\n", NameLatency, quote(p), s.n)
	}
	for _, g := range gauges {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", g.name, escapeHelp(g.help), g.name, g.kind)
		if g.labels != "" {
			fmt.Fprintf(bw, "%s{%s} %s\n", g.name, g.labels, formatFloat(g.f()))
		} else {
			fmt.Fprintf(bw, "%s %s\n", g.name, formatFloat(g.f()))
		}
	}
	return bw.Flush()
}

// Label returns name="value" with value escaped for the exposition format.
func Label(name, value string) string { return name + "=" + quote(value) }

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
