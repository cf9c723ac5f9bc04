package main

import (
	"fmt"
	"sync"
	"time"

	"hetang/internal/memstat"
)

// Memory is the server's memory during the measured run, from
// /proc/<pid>/status: VmRSS sampled at an interval, VmHWM (the kernel's peak
// resident set since the process started) at the end.
type Memory struct {
	PID       int         `json:"pid"`
	PeakRSSKB int64       `json:"peak_rss_kb"` // max of the VmRSS samples
	VmHWMKB   int64       `json:"vm_hwm_kb"`   // kernel high-water mark, whole process lifetime
	Samples   []RSSSample `json:"samples"`
	Growth    *Growth     `json:"growth,omitempty"`
}

// RSSSample is one reading of VmRSS.
type RSSSample struct {
	T     float64 `json:"t_s"`
	RSSKB int64   `json:"rss_kb"`
}

// Growth is the verdict of the memory-growth check.
type Growth struct {
	MiddleMaxKB int64  `json:"middle_max_kb"`
	LastMaxKB   int64  `json:"last_max_kb"`
	Grew        bool   `json:"grew"`
	Verdict     string `json:"verdict"`
}

// Thresholds of the growth check: the last third's peak may exceed the
// middle third's by at most 10 % or 20 MiB, whichever is larger.
const (
	growthRatio = 1.10
	growthKB    = 20 << 10
)

// readStatus returns VmRSS and VmHWM of pid in kB.
func readStatus(pid int) (rss, hwm int64, err error) {
	st, err := memstat.Read(pid)
	return st.RSS >> 10, st.HWM >> 10, err
}

type memSampler struct {
	pid   int
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	mem   Memory
}

func startMemSampler(pid int, every time.Duration) (*memSampler, error) {
	if _, _, err := readStatus(pid); err != nil {
		return nil, fmt.Errorf("-pid %d: %w", pid, err)
	}
	m := &memSampler{pid: pid, start: time.Now(), done: make(chan struct{}), mem: Memory{PID: pid}}
	m.take()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				m.take()
			}
		}
	}()
	return m, nil
}

func (m *memSampler) take() {
	rss, hwm, err := readStatus(m.pid)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mem.Samples = append(m.mem.Samples, RSSSample{T: round(time.Since(m.start).Seconds(), 1), RSSKB: rss})
	m.mem.PeakRSSKB = max(m.mem.PeakRSSKB, rss)
	m.mem.VmHWMKB = max(m.mem.VmHWMKB, hwm)
}

func (m *memSampler) stop(growthCheck bool) *Memory {
	close(m.done)
	m.wg.Wait()
	m.take()
	mem := m.mem
	if growthCheck {
		g := CheckGrowth(mem.Samples)
		mem.Growth = &g
	}
	return &mem
}

// CheckGrowth splits the samples into thirds and compares the peak of the
// last third with the peak of the middle third (the first third is warm-up:
// caches filling). Memory grew when the last peak is more than 10 % and
// more than 20 MiB above the middle peak.
func CheckGrowth(s []RSSSample) Growth {
	if len(s) < 6 {
		return Growth{Verdict: fmt.Sprintf("only %d samples: too few to judge growth (need 6)", len(s))}
	}
	third := len(s) / 3
	peak := func(part []RSSSample) int64 {
		var m int64
		for _, x := range part {
			m = max(m, x.RSSKB)
		}
		return m
	}
	g := Growth{MiddleMaxKB: peak(s[third : 2*third]), LastMaxKB: peak(s[2*third:])}
	limit := max(int64(float64(g.MiddleMaxKB)*growthRatio), g.MiddleMaxKB+growthKB)
	g.Grew = g.LastMaxKB > limit
	word := "stable"
	if g.Grew {
		word = "GREW"
	}
	g.Verdict = fmt.Sprintf("%s: peak RSS of the last third %.1f MiB vs middle third %.1f MiB (limit %.1f MiB: +10%% and +20 MiB)",
		word, mib(g.LastMaxKB), mib(g.MiddleMaxKB), mib(limit))
	return g
}

func mib(kb int64) float64 { return round(float64(kb)/1024, 1) }
