//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// A commit's WAL frames reach the file in a few large writes, not two per
// frame, and are there before the commit is visible: another connection,
// reading at once, finds every row.
func TestWALWritesGathered(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	w, r := openWALWriter(t, sqliteDSN(path)), openWALReader(t, path)
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	late := walLateFlushes.Load()
	for round := range 5 {
		gathered, written := walGathered.Load(), walWritten.Load()
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		insertWALRows(ctx, t, tx, 400, "x", 900)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := r.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE length(v) >= 900").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := 400 * (round + 1); n != want {
			t.Fatalf("round %d: the reader counts %d rows, want %d", round, n, want)
		}
		g, wr := walGathered.Load()-gathered, walWritten.Load()-written
		if g < 200 || wr*10 > g {
			t.Fatalf("round %d: SQLite made %d WAL writes, the files got %d: want them gathered (at least 10 to one)", round, g, wr)
		}
	}
	if d := walLateFlushes.Load() - late; d != 0 {
		t.Fatalf("shared-memory calls found WAL writes %d times: a commit's frames were left for the barrier", d)
	}
}

// The writes SQLite makes at COMMIT besides a commit's frames in order are
// in the file before the commit is published too: the headers
// walRewriteChecksums writes again (a transaction that spilled pages to
// the WAL, then changed them), and the padding frames of
// synchronous=FULL without powersafe overwrite (psow=0), written around a
// sync. The safety net at the shared-memory calls finds nothing, and a
// reader finds every row.
func TestWALCommitWritesBeforePublished(t *testing.T) {
	for _, c := range []struct{ name, query, sync string }{
		{"rewritten checksums", "", "NORMAL"},
		{"padding frames", "&psow=0", "FULL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "wal.db")
			w, r := openWALWriter(t, sqliteDSN(path)+c.query), openWALReader(t, path)
			// A cache of 20 pages: a transaction of 300 rows of 1 KB spills.
			for _, q := range []string{"PRAGMA cache_size = 20", "PRAGMA synchronous = " + c.sync, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"} {
				if _, err := w.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			late, written := walLateFlushes.Load(), walWritten.Load()
			for round := range 3 {
				tx, err := w.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				insertWALRows(ctx, t, tx, 300, "x", 1000)
				// The first pages again, spilled already.
				if _, err := tx.ExecContext(ctx, "UPDATE t SET v = 'y' || substr(v, 2) WHERE id <= ?", 300*round+20); err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := r.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE length(v) >= 1000").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if want := 300 * (round + 1); n != want {
					t.Fatalf("round %d: the reader counts %d rows, want %d", round, n, want)
				}
			}
			if d := walLateFlushes.Load() - late; d != 0 {
				t.Fatalf("shared-memory calls found WAL writes %d times (%d writes made): a commit's writes were left for the barrier", d, walWritten.Load()-written)
			}
		})
	}
}

// insertWALRows inserts n rows into t of tx, the i-th c repeated size+i
// times: rows of about a page each, so a transaction writes many frames.
func insertWALRows(ctx context.Context, t *testing.T, tx *sql.Tx, n int, c string, size int) {
	t.Helper()
	for i := range n {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", strings.Repeat(c, size+i)); err != nil {
			t.Fatal(err)
		}
	}
}

// openWALWriter opens dsn as the store opens its writer (one connection),
// closed when the test ends.
func openWALWriter(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	w, err := openSQLite(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	w.SetMaxOpenConns(1)
	return w
}

// openWALReader opens the reader pool on path, closed when the test ends.
func openWALReader(t *testing.T, path string) *sql.DB {
	t.Helper()
	r, err := openSQLite(sqliteReaderDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
