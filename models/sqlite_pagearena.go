//go:build linux && !sqlite_ncruces && !sqlite_mattn

package models

import (
	"syscall"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// pageArenaBytes is the address space reserved for page-cache pages:
// about 16,000 slots, most of the page caches the pools may hold at once
// on two cores (4 writer connections of 16 MB, 4 readers of 4 MB).
const pageArenaBytes = 68 << 20

// usePageArena reserves the page-cache arena (see pageSlab in
// sqlite_malloc.go): address space only, MAP_NORESERVE, so a page of it
// is resident once a slot in it was handed out, not before. A slot is a
// page-cache page exactly: 4 KiB, the header SQLite reports, and our size
// word. Before SQLite is first used.
//
// Not SQLITE_CONFIG_PAGECACHE, which does the same inside SQLite: at
// sqlite3_initialize it links every slot into its free list, writing a
// word in each, so the whole arena was resident from the start (65 MiB
// more VmRSS at an idle start, and a higher peak under load).
func usePageArena(tls *libc.TLS) int32 {
	hdr := libc.Xmalloc(tls, 8)
	if hdr == 0 {
		return sqlite3.SQLITE_NOMEM
	}
	defer libc.Xfree(tls, hdr)
	*cWord(hdr) = 0
	va := libc.NewVaList(hdr)
	rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PCACHE_HDRSZ, va)
	libc.Xfree(tls, va)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	block := (4096 + *(*int32)(unsafe.Add(unsafe.Pointer(nil), hdr)) + 7) &^ 7
	mem, err := syscall.Mmap(-1, 0, pageArenaBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return sqlite3.SQLITE_NOMEM
	}
	base := uintptr(unsafe.Pointer(&mem[0]))
	slab = pageSlab{base: base, end: base + pageArenaBytes, next: base, block: block}
	return sqlite3.SQLITE_OK
}
