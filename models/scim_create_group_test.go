package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCreatesSentTogetherKeepTheirErrors: on PostgreSQL creates that queue
// while others are in flight go as one text. The first two texts are held
// until six more creates wait; one of those takes a userName a member
// already has, another names a role deleted just before its text goes, so
// the text of the six fails as a whole. Each create must still get its own
// answer: the duplicate a conflict on userName, the other a conflict on
// roles, the four others created, and the counts exact.
func TestCreatesSentTogetherKeepTheirErrors(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("SQLite creates in the write queue's groups")
		}
		f := newInviteFixture(t, s)
		if _, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: "taken", Active: true}); err != nil {
			t.Fatal(err)
		}
		role, err := s.CreateRole(f.ctx, models.SystemActor, f.ws, models.RoleInput{Name: "Short-lived"})
		if err != nil {
			t.Fatal(err)
		}
		type doomed struct{}
		defer models.BeforeCreateExec(func(ctx context.Context) {
			if ctx.Value(doomed{}) != nil {
				if _, err := s.DB().NewDelete().Table("roles").Where("id = ?", role.ID).Exec(ctx); err != nil {
					t.Error(err)
				}
			}
		})()
		const queued = 6
		var held atomic.Int32
		var largest atomic.Int32
		defer models.BeforeCreateSend(func(text string) {
			if n := int32(strings.Count(text, `INSERT INTO "members"`)); n > largest.Load() {
				largest.Store(n)
			}
			if held.Add(1) > 2 {
				return
			}
			// One of the two first texts: in flight until the others queue.
			for deadline := time.Now().Add(10 * time.Second); models.CreatesWaiting(s) < queued; {
				if time.Now().After(deadline) {
					t.Errorf("%d creates waiting, want %d", models.CreatesWaiting(s), queued)
					return
				}
				time.Sleep(time.Millisecond)
			}
		})()
		names := []string{"first", "second"}
		for i := range queued - 2 {
			names = append(names, fmt.Sprintf("queued%d", i))
		}
		names = append(names, "TAKEN", "doomed")
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i >= 2 { // after the two first are in flight
					for held.Load() < 2 {
						time.Sleep(time.Millisecond)
					}
				}
				ctx, u := context.Background(), models.SCIMUser{UserName: n, Active: true}
				if n == "doomed" {
					ctx, u.Roles = context.WithValue(ctx, doomed{}, true), []string{"Short-lived"}
				}
				_, errs[i] = s.CreateSCIMUser(ctx, models.SystemActor, f.ws, u)
			}()
		}
		wg.Wait()
		if largest.Load() < queued {
			t.Fatalf("largest text held %d creates, want the %d queued together", largest.Load(), queued)
		}
		for i, n := range names {
			var c *models.ConflictError
			switch {
			case n == "TAKEN" && !(errors.As(errs[i], &c) && c.Field == "userName"):
				t.Errorf("%s: %v, want a conflict on userName", n, errs[i])
			case n == "doomed" && !(errors.As(errs[i], &c) && c.Field == "roles"):
				t.Errorf("%s: %v, want a conflict on roles", n, errs[i])
			case n != "TAKEN" && n != "doomed" && errs[i] != nil:
				t.Errorf("%s: %v", n, errs[i])
			}
		}
		got, err := s.DB().NewSelect().Table("members").Where("workspace_id = ? AND user_name NOT IN ('TAKEN', 'doomed')", f.ws.ID).
			Where("user_name IN (?)", bun.In(names)).Count(f.ctx)
		if err != nil || got != int64(len(names)-2) {
			t.Errorf("%d of the creates stored (%v), want %d", got, err, len(names)-2)
		}
		checkCounts(t, s, f.ws.ID)
	})
}
