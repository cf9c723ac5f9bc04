package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ceilingBody is what the ceiling server answers by default: a constant
// JSON body of 100 bytes, about the size of /healthz's.
var ceilingBody = []byte(`{"status":"ok","note":"the bare net/http ceiling: no router, no middleware, no work: a constant.."}` + "\n")

// ceilingBodyOf returns a constant JSON body of n bytes (at least 100): the
// default body with its note padded.
func ceilingBodyOf(n int) []byte {
	if n <= len(ceilingBody) {
		return ceilingBody
	}
	pad := strings.Repeat(".", n-len(ceilingBody))
	return []byte(strings.Replace(string(ceilingBody), `.."}`, `..`+pad+`"}`, 1))
}

// runCeiling serves the ceiling peer of the HTTP benchmarks (scripts/bench.sh):
// a bare net/http server, no router, no middleware, answering every request
// with a constant body (100 bytes, or -size bytes), on a loopback address
// until ctx ends. Whatever the service answers per second on the same
// machine, this is the most any Go HTTP/1.1 server can with answers of that
// size.
//
//	hetang-load ceiling -addr 127.0.0.1:9090 [-size 1900]
func runCeiling(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hetang-load ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "loopback address to listen on")
	size := fs.Int("size", len(ceilingBody), "bytes of the constant answer (at least 100)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := checkLoopback("http://" + *addr); err != nil {
		fmt.Fprintf(stderr, "hetang-load ceiling: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "hetang-load ceiling: %v\n", err)
		return 1
	}
	if *size < len(ceilingBody) || *size > 1<<20 {
		fmt.Fprintf(stderr, "hetang-load ceiling: -size must be from %d to %d\n", len(ceilingBody), 1<<20)
		return 2
	}
	body := ceilingBodyOf(*size)
	length := strconv.Itoa(len(body))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h["Content-Type"] = []string{"application/json"}
			h["Content-Length"] = []string{length}
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(stdout, "ceiling server on http://%s/\n", ln.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "hetang-load ceiling: %v\n", err)
		return 1
	}
	return 0
}
