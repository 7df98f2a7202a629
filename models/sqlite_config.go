//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite keeps a statement journal for each statement inside a transaction
// that may fail half way (an INSERT into members, with its triggers and
// indexes, is one). By default that journal grows in 64 KiB chunks, which
// the pure-Go allocator maps and unmaps from the kernel each time: in a
// profile of POST /Users, a third of the CPU was munmap. A negative spill
// size keeps statement journals in memory in 1 KiB chunks, which the
// allocator serves from its own pages. (temp_store=MEMORY would do it too,
// but it is read when a connection opens its file, before the DSN's
// pragmas run.) It must be set before SQLite is first used.
func init() {
	tls := libc.NewTLS()
	defer tls.Close()
	va := libc.NewVaList(int32(-1))
	defer libc.Xfree(tls, va)
	sqliteConfigRC = sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_STMTJRNL_SPILL, va)
	sqlitePageArenaRC = usePageArena(tls) // sqlite_pagearena.go; before the first malloc
	sqliteMallocRC = useStashMalloc(tls)  // sqlite_malloc.go
	sqliteMutexRC = useSQLiteMutexes(tls) // sqlite_mutex.go
	pinAllocatorPages(tls)
	sqliteVfsRC = useWalBufVfs(tls) // sqlite_walbuf.go; it initialises SQLite
	if sqliteMutexRC == sqlite3.SQLITE_OK {
		sqliteMutexRC = freeConnMutexes(tls) // last: connections opened from now on
	}
}

// pinAllocatorPages keeps some of the allocator's pages mapped for good.
// modernc's allocator carves 64 KiB pages into slots of one size class and
// unmaps a page as soon as its last slot is freed, so memory SQLite takes
// and gives back on every statement (journal chunks, page-cache pages
// dropped when another connection wrote, parse trees) was an mmap and an
// munmap each time. One slot kept in each of a few pages per class keeps
// those pages, and the slots freed in them are reused: about 24 MiB of
// address space, touched only as SQLite uses it.
func pinAllocatorPages(tls *libc.TLS) {
	const page = 64 << 10
	for log := 4; log <= 14; log++ {
		pages := 4
		switch log {
		case 11: // statement and savepoint journal chunks (1 KiB plus headers)
			// 8,192 slots. A /Bulk chunk of 1,000 users held up to 2,436
			// journal chunks at 100,000 members and 4,953 at 200,000 (more
			// members, more index pages changed by each chunk); with 64
			// pages the rest were mapped and unmapped for every chunk, and
			// /Bulk of 10,000 at 200,000 members took 1.79 s instead of
			// 1.47 (medians, four alternated pairs; 1,024 pages: no faster).
			pages = 256
		case 12:
			pages = 16
		case 13: // blocks of 4 to 8 KiB: page-cache pages too where the page arena is full or absent (sqlite_pagearena.go); 7 to a page
			pages = 64
		case 14:
			pages = 8
		}
		var kept, spare []uintptr
		seen := map[uintptr]bool{}
		for len(kept) < pages {
			p := libc.Xmalloc(tls, 1<<log)
			if p == 0 {
				break
			}
			if pg := p &^ (page - 1); !seen[pg] {
				seen[pg] = true
				kept = append(kept, p)
			} else {
				spare = append(spare, p)
			}
		}
		for _, p := range spare {
			libc.Xfree(tls, p)
		}
	}
}

// sqliteConfigRC, sqliteMallocRC, sqlitePageArenaRC, sqliteMutexRC and
// sqliteVfsRC are what SQLite answered (0: done); a test checks them.
var sqliteConfigRC, sqliteMallocRC, sqlitePageArenaRC, sqliteMutexRC, sqliteVfsRC int32
