package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCheckpointBesideWriter: on SQLite, once group commits have grown the
// log by checkpointPages, the store runs a checkpoint itself, so the log is
// copied back into the database without a writer's COMMIT doing it
// (checkpoint.go).
func TestCheckpointBesideWriter(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if s.IsPostgres() {
			t.Skip("PostgreSQL checkpoints by itself")
		}
		ctx := context.Background()
		modelstest.SetUp(t, s)
		// About 30 pages a commit (one value of 120 KB): one and a half
		// times checkpointPages in all.
		value := strings.Repeat("x", 120_000)
		for i := range models.CheckpointPages * 3 / 2 / 30 {
			if err := models.Tx(ctx, s, func(tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO kv_entries (key, value) VALUES (?, ?)`, fmt.Sprintf("beside-%d", i), value)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		// One at least: a checkpoint still running when the next is due
		// lets that one pass.
		for models.Checkpoints(s) < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoint after %d pages of log", models.CheckpointPages*3/2)
			}
			time.Sleep(10 * time.Millisecond) // polling, under the deadline above
		}
	})
}

// TestCheckpointDueByLog: what makes a checkpoint due is how far the log
// grew (checkpointPages), read after each group commit from the VFS that
// writes the log: two hundred commits of a page or two, six times the
// commits that made one due when commits were counted, start none.
func TestCheckpointDueByLog(t *testing.T) {
	if models.SQLiteDriver != "modernc" {
		t.Skip("only the default driver's VFS sees the log's writes")
	}
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if s.IsPostgres() {
			t.Skip("PostgreSQL checkpoints by itself")
		}
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		before, known := models.LogPages(s)
		if !known {
			t.Fatal("the store does not know its log's length")
		}
		begun := models.CheckpointsBegun(s)
		for i := range 200 {
			if err := models.Tx(ctx, s, func(tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE workspaces SET name = ? WHERE id = ?`, fmt.Sprintf("Due %d", i), ws.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		after, _ := models.LogPages(s)
		if after < before+200 {
			t.Fatalf("the log grew from %d to %d pages in 200 commits; each writes a page at least", before, after)
		}
		if n := models.CheckpointsBegun(s) - begun; n != 0 && after-before < models.CheckpointPages {
			t.Errorf("%d checkpoints began while the log grew by %d pages (checkpointPages is %d)", n, after-before, models.CheckpointPages)
		}
	})
}

// TestCheckpointAfterSetWrite: a commit of many members written set-based
// (a /Bulk chunk) makes a checkpoint due by itself, without waiting for
// checkpointPages of log, so the log does not grow past
// wal_autocheckpoint and get copied inside a later chunk's COMMIT.
func TestCheckpointAfterSetWrite(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if s.IsPostgres() {
			t.Skip("PostgreSQL checkpoints by itself")
		}
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		before := models.Checkpoints(s)
		if _, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, setUsers(600, "ckpt"), 0); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for models.Checkpoints(s) <= before {
			if time.Now().After(deadline) {
				t.Fatal("no checkpoint after a commit of 600 members")
			}
			time.Sleep(10 * time.Millisecond) // polling, under the deadline above
		}
	})
}

// TestLogRestartsUnderWrites: under a steady stream of group commits the
// writer finishes the store's checkpoints between groups, so SQLite
// starts the log again from its beginning long before wal_autocheckpoint
// (whose checkpoint would run inside a COMMIT, every operation of that
// group waiting for it). Without finishCheckpoint the log only restarts
// there, and the checkpoints beside the writer find it that long.
func TestLogRestartsUnderWrites(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if s.IsPostgres() {
			t.Skip("PostgreSQL checkpoints by itself")
		}
		ctx := context.Background()
		modelstest.SetUp(t, s)
		// About 30 pages a commit (one value of 120 KB), twice
		// walRestartPages in all: without the writer finishing, the log
		// would reach wal_autocheckpoint.
		value := strings.Repeat("x", 120_000)
		commits := models.WALRestartPages * 2 / 30
		for i := range commits {
			if err := models.Tx(ctx, s, func(tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO kv_entries (key, value) VALUES (?, ?)`, fmt.Sprintf("restart-%d", i), value)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if models.CheckpointsFinished(s) == 0 {
			t.Fatalf("no checkpoint finished by the writer in %d commits (%d beside it)", commits, models.Checkpoints(s))
		}
		// A checkpoint beside the writer finds the log some commits past
		// walRestartPages (how many depends on how fast its passes run
		// against the writer's commits: a busy machine, -race), well
		// short of wal_autocheckpoint.
		if longest, most := models.LongestLog(s), int64(models.WALAutocheckpointPages*3/4); longest > most {
			t.Errorf("the log reached %d pages (at most %d expected; walRestartPages is %d, wal_autocheckpoint %d)", longest, most, models.WALRestartPages, models.WALAutocheckpointPages)
		}
	})
}
