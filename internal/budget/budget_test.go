package budget

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"hetang/internal/apierr"
)

const mib = 1 << 20

func newTest(t *testing.T, total int64, wait time.Duration) *Budget {
	t.Helper()
	b, err := New(Config{Total: total, Base: 100 * mib, LightReserve: 20 * mib, LightBytes: 4 * mib, MaxWait: wait})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"1073741824", 1 << 30}, {"1GiB", 1 << 30}, {"1 GiB", 1 << 30}, {"1g", 1 << 30}, {"1GB", 1 << 30},
		{"1536MiB", 1536 * mib}, {"1.5G", 1536 * mib}, {"512k", 512 << 10}, {"2T", 2 << 40}, {"0", 0},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "GiB", "1 PiB", "-1G", "1e400", "one", "1..2M", "1G1"} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", bad, got)
		}
	}
	for _, c := range []struct {
		n    int64
		want string
	}{{1 << 30, "1 GiB"}, {1536 * mib, "1.5 GiB"}, {3*mib + mib/2, "3.5 MiB"}, {2048, "2 KiB"}, {17, "17 B"}} {
		if got := Format(c.n); got != c.want {
			t.Errorf("Format(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestNewRefusesTooSmall(t *testing.T) {
	if _, err := New(Config{Total: 100 * mib}); err == nil {
		t.Fatal("a 100 MiB budget below the 256 MiB base was accepted")
	}
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Capacity(), int64(DefaultTotal-DefaultBase-DefaultLightReserve); got != want {
		t.Errorf("default capacity %d, want %d", got, want)
	}
	if gl := b.GoLimit(); gl <= DefaultBase || gl >= DefaultTotal {
		t.Errorf("GoLimit %s outside (base, total)", Format(gl))
	}
}

// TestLightNeverWaits fills the heavy capacity and checks that light
// reservations still return at once, while a heavy one waits and is refused
// with 503, Retry-After and a message saying what to do.
func TestLightNeverWaits(t *testing.T) {
	b := newTest(t, 200*mib, 200*time.Millisecond) // capacity 80 MiB
	ctx := context.Background()
	full, err := b.Reserve(ctx, "first", b.Capacity())
	if err != nil {
		t.Fatal(err)
	}
	// A light reservation never waits: not even a context that is already
	// done stops it.
	done, cancel := context.WithCancel(ctx)
	cancel()
	var lights []*Reservation
	for range 100 {
		r, err := b.Reserve(done, "tiny", 100<<10)
		if err != nil {
			t.Fatalf("light reservation with the heavy capacity full: %v", err)
		}
		lights = append(lights, r)
	}
	if s := b.Stats(); s.LightBytes != 100*(100<<10) || s.HeavyBytes != b.Capacity() || s.Light != 100 {
		t.Errorf("stats %+v", s)
	}
	start := time.Now()
	_, err = b.Reserve(ctx, "this parcel", 10*mib)
	el := time.Since(start)
	var ae *apierr.Error
	if !errors.Is(err, ErrBusy) || !errors.As(err, &ae) || ae.Kind != apierr.KindUnavailable || ae.RetryAfter < time.Second {
		t.Fatalf("heavy reservation with the budget full: %v", err)
	}
	if el < 200*time.Millisecond || el > 5*time.Second {
		t.Errorf("refused after %v, want after MaxWait (200 ms)", el)
	}
	t.Logf("refused after %v: %s", el, ae.Detail)
	for _, r := range lights {
		r.Release()
	}
	full.Release()
	full.Release() // twice is harmless
	if s := b.Stats(); s.LightBytes != 0 || s.HeavyBytes != 0 || s.RefusedBusy != 1 {
		t.Errorf("after release: %+v", s)
	}
}

// TestWaitThenAdmit: a heavy request that does not fit is admitted as soon
// as another releases, within MaxWait.
func TestWaitThenAdmit(t *testing.T) {
	b := newTest(t, 200*mib, 5*time.Second)
	ctx := context.Background()
	first, err := b.Reserve(ctx, "first", 60*mib)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		first.Release()
	}()
	start := time.Now()
	second, err := b.Reserve(ctx, "second", 60*mib)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 80*time.Millisecond || el > 4*time.Second {
		t.Errorf("admitted after %v, want about 100 ms", el)
	}
	second.Release()
}

// TestDeadlineBoundsWait: the wait ends before the request's deadline.
func TestDeadlineBoundsWait(t *testing.T) {
	b := newTest(t, 200*mib, time.Minute)
	full, _ := b.Reserve(context.Background(), "first", b.Capacity())
	defer full.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.Reserve(ctx, "second", 10*mib)
	if el := time.Since(start); !errors.Is(err, ErrBusy) || el > 300*time.Millisecond {
		t.Errorf("after %v: %v; want ErrBusy before the 300 ms deadline", el, err)
	}
	// A client that leaves is not a refusal.
	cctx, ccancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); ccancel() }()
	if _, err := b.Reserve(cctx, "third", 10*mib); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	b := newTest(t, 200*mib, time.Second)
	_, err := b.Reserve(context.Background(), "this import", b.Capacity()+1)
	var ae *apierr.Error
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &ae) || ae.Kind != apierr.KindTooLarge {
		t.Fatalf("got %v", err)
	}
	t.Log(ae.Detail)
}

// TestGrowFromLightToHeavy: a reservation that starts light and grows
// beyond LightBytes moves its whole total to the heavy side.
func TestGrowFromLightToHeavy(t *testing.T) {
	b := newTest(t, 200*mib, time.Second)
	ctx := context.Background()
	r, err := b.Reserve(ctx, "parcel", 3*mib)
	if err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.LightBytes < 3*mib || s.LightBytes > 6*mib || s.HeavyBytes != 0 {
		t.Fatalf("light: %+v", s)
	}
	if err := r.Grow(ctx, 20*mib); err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.LightBytes != 0 || s.HeavyBytes != 23*mib || r.Held() != 23*mib {
		t.Fatalf("heavy: %+v held %d", s, r.Held())
	}
	if err := r.Grow(ctx, 100*mib); !errors.Is(err, ErrTooLarge) || r.Held() != 23*mib {
		t.Fatalf("grow past capacity: %v, held %d", err, r.Held())
	}
	r.Release()
	if s := b.Stats(); s.LightBytes != 0 || s.HeavyBytes != 0 || s.PeakBytes != 23*mib {
		t.Fatalf("released: %+v", s)
	}
}

// TestNeverOverCapacity runs many goroutines reserving random amounts and
// checks that what heavy requests hold never exceeds the capacity.
func TestNeverOverCapacity(t *testing.T) {
	b := newTest(t, 200*mib, 20*time.Millisecond)
	var wg sync.WaitGroup
	var mu sync.Mutex
	over := int64(0)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for range 200 {
				res, err := b.Reserve(context.Background(), "x", int64(r.IntN(40*mib)))
				if err != nil {
					continue
				}
				if h := b.Stats().HeavyBytes; h > b.Capacity() {
					mu.Lock()
					over = max(over, h)
					mu.Unlock()
				}
				time.Sleep(time.Duration(r.IntN(200)) * time.Microsecond)
				res.Release()
			}
		}()
	}
	wg.Wait()
	s := b.Stats()
	if over > 0 || s.PeakBytes > b.Capacity()+32*4*mib || s.HeavyBytes != 0 || s.LightBytes != 0 {
		t.Errorf("over capacity %d; stats %+v", over, s)
	}
	t.Logf("%+v", s)
}

func TestNilBudget(t *testing.T) {
	var b *Budget
	r, err := b.Reserve(context.Background(), "x", 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Grow(context.Background(), 1<<40); err != nil {
		t.Fatal(err)
	}
	r.Release()
	var nr *Reservation
	nr.Release()
	if nr.Grow(context.Background(), 5) != nil || b.Stats() != (Stats{}) {
		t.Error("nil budget or reservation did something")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1GiB", "1536 MiB", "2g", "1073741824", "", "1e400", "-1", "1.5T", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err == nil && n < 0 {
			t.Fatalf("Parse(%q) = %d", s, n)
		}
	})
}

func TestTryReserve(t *testing.T) {
	b := newTest(t, 200*mib, time.Minute)
	full, ok, err := b.TryReserve("first", b.Capacity()-10*mib)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, ok, err := b.TryReserve("second", 20*mib); ok || err != nil {
		t.Errorf("TryReserve over capacity: ok %v err %v, want false, nil", ok, err)
	}
	if r, ok, err := b.TryReserve("light", mib); !ok || err != nil {
		t.Errorf("light TryReserve: %v %v", ok, err)
	} else {
		r.Release()
	}
	if _, _, err := b.TryReserve("huge", 1<<40); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge TryReserve: %v", err)
	}
	full.Release()
	if r, ok, err := b.TryReserve("second", 20*mib); !ok || err != nil {
		t.Errorf("after release: %v %v", ok, err)
	} else {
		r.Release()
	}
}

// TestReadAll: a body is reserved as it arrives (a slow client holds only
// what it has sent), in full once read; a known size that could never fit
// is refused before a byte is read.
func TestReadAll(t *testing.T) {
	b := newTest(t, 200*mib, time.Second)
	ctx := context.Background()
	pr, pw := io.Pipe()
	r, _ := b.Reserve(ctx, "this body", 0)
	got := make(chan []byte)
	go func() {
		body, err := r.ReadAll(ctx, pr, -1, 10)
		if err != nil {
			t.Error(err)
		}
		got <- body
	}()
	chunk := make([]byte, 3*mib)
	if _, err := pw.Write(chunk); err != nil {
		t.Fatal(err)
	}
	// The reader holds the 3 MiB sent so far (the room its buffer made for
	// them, in 64 KiB steps), not 10× more.
	deadline := time.Now().Add(5 * time.Second)
	for b.Stats().LightBytes < 3*mib && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := b.Stats(); s.LightBytes < 3*mib || s.LightBytes > 6*mib || s.HeavyBytes != 0 {
		t.Errorf("after 3 MiB of a slow body: %+v", s)
	}
	pw.Close()
	if body := <-got; len(body) != 3*mib {
		t.Errorf("read %d bytes", len(body))
	}
	if s := b.Stats(); s.HeavyBytes != 30*mib || r.Held() != 30*mib {
		t.Errorf("after the whole body: %+v", s)
	}
	r.Release()

	never := &countingReader{}
	r2, _ := b.Reserve(ctx, "this upload", 0)
	if _, err := r2.ReadAll(ctx, never, 20*mib, 10); !errors.Is(err, ErrTooLarge) || never.n != 0 {
		t.Errorf("200 MiB estimate in 80 MiB: %v after reading %d bytes", err, never.n)
	}
}

// TestReadAllAllocatesAsBytesArrive: a body that declares 64 MiB (its
// Content-Length) and sends 100 bytes costs its 100 bytes, not a 64 MiB
// buffer made before any byte came: slow clients declaring large bodies
// must not hold memory the budget does not count.
func TestReadAllAllocatesAsBytesArrive(t *testing.T) {
	b := newTest(t, 200*mib, time.Second)
	ctx := context.Background()
	r, _ := b.Reserve(ctx, "this body", 0)
	defer r.Release()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body, err := r.ReadAll(ctx, strings.NewReader(strings.Repeat("x", 100)), 64*mib, 1)
	runtime.ReadMemStats(&after)
	if err != nil || len(body) != 100 {
		t.Fatalf("read %d bytes, %v", len(body), err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4*mib {
		t.Errorf("reading 100 bytes of a body declared as 64 MiB allocated %d bytes", got)
	}
}

// TestSlowBodiesBounded: bodies still arriving are counted as they come
// (in 64 KiB steps), light while the light reserve has room and heavy
// beyond, so that many slow uploads fill the budget and are then refused
// (503) instead of taking the process past it; a small parcel's
// reservation still returns at once.
func TestSlowBodiesBounded(t *testing.T) {
	b := newTest(t, 200*mib, 200*time.Millisecond) // light reserve 20 MiB, capacity 80 MiB
	ctx := context.Background()
	type upload struct {
		r   *Reservation
		pw  *io.PipeWriter
		err chan error
	}
	start := func() upload {
		pr, pw := io.Pipe()
		r, _ := b.Reserve(ctx, "this upload", 0)
		u := upload{r, pw, make(chan error, 1)}
		go func() { _, err := r.ReadAll(ctx, pr, 4*mib, 10); u.err <- err }()
		return u
	}
	var ups []upload
	for range 30 {
		u := start()
		if _, err := u.pw.Write(make([]byte, mib)); err != nil {
			t.Fatal(err)
		}
		ups = append(ups, u)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s := b.Stats(); s.LightBytes+s.HeavyBytes < 30*mib && time.Now().Before(deadline); s = b.Stats() {
		time.Sleep(time.Millisecond)
	}
	if s := b.Stats(); s.LightBytes > 20*mib || s.LightBytes+s.HeavyBytes < 30*mib {
		t.Errorf("30 slow bodies of 1 MiB so far with a 20 MiB light reserve: light %d, heavy %d bytes", s.LightBytes, s.HeavyBytes)
	}
	full, err := b.Reserve(ctx, "the rest", b.Capacity()-b.Stats().HeavyBytes)
	if err != nil {
		t.Fatal(err)
	}
	// One more slow body: its first 16 KiB are light, then it waits for room
	// and is refused at MaxWait.
	u := start()
	go u.pw.Write(make([]byte, mib))
	select {
	case err := <-u.err:
		if !errors.Is(err, ErrBusy) {
			t.Errorf("a slow body with the budget full: %v, want ErrBusy", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a slow body with the budget full is still being read after 10 s, want ErrBusy at MaxWait")
	}
	u.r.Release()
	// A small parcel (not a body arriving) still never waits.
	done, cancel := context.WithCancel(ctx)
	cancel()
	small, err := b.Reserve(done, "a small parcel", 4*mib)
	if err != nil {
		t.Errorf("a small parcel with the budget full: %v", err)
	}
	small.Release()
	full.Release()
	for _, u := range ups {
		u.pw.CloseWithError(io.ErrUnexpectedEOF)
		<-u.err
		u.r.Release()
	}
	if s := b.Stats(); s.LightBytes != 0 || s.HeavyBytes != 0 {
		t.Errorf("after release: %+v", s)
	}
}

// TestReadAllShortBody: a body that ends before its Content-Length (the
// client stopped sending) is the client's fault, 400, or 499 when the
// client has gone — not a 500 with an error in the log.
func TestReadAllShortBody(t *testing.T) {
	b := newTest(t, 200*mib, time.Second)
	short := io.MultiReader(strings.NewReader("{\"type\":"), iotest.ErrReader(io.ErrUnexpectedEOF))
	r, _ := b.Reserve(context.Background(), "this parcel", 0)
	defer r.Release()
	if _, err := r.ReadAll(context.Background(), short, 1000, 10); apierr.KindOf(err) != apierr.KindInvalid {
		t.Errorf("short body: %v (kind %v), want a 400", err, apierr.KindOf(err))
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	short = io.MultiReader(strings.NewReader("{\"type\":"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := r.ReadAll(gone, short, 1000, 10); apierr.KindOf(err) != apierr.KindCanceled {
		t.Errorf("short body, client gone: %v (kind %v), want a 499", err, apierr.KindOf(err))
	}
}

type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) { c.n += len(p); return len(p), nil }
