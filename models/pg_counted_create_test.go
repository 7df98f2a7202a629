package models_test

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMCreatesCountThemselves: on PostgreSQL a SCIM create adds its
// member to the status counts and moves the change token in its own
// statement, and the triggers skip it (migration 20261206000100): after
// concurrent creates, active and not, the counts are the members' and the
// token moved once per transaction. A raw insert of a member is still counted
// by the triggers there (on SQLite members has no INSERT triggers: the
// store does a new member's bookkeeping, members_added.go).
func TestSCIMCreatesCountThemselves(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		token := func() int64 { t.Helper(); return changeTokenNumber(t, s, f) }
		before := token()
		const clients, each = 4, 6
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					name := fmt.Sprintf("counted-%d-%d", c, i)
					if _, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: name,
						Email: name + "@example.com", Active: i%3 != 0}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		checkCounts(t, s, f.ws.ID)
		if s.IsPostgres() {
			// Once a transaction: a create's own, or the one creates that
			// queued together share (pg_create_batch.go), as many as
			// wrote the members.
			var txs int64
			if err := s.DB().NewRaw("SELECT count(DISTINCT xmin::text) FROM members WHERE workspace_id = ? AND user_name LIKE 'counted-%'", f.ws.ID).Scan(f.ctx, &txs); err != nil {
				t.Fatal(err)
			}
			if d := token() - before; d != txs {
				t.Errorf("the token moved by %d, want %d: once for each of the transactions that wrote the members", d, txs)
			}
		}
		if !s.IsPostgres() {
			return
		}
		before = token()
		if _, err := s.DB().ExecContext(f.ctx, `INSERT INTO members (id, workspace_id, email, user_name, display_name, status, sort_name, search_text, created_at, updated_at)
			VALUES ('raw-1', ?, 'raw@example.com', 'raw', 'Raw', 'active', 'raw', 'raw', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`, f.ws.ID); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, s, f.ws.ID)
		if token() == before {
			t.Error("a raw insert did not move the token")
		}
	})
}

// TestSCIMCreateLocksAsTheTriggersDid: a PostgreSQL create counts itself
// in its statement, but takes the shard rows only once it holds the rows
// its foreign keys check, as when the triggers ran at COMMIT: a create
// waiting for a role being deleted holds no shard row meanwhile (the
// deletion takes one at its COMMIT, so the other order could deadlock),
// and once the deletion commits the create is a conflict on roles.
func TestSCIMCreateLocksAsTheTriggersDid(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("PostgreSQL's counted creates")
		}
		f := newInviteFixture(t, s)
		role, err := s.CreateRole(f.ctx, models.SystemActor, f.ws, models.RoleInput{Name: "Going"})
		if err != nil {
			t.Fatal(err)
		}
		deleting, err := s.DB().BeginTx(f.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer deleting.Rollback()
		if _, err := deleting.ExecContext(f.ctx, "DELETE FROM roles WHERE id = ?", role.ID); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: "waiting",
				Email: "waiting@example.com", Active: true, Roles: []string{"Going"}})
			done <- err
		}()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var waiting int
			if err := s.DB().NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(f.ctx, &waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the create never waited for the role")
			}
			time.Sleep(10 * time.Millisecond)
		}
		probe, err := s.DB().BeginTx(f.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Every shard row, existing or being inserted, taken as a
		// trigger would: none may be waited for.
		for _, q := range []string{`SET LOCAL lock_timeout = '200ms'`,
			`INSERT INTO workspace_changes (workspace_id, shard, n, last_tx) SELECT ?, g, 0, 0 FROM generate_series(0, 15) AS g
			ON CONFLICT (workspace_id, shard) DO UPDATE SET n = workspace_changes.n`,
			`INSERT INTO member_counts (workspace_id, status, shard, n) SELECT ?, st, g, 0 FROM generate_series(0, 15) AS g,
			unnest(ARRAY['invited', 'active', 'deactivated']) AS st ON CONFLICT (workspace_id, status, shard) DO UPDATE SET n = member_counts.n`} {
			if _, err := probe.ExecContext(f.ctx, q, f.ws.ID); err != nil {
				t.Errorf("a shard row held by the waiting create: %v", err)
				break
			}
		}
		probe.Rollback()
		if err := deleting.Commit(); err != nil {
			t.Fatal(err)
		}
		var c *models.ConflictError
		if err := <-done; !errors.As(err, &c) || c.Field != "roles" {
			t.Fatalf("err %v, want a conflict on roles", err)
		}
		checkCounts(t, s, f.ws.ID)
	})
}

// changeTokenNumber is f's workspace's change token as a number.
func changeTokenNumber(t *testing.T, s *models.Store, f *inviteFixture) int64 {
	t.Helper()
	tok, err := s.ChangeToken(f.ctx, f.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(tok, 10, 64)
	return n
}
