package cputime_test

import (
	"testing"

	"hetang/internal/cputime"
)

func TestUsedGrows(t *testing.T) {
	before := cputime.Used()
	x := 0.0
	for i := range 20_000_000 {
		x += float64(i % 7)
	}
	if x == 0 || cputime.Used() <= before {
		t.Errorf("CPU time did not grow after a busy loop: %v → %v", before, cputime.Used())
	}
}
