package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCheckpointBesideWriter: on SQLite, group commits are followed by
// checkpoints the store runs itself, so the log is copied back into the
// database without a writer's COMMIT doing it (checkpoint.go).
func TestCheckpointBesideWriter(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if s.IsPostgres() {
			t.Skip("PostgreSQL checkpoints by itself")
		}
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		for range 100 {
			if err := models.Tx(ctx, s, func(tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE workspaces SET name = name WHERE id = ?`, ws.ID)
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
				t.Fatal("no checkpoint after 100 commits")
			}
			time.Sleep(10 * time.Millisecond) // polling, under the deadline above
		}
	})
}

// TestCheckpointAfterSetWrite: a commit of many members written set-based
// (a /Bulk chunk) makes a checkpoint due by itself, without waiting for
// checkpointEvery commits, so the log does not grow past
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
