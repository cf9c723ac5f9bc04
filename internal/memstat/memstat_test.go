package memstat

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/twpayne/go-geos"
)

// TestCHeapSeesGEOS builds a GEOS line of a million points (16 MB of
// coordinates in GEOS's C++ heap) and checks that CHeap grows by at least
// that, and shrinks again when GEOS frees it.
func TestCHeapSeesGEOS(t *testing.T) {
	const n = 1_000_000
	coords := make([][]float64, n)
	for i := range coords {
		coords[i] = []float64{float64(i), float64(i % 7)}
	}
	gc := geos.NewContext()
	before := CHeap()
	g := gc.NewLineString(coords)
	during := CHeap()
	if got, want := during-before, int64(16*n); got < want {
		t.Errorf("C heap grew by %d bytes for a GEOS line of %d points, want at least %d", got, n, want)
	}
	runtime.KeepAlive(g)
	g = nil
	// go-geos frees a geometry's C memory in a cleanup after the Go value
	// is collected.
	var after int64
	for range 50 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if after = CHeap(); after <= before+(during-before)/4 {
			break
		}
	}
	if after > before+(during-before)/4 {
		t.Errorf("C heap %d → %d → %d: not released", before, during, after)
	}
	t.Logf("C heap %d → %d → %d bytes", before, during, after)
}

// TestReadAndResetHWM touches 64 MiB of Go memory and checks that VmRSS and
// VmHWM see it, and that once the memory is given back, ResetHWM brings the
// mark down to the resident set again.
func TestReadAndResetHWM(t *testing.T) {
	debug.FreeOSMemory()
	s0, err := Read(0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	s1, err := Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if s1.RSS-s0.RSS < 60<<20 || s1.HWM < s1.RSS {
		t.Errorf("after touching 64 MiB: %+v → %+v", s0, s1)
	}
	runtime.KeepAlive(buf)
	buf = nil
	debug.FreeOSMemory() // the 64 MiB go back to the kernel
	if err := ResetHWM(0); err != nil {
		t.Skipf("%v (kernel without clear_refs 5?)", err)
	}
	s2, err := Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if s2.HWM > s1.HWM-32<<20 || s2.HWM < s2.RSS {
		t.Errorf("after ResetHWM: %+v (before %+v)", s2, s1)
	}
	t.Logf("%+v → %+v → %+v", s0, s1, s2)
	if _, err := Read(-1); err == nil {
		t.Error("Read(-1) succeeded")
	}
}
