package bounded

import (
	"strconv"
	"sync"
	"testing"
)

// TestMapEvictsOne: a full Map makes room for a new key by dropping one
// entry, not all, keeps the new one, and never holds more than its bound.
func TestMapEvictsOne(t *testing.T) {
	const max = 64
	m := New[string, int](max)
	for i := range max + 10 {
		m.Put(strconv.Itoa(i), i)
		// Exactly one entry dropped per put once full: starting over, or
		// dropping two, would leave fewer.
		if n := m.Len(); n != min(i+1, max) {
			t.Fatalf("%d entries after %d puts, want %d (bound %d)", n, i+1, min(i+1, max), max)
		}
		if v, ok := m.Get(strconv.Itoa(i)); !ok || v != i {
			t.Fatalf("the entry just put (%d): %d, %v", i, v, ok)
		}
	}
	// Which entry goes is random (it may be one put since the map was
	// full), so only the total is exact: 10 of the 74 keys dropped.
	kept := 0
	for i := range max + 10 {
		if _, ok := m.Get(strconv.Itoa(i)); ok {
			kept++
		}
	}
	if kept != max {
		t.Errorf("%d of %d keys kept, want %d", kept, max+10, max)
	}
}

// TestMapPutKeptKey: putting a key already kept, full, drops nothing.
func TestMapPutKeptKey(t *testing.T) {
	m := New[int, string](3)
	for i := range 3 {
		m.Put(i, "a")
	}
	m.Put(1, "b")
	for i := range 3 {
		if _, ok := m.Get(i); !ok {
			t.Errorf("entry %d dropped by a put of a kept key", i)
		}
	}
	if v, _ := m.Get(1); v != "b" {
		t.Errorf("entry 1 is %q, want b", v)
	}
}

// TestMapUpdate: concurrent Updates of one key are not lost.
func TestMapUpdate(t *testing.T) {
	m := New[string, int](2)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.Update("n", func(v int, ok bool) int {
					if ok != (v > 0) {
						t.Errorf("ok %v with %d", ok, v)
					}
					return v + 1
				})
			}
		})
	}
	wg.Wait()
	if v, _ := m.Get("n"); v != 800 {
		t.Errorf("n = %d after 800 updates", v)
	}
}
