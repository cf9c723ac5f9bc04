package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/shapes"
)

// StressOptions set a stress run (-stress): Heavy clients each sending
// heavy parcels back to back, and Tiny clients sending small parcels, for
// Duration; the verdicts check the server against Budget, Deadline and
// TinyP99.
type StressOptions struct {
	Target   string
	Duration time.Duration
	Heavy    int
	Tiny     int
	// Budget is the server's memory budget: its sampled RSS and VmHWM must
	// stay below it.
	Budget int64
	// Deadline is the server's request timeout: a heavy parcel must be
	// answered, or refused with 503, by Deadline + Margin.
	Deadline, Margin time.Duration
	// TinyP99 bounds the 99th percentile latency of the small parcels.
	TinyP99 time.Duration
	PID     int
	Seed    uint64
}

// heavyKind is one kind of heavy parcel the stress run sends.
type heavyKind struct {
	Name string `json:"name"`
	body []byte
}

// heavyKinds are the heavy parcels: near the vertex limit, self-crossing
// under the crossing limit, 1,000 polygons, and large but valid polygons
// around the district.
func heavyKinds() ([]heavyKind, error) {
	c := shapes.District
	gs := []struct {
		name string
		g    orb.Geometry
	}{
		{"circle-90k", shapes.Circle(c, 90_000, 0.05)},
		{"double-loop-50k-1401-crossings", shapes.DoubleLoop(c, 50_000, 700, 0.05)},
		{"grid-1000-parts", shapes.Grid(orb.Point{113.05, 27.75}, 1000, 40, 0.005, 0.008)},
		{"circle-20k-r0.5deg", shapes.Circle(c, 20_000, 0.5)},
		{"box-2deg-8k", shapes.Box(112.2, 26.9, 114.2, 28.9, 0.001)},
	}
	out := make([]heavyKind, len(gs))
	for i, g := range gs {
		b, err := json.Marshal(geojson.NewGeometry(g.g))
		if err != nil {
			return nil, err
		}
		out[i] = heavyKind{Name: g.name, body: b}
	}
	return out, nil
}

// StressClass is what one class of request met.
type StressClass struct {
	Class       string      `json:"class"`
	Requests    int         `json:"requests"`
	StatusCount map[int]int `json:"status_count"`
	Errors      int         `json:"transport_errors"`
	P50ms       float64     `json:"p50_ms"`
	P99ms       float64     `json:"p99_ms"`
	Maxms       float64     `json:"max_ms"`
	BodyBytes   int         `json:"body_bytes,omitempty"`
	lat         []time.Duration
}

// StressResult is the outcome of a stress run.
type StressResult struct {
	Started  time.Time      `json:"started"`
	Duration float64        `json:"duration_s"`
	Heavy    int            `json:"heavy_clients"`
	Tiny     int            `json:"tiny_clients"`
	Budget   int64          `json:"budget_bytes"`
	Deadline float64        `json:"deadline_s"`
	Classes  []*StressClass `json:"classes"`
	Memory   *Memory        `json:"memory,omitempty"`
	Verdicts []Verdict      `json:"verdicts"`
}

// Verdict is one check of a stress run.
type Verdict struct {
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	Got   string `json:"got"`
}

// Failed reports whether any verdict failed.
func (r *StressResult) Failed() bool {
	for _, v := range r.Verdicts {
		if !v.OK {
			return true
		}
	}
	return false
}

// RunStress runs the heavy and tiny clients against the server and judges
// what it saw.
func RunStress(ctx context.Context, o StressOptions) (*StressResult, error) {
	if err := checkLoopback(o.Target); err != nil {
		return nil, err
	}
	kinds, err := heavyKinds()
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(o.Target, "/")
	tr := &http.Transport{DialContext: loopbackDialer(), MaxIdleConnsPerHost: o.Heavy + o.Tiny}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: o.Deadline + o.Margin + 30*time.Second}

	if err := waitReady(ctx, client, base); err != nil {
		return nil, err
	}
	var mem *memSampler
	if o.PID != 0 {
		if mem, err = startMemSampler(o.PID, time.Second); err != nil {
			return nil, err
		}
	}
	res := &StressResult{Started: time.Now().UTC(), Heavy: o.Heavy, Tiny: o.Tiny, Budget: o.Budget, Deadline: o.Deadline.Seconds()}
	classes := map[string]*StressClass{}
	var mu sync.Mutex
	record := func(class string, body int, d time.Duration, status int, terr error) {
		mu.Lock()
		defer mu.Unlock()
		c := classes[class]
		if c == nil {
			c = &StressClass{Class: class, StatusCount: map[int]int{}, BodyBytes: body}
			classes[class] = c
		}
		c.Requests++
		c.lat = append(c.lat, d)
		if terr != nil {
			c.Errors++
		} else {
			c.StatusCount[status]++
		}
	}
	post := func(ctx context.Context, body []byte) (int, time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/locate", bytes.NewReader(body))
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("Content-Type", "application/geo+json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, time.Since(start), err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(start), err
	}
	rctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.Heavy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; rctx.Err() == nil; n++ {
				k := kinds[n%len(kinds)]
				// A heavy request already sent is seen through, so that its
				// answer time counts even when the run ends meanwhile.
				status, d, err := post(context.WithoutCancel(rctx), k.body)
				record("heavy:"+k.Name, len(k.body), d, status, err)
				if err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	for i := range o.Tiny {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(o.Seed, uint64(i)))
			for rctx.Err() == nil {
				g := shapes.Square(113.1+0.2*r.Float64(), 27.8+0.15*r.Float64(), 0.001)
				b, _ := json.Marshal(geojson.NewGeometry(g))
				status, d, err := post(rctx, b)
				if rctx.Err() != nil && err != nil {
					return
				}
				record("tiny", len(b), d, status, err)
				time.Sleep(10 * time.Millisecond)
				if err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	res.Duration = round(time.Since(start).Seconds(), 1)
	if mem != nil {
		res.Memory = mem.stop(false)
	}
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := classes[n]
		sortDur(c.lat)
		c.P50ms, c.P99ms, c.Maxms = ms(pct(c.lat, 50)), ms(pct(c.lat, 99)), ms(c.lat[len(c.lat)-1])
		res.Classes = append(res.Classes, c)
	}
	res.judge(o)
	return res, nil
}

// waitReady waits up to 30 s for the server's /readyz to answer 200.
func waitReady(ctx context.Context, client *http.Client, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server at %s is not ready after 30 s: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// judge fills the verdicts.
func (r *StressResult) judge(o StressOptions) {
	add := func(check string, ok bool, format string, args ...any) {
		r.Verdicts = append(r.Verdicts, Verdict{Check: check, OK: ok, Got: fmt.Sprintf(format, args...)})
	}
	var tiny *StressClass
	heavyN, heavyOK, heavyBusy, heavyOther, transport := 0, 0, 0, 0, 0
	var heavyMax time.Duration
	for _, c := range r.Classes {
		transport += c.Errors
		if c.Class == "tiny" {
			tiny = c
			continue
		}
		heavyN += c.Requests
		heavyOK += c.StatusCount[http.StatusOK]
		heavyBusy += c.StatusCount[http.StatusServiceUnavailable]
		heavyOther += c.Requests - c.Errors - c.StatusCount[http.StatusOK] - c.StatusCount[http.StatusServiceUnavailable]
		heavyMax = max(heavyMax, c.lat[len(c.lat)-1])
	}
	add("no transport errors (the server never dropped a connection)", transport == 0, "%d", transport)
	add("heavy parcels answered (200) or refused (503), nothing else", heavyOther == 0 && heavyN > 0,
		"%d sent: %d answered, %d refused, %d other", heavyN, heavyOK, heavyBusy, heavyOther)
	limit := o.Deadline + o.Margin
	add(fmt.Sprintf("every heavy answer or refusal by the deadline + %v (%v)", o.Margin, limit), heavyMax <= limit, "slowest %v", heavyMax.Round(time.Millisecond))
	if tiny == nil {
		add("tiny parcels answered", false, "none sent")
	} else {
		ok := tiny.StatusCount[http.StatusOK] == tiny.Requests
		add("every tiny parcel answered (200)", ok, "%d of %d", tiny.StatusCount[http.StatusOK], tiny.Requests)
		p99 := time.Duration(tiny.P99ms * float64(time.Millisecond))
		add(fmt.Sprintf("tiny-parcel p99 under %v", o.TinyP99), p99 < o.TinyP99, "%.1f ms (p50 %.1f ms, max %.1f ms)", tiny.P99ms, tiny.P50ms, tiny.Maxms)
	}
	if m := r.Memory; m != nil && o.Budget > 0 {
		add(fmt.Sprintf("server RSS under the budget (%.0f MiB)", float64(o.Budget)/(1<<20)), m.PeakRSSKB<<10 < o.Budget && m.VmHWMKB<<10 < o.Budget,
			"peak sampled VmRSS %.1f MiB, VmHWM %.1f MiB", mib(m.PeakRSSKB), mib(m.VmHWMKB))
	}
}

// Summary is the human-readable result.
func (r *StressResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stress: %d heavy + %d tiny clients for %.1f s, deadline %.0f s\n", r.Heavy, r.Tiny, r.Duration, r.Deadline)
	for _, c := range r.Classes {
		fmt.Fprintf(&b, "  %-40s %5d requests %v, p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", c.Class, c.Requests, c.StatusCount, c.P50ms, c.P99ms, c.Maxms)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(&b, "  server RSS peak %.1f MiB, VmHWM %.1f MiB\n", mib(m.PeakRSSKB), mib(m.VmHWMKB))
	}
	for _, v := range r.Verdicts {
		word := "ok  "
		if !v.OK {
			word = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", word, v.Check, v.Got)
	}
	return b.String()
}

// Markdown renders the result as the body of a BENCHMARKS.md section.
func (r *StressResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Started %s UTC; %d heavy clients (each sending the next heavy parcel as soon as the last is answered) and %d tiny-parcel clients (one request every 10 ms after each answer) for %.1f s; server request timeout %.0f s, memory budget %.0f MiB.\n\n",
		r.Started.Format("2006-01-02 15:04:05"), r.Heavy, r.Tiny, r.Duration, r.Deadline, float64(r.Budget)/(1<<20))
	fmt.Fprintf(&b, "| class | body | requests | statuses | p50 ms | p99 ms | max ms |\n|---|---:|---:|---|---:|---:|---:|\n")
	for _, c := range r.Classes {
		parts := statusList(c.StatusCount)
		if c.Errors > 0 {
			parts = append(parts, fmt.Sprintf("transport errors × %d", c.Errors))
		}
		fmt.Fprintf(&b, "| %s | %.1f KB | %d | %s | %.1f | %.1f | %.1f |\n", c.Class, float64(c.BodyBytes)/1000, c.Requests, strings.Join(parts, ", "), c.P50ms, c.P99ms, c.Maxms)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(&b, "\nServer memory: peak sampled VmRSS %.1f MiB, VmHWM %.1f MiB (budget %.0f MiB). RSS samples (s: MiB): ", mib(m.PeakRSSKB), mib(m.VmHWMKB), float64(r.Budget)/(1<<20))
		for i, s := range m.Samples {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.0f: %.0f", s.T, mib(s.RSSKB))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n| check | result | measured |\n|---|---|---|\n")
	for _, v := range r.Verdicts {
		word := "pass"
		if !v.OK {
			word = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", v.Check, word, v.Got)
	}
	return b.String()
}
