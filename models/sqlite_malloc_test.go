//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite takes its memory from sqlite_malloc.go's functions: a block of a
// page split's size is the whole 8 KiB slot, and a freed one is handed out
// again rather than given back to the allocator (which unmapped its page).
func TestSQLiteMallocStashesSplitSizes(t *testing.T) {
	tls := libc.NewTLS()
	defer tls.Close()
	p := sqlite3.Xsqlite3_malloc(tls, 5000)
	if p == 0 {
		t.Fatal("sqlite3_malloc failed")
	}
	if got := sqlite3.Xsqlite3_msize(tls, p); got != stashSmall {
		t.Fatalf("sqlite3_msize(malloc(5000)) = %d, want %d: SQLite does not use sqlite_malloc.go", got, stashSmall)
	}
	sqlite3.Xsqlite3_free(tls, p)
	q := sqlite3.Xsqlite3_malloc(tls, 7000)
	defer sqlite3.Xsqlite3_free(tls, q)
	if q != p {
		t.Fatalf("malloc after free = %#x, want the stashed %#x", q, p)
	}
	for _, c := range []struct{ n, want int32 }{{1, 8}, {4088, 4088}, {4089, stashSmall}, {stashSmall, stashSmall}, {stashSmall + 1, stashLarge}, {stashLarge, stashLarge}, {stashLarge + 1, stashHuge}, {stashHuge + 1, stashHuge + 8}} {
		if got := stashRoundup(c.n); got != c.want {
			t.Errorf("stashRoundup(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
