//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite's memory goes through these functions instead of its own default
// ones (mem1.c's, which they copy: malloc with the size in the 8 bytes
// before the block), for one reason. A B-tree page split (every few
// inserts into an index) takes a scratch buffer of 4 to 16 KiB and the new
// page's space, and frees them at once. modernc's allocator serves those
// sizes from 64 KiB pages of 8 or 16 KiB slots, the very slots the page
// caches fill; when every slot of those classes is taken (a warm cache)
// each split mapped a fresh 64 KiB page and unmapped it on free, with a
// TLB shootdown across the cores each time: 13 % of the server's CPU in a
// profile of POST /Users over HTTP, whatever pinAllocatorPages kept. So
// sizes of those classes (and the larger scratch buffers, mapped one by
// one) are rounded up to the whole slot, which they took anyway, and freed
// blocks of them wait in a small stash for the next request instead of
// going back to the allocator.
const (
	stashSmall = 8<<10 - 8  // an 8 KiB slot less the size word
	stashLarge = 16<<10 - 8 // a 16 KiB slot less the size word
	// stashHuge: a split's scratch is at most 7 pages (28 KiB on 4 KiB
	// pages); above 16 KiB the allocator maps each block on its own, 32 KiB
	// with its header.
	stashHuge = 32<<10 - 64
)

// stashClasses: each size kept, the smallest request rounded up to it, and how
// many freed blocks of it wait at most (8 MiB, 256 and 256 KiB).
//
// The small class was also every page-cache page (4 KiB and its header),
// and still is where there is no page arena (pageSlab: other OSes) or it
// is full; the 1,024 kept were measured before the arena, and 64 made no
// difference to the peak with it (VmHWM medians 134 MiB with 64, 128 with
// 1,024, three alternating kit pairs): kept as it was.
//
// Each commit (the provisioning log's writer commits every batch) makes
// every reader connection drop its whole page cache at its next read, and
// read the pages back at once: with 64 kept, under SCIM lookups over HTTP
// the allocator unmapped and mapped its 64 KiB pages again each time, 9 %
// of the server's CPU (munmap's TLB shootdowns). 1,024 blocks (about 9 MiB
// mapped) hold what the reads right after a reset take back; 4,096, a reset
// of every reader's whole cache, kept up to 37 MiB and took the server's
// peak at 100,000 members from 131 to 153 MiB, over issue 13's 150. What the
// stash holds was in some cache just before, and mallocs of the class take
// from it before the allocator: the memory of the class never rises above
// its peak in use, it only stays there instead of going back to the
// kernel between commits.
var stashClasses = [...]struct {
	size, from int32
	max        int
}{{stashSmall, 4<<10 - 8 + 1, 1024}, {stashLarge, stashSmall + 1, 16}, {stashHuge, stashLarge + 1, 8}}

type mallocStash struct {
	mu     sync.Mutex
	blocks [len(stashClasses)][]uintptr
}

var stash mallocStash

// pageSlab hands out page-cache pages (4 KiB and SQLite's header, about
// 4.3 KiB) from the arena sqlite_pagearena.go reserves, in slots of their
// exact size: from the allocator each took an 8 KiB slot, almost half of
// it wasted, and the page caches are most of the server's memory. A slot
// is its size word and block, as every other block here. Slots are
// handed out in address order, the first time, and freed ones again
// first (last freed, first reused), so the arena's resident pages are the
// most page-cache pages ever in use at once: they stay resident after, as
// the stash's blocks do. With every slot in use a page-cache page is an
// 8 KiB block (stashSmall) as before. Guarded by stash.mu; base, end and
// block are set before SQLite is first used, never after.
type pageSlab struct {
	base, end uintptr // the arena; 0, 0 without one
	next      uintptr // the first slot never handed out
	free      uintptr // the last freed block; each freed block holds the previous one's address
	block     int32   // a slot's block size, 0 without an arena
	inUse     int     // blocks handed out and not freed
}

var slab pageSlab

// take is a free block of the arena, 0 if none.
func (a *pageSlab) take() uintptr {
	if p := a.free; p != 0 {
		a.free = *cLink(p)
		a.inUse++
		return p
	}
	if slot := uintptr(a.block) + 8; a.next+slot <= a.end {
		p := a.next
		a.next += slot
		*cWord(p) = int64(a.block)
		a.inUse++
		return p + 8
	}
	return 0
}

// put gives block p of the arena back: the next take hands it out first.
func (a *pageSlab) put(p uintptr) {
	*cLink(p) = a.free
	a.free = p
	a.inUse--
}

// cLink is a freed arena block's first word: the block freed before it.
func cLink(p uintptr) *uintptr { return (*uintptr)(unsafe.Add(unsafe.Pointer(nil), p)) }

// holds tells whether p is a block of the arena.
func (a *pageSlab) holds(p uintptr) bool { return p >= a.base && p < a.end }

// stashRoundup is the size SQLite asks for n bytes: a multiple of 8 (as
// mem1.c), and the whole block for the sizes the arena and the stash keep.
func stashRoundup(n int32) int32 {
	if n > 4<<10-8 && n <= slab.block {
		return slab.block
	}
	for _, c := range stashClasses {
		if n >= c.from && n <= c.size {
			return c.size
		}
	}
	return (n + 7) &^ 7
}

// class is the index of the stash class of blocks of size n, -1 if none.
func stashClass(n int32) int {
	for i, c := range stashClasses {
		if n == c.size {
			return i
		}
	}
	return -1
}

func sqliteMalloc(tls *libc.TLS, n int32) uintptr {
	n = stashRoundup(n)
	if n == slab.block && n != 0 {
		stash.mu.Lock()
		p := slab.take()
		stash.mu.Unlock()
		if p != 0 {
			return p
		}
		n = stashSmall // the arena is full
	}
	if c := stashClass(n); c >= 0 {
		stash.mu.Lock()
		if l := stash.blocks[c]; len(l) > 0 {
			p := l[len(l)-1]
			stash.blocks[c] = l[:len(l)-1]
			stash.mu.Unlock()
			return p
		}
		stash.mu.Unlock()
	}
	p := libc.Xmalloc(tls, libc.Tsize_t(n)+8)
	if p == 0 {
		return 0
	}
	*cWord(p) = int64(n)
	return p + 8
}

func sqliteFree(tls *libc.TLS, p uintptr) {
	if slab.holds(p) {
		stash.mu.Lock()
		slab.put(p)
		stash.mu.Unlock()
		return
	}
	if c := stashClass(sqliteSize(tls, p)); c >= 0 {
		stash.mu.Lock()
		if len(stash.blocks[c]) < stashClasses[c].max {
			stash.blocks[c] = append(stash.blocks[c], p)
			stash.mu.Unlock()
			return
		}
		stash.mu.Unlock()
	}
	libc.Xfree(tls, p-8)
}

func sqliteRealloc(tls *libc.TLS, p uintptr, n int32) uintptr {
	n = stashRoundup(n)
	if slab.holds(p) { // the allocator cannot resize it: a new block
		if n == slab.block {
			return p
		}
		q := sqliteMalloc(tls, n)
		if q != 0 {
			copy(cBytes(q, min(n, slab.block)), cBytes(p, min(n, slab.block)))
			sqliteFree(tls, p)
		}
		return q
	}
	q := libc.Xrealloc(tls, p-8, libc.Tsize_t(n)+8)
	if q == 0 {
		return 0
	}
	*cWord(q) = int64(n)
	return q + 8
}

func sqliteSize(_ *libc.TLS, p uintptr) int32 {
	return int32(*cWord(p - 8))
}

// cWord is the 8 bytes at p, in C memory (outside Go's heap).
func cWord(p uintptr) *int64 { return (*int64)(unsafe.Add(unsafe.Pointer(nil), p)) }

// cBytes is the n bytes at p, in C memory (outside Go's heap).
func cBytes(p uintptr, n int32) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), p)), n)
}

func sqliteMemInit(*libc.TLS, uintptr) int32 { return sqlite3.SQLITE_OK }

func sqliteMemShutdown(*libc.TLS, uintptr) {}

// The functions as SQLite calls them (they lock what they share: with no
// memory statistics, SQLite calls them without a lock of its own), and the struct of them it copies.
var (
	fnMalloc   = sqliteMalloc
	fnFree     = sqliteFree
	fnRealloc  = sqliteRealloc
	fnSize     = sqliteSize
	fnRoundup  = func(_ *libc.TLS, n int32) int32 { return stashRoundup(n) }
	fnInit     = sqliteMemInit
	fnShutdown = sqliteMemShutdown
	memMethods sqlite3.Tsqlite3_mem_methods
)

// cFunc is f as a C function pointer of the transpiled SQLite: the Go
// func value's pointer, which it calls back through the same type.
func cFunc[F any](f *F) uintptr { return *(*uintptr)(unsafe.Pointer(f)) }

// useStashMalloc installs the functions above; before SQLite is first used.
func useStashMalloc(tls *libc.TLS) int32 {
	memMethods = sqlite3.Tsqlite3_mem_methods{
		FxMalloc: cFunc(&fnMalloc), FxFree: cFunc(&fnFree), FxRealloc: cFunc(&fnRealloc),
		FxSize: cFunc(&fnSize), FxRoundup: cFunc(&fnRoundup), FxInit: cFunc(&fnInit), FxShutdown: cFunc(&fnShutdown),
	}
	va := libc.NewVaList(uintptr(unsafe.Pointer(&memMethods)))
	defer libc.Xfree(tls, va)
	return sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_MALLOC, va)
}
