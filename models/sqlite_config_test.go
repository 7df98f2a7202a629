//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"syscall"
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

func TestSQLiteStatementJournalInMemory(t *testing.T) {
	if sqliteConfigRC != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL) = %d, want 0 (SQLite was initialised before models' init)", sqliteConfigRC)
	}
}

func TestSQLiteMallocInstalled(t *testing.T) {
	if sqliteMallocRC != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_MALLOC) = %d, want 0", sqliteMallocRC)
	}
}

// TestJournalChunksStayMapped: statement and savepoint journals are 1 KiB
// blocks, thousands for one /Bulk chunk, all freed when it ends; the next
// chunk must find them mapped (pinAllocatorPages) instead of mapping,
// faulting in and unmapping fresh pages. 5,000 blocks is a chunk's
// journal at 200,000 members (4,953 at most, measured).
func TestJournalChunksStayMapped(t *testing.T) {
	tls := libc.NewTLS()
	defer tls.Close()
	const blocks, size = 5000, 1024
	journal := func() {
		ps := make([]uintptr, blocks)
		for i := range ps {
			if ps[i] = sqlite3.Xsqlite3_malloc(tls, size); ps[i] == 0 {
				t.Fatal("sqlite3_malloc failed")
			}
			libc.Xmemset(tls, ps[i], 1, size) // as a journal fills it
		}
		for _, p := range ps {
			sqlite3.Xsqlite3_free(tls, p)
		}
	}
	journal() // the first may map what it needs
	before := minorFaults()
	journal()
	// Blocks on fresh pages fault about once per 4 KiB: with 64 pages kept
	// (about 2,000 blocks) this took some 1,600 faults, with 256 none.
	if faults := minorFaults() - before; faults > 300 {
		t.Errorf("a second journal of %d blocks took %d page faults: its blocks' pages went back to the kernel in between", blocks, faults)
	}
}

func minorFaults() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Minflt
}

// TestSQLiteMutexes: connections opened after init get the mutex that does
// nothing (sqlite_mutex.go); every other kind still excludes.
func TestSQLiteMutexes(t *testing.T) {
	if sqliteMutexRC != 0 {
		t.Fatalf("SQLite's mutexes: %d, want 0", sqliteMutexRC)
	}
	tls := libc.NewTLS()
	defer tls.Close()
	if p := sqlite3.Xsqlite3_mutex_alloc(tls, sqlite3.SQLITE_MUTEX_RECURSIVE); p != connMutex {
		t.Fatalf("a connection's mutex is %#x, want the free one %#x", p, connMutex)
	}
	other := libc.NewTLS()
	defer other.Close()
	fast := sqlite3.Xsqlite3_mutex_alloc(tls, sqlite3.SQLITE_MUTEX_FAST)
	defer sqlite3.Xsqlite3_mutex_free(tls, fast)
	// A static mutex SQLite itself never takes: a failure while holding
	// the page cache's would hang every later test instead of failing.
	static := sqlite3.Xsqlite3_mutex_alloc(tls, sqlite3.SQLITE_MUTEX_STATIC_APP1)
	if other := sqlite3.Xsqlite3_mutex_alloc(tls, sqlite3.SQLITE_MUTEX_STATIC_APP2); other == static || static == 0 {
		t.Fatalf("static mutexes %#x and %#x: want two distinct ones", static, other)
	}
	recursive := libc.Xcalloc(tls, 1, libc.Tsize_t(mutexSize)) // as sqlite3_initialize's own
	defer libc.Xfree(tls, recursive)
	mutexAt(recursive).recursive = true
	for name, p := range map[string]uintptr{"fast": fast, "static": static, "recursive": recursive} {
		sqlite3.Xsqlite3_mutex_enter(tls, p)
		if name == "recursive" {
			sqlite3.Xsqlite3_mutex_enter(tls, p)
			if rc := sqlite3.Xsqlite3_mutex_try(tls, p); rc != sqlite3.SQLITE_OK {
				t.Fatalf("recursive: its holder's try = %d", rc)
			}
			sqlite3.Xsqlite3_mutex_leave(tls, p)
			sqlite3.Xsqlite3_mutex_leave(tls, p)
		}
		if rc := sqlite3.Xsqlite3_mutex_try(other, p); rc != sqlite3.SQLITE_BUSY {
			t.Fatalf("%s: another thread's try while held = %d, want SQLITE_BUSY", name, rc)
		}
		sqlite3.Xsqlite3_mutex_leave(tls, p)
		if rc := sqlite3.Xsqlite3_mutex_try(other, p); rc != sqlite3.SQLITE_OK {
			t.Fatalf("%s: another thread's try once left = %d, want SQLITE_OK", name, rc)
		}
		sqlite3.Xsqlite3_mutex_leave(other, p)
	}
	// Contended: a counter only the mutex guards, in C memory as SQLite's
	// state is (the race detector sees neither it nor the mutex).
	counter := libc.Xcalloc(tls, 1, 8)
	defer libc.Xfree(tls, counter)
	done := make(chan bool)
	for range 4 {
		go func() {
			tls := libc.NewTLS()
			defer tls.Close()
			for range 10000 {
				sqlite3.Xsqlite3_mutex_enter(tls, fast)
				*cWord(counter)++
				sqlite3.Xsqlite3_mutex_leave(tls, fast)
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	if n := *cWord(counter); n != 40000 {
		t.Fatalf("4 × 10,000 increments under the mutex gave %d", n)
	}
}
