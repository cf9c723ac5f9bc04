// Package budget is the process's memory budget: requests whose memory
// depends on their input (parcel overlays, batch parcel records, layer
// imports) reserve an estimate of it, made from the input's size before the
// work starts, and heavy ones are admitted only while their estimates fit
// together in what the budget leaves for them. A request that does not fit
// waits briefly (at most MaxWait, and never past its deadline) for others to
// finish, then gets a 503 with Retry-After; one that could never fit gets a
// 413 naming what to do.
//
// Light requests — estimates up to LightBytes, such as a small parcel —
// never wait: they are counted against a reserve the heavy ones cannot use.
// The bytes of request bodies still arriving are bounded by the reserve:
// once light requests hold all of it, a body beyond its first 16 KiB is
// admitted as heavy (so many slow uploads, each light, cannot take the
// process past its budget), while small parcels still never wait.
// Requests whose memory does not depend on their input (points, layers,
// tiles, downloads of the stored data, OGC API and WFS filters, whose
// geometry is capped at 64 KiB) are part of the fixed Base.
//
// The budget is split as
//
//	Total = Base (the idle process and its caches) + LightReserve + heavy capacity
//
// and the Go runtime is given a soft memory limit (GoLimit) that leaves room
// for the C heap of GEOS and PROJ, which the Go runtime does not see.
//
// A nil *Budget admits everything (tests, the command-line tools).
package budget

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"hetang/internal/apierr"
	"hetang/internal/memstat"
	"hetang/internal/metrics"
)

// Defaults of Config.
const (
	// DefaultTotal is the whole process's budget (HETANG_MEMORY_BUDGET).
	DefaultTotal = 1 << 30
	// DefaultBase is what the process needs whatever the requests: the
	// idle server (about 90 MiB: the layout, its indexes, the GEOS contexts
	// of the parcel workers) and its byte-capped caches (layers 32 MiB,
	// OGC API 32 MiB, tiles 64 MiB), rounded up.
	DefaultBase = 256 << 20
	// DefaultLightReserve is kept for light requests.
	DefaultLightReserve = 64 << 20
	// DefaultLightBytes is the largest estimate that counts as light (the
	// service sets spatial.LightParcelCost, the same 8 MiB: a light parcel
	// also takes the light lane of GEOS workers).
	DefaultLightBytes = 8 << 20
	// DefaultMaxWait is the longest a heavy request waits for room.
	DefaultMaxWait = 5 * time.Second
	// CShare is the part of a heavy request's estimate that may live in the
	// C heap (GEOS), outside the Go runtime's sight: measured at 15–40 %
	// for large parcels (BENCHMARKS.md, "Memory budget"), rounded up.
	CShare = 0.45
	// MinTotal is the smallest budget accepted.
	MinTotal = 384 << 20
)

// Config sets a Budget up. Zero fields take the defaults.
type Config struct {
	// Total is the process's whole budget in bytes.
	Total int64
	// Base is the part the process needs whatever the requests.
	Base int64
	// LightReserve is the part kept for light requests.
	LightReserve int64
	// LightBytes is the largest estimate that counts as light.
	LightBytes int64
	// MaxWait is the longest a heavy request waits for room.
	MaxWait time.Duration
}

func (c Config) withDefaults() Config {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Total, DefaultTotal)
	def(&c.Base, DefaultBase)
	def(&c.LightReserve, DefaultLightReserve)
	def(&c.LightBytes, DefaultLightBytes)
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	return c
}

// Budget admits requests by their memory estimates. Its methods are safe for
// concurrent use; a nil *Budget admits everything.
type Budget struct {
	cfg      Config
	capacity int64
	sem      *semaphore.Weighted

	heavy, light        atomic.Int64 // bytes held
	waiting             atomic.Int64 // requests waiting for room
	admitted, lightN    atomic.Uint64
	refusedBusy, tooBig atomic.Uint64
	peak                atomic.Int64 // largest heavy + light held

	mu      sync.Mutex
	holdAvg float64 // seconds, moving average of heavy holds
}

// New returns a budget; it fails when Total leaves no room for heavy
// requests after Base and LightReserve.
func New(c Config) (*Budget, error) {
	c = c.withDefaults()
	capacity := c.Total - c.Base - c.LightReserve
	if capacity < c.LightBytes*4 {
		return nil, fmt.Errorf("budget: a memory budget of %s leaves %s for heavy requests after %s for the process and %s for light requests; give at least %s",
			Format(c.Total), Format(max(capacity, 0)), Format(c.Base), Format(c.LightReserve), Format(c.Base+c.LightReserve+c.LightBytes*4))
	}
	return &Budget{cfg: c, capacity: capacity, sem: semaphore.NewWeighted(capacity), holdAvg: 1}, nil
}

// Capacity is what heavy requests may hold together.
func (b *Budget) Capacity() int64 {
	if b == nil {
		return math.MaxInt64
	}
	return b.capacity
}

// Total is the configured budget.
func (b *Budget) Total() int64 {
	if b == nil {
		return 0
	}
	return b.cfg.Total
}

// GoLimit is the soft memory limit for the Go runtime (runtime/debug.
// SetMemoryLimit): the budget less the C heap heavy requests may use
// (CShare of the heavy capacity) and a quarter of Base, for the C heap the
// idle process holds (GEOS copies of the features, PROJ, SQLite).
func (b *Budget) GoLimit() int64 {
	if b == nil {
		return math.MaxInt64
	}
	return b.cfg.Total - int64(CShare*float64(b.capacity)) - b.cfg.Base/4
}

// Stats are the budget's counters, for /metrics and tests.
type Stats struct {
	Total, Capacity     int64 // configured, and left for heavy requests
	HeavyBytes          int64 // held by admitted heavy requests
	LightBytes          int64 // held by light requests
	PeakBytes           int64 // largest HeavyBytes + LightBytes so far
	Waiting             int64 // heavy requests waiting for room now
	Admitted, Light     uint64
	RefusedBusy, TooBig uint64 // 503s and 413s
}

// Stats returns the counters now.
func (b *Budget) Stats() Stats {
	if b == nil {
		return Stats{}
	}
	return Stats{
		Total: b.cfg.Total, Capacity: b.capacity,
		HeavyBytes: b.heavy.Load(), LightBytes: b.light.Load(), PeakBytes: b.peak.Load(), Waiting: b.waiting.Load(),
		Admitted: b.admitted.Load(), Light: b.lightN.Load(), RefusedBusy: b.refusedBusy.Load(), TooBig: b.tooBig.Load(),
	}
}

// ErrBusy is matched (errors.Is) by the error of a request refused because
// the budget stayed full while it waited; ErrTooLarge by that of a request
// whose estimate exceeds the whole heavy capacity.
var (
	ErrBusy     = errors.New("budget: memory budget full")
	ErrTooLarge = errors.New("budget: estimate exceeds the memory budget")
)

// Reservation is one request's share of the budget. Grow adds to it as the
// request learns more about its input; Release gives it all back. The zero
// of a nil *Reservation is valid and holds nothing.
type Reservation struct {
	b     *Budget
	what  string
	held  int64 // total estimate
	heavy bool  // held counts against the heavy capacity (else light)
	since time.Time
	done  bool
}

// Reserve reserves n bytes for a request doing what (for messages, e.g.
// "this parcel"). Light reservations return at once; heavy ones wait for
// room (at most MaxWait, never past ctx's deadline).
func (b *Budget) Reserve(ctx context.Context, what string, n int64) (*Reservation, error) {
	r := &Reservation{b: b, what: what}
	if err := r.Grow(ctx, n); err != nil {
		return nil, err
	}
	return r, nil
}

// Grow adds n bytes to the reservation. While its total stays within
// LightBytes it is light and never waits; when it grows beyond, the whole
// total is admitted as heavy, waiting as Reserve does. On error the
// reservation keeps what it held before.
func (r *Reservation) Grow(ctx context.Context, n int64) error {
	_, err := r.grow(ctx, n, true, false)
	return err
}

// TryReserve is Reserve without the wait: ok is false when the reservation
// would have to wait for room (err is then nil).
func (b *Budget) TryReserve(what string, n int64) (r *Reservation, ok bool, err error) {
	r = &Reservation{b: b, what: what}
	if ok, err = r.grow(context.Background(), n, false, false); !ok || err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// grow is Grow; without wait it reports false instead of waiting. body
// marks bytes of a body as they arrive, light only while the light reserve
// has room for them (or within the first freeBodyBytes).
func (r *Reservation) grow(ctx context.Context, n int64, wait, body bool) (bool, error) {
	if r == nil || r.b == nil || n <= 0 {
		return true, nil
	}
	b := r.b
	total := r.held + n
	if !r.heavy && total <= b.cfg.LightBytes && b.addLight(n, total, body) {
		if r.held == 0 {
			b.lightN.Add(1)
		}
		r.held = total
		b.notePeak(b.light.Load() + b.heavy.Load())
		return true, nil
	}
	need := n
	if !r.heavy {
		need = total // move the light part over to the heavy side
	}
	if total > b.capacity {
		b.tooBig.Add(1)
		return false, r.tooLarge(total)
	}
	if !wait {
		if !b.sem.TryAcquire(need) {
			return false, nil
		}
		b.admitted.Add(1)
	} else if err := b.acquire(ctx, need, r.what, total); err != nil {
		return false, err
	}
	if !r.heavy {
		b.light.Add(-r.held)
		r.heavy, r.since = true, time.Now()
	}
	r.held = total
	b.notePeak(b.heavy.Add(need) + b.light.Load())
	return true, nil
}

// freeBodyBytes is how much of a body arriving is light whatever the light
// side holds (a parcel of some hundreds of vertices).
const freeBodyBytes = 16 << 10

// addLight adds n bytes (making a light reservation's total) to the light
// side: always, except for body bytes beyond the first freeBodyBytes,
// which must fit in LightReserve; false leaves the light side as it was.
func (b *Budget) addLight(n, total int64, body bool) bool {
	if !body || total <= freeBodyBytes {
		b.light.Add(n)
		return true
	}
	for {
		cur := b.light.Load()
		if cur+n > b.cfg.LightReserve {
			return false
		}
		if b.light.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// tooLarge is the 413 of a request whose estimate could never fit.
func (r *Reservation) tooLarge(total int64) error {
	return &apierr.Error{Kind: apierr.KindTooLarge, Err: ErrTooLarge, Detail: fmt.Sprintf(
		"%s needs an estimated %s of memory, more than the %s this server allows all large requests together (memory budget HETANG_MEMORY_BUDGET=%s); split the input into smaller pieces",
		r.what, Format(total), Format(r.b.capacity), Format(r.b.cfg.Total))}
}

func (b *Budget) notePeak(v int64) {
	for {
		p := b.peak.Load()
		if v <= p || b.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// acquire waits for need bytes of heavy capacity.
func (b *Budget) acquire(ctx context.Context, need int64, what string, total int64) error {
	if b.sem.TryAcquire(need) {
		b.admitted.Add(1)
		return nil
	}
	wait := b.cfg.MaxWait
	if dl, ok := ctx.Deadline(); ok {
		// Leave a tenth of what remains (at least 50 ms) to answer in.
		left := time.Until(dl)
		wait = min(wait, left-max(left/10, 50*time.Millisecond))
	}
	b.waiting.Add(1)
	start := time.Now()
	var err error
	if wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, wait)
		err = b.sem.Acquire(wctx, need)
		cancel()
	} else {
		err = context.DeadlineExceeded
	}
	b.waiting.Add(-1)
	if err == nil {
		b.admitted.Add(1)
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("budget: waiting for memory: %w", ctx.Err())
	}
	b.refusedBusy.Add(1)
	retry := b.retryAfter()
	return &apierr.Error{Kind: apierr.KindUnavailable, Err: ErrBusy, RetryAfter: retry, Detail: fmt.Sprintf(
		"the server is busy with other large requests: %s needs an estimated %s of memory and %s of the %s for large requests stayed in use for %s; try again in %d s, or send smaller pieces",
		what, Format(total), Format(b.heavy.Load()), Format(b.capacity), time.Since(start).Round(time.Millisecond), int(retry/time.Second))}
}

// retryAfter suggests when to try again: about how long heavy requests
// hold their memory, 1 to 30 s.
func (b *Budget) retryAfter() time.Duration {
	b.mu.Lock()
	avg := b.holdAvg
	b.mu.Unlock()
	return time.Duration(min(30, max(1, math.Ceil(avg)))) * time.Second
}

// Held is the reservation's current estimate in bytes.
func (r *Reservation) Held() int64 {
	if r == nil {
		return 0
	}
	return r.held
}

// Release gives the reservation back. It may be called more than once.
func (r *Reservation) Release() {
	if r == nil || r.b == nil || r.done {
		return
	}
	r.done = true
	b := r.b
	if !r.heavy {
		b.light.Add(-r.held)
		return
	}
	b.heavy.Add(-r.held)
	b.sem.Release(r.held)
	d := time.Since(r.since).Seconds()
	b.mu.Lock()
	b.holdAvg = 0.8*b.holdAvg + 0.2*d
	b.mu.Unlock()
}

// Format writes a byte count for people: 1 GiB, 300 MiB, 512 KiB, 17 B.
func Format(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		v := float64(n) / (1 << 20)
		if v == math.Trunc(v) {
			return strconv.FormatInt(n>>20, 10) + " MiB"
		}
		return strconv.FormatFloat(v, 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// Parse reads a byte size: a whole number of bytes, or a number with a unit
// B, KiB, MiB, GiB, TiB (or K, M, G, T, KB, MB, GB, TB, all powers of 1024;
// case-insensitive): "1GiB", "1536 MiB", "2g", "1073741824".
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	shift := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20, "g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40}
	sh, ok := shift[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("budget: %q is not a size like 1GiB, 1536MiB or 1073741824", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("budget: %q is not a size like 1GiB, 1536MiB or 1073741824", s)
	}
	b := v * float64(uint64(1)<<sh)
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("budget: %q is too large", s)
	}
	return int64(b), nil
}

// readStep is how much of a body ReadAll reads between growing its
// reservation: small, so that a slow body is counted as it arrives (a
// client sending 1 MiB slowly holds 1 MiB of the budget, not nothing).
const readStep = 64 << 10

// ReadAll reads body to its end, reserving perByte bytes for every byte of
// it (the body and what decoding it will take): the room its buffer makes
// for the body's bytes as they arrive, so that a slow client holds only
// what it has sent, and the rest once it is complete. A body whose size is
// known (size ≥ 0, a
// Content-Length) and whose estimate could never fit is refused (413)
// before anything is read.
func (r *Reservation) ReadAll(ctx context.Context, body io.Reader, size, perByte int64) ([]byte, error) {
	if r != nil && r.b != nil && size > 0 && r.held+size*perByte > r.b.capacity {
		r.b.tooBig.Add(1)
		return nil, r.tooLarge(r.held + size*perByte)
	}
	var buf bytes.Buffer
	if size > 0 {
		// Room for the body comes as its bytes do: a client that declares
		// 16 MiB and sends them slowly (or never) holds only what it sent,
		// not a buffer of the declared size outside the budget.
		buf.Grow(int(min(size, readStep)) + 1)
	}
	// What the buffer has made room for is counted (not only the bytes in
	// it: growing doubles it), as soon as it is made.
	counted := int64(0)
	for {
		_, err := io.CopyN(&buf, body, readStep)
		if grown := int64(buf.Cap()) - counted; grown > 0 {
			if _, gerr := r.grow(ctx, grown, true, true); gerr != nil {
				return nil, gerr
			}
			counted += grown
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// The client stopped before its Content-Length: gone (499)
			// or a short body (400), not a fault of the server.
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("budget: reading the body: %w", cerr)
			}
			return nil, &apierr.Error{Kind: apierr.KindInvalid, Err: err, Detail: fmt.Sprintf(
				"the request body ended after %d bytes, before the length its Content-Length header declares; send the whole body", buf.Len())}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := r.Grow(ctx, int64(buf.Len())*perByte-counted); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RegisterMetrics adds the budget's gauges and counters to m (what
// /metrics writes): the budget, what heavy and light requests hold, how
// many wait, and how many were admitted, refused (503) and too large
// (413).
func (b *Budget) RegisterMetrics(m *metrics.Registry) {
	if b == nil || m == nil {
		return
	}
	stat := func(f func(Stats) float64) func() float64 { return func() float64 { return f(b.Stats()) } }
	m.Gauge("hetang_memory_budget_bytes", "The process's memory budget (HETANG_MEMORY_BUDGET).", "", stat(func(s Stats) float64 { return float64(s.Total) }))
	m.Gauge("hetang_memory_budget_heavy_capacity_bytes", "The part of the budget heavy requests may hold together.", "", stat(func(s Stats) float64 { return float64(s.Capacity) }))
	m.Gauge("hetang_memory_budget_heavy_in_use_bytes", "Estimated memory held by admitted heavy requests.", "", stat(func(s Stats) float64 { return float64(s.HeavyBytes) }))
	m.Gauge("hetang_memory_budget_light_in_use_bytes", "Estimated memory held by light requests (they never wait).", "", stat(func(s Stats) float64 { return float64(s.LightBytes) }))
	m.Gauge("hetang_memory_budget_peak_bytes", "The most estimated memory held at once since start.", "", stat(func(s Stats) float64 { return float64(s.PeakBytes) }))
	m.Gauge("hetang_memory_budget_waiting", "Heavy requests waiting for room now.", "", stat(func(s Stats) float64 { return float64(s.Waiting) }))
	m.Counter("hetang_memory_budget_admitted_total", "Heavy requests admitted.", stat(func(s Stats) float64 { return float64(s.Admitted) }))
	m.Counter("hetang_memory_budget_refused_total", "Heavy requests refused with 503 after waiting.", stat(func(s Stats) float64 { return float64(s.RefusedBusy) }))
	m.Counter("hetang_memory_budget_too_large_total", "Requests refused with 413: their estimate can never fit.", stat(func(s Stats) float64 { return float64(s.TooBig) }))
	m.Gauge("hetang_c_heap_bytes", "Bytes allocated from the C heap (GEOS, PROJ, SQLite; glibc mallinfo2).", "", func() float64 { return float64(memstat.CHeap()) })
}
