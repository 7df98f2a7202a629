//go:build linux && !sqlite_ncruces && !sqlite_mattn

package models

import (
	"context"
	"path/filepath"
	"testing"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// A block of a page-cache page's size comes from the arena, in a slot of
// its exact size, and a freed one is handed out again; resized to
// another size it leaves the arena with its bytes.
func TestSQLitePageArenaSlots(t *testing.T) {
	if sqlitePageArenaRC != sqlite3.SQLITE_OK || slab.block <= 4096 || slab.block > 4096+1024 {
		t.Fatalf("page arena: rc %d, block %d: want 0 and a 4 KiB page and its header", sqlitePageArenaRC, slab.block)
	}
	tls := libc.NewTLS()
	defer tls.Close()
	p := sqlite3.Xsqlite3_malloc(tls, 4100)
	if !slab.holds(p) {
		t.Fatalf("malloc(4100) = %#x, outside the arena [%#x, %#x)", p, slab.base, slab.end)
	}
	if got := sqlite3.Xsqlite3_msize(tls, p); got != uint64(slab.block) {
		t.Fatalf("msize = %d, want the slot's %d", got, slab.block)
	}
	sqlite3.Xsqlite3_free(tls, p)
	if q := sqlite3.Xsqlite3_malloc(tls, int32(slab.block)); q != p {
		t.Fatalf("malloc after free = %#x, want the freed slot %#x", q, p)
	}
	*(*byte)(unsafe.Add(unsafe.Pointer(nil), p+4099)) = 42
	if q := sqlite3.Xsqlite3_realloc(tls, p, 4200); q != p {
		t.Fatalf("realloc within the slot moved the block from %#x to %#x", p, q)
	}
	q := sqlite3.Xsqlite3_realloc(tls, p, 6000)
	defer sqlite3.Xsqlite3_free(tls, q)
	if q == 0 || slab.holds(q) {
		t.Fatalf("realloc to 6000 = %#x, want a block outside the arena", q)
	}
	if b := *(*byte)(unsafe.Add(unsafe.Pointer(nil), q+4099)); b != 42 {
		t.Fatalf("realloc out of the arena lost the block's bytes: %d, want 42", b)
	}
}

// The page caches of the store's connections (writer and reader pool, as
// it opens them) hold their pages in the arena: reading a table of a few
// hundred pages takes that many slots, and closing the connections gives
// them back.
func TestSQLitePageArenaHoldsPageCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "arena.db")
	w := openWALWriter(t, sqliteDSN(path))
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	insertWALRows(ctx, t, tx, 400, "x", 3000)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	inUse := func() int {
		stash.mu.Lock()
		defer stash.mu.Unlock()
		return slab.inUse
	}
	before := inUse()
	r := openWALReader(t, path)
	r.SetMaxOpenConns(1)
	var n int
	if err := r.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE length(v) >= 3000").Scan(&n); err != nil || n != 400 {
		t.Fatalf("read %d rows (%v), want 400", n, err)
	}
	held := inUse() - before
	if held < 300 {
		t.Fatalf("reading 400 rows of a page each took %d arena slots, want at least 300: the page cache is not in the arena", held)
	}
	r.Close()
	if after := inUse(); after > before+held/10 {
		t.Fatalf("closing the reader left %d of its %d arena slots in use", after-before, held)
	}
}
