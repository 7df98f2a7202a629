package handlers

import (
	"strconv"
	"testing"
)

// TestShellCacheEvictsOne: a full shell cache makes room for a new shell
// by dropping one, not all: one person typing a search (a new address a
// keystroke) must not drop everyone else's shells.
func TestShellCacheEvictsOne(t *testing.T) {
	sc := newShellCache()
	for i := range shellCacheMax + 50 {
		sc.Put(strconv.Itoa(i), membersShell{before: []byte{byte(i)}})
	}
	if n := sc.Len(); n != shellCacheMax {
		t.Fatalf("%d shells kept, want %d", n, shellCacheMax)
	}
	if _, ok := sc.Get(strconv.Itoa(shellCacheMax + 49)); !ok {
		t.Error("the shell just kept is gone")
	}
	kept := 0
	for i := range shellCacheMax {
		if _, ok := sc.Get(strconv.Itoa(i)); ok {
			kept++
		}
	}
	if kept < shellCacheMax-50 {
		t.Errorf("%d of the first %d shells kept, want at least %d", kept, shellCacheMax, shellCacheMax-50)
	}
}
