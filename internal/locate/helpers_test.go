package locate

import (
	"runtime"
	"time"
)

type runtimeMemStats = runtime.MemStats

func readMemStats(m *runtime.MemStats) { runtime.ReadMemStats(m) }

func sleepMs(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }
