//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite's mutexes, for one reason: modernc's driver opens every
// connection with SQLITE_OPEN_FULLMUTEX (serialized mode), so each call
// into SQLite (every bind, step, column name, column value, reset) locks
// and unlocks that connection's recursive mutex: about 5 % of the
// server's CPU under SCIM lookups, on the query's critical path. The lock
// guards nothing here: database/sql hands a connection, its statements
// and its rows to one goroutine at a time (it holds the connection's lock
// around every driver call), which is all SQLite's multi-thread mode
// asks, and sqlite3_interrupt, the one call made from elsewhere, takes no
// mutex. SQLite has no way to open a connection without the mutex once the
// flag is passed, so once SQLite is initialised every connection's mutex
// (the only SQLITE_MUTEX_RECURSIVE allocated after that but RBU's, which
// Muster does not use) is connMutex, which does nothing. Every other mutex
// (the page-cache group's, the WAL index's, the static ones) locks as
// modernc's pthread mutexes do: a sync.Mutex, recursive where SQLite asks.
type sqliteMutex struct {
	mu        sync.Mutex
	recursive bool
	owner     atomic.Int32 // a recursive mutex's holder (its TLS's ID), 0 if none
	count     int32
}

// SQLite holds its mutexes as addresses. The static ones
// (SQLITE_MUTEX_STATIC_MAIN, 2, to _VFS3, 13) guard SQLite's globals, the
// page-cache group among them, which are in Go's memory: they are Go
// variables too, as modernc's are, or the race detector would not see
// them lock (it ignores synchronisation in C memory) and report every
// page-cache access of two connections as a race. SQLite gets the address
// of a byte of staticHandles for each (Go's pointer checks refuse an
// address computed from a number when it points into Go's memory). The
// others (a WAL index's, a file's) are in C memory, as modernc's are, and
// so is connMutex.
var (
	staticMutexes   [staticMutexN]sqliteMutex
	staticHandles   uintptr
	connMutex       uintptr
	connMutexesFree atomic.Bool
)

const (
	mutexSize    = unsafe.Sizeof(sqliteMutex{})
	staticMutexN = sqlite3.SQLITE_MUTEX_STATIC_VFS3 - sqlite3.SQLITE_MUTEX_STATIC_MAIN + 1
)

func mutexAt(p uintptr) *sqliteMutex {
	if i := p - staticHandles; i < staticMutexN {
		return &staticMutexes[i]
	}
	return (*sqliteMutex)(unsafe.Add(unsafe.Pointer(nil), p))
}

func mutexAlloc(tls *libc.TLS, id int32) uintptr {
	switch {
	case id == sqlite3.SQLITE_MUTEX_RECURSIVE && connMutexesFree.Load():
		return connMutex
	case id == sqlite3.SQLITE_MUTEX_RECURSIVE || id == sqlite3.SQLITE_MUTEX_FAST:
		p := libc.Xcalloc(tls, 1, libc.Tsize_t(mutexSize))
		if p != 0 {
			mutexAt(p).recursive = id == sqlite3.SQLITE_MUTEX_RECURSIVE
		}
		return p
	case id >= sqlite3.SQLITE_MUTEX_STATIC_MAIN && id < sqlite3.SQLITE_MUTEX_STATIC_MAIN+staticMutexN:
		return staticHandles + uintptr(id-sqlite3.SQLITE_MUTEX_STATIC_MAIN)
	}
	return 0
}

func mutexFree(tls *libc.TLS, p uintptr) {
	if p != connMutex && p-staticHandles >= staticMutexN { // SQLite frees no static one; never ours
		libc.Xfree(tls, p)
	}
}

func mutexEnter(tls *libc.TLS, p uintptr) {
	if p == connMutex {
		return
	}
	m := mutexAt(p)
	if m.recursive {
		if m.owner.Load() == tls.ID {
			m.count++
			return
		}
		m.mu.Lock()
		m.owner.Store(tls.ID)
		m.count = 1
		return
	}
	m.mu.Lock()
}

func mutexTry(tls *libc.TLS, p uintptr) int32 {
	if p == connMutex {
		return sqlite3.SQLITE_OK
	}
	m := mutexAt(p)
	if m.recursive && m.owner.Load() == tls.ID {
		m.count++
		return sqlite3.SQLITE_OK
	}
	if !m.mu.TryLock() {
		return sqlite3.SQLITE_BUSY
	}
	if m.recursive {
		m.owner.Store(tls.ID)
		m.count = 1
	}
	return sqlite3.SQLITE_OK
}

func mutexLeave(_ *libc.TLS, p uintptr) {
	if p == connMutex {
		return
	}
	m := mutexAt(p)
	if m.recursive {
		if m.count--; m.count > 0 {
			return
		}
		m.owner.Store(0)
	}
	m.mu.Unlock()
}

// The held checks are only asked in SQLite's debug builds.
func mutexHeld(*libc.TLS, uintptr) int32 { return 1 }

func mutexInit(*libc.TLS) int32 { return sqlite3.SQLITE_OK }

func mutexEnd(*libc.TLS) int32 { return sqlite3.SQLITE_OK }

var (
	fnMutexInit  = mutexInit
	fnMutexEnd   = mutexEnd
	fnMutexAlloc = mutexAlloc
	fnMutexFree  = mutexFree
	fnMutexEnter = mutexEnter
	fnMutexTry   = mutexTry
	fnMutexLeave = mutexLeave
	fnMutexHeld  = mutexHeld
	mutexMethods sqlite3.Tsqlite3_mutex_methods
)

// useSQLiteMutexes installs the functions above; before SQLite is first
// used.
func useSQLiteMutexes(tls *libc.TLS) int32 {
	staticHandles = libc.Xcalloc(tls, staticMutexN, 1)
	connMutex = libc.Xcalloc(tls, 1, libc.Tsize_t(mutexSize))
	if staticHandles == 0 || connMutex == 0 {
		return sqlite3.SQLITE_NOMEM
	}
	mutexMethods = sqlite3.Tsqlite3_mutex_methods{
		FxMutexInit: cFunc(&fnMutexInit), FxMutexEnd: cFunc(&fnMutexEnd), FxMutexAlloc: cFunc(&fnMutexAlloc),
		FxMutexFree: cFunc(&fnMutexFree), FxMutexEnter: cFunc(&fnMutexEnter), FxMutexTry: cFunc(&fnMutexTry),
		FxMutexLeave: cFunc(&fnMutexLeave), FxMutexHeld: cFunc(&fnMutexHeld), FxMutexNotheld: cFunc(&fnMutexHeld),
	}
	va := libc.NewVaList(uintptr(unsafe.Pointer(&mutexMethods)))
	defer libc.Xfree(tls, va)
	return sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_MUTEX, va)
}

// freeConnMutexes gives every connection opened from now on connMutex.
// Only once SQLite is initialised: sqlite3_initialize's own recursive
// mutex must lock.
func freeConnMutexes(tls *libc.TLS) int32 {
	rc := sqlite3.Xsqlite3_initialize(tls)
	if rc == sqlite3.SQLITE_OK {
		connMutexesFree.Store(true)
	}
	return rc
}
