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
	cases := []struct{ n, want int32 }{{1, 8}, {4088, 4088}, {4089, stashSmall}, {stashSmall, stashSmall}, {stashSmall + 1, stashLarge}, {stashLarge, stashLarge}, {stashLarge + 1, stashHuge}, {stashHuge + 1, stashHuge + 8}}
	if slab.block != 0 { // a page-cache page's size: the arena's slot
		cases[2].want = slab.block
		cases = append(cases, struct{ n, want int32 }{slab.block, slab.block}, struct{ n, want int32 }{slab.block + 1, stashSmall})
	}
	for _, c := range cases {
		if got := stashRoundup(c.n); got != c.want {
			t.Errorf("stashRoundup(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// A reader's whole page cache (4 MB: about 950 pages of 4 KiB and their
// headers), dropped at once when another connection committed, waits in
// the stash for the reads that follow, instead of going back to the
// allocator, which unmapped its pages and mapped them again (9 % of the
// server's CPU under lookups over HTTP). With the page arena
// (sqlite_pagearena.go) pages go back to the arena, never the allocator;
// the stash's small class keeps the blocks between a page and 8 KiB, and
// pages when the arena is full.
func TestSQLiteMallocStashKeepsCacheReset(t *testing.T) {
	tls := libc.NewTLS()
	defer tls.Close()
	const pages = 1000
	pageAlloc := int32(4096 + 200)
	if slab.block != 0 {
		pageAlloc = slab.block + 8
	}
	blocks := make([]uintptr, pages)
	for i := range blocks {
		if blocks[i] = sqlite3.Xsqlite3_malloc(tls, pageAlloc); blocks[i] == 0 {
			t.Fatal("sqlite3_malloc failed")
		}
	}
	stash.mu.Lock()
	before := len(stash.blocks[0])
	stash.mu.Unlock()
	for _, p := range blocks {
		sqlite3.Xsqlite3_free(tls, p)
	}
	stash.mu.Lock()
	after := len(stash.blocks[0])
	stash.mu.Unlock()
	if after-before != pages {
		t.Errorf("%d of %d freed page-cache blocks kept in the stash", after-before, pages)
	}
}
