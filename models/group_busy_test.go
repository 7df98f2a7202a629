package models_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
)

// TestGroupWaitsOutAnotherWriter: when another process on the file (a
// replica) holds SQLite's write lock through all of busy_timeout, a group
// that has not started tries BEGIN again instead of failing its
// operations with "database is locked", and runs once the lock is free.
func TestGroupWaitsOutAnotherWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := models.Open("sqlite://" + path + "?_pragma=busy_timeout(20)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := models.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := models.NewStore(db)
	other, err := models.Open("sqlite://" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- models.Tx(ctx, s, func(tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO kv_entries (key, value, expires_at) VALUES ('busy-test', 'x', ?)", time.Now().Add(time.Hour))
			return err
		})
	}()
	for deadline := time.Now().Add(30 * time.Second); models.BusyRetries(s) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the group never met the lock")
		}
		select {
		case err := <-done:
			t.Fatalf("the write ended while the lock was held: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write after the lock was freed: %v", err)
	}
	var n int
	if err := db.NewSelect().Table("kv_entries").Where("key = 'busy-test'").ColumnExpr("count(*)").Scan(ctx, &n); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want 1", n, err)
	}
}
