// Command hetang-load is the service's load generator. It runs a weighted mix
// of requests (point locate, layer catalog and layers, OGC API items, vector
// tiles) against a hetang server on the loopback interface at a fixed
// concurrency, bounded in time and in request count, and reports throughput,
// latency percentiles, errors and the server's peak memory.
//
//	hetang-load -target http://127.0.0.1:8080 -c 8 -d 30s -n 1000000 -pid 1234 \
//	    -json load.json -md load.md
//
// `hetang-load ceiling -addr 127.0.0.1:9090` serves the benchmarks' ceiling
// peer instead: a bare net/http server answering a constant 100-byte body.
//
// It refuses targets that are not on the loopback interface (127.0.0.0/8,
// ::1, localhost): it is a test tool, not a way to load someone else's server.
//
// An error is a transport error or any status other than 2xx or 304. The exit
// status is 1 when any request failed (or, with -rss-growth-check, when the
// server's memory grew), 2 on bad flags.
//
// With -stress it runs the parcel stress test instead: -heavy clients send
// heavy parcels (near the vertex limit, self-crossing under the crossing
// limit, 1,000 polygons, large polygons around the district) back to back
// while -tiny clients send small parcels, and it checks that no connection
// fails, heavy parcels are answered or refused with 503 by -deadline plus
// -margin, tiny parcels are all answered with p99 under -tiny-p99, and the
// server's RSS (with -pid) stays under -budget; exit status 1 when a check
// fails.
//
//	hetang-load -stress -target http://127.0.0.1:8080 -d 60s -heavy 20 -tiny 2 \
//	    -budget 1GiB -deadline 30s -pid 1234 -md stress.md
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"hetang/internal/budget"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "ceiling" {
		return runCeiling(ctx, args[1:], stdout, stderr)
	}
	opt, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "hetang-load: %v\n", err)
		return 2
	}
	if opt.Stress.Heavy > 0 {
		return runStress(ctx, opt, stdout, stderr)
	}
	res, err := Run(ctx, opt, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hetang-load: %v\n", err)
		return 1
	}
	if err := writeResults(opt, res, res.Markdown(), stdout); err != nil {
		fmt.Fprintf(stderr, "hetang-load: %v\n", err)
		return 1
	}
	fmt.Fprint(stderr, res.Summary())
	code := 0
	if res.Errors > 0 {
		fmt.Fprintf(stderr, "hetang-load: FAIL: %d of %d requests failed\n", res.Errors, res.Requests)
		code = 1
	}
	if res.Memory != nil && res.Memory.Growth != nil && res.Memory.Growth.Grew {
		fmt.Fprintf(stderr, "hetang-load: FAIL: server memory grew: %s\n", res.Memory.Growth.Verdict)
		code = 1
	}
	return code
}

func runStress(ctx context.Context, opt Options, stdout, stderr io.Writer) int {
	res, err := RunStress(ctx, opt.Stress)
	if err != nil {
		fmt.Fprintf(stderr, "hetang-load: %v\n", err)
		return 1
	}
	if err := writeResults(opt, res, res.Markdown(), stdout); err != nil {
		fmt.Fprintf(stderr, "hetang-load: %v\n", err)
		return 1
	}
	fmt.Fprint(stderr, res.Summary())
	if res.Failed() {
		fmt.Fprintln(stderr, "hetang-load: FAIL: a stress check failed")
		return 1
	}
	return 0
}

// writeResults writes res as JSON to -json and md to -md, when given.
func writeResults(opt Options, res any, md string, stdout io.Writer) error {
	if opt.JSONOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := writeOut(opt.JSONOut, append(b, '\n'), stdout); err != nil {
			return err
		}
	}
	if opt.MDOut != "" {
		return writeOut(opt.MDOut, []byte(md), stdout)
	}
	return nil
}

// writeOut writes b to path, or to stdout when path is "-".
func writeOut(path string, b []byte, stdout io.Writer) error {
	if path == "-" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Options are the command-line settings.
type Options struct {
	Target      string
	Concurrency int
	Duration    time.Duration
	MaxRequests int64
	Warmup      time.Duration
	Rate        float64
	Mix         Mix
	PID         int
	RSSInterval time.Duration
	GrowthCheck bool
	Timeout     time.Duration
	Seed        int64
	JSONOut     string
	MDOut       string
	SkipMissing bool
	// Stress is set by -stress.
	Stress StressOptions
}

func parseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("hetang-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Target, "target", "http://127.0.0.1:8080", "base URL of the server (loopback only)")
	fs.IntVar(&o.Concurrency, "c", 8, "concurrent workers (fixed)")
	fs.DurationVar(&o.Duration, "d", 30*time.Second, "measured duration (upper bound)")
	fs.Int64Var(&o.MaxRequests, "n", 1_000_000, "maximum number of measured requests (upper bound)")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured warm-up before the run")
	fs.Float64Var(&o.Rate, "rate", 0, "total requests per second across workers (0: as fast as possible)")
	mix := fs.String("mix", DefaultMix, "weighted request mix, class=weight,... (classes: "+classNames()+")")
	fs.IntVar(&o.PID, "pid", 0, "server process id: sample its RSS from /proc/<pid>/status")
	fs.DurationVar(&o.RSSInterval, "rss-interval", time.Second, "RSS sampling interval with -pid")
	fs.BoolVar(&o.GrowthCheck, "rss-growth-check", false, "fail when the max RSS of the last third of the samples exceeds the middle third's by more than 10% and 20 MiB")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed for the request mix")
	fs.StringVar(&o.JSONOut, "json", "", "write the results as JSON to this file (- for stdout)")
	fs.StringVar(&o.MDOut, "md", "", "write the results as Markdown to this file (- for stdout)")
	fs.BoolVar(&o.SkipMissing, "skip-missing", false, "drop request classes whose endpoint the server does not have (404 from the router) instead of counting errors")
	stress := fs.Bool("stress", false, "run the parcel stress test instead of the request mix (see -heavy, -tiny, -budget, -deadline)")
	fs.IntVar(&o.Stress.Heavy, "heavy", 20, "with -stress: clients sending heavy parcels")
	fs.IntVar(&o.Stress.Tiny, "tiny", 2, "with -stress: clients sending tiny parcels")
	budgetFlag := fs.String("budget", "1GiB", "with -stress: the server's memory budget, which its RSS must stay under")
	fs.DurationVar(&o.Stress.Deadline, "deadline", 30*time.Second, "with -stress: the server's request timeout")
	fs.DurationVar(&o.Stress.Margin, "margin", time.Second, "with -stress: how late after -deadline a heavy answer may come")
	fs.DurationVar(&o.Stress.TinyP99, "tiny-p99", 100*time.Millisecond, "with -stress: the bound of the tiny parcels' p99 latency")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *stress {
		b, err := budget.Parse(*budgetFlag)
		if err != nil {
			return o, fmt.Errorf("-budget: %w", err)
		}
		o.Stress.Target, o.Stress.Duration, o.Stress.Budget, o.Stress.PID, o.Stress.Seed = o.Target, o.Duration, b, o.PID, uint64(o.Seed)
		if o.Stress.Heavy < 1 || o.Stress.Heavy > 256 || o.Stress.Tiny < 1 || o.Stress.Tiny > 256 {
			return o, errors.New("-heavy and -tiny must be from 1 to 256")
		}
	} else {
		o.Stress.Heavy = 0
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(o.Target); err != nil {
		return o, err
	}
	m, err := ParseMix(*mix)
	if err != nil {
		return o, err
	}
	o.Mix = m
	switch {
	case o.Concurrency < 1 || o.Concurrency > 1024:
		return o, errors.New("-c must be from 1 to 1024")
	case o.Duration <= 0 || o.Duration > 24*time.Hour:
		return o, errors.New("-d must be positive and at most 24h")
	case o.MaxRequests < 1:
		return o, errors.New("-n must be positive")
	case o.Warmup < 0:
		return o, errors.New("-warmup must not be negative")
	case o.Rate < 0:
		return o, errors.New("-rate must not be negative")
	case o.RSSInterval <= 0:
		return o, errors.New("-rss-interval must be positive")
	case o.GrowthCheck && o.PID == 0:
		return o, errors.New("-rss-growth-check needs -pid")
	}
	return o, nil
}
