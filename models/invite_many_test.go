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

func addrs(emails ...string) []models.InviteAddress {
	out := make([]models.InviteAddress, len(emails))
	for i, e := range emails {
		out[i] = models.InviteAddress{Email: e}
	}
	return out
}

// TestInviteMany: each address gets its own result; repeats collapse; a
// revoked invitation is invited again on its own row; names come from the
// address unless one was written beside it.
func TestInviteMany(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		pending, _ := f.invite(t, "Pat", "pat@example.com", "Member")
		revoked, _ := f.invite(t, "Rey Old", "rey@example.com", "Admin")
		if _, err := s.RevokeInvite(f.ctx, f.actor, f.ws, revoked.ID); err != nil {
			t.Fatal(err)
		}
		in := addrs("grace.hopper@example.com", "ADA@example.com", "pat@example.com", "not-an-address", "Grace.Hopper@example.com", "rey@example.com")
		in = append(in, models.InviteAddress{Email: "alan@example.com", Name: "Alan Turing"})
		res, err := s.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{Addresses: in, RoleID: f.roles["Member"].ID, Location: "Oslo"})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ email, outcome, name string }{
			{"grace.hopper@example.com", models.InviteResultInvited, "Grace Hopper"},
			{"ada@example.com", models.InviteResultMember, ""},
			{"pat@example.com", models.InviteResultPending, ""},
			{"not-an-address", models.InviteResultInvalid, ""},
			{"rey@example.com", models.InviteResultInvited, "Rey Old"},
			{"alan@example.com", models.InviteResultInvited, "Alan Turing"},
		}
		if len(res) != len(want) {
			t.Fatalf("%d results, want %d: %+v", len(res), len(want), res)
		}
		for i, w := range want {
			r := res[i]
			if r.Email != w.email || r.Outcome != w.outcome || (w.name != "" && r.Name != w.name) {
				t.Errorf("result %d = %+v, want %+v", i, r, w)
			}
			if r.Outcome != models.InviteResultInvited && r.Message == "" {
				t.Errorf("result %d has no reason", i)
			}
		}
		if res[2].Member == nil || res[2].Member.ID != pending.ID {
			t.Errorf("the pending result does not name the member to resend to: %+v", res[2])
		}
		// The revoked row is invited again, with the new role.
		rey, err := s.MemberByID(f.ctx, f.ws.ID, revoked.ID)
		if err != nil || rey.Status != models.StatusInvited || len(rey.Roles) != 1 || rey.Roles[0].Name != "Member" || rey.Location != "Oslo" {
			t.Errorf("rey after InviteMany = %+v, %v", rey, err)
		}
		grace, err := s.MemberByID(f.ctx, f.ws.ID, res[0].Member.ID)
		if err != nil || grace.Status != models.StatusInvited || grace.Location != "Oslo" || grace.Roles[0].Name != "Member" {
			t.Errorf("grace = %+v, %v", grace, err)
		}
		// One email each for the three invited.
		for _, e := range []string{"grace.hopper@example.com", "rey@example.com", "alan@example.com"} {
			n, _ := s.DB().NewSelect().Model((*models.OutboxMessage)(nil)).Where("to_addr = ? AND kind = 'invite'", e).Count(f.ctx)
			if want := map[bool]int64{true: 2, false: 1}[e == "rey@example.com"]; n != want {
				t.Errorf("%d emails to %s, want %d", n, e, want)
			}
		}
	})
}

func TestInviteManyRefusesTheWholeRequest(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		var verr *models.ValidationError
		if _, err := s.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{RoleID: f.roles["Member"].ID}); !errors.As(err, &verr) || verr.Fields["email"] == "" {
			t.Errorf("no addresses: %v", err)
		}
		var many []string
		for i := range models.MaxInviteAddresses + 1 {
			many = append(many, "p"+strconv.Itoa(i)+"@example.com")
		}
		if _, err := s.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{Addresses: addrs(many...), RoleID: f.roles["Member"].ID}); !errors.As(err, &verr) || verr.Fields["email"] == "" {
			t.Errorf("%d addresses: %v", len(many), err)
		}
		if _, err := s.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{Addresses: addrs("a@example.com")}); !errors.As(err, &verr) || verr.Fields["role"] == "" {
			t.Errorf("no role: %v", err)
		}
		n, _ := s.DB().NewSelect().Model((*models.Member)(nil)).Count(f.ctx)
		if n != 1 {
			t.Errorf("%d members after refusals, want 1", n)
		}
	})
}

// TestInviteManyCountsEachInvitation: past the hourly limit the rest come
// back as limited, in the order written.
func TestInviteManyCountsEachInvitation(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 3
		f.invite(t, "", "first@example.com", "Member")
		res, err := s.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{
			Addresses: addrs("a@example.com", "ada@example.com", "b@example.com", "c@example.com", "d@example.com"), RoleID: f.roles["Member"].ID})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, r := range res {
			got += r.Outcome + " "
		}
		if want := "invited member invited limited limited "; got != want {
			t.Errorf("outcomes %q, want %q", got, want)
		}
		var rl *models.RateLimitedError
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "e@example.com", RoleID: f.roles["Member"].ID}); !errors.As(err, &rl) {
			t.Errorf("an invite after the limit: %v", err)
		}
	})
}

// TestInviteManyLimitHoldsUnderConcurrency: six lists of five addresses at
// once, through two replicas, against a limit of 10: exactly 10 invited.
func TestInviteManyLimitHoldsUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 10
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		var invited, limited atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var list []string
				for j := range 5 {
					list = append(list, "p"+strconv.Itoa(i*5+j)+"@example.com")
				}
				res, err := replicas[i%2].InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{Addresses: addrs(list...), RoleID: f.roles["Member"].ID})
				if err != nil {
					t.Errorf("list %d: %v", i, err)
					return
				}
				for _, r := range res {
					switch r.Outcome {
					case models.InviteResultInvited:
						invited.Add(1)
					case models.InviteResultLimited:
						limited.Add(1)
					default:
						t.Errorf("list %d: %+v", i, r)
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		n, _ := s.DB().NewSelect().Model((*models.Invite)(nil)).Where("workspace_id = ?", f.ws.ID).Count(f.ctx)
		if invited.Load() != 10 || limited.Load() != 20 || n != 10 {
			t.Errorf("%d invited, %d limited, %d links; want 10, 20, 10", invited.Load(), limited.Load(), n)
		}
	})
}
