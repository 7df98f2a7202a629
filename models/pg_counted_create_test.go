package models_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMCreatesCountThemselves: on PostgreSQL a SCIM create adds its
// member to the status counts and moves the change token in its own
// statement, and the triggers skip it (migration 20261206000100): after
// concurrent creates, active and not, the counts are the members' and the
// token moved once per create. A raw insert of a member is still counted
// by the triggers.
func TestSCIMCreatesCountThemselves(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		token := func() int64 {
			t.Helper()
			tok, err := s.ChangeToken(f.ctx, f.ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := strconv.ParseInt(tok, 10, 64)
			return n
		}
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
			// One transaction each, so the token moved once per create
			// (SQLite's group commit may put several in one).
			if d := token() - before; d != clients*each {
				t.Errorf("the token moved by %d, want %d", d, clients*each)
			}
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
