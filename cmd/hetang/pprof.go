//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// Built with -tags pprof, the binary serves Go's profiler on
// HETANG_PPROF_ADDR (default 127.0.0.1:6060), a listener of its own apart
// from the service, for profiling under load (see BENCHMARKS.md).
func init() {
	addr := os.Getenv("HETANG_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
