package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// checkLoopback refuses any target whose host is not a loopback address or
// the name localhost. Host names other than localhost are not resolved: a
// name could point anywhere.
func checkLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("-target %q: %w", target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-target %q: scheme must be http or https", target)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("-target %q has no host", target)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-target %q: refusing a host that is not on the loopback interface (127.0.0.0/8, ::1, localhost)", target)
	}
	return nil
}

// loopbackDialer dials only loopback addresses, so neither a redirect nor a
// DNS answer for "localhost" can send load elsewhere.
func loopbackDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(host, "localhost") {
			host = "127.0.0.1"
		}
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("hetang-load: refusing to dial non-loopback address %s", addr)
		}
		return d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
	}
}

// Request classes of the mix.
const (
	ClassLocate = "locate"
	ClassLayers = "layers"
	ClassOGC    = "ogc"
	ClassTiles  = "tiles"
)

// DefaultMix weighs the classes the way a planners' map page uses them:
// mostly tiles and point queries, some catalog and OGC API traffic.
const DefaultMix = "locate=4,layers=2,ogc=2,tiles=4"

var allClasses = []string{ClassLocate, ClassLayers, ClassOGC, ClassTiles}

func classNames() string { return strings.Join(allClasses, ", ") }

// Mix is a weighted set of request classes.
type Mix []MixEntry

// MixEntry is one class and its weight.
type MixEntry struct {
	Class  string `json:"class"`
	Weight int    `json:"weight"`
}

// ParseMix reads "class=weight,...".
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, ws, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("-mix: %q must be class=weight", part)
		}
		known := false
		for _, c := range allClasses {
			known = known || c == name
		}
		if !known {
			return nil, fmt.Errorf("-mix: unknown class %q (classes: %s)", name, classNames())
		}
		if seen[name] {
			return nil, fmt.Errorf("-mix: class %q given twice", name)
		}
		seen[name] = true
		w, err := strconv.Atoi(ws)
		if err != nil || w < 0 || w > 1000 {
			return nil, fmt.Errorf("-mix: weight of %s must be a whole number from 0 to 1000", name)
		}
		if w > 0 {
			m = append(m, MixEntry{name, w})
		}
	}
	if len(m) == 0 {
		return nil, errors.New("-mix: no class with a positive weight")
	}
	return m, nil
}

func (m Mix) pick(r *rand.Rand) string {
	total := 0
	for _, e := range m {
		total += e.Weight
	}
	n := r.IntN(total)
	for _, e := range m {
		if n < e.Weight {
			return e.Class
		}
		n -= e.Weight
	}
	return m[len(m)-1].Class
}

func (m Mix) String() string {
	parts := make([]string, len(m))
	for i, e := range m {
		parts[i] = fmt.Sprintf("%s=%d", e.Class, e.Weight)
	}
	return strings.Join(parts, ",")
}

// world is what the generator learns from the server's catalog.
type world struct {
	base   string
	layers []string
	bbox   [4]float64 // district extent, lon/lat
}

func discover(ctx context.Context, client *http.Client, base string) (*world, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/layers", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the layer catalog: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the layer catalog: status %d", resp.StatusCode)
	}
	var cat struct {
		Layers []struct {
			ID   string     `json:"id"`
			BBox [4]float64 `json:"bbox"`
		} `json:"layers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cat); err != nil {
		return nil, fmt.Errorf("reading the layer catalog: %w", err)
	}
	w := &world{base: base, bbox: [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}}
	for _, l := range cat.Layers {
		w.layers = append(w.layers, l.ID)
		if l.ID == "district" || l.ID == "areas" {
			w.bbox = [4]float64{math.Min(w.bbox[0], l.BBox[0]), math.Min(w.bbox[1], l.BBox[1]), math.Max(w.bbox[2], l.BBox[2]), math.Max(w.bbox[3], l.BBox[3])}
		}
	}
	if len(w.layers) == 0 {
		return nil, errors.New("the server lists no layers")
	}
	if math.IsInf(w.bbox[0], 0) {
		// No district layer: use the union of all layers.
		for _, l := range cat.Layers {
			w.bbox = [4]float64{math.Min(w.bbox[0], l.BBox[0]), math.Min(w.bbox[1], l.BBox[1]), math.Max(w.bbox[2], l.BBox[2]), math.Max(w.bbox[3], l.BBox[3])}
		}
	}
	return w, nil
}

func (w *world) point(r *rand.Rand) (lon, lat float64) {
	return w.bbox[0] + r.Float64()*(w.bbox[2]-w.bbox[0]), w.bbox[1] + r.Float64()*(w.bbox[3]-w.bbox[1])
}

// path returns a request path of the class.
func (w *world) path(class string, r *rand.Rand) string {
	switch class {
	case ClassLocate:
		lon, lat := w.point(r)
		return fmt.Sprintf("/api/v1/locate?lon=%.6f&lat=%.6f", lon, lat)
	case ClassLayers:
		if r.IntN(4) == 0 {
			return "/api/v1/layers"
		}
		return "/api/v1/layers/" + w.layers[r.IntN(len(w.layers))]
	case ClassOGC:
		lon, lat := w.point(r)
		d := 0.01 + r.Float64()*0.03
		return fmt.Sprintf("/ogcapi/collections/%s/items?limit=10&bbox=%.5f,%.5f,%.5f,%.5f",
			w.layers[r.IntN(len(w.layers))], lon-d, lat-d, lon+d, lat+d)
	case ClassTiles:
		z := 10 + r.IntN(5)
		lon, lat := w.point(r)
		x, y := tileOf(lon, lat, z)
		set := "all"
		if r.IntN(2) == 0 {
			set = w.layers[r.IntN(len(w.layers))]
		}
		return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", set, z, x, y)
	}
	panic("unknown class " + class)
}

// tileOf returns the Web Mercator tile holding lon/lat at zoom z.
func tileOf(lon, lat float64, z int) (x, y int) {
	n := math.Exp2(float64(z))
	x = int((lon + 180) / 360 * n)
	rad := lat * math.Pi / 180
	y = int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
	return x, y
}

// sample is one finished request.
type sample struct {
	class   string
	latency time.Duration
	status  int
	err     error
	path    string
	body    string
}

// ClassStats are the numbers of one request class.
type ClassStats struct {
	Class    string  `json:"class"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
}

// ErrorSample describes one failed request.
type ErrorSample struct {
	Path   string `json:"path"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error"`
}

// Result is the outcome of a run.
type Result struct {
	Target      string        `json:"target"`
	Concurrency int           `json:"concurrency"`
	Mix         string        `json:"mix"`
	Skipped     []string      `json:"skipped_classes,omitempty"`
	Duration    float64       `json:"duration_s"`
	Requests    int64         `json:"requests"`
	Errors      int64         `json:"errors"`
	ReqPerSec   float64       `json:"req_per_s"`
	P50ms       float64       `json:"p50_ms"`
	P90ms       float64       `json:"p90_ms"`
	P99ms       float64       `json:"p99_ms"`
	Maxms       float64       `json:"max_ms"`
	StatusCount map[int]int64 `json:"status_count"`
	Classes     []ClassStats  `json:"classes"`
	ErrorSample []ErrorSample `json:"error_samples,omitempty"`
	Memory      *Memory       `json:"memory,omitempty"`
	Started     time.Time     `json:"started"`
}

// Run warms up, runs the measured mix and collects the numbers.
func Run(ctx context.Context, o Options, log io.Writer) (*Result, error) {
	base := strings.TrimRight(o.Target, "/")
	tr := &http.Transport{
		DialContext:         loopbackDialer(),
		MaxIdleConns:        o.Concurrency * 2,
		MaxIdleConnsPerHost: o.Concurrency * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	w, err := discover(ctx, client, base)
	if err != nil {
		return nil, err
	}
	mix, skipped := o.Mix, []string(nil)
	if o.SkipMissing {
		mix, skipped = dropMissing(ctx, client, w, o.Mix)
		for _, s := range skipped {
			fmt.Fprintf(log, "hetang-load: skipping class %s: the server has no such endpoint (404 from the router)\n", s)
		}
		if len(mix) == 0 {
			return nil, errors.New("no class of the mix has an endpoint on this server")
		}
	}

	d := &driver{client: client, world: w, mix: mix, concurrency: o.Concurrency}
	if o.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, o.Warmup)
		d.drive(wctx, pass{max: math.MaxInt64, seed: o.Seed + 1000})
		cancel()
	}

	var mem *memSampler
	if o.PID != 0 {
		mem, err = startMemSampler(o.PID, o.RSSInterval)
		if err != nil {
			return nil, err
		}
	}
	res := &Result{Target: base, Concurrency: o.Concurrency, Mix: mix.String(), Skipped: skipped, Started: time.Now().UTC()}
	rctx, cancel := context.WithTimeout(ctx, o.Duration)
	start := time.Now()
	var samples [][]sample
	collect := make([][]sample, o.Concurrency)
	d.drive(rctx, pass{max: o.MaxRequests, rate: o.Rate, seed: o.Seed, collect: collect})
	elapsed := time.Since(start)
	cancel()
	samples = collect
	if mem != nil {
		res.Memory = mem.stop(o.GrowthCheck)
	}
	res.summarise(samples, elapsed)
	return res, nil
}

// dropMissing probes each class once and drops those the router does not know.
func dropMissing(ctx context.Context, client *http.Client, w *world, mix Mix) (Mix, []string) {
	var keep Mix
	var skipped []string
	r := rand.New(rand.NewPCG(7, 7))
	for _, e := range mix {
		s := do(ctx, client, w.base, e.Class, w.path(e.Class, r))
		if s.status == http.StatusNotFound && strings.Contains(s.body, "no such resource") {
			skipped = append(skipped, e.Class)
			continue
		}
		keep = append(keep, e)
	}
	return keep, skipped
}

// driver sends a mix of requests to one server from concurrent workers.
type driver struct {
	client      *http.Client
	world       *world
	mix         Mix
	concurrency int
}

// pass is one run of a driver: at most max requests, at most rate a second
// (0: as fast as the workers go), worker i drawing from the seeds (seed, i);
// collect[i] gets worker i's samples (nil: dropped, as in a warm-up).
type pass struct {
	max     int64
	rate    float64
	seed    int64
	collect [][]sample
}

// drive runs the workers until ctx ends or p.max requests were sent.
func (d *driver) drive(ctx context.Context, p pass) {
	var sent atomic.Int64
	var tokens <-chan time.Time
	if p.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / p.rate))
		defer t.Stop()
		tokens = t.C
	}
	var wg sync.WaitGroup
	for i := range d.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(p.seed), uint64(i)))
			for ctx.Err() == nil {
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						return
					}
				}
				if sent.Add(1) > p.max {
					return
				}
				class := d.mix.pick(r)
				s := do(ctx, d.client, d.world.base, class, d.world.path(class, r))
				if ctx.Err() != nil && s.err != nil {
					return // cut off by the end of the run, not a server failure
				}
				if p.collect != nil {
					p.collect[i] = append(p.collect[i], s)
				}
			}
		}()
	}
	wg.Wait()
}

func do(ctx context.Context, client *http.Client, base, class, path string) sample {
	s := sample{class: class, path: path}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		s.err = err
		return s
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		s.latency, s.err = time.Since(start), err
		return s
	}
	s.status = resp.StatusCode
	ok := resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified
	if ok {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		s.body = string(b)
	}
	resp.Body.Close()
	s.latency = time.Since(start)
	if err != nil {
		s.err = err
	}
	return s
}

func (s sample) failed() bool {
	return s.err != nil || !(s.status/100 == 2 || s.status == http.StatusNotModified)
}

func (res *Result) summarise(perWorker [][]sample, elapsed time.Duration) {
	res.Duration = round(elapsed.Seconds(), 2)
	res.StatusCount = map[int]int64{}
	var all []time.Duration
	byClass := map[string][]time.Duration{}
	errByClass := map[string]int64{}
	for _, ws := range perWorker {
		for _, s := range ws {
			res.Requests++
			all = append(all, s.latency)
			byClass[s.class] = append(byClass[s.class], s.latency)
			if s.err == nil {
				res.StatusCount[s.status]++
			}
			if s.failed() {
				res.Errors++
				errByClass[s.class]++
				if len(res.ErrorSample) < 10 {
					e := ErrorSample{Path: s.path, Status: s.status}
					if s.err != nil {
						e.Error = s.err.Error()
					} else {
						e.Error = strings.TrimSpace(s.body)
					}
					res.ErrorSample = append(res.ErrorSample, e)
				}
			}
		}
	}
	if elapsed > 0 {
		res.ReqPerSec = round(float64(res.Requests)/elapsed.Seconds(), 1)
	}
	sortDur(all)
	res.P50ms, res.P90ms, res.P99ms = ms(pct(all, 50)), ms(pct(all, 90)), ms(pct(all, 99))
	if len(all) > 0 {
		res.Maxms = ms(all[len(all)-1])
	}
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		l := byClass[c]
		sortDur(l)
		res.Classes = append(res.Classes, ClassStats{Class: c, Requests: int64(len(l)), Errors: errByClass[c], P50ms: ms(pct(l, 50)), P99ms: ms(pct(l, 99))})
	}
}

func sortDur(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

// pct returns the p-th percentile (nearest rank) of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 2) }

func round(v float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(v*f) / f
}
