//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"context"
	"path/filepath"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

// A transaction whose spilled WAL frames (a cache spill, not a commit)
// could not be written when the buffer was flushed by a read must not
// commit as if they were there: SQLite finds those pages in the log by
// the wal-index, and reads whatever the file holds at their place.
func TestWALSpillWriteFailureDoesNotCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	w := openWALWriter(t, sqliteDSN(path))
	for _, q := range []string{"PRAGMA cache_size = 20", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// The same transaction rolled back first: the log holds frames of the
	// same pages at the same places, with other rows ('a…').
	old, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	insertWALRows(ctx, t, old, 300, "a", 1000)
	if err := old.Rollback(); err != nil {
		t.Fatal(err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	insertWALRows(ctx, t, tx, 300, "x", 1000)
	walFailNext.Store(&walFailure{name: path + "-wal", rc: sqlite3.SQLITE_FULL})
	defer walFailNext.Store(nil)
	failed := 0
	// Each statement in a savepoint, as a write group runs its operations:
	// a failed one is rolled back to its savepoint and the others go on.
	for i := range 20 {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			t.Logf("savepoint %d: %v", i, err)
			failed++
			continue
		}
		_, err := tx.ExecContext(ctx, "UPDATE t SET v = 'y' || substr(v, 2) WHERE id % 20 = ?", i)
		if err != nil {
			t.Logf("update %d: %v", i, err)
			failed++
			tx.ExecContext(ctx, "ROLLBACK TO op")
		}
		tx.ExecContext(ctx, "RELEASE op")
	}
	if walFailNext.Load() != nil {
		t.Skip("no buffer flush failed")
	}
	if err := tx.Commit(); err != nil {
		t.Logf("commit failed (%d statements failed): %v", failed, err)
		return
	}
	r := openWALReader(t, path)
	var ic string
	if err := r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("committed after %d failed statements; integrity_check = %q, %v", failed, ic, err)
	}
	var n, bad int
	if err := r.QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE length(v) < 1000 OR v NOT LIKE '_xxx%') FROM t").Scan(&n, &bad); err != nil {
		t.Fatalf("committed after %d failed statements; reading: %v", failed, err)
	}
	if n != 300 || bad != 0 {
		t.Fatalf("committed after %d failed statements: %d rows, %d bad, want 300, 0", failed, n, bad)
	}
}
