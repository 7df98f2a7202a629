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
