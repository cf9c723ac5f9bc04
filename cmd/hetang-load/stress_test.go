package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestStress is the short stress run of `make test`, which runs it on its
// own after the other tests (with HETANG_STRESS_TEST=1; skipped otherwise,
// since 20 clients of heavy parcels would slow the timed tests of other
// packages running alongside, and be slowed by them): it builds the server,
// starts it as its own process with the default memory budget (1 GiB) and
// a 10 s request timeout, and runs RunStress against it for 10 s
// (STRESS_DURATION overrides): 20 clients sending heavy parcels and 2
// sending tiny ones. Every check must pass: no dropped connection, heavy
// parcels answered or refused with 503 by the deadline + 2 s (a GEOS call
// cannot be interrupted, and on a shared 2-CPU machine one can take a
// second; `make stress` holds the 30 s deadline to + 1 s), every tiny
// parcel answered with p99 under 100 ms (or four times the p99 tiny
// parcels alone have on the machine just before, when that is more), the
// server's RSS under the budget;
// and the server must still be running. `make stress` is the long run.
func TestStress(t *testing.T) {
	if os.Getenv("HETANG_STRESS_TEST") != "1" {
		t.Skip("the stress run loads the whole machine, so `make test` runs it on its own after the other tests (HETANG_STRESS_TEST=1 go test -run TestStress ./cmd/hetang-load)")
	}
	d := 10 * time.Second
	if v := os.Getenv("STRESS_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("STRESS_DURATION=%q: %v", v, err)
		}
	}
	bin := filepath.Join(t.TempDir(), "hetang")
	if out, err := exec.Command("go", "build", "-o", bin, "../hetang").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const deadline = 10 * time.Second
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "HETANG_CACHE_DIR="+t.TempDir(), "HETANG_REQUEST_TIMEOUT="+deadline.String(), "HETANG_MEMORY_BUDGET=1GiB", "GOMEMLIMIT=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatal("the server printed nothing")
	}
	m := regexp.MustCompile(`http://(\S+?)/`).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("unexpected first line %q", sc.Text())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	// The machine may be busy with other work (developers share it): the
	// tiny parcels' p99 alone, measured first, raises the bound to four
	// times itself when that is more than 100 ms, so that the check still
	// catches heavy parcels crowding light ones out (p99s of seconds)
	// without failing on a machine that is slow for everyone. `make stress`
	// holds the absolute 100 ms.
	target := "http://" + m[1]
	tinyP99 := 100 * time.Millisecond
	base, err := RunStress(context.Background(), StressOptions{Target: target, Duration: 3 * time.Second, Tiny: 2, Deadline: deadline, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range base.Classes {
		if p99 := time.Duration(c.P99ms * float64(time.Millisecond)); c.Class == "tiny" {
			t.Logf("tiny-parcel p99 without heavy parcels: %v", p99)
			tinyP99 = max(tinyP99, 4*p99)
		}
	}
	res, err := RunStress(context.Background(), StressOptions{
		Target: target, Duration: d, Heavy: 20, Tiny: 2, Budget: 1 << 30,
		Deadline: deadline, Margin: 2 * time.Second, TinyP99: tinyP99, PID: cmd.Process.Pid, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + res.Summary())
	for _, v := range res.Verdicts {
		if !v.OK {
			t.Errorf("%s: %s", v.Check, v.Got)
		}
	}
	select {
	case err := <-exited:
		t.Errorf("the server exited: %v", err)
	default:
	}
}
