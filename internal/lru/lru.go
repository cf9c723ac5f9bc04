// Package lru is a least-recently-used cache capped by the total size of
// what it holds, safe for concurrent use. The response cache of the HTTP
// server and the tile cache both keep their encoded bodies in one.
package lru

import (
	"container/list"
	"sync"
)

// entryOverhead is what one entry costs beyond its key and value (list
// element, map slot, bookkeeping), counted against the cap.
const entryOverhead = 64

// Cache maps string keys to values of type V. Each value comes with its size
// in bytes; the sizes plus the keys' lengths plus a fixed overhead per entry
// never exceed the cap: putting a value evicts the least recently used
// entries until it fits, and a value larger than the whole cap is not kept.
type Cache[V any] struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front = most recently used; values are *entry[V]
	items map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
	size  int64 // as counted against the cap
}

// New returns an empty cache holding at most maxBytes.
func New[V any](maxBytes int64) *Cache[V] {
	return &Cache[V]{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the value under key and marks it most recently used.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry[V]).value, true
}

// Put stores value, of size bytes, under key (replacing what was there) as
// the most recently used entry, evicting the least recently used ones until
// the cache is within its cap. It reports whether the value was kept (false
// when it alone exceeds the cap).
func (c *Cache[V]) Put(key string, value V, size int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	e := &entry[V]{key: key, value: value, size: size + int64(len(key)) + entryOverhead}
	if e.size > c.max {
		return false
	}
	c.items[key] = c.order.PushFront(e)
	c.size += e.size
	for c.size > c.max {
		c.remove(c.order.Back())
	}
	return true
}

func (c *Cache[V]) remove(el *list.Element) {
	e := el.Value.(*entry[V])
	c.order.Remove(el)
	delete(c.items, e.key)
	c.size -= e.size
}

// Len returns the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// Size returns the bytes counted against the cap.
func (c *Cache[V]) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
