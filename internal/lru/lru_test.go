package lru_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hetang/internal/lru"
)

// entry is what one entry of a 1-byte key and n-byte value costs.
func cost(n int64) int64 { return n + 1 + 64 }

func keys(c *lru.Cache[string], all []string) []string {
	var got []string
	for _, k := range all {
		if _, ok := c.Get(k); ok {
			got = append(got, k)
		}
	}
	return got
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := lru.New[string](3 * cost(100))
	for _, k := range []string{"a", "b", "c"} {
		if !c.Put(k, k, 100) {
			t.Fatalf("Put(%s) refused", k)
		}
	}
	if _, ok := c.Get("a"); !ok { // a becomes the most recent; b is now the oldest
		t.Fatal("a missing")
	}
	c.Put("d", "d", 100)
	if diff := cmp.Diff([]string{"a", "c", "d"}, keys(c, []string{"a", "b", "c", "d"})); diff != "" {
		t.Errorf("kept keys (-want +got):\n%s", diff)
	}
	if got, want := c.Size(), 3*cost(100); got != want {
		t.Errorf("Size %d, want %d", got, want)
	}
}

func TestByteCapNotEntryCount(t *testing.T) {
	c := lru.New[string](cost(250) + cost(10))
	c.Put("a", "small", 10)
	c.Put("b", "large", 250)
	if c.Len() != 2 {
		t.Fatalf("Len %d, want 2", c.Len())
	}
	c.Put("c", "another large", 250) // evicts a and b: a alone would not make room
	if diff := cmp.Diff([]string{"c"}, keys(c, []string{"a", "b", "c"})); diff != "" {
		t.Errorf("kept keys (-want +got):\n%s", diff)
	}
}

func TestOversizeValueIsNotKept(t *testing.T) {
	c := lru.New[string](cost(100))
	c.Put("a", "a", 50)
	if c.Put("b", "b", 1000) {
		t.Error("Put of a value larger than the cap reported kept")
	}
	if diff := cmp.Diff([]string{"a"}, keys(c, []string{"a", "b"})); diff != "" {
		t.Errorf("kept keys (-want +got):\n%s", diff)
	}
}

func TestReplaceUpdatesSize(t *testing.T) {
	c := lru.New[string](1 << 20)
	c.Put("a", "x", 500)
	c.Put("a", "y", 10)
	if v, _ := c.Get("a"); v != "y" {
		t.Errorf("Get(a) = %q, want y", v)
	}
	if got, want := c.Size(), cost(10); got != want {
		t.Errorf("Size %d, want %d", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := lru.New[int](50 * cost(8))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				k := fmt.Sprint((g*7 + i) % 10)
				c.Put(k, i, 8)
				c.Get(k)
			}
		}()
	}
	wg.Wait()
	if c.Len() != 10 || c.Size() != 10*cost(8) {
		t.Errorf("Len %d, Size %d; want 10 and %d", c.Len(), c.Size(), 10*cost(8))
	}
}
