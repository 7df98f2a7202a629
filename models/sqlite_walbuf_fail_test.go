//go:build !sqlite_ncruces && !sqlite_mattn

package models_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// A COMMIT whose WAL frames cannot be written (a full disk) fails with the
// write's error, and what it wrote is not there for anyone: the store's
// writer, its reader pool, or a connection opened afterwards. The next
// create goes through and is seen by all three. With the gathered frames
// written only at the shared-memory barrier (which cannot fail), the
// COMMIT succeeded and the member was lost to readers.
func TestWALWriteFailureFailsCommit(t *testing.T) {
	ctx := context.Background()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "muster.db")
	db, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := models.NewStore(db)
	if err := models.Migrate(ctx, s.DB()); err != nil {
		t.Fatal(err)
	}
	r, err := models.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s.UseReader(r)
	_, ws := modelstest.SetUp(t, s)
	create := func(email string) error {
		_, err := s.CreateSCIMUser(ctx, scimActor, ws, models.SCIMUser{UserName: email, Email: email, DisplayName: "Grace Hopper", Active: true})
		return err
	}
	// seen is how many of the writer, the reader pool and a fresh
	// connection find the member.
	seen := func(email string) int {
		t.Helper()
		fresh, err := models.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		n := 0
		for _, conn := range []*bun.DB{s.DB(), r, fresh} {
			var c int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM members WHERE workspace_id = ? AND email = ?", ws.ID, email).Scan(&c); err != nil {
				t.Fatalf("count %s: %v", email, err)
			}
			n += c
		}
		return n
	}
	if err := create("first@example.com"); err != nil {
		t.Fatal(err)
	}
	late := models.WALLateFlushes()
	restore := models.FailNextWALWrite(path + "-wal")
	err = create("lost@example.com")
	pending := models.WALFailPending()
	restore()
	if pending {
		t.Fatal("the create wrote nothing to the WAL")
	}
	if err == nil {
		t.Fatal("the create succeeded though its WAL frames were not written")
	}
	t.Logf("the failed create: %v", err)
	if n := seen("lost@example.com"); n != 0 {
		t.Fatalf("the failed create's member is seen %d times, want none", n)
	}
	if err := create("next@example.com"); err != nil {
		t.Fatalf("the create after the failure: %v", err)
	}
	for _, email := range []string{"first@example.com", "next@example.com"} {
		if n := seen(email); n != 3 {
			t.Fatalf("%s is seen by %d of the writer, reader pool and a fresh connection, want all 3", email, n)
		}
	}
	if d := models.WALLateFlushes() - late; d != 0 {
		t.Fatalf("shared-memory calls found WAL writes %d times: a commit's frames were left for the barrier", d)
	}
}
