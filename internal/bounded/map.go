// Package bounded holds Map, the one shape of Muster's in-memory caches:
// a map behind a mutex, holding at most a fixed number of entries.
package bounded

import "sync"

// Map is a map safe for concurrent use that holds at most its bound of
// entries. Full, a Put of a new key drops one entry at random (Go's map
// order is random) to make room: starting over would let one busy caller
// (a person typing a search, a new address a keystroke; a long walk of
// members) drop every other caller's entries at once. Entries made dead by
// a newer key (a change counter in it) go the same way in time.
type Map[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]V
	max int
}

// New makes a Map holding at most max entries (at least one).
func New[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{m: map[K]V{}, max: max}
}

// Get returns the value kept under k.
func (c *Map[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// Put keeps v under k, dropping one other entry first if the map is full.
func (c *Map[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(k, v)
}

// Update keeps under k what fn makes of the value kept there (ok false:
// none), in one step: a concurrent Update of k is not lost.
func (c *Map[K, V]) Update(k K, fn func(v V, ok bool) V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	c.put(k, fn(v, ok))
}

// Len is how many entries are kept.
func (c *Map[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *Map[K, V]) put(k K, v V) {
	if _, ok := c.m[k]; !ok {
		for old := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, old)
		}
	}
	c.m[k] = v
}
