// Package memstat reads the process's memory as the kernel and the C
// allocator see it: the resident set (VmRSS) and its high-water mark
// (VmHWM) from /proc/self/status, and the bytes the C heap has handed out
// (glibc's mallinfo2), which is where GEOS, PROJ and SQLite allocate and
// which the Go runtime does not see. The memory budget uses it to measure
// GEOS's share; the stress test and the benchmarks to report peaks.
package memstat

// #include <malloc.h>
//
// static size_t hetang_cheap(void) {
//	struct mallinfo2 m = mallinfo2();
//	return m.uordblks + m.hblkhd;
// }
import "C"

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CHeap returns the bytes currently allocated from the C heap by malloc
// (glibc mallinfo2: uordblks, the in-use bytes of the arenas, plus hblkhd,
// the bytes of blocks mmapped on their own). It is a live count, not a
// peak, and excludes the Go heap.
func CHeap() int64 { return int64(C.hetang_cheap()) }

// Status is a process's resident memory, in bytes.
type Status struct {
	// RSS is the resident set now (VmRSS).
	RSS int64
	// HWM is the largest resident set since the process started, or since
	// ResetHWM (VmHWM).
	HWM int64
}

// Read returns the resident memory of the process pid (0: this process).
func Read(pid int) (Status, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return Status{}, fmt.Errorf("memstat: %w", err)
	}
	defer f.Close()
	var s Status
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			s.RSS = n << 10
		} else {
			s.HWM = n << 10
		}
	}
	if err := sc.Err(); err != nil {
		return Status{}, fmt.Errorf("memstat: %s: %w", path, err)
	}
	if s.RSS == 0 {
		return Status{}, fmt.Errorf("memstat: %s has no VmRSS", path)
	}
	return s, nil
}

// ErrNoReset is returned by ResetHWM when the kernel refuses to reset the
// high-water mark (not Linux ≥ 4.0, or another user's process).
var ErrNoReset = errors.New("memstat: cannot reset VmHWM")

// ResetHWM sets the process pid's (0: this process's) VmHWM back to its
// current VmRSS (writing 5 to /proc/PID/clear_refs), so that a later Read
// gives the peak of what happened in between.
func ResetHWM(pid int) error {
	path := "/proc/self/clear_refs"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/clear_refs", pid)
	}
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return fmt.Errorf("%w: %w", ErrNoReset, err)
	}
	return nil
}
