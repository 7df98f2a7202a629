//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"context"
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
	w, err := openSQLite(sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	r, err := openSQLite(sqliteReaderDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		gathered, written := walGathered.Load(), walWritten.Load()
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 400 {
			if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", strings.Repeat("x", 900+i)); err != nil {
				t.Fatal(err)
			}
		}
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
}
