package models_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestInviteLimitHoldsUnderConcurrency: 30 simultaneous invitations,
// through two replicas, against a limit of 10 an hour: exactly 10 are
// issued and 20 refused with the rate-limit error, on both databases
// (the invite path takes no workspace lock; the counter's upsert orders
// them).
func TestInviteLimitHoldsUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 10
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		var issued, refused atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, err := replicas[i%2].Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "p" + strconv.Itoa(i) + "@example.com", RoleID: f.roles["Member"].ID})
				var rl *models.RateLimitedError
				switch {
				case err == nil:
					issued.Add(1)
				case errors.As(err, &rl) && rl.RetryAfter > 0:
					refused.Add(1)
				default:
					t.Errorf("invite %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		n, err := s.DB().NewSelect().Model((*models.Invite)(nil)).Where("workspace_id = ?", f.ws.ID).Count(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if issued.Load() != 10 || refused.Load() != 90 || n != 10 {
			t.Errorf("%d issued, %d refused, %d links stored; want 10, 90, 10", issued.Load(), refused.Load(), n)
		}
	})
}

// TestInviteLimitCountsRefusalsBack: a refused or failed invitation does
// not use up the budget, and a resend does.
func TestInviteLimitCountsRefusalsBack(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 3
		m, _ := f.invite(t, "P", "a@example.com", "Member")
		// Already invited: refused as a conflict, not counted.
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "a@example.com", RoleID: f.roles["Member"].ID}); conflictCode(err) != models.ConflictPending {
			t.Fatalf("second invite of a: %v", err)
		}
		if _, err := s.ResendInvite(f.ctx, f.actor, f.ws, m.ID); err != nil {
			t.Fatal(err)
		}
		f.invite(t, "P", "b@example.com", "Member")
		var rl *models.RateLimitedError
		if _, err := s.ResendInvite(f.ctx, f.actor, f.ws, m.ID); !errors.As(err, &rl) {
			t.Fatalf("fourth invitation (a resend): %v", err)
		}
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "c@example.com", RoleID: f.roles["Member"].ID}); !errors.As(err, &rl) {
			t.Fatalf("fifth invitation: %v", err)
		}
	})
}
