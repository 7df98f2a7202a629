package models_test

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMemberPageCacheExact: a members page served from the cache is the
// page read afresh (by a store that keeps nothing), after each kind of
// change, whether this store made it or the other replica did: a member
// changed over SCIM, a role renamed, a member's roles, a deactivation, a
// new member, a member seen (not on the change counter), an invitation
// resent, failed or expired (not on it either).
func TestMemberPageCacheExact(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		other := modelstest.Replica(t, s)
		fresh := modelstest.Replica(t, s)
		fresh.NoMemberPageCache = true
		var ids []string
		for i := range 7 {
			m, _ := f.invite(t, "Lovelace "+strconv.Itoa(i), "ada"+strconv.Itoa(i)+"@example.com", "Member")
			ids = append(ids, m.ID)
		}
		first, err := s.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		views := []models.MemberQuery{
			{},
			{Limit: 3},
			{Limit: 3, After: first.Next},
			{Limit: 3, Offset: 3},
			{Search: "lovelace"},
			{Search: "lovelace", Sort: "email", Desc: true, Limit: 2},
			{Search: "ada3"},
			{Status: models.StatusInvited},
			{Status: models.StatusDeactivated},
			{Status: models.FilterExpired},
			{RoleID: f.roles["Admin"].ID},
			{Sort: "joined", Desc: true},
		}
		dump := func(p *models.MemberPage) string {
			b, _ := json.Marshal(p)
			return string(b)
		}
		check := func(step string) {
			t.Helper()
			for _, q := range views {
				for range 2 { // the second view comes from the cache
					got, err := s.ListMembers(f.ctx, f.ws.ID, q)
					if err != nil {
						t.Fatal(err)
					}
					want, err := fresh.ListMembers(f.ctx, f.ws.ID, q)
					if err != nil {
						t.Fatal(err)
					}
					if g, w := dump(got), dump(want); g != w {
						t.Fatalf("%s, view %+v:\n kept  %s\n fresh %s", step, q, g, w)
					}
				}
			}
		}
		check("at first")

		ws := f.ws
		if _, err := other.ChangeSCIMUser(f.ctx, f.actor, ws, ids[1], 0, func(u *models.SCIMUser) error {
			u.DisplayName, u.GivenName, u.FamilyName = "Zed Lovelace", "Zed", "Lovelace"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		check("after a SCIM change on the other replica")

		if _, err := other.UpdateRole(f.ctx, f.actor, ws, f.roles["Member"].ID, models.RoleInput{Name: "Crew", Permissions: []models.Permission{}}); err != nil {
			t.Fatal(err)
		}
		check("after a role renamed on the other replica")

		if _, err := s.UpdateMember(f.ctx, f.actor, ws, ids[2], models.UpdateInput{RoleIDs: []string{f.roles["Admin"].ID}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		check("after a member's roles changed")

		admin, _, err := s.Membership(f.ctx, ws.ID, f.adminA.ID)
		if err != nil {
			t.Fatal(err)
		}
		token, err := s.ChangeToken(f.ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour) // seen again, not just now
		if err := other.TouchMember(f.ctx, admin); err != nil {
			t.Fatal(err)
		}
		check("after the admin was seen")
		// Kept again under the new "seen" count: seen once more, on this
		// replica this time.
		f.clock.Add(time.Hour)
		if err := s.TouchMember(f.ctx, admin); err != nil {
			t.Fatal(err)
		}
		check("after the admin was seen again")
		// Being seen moves no open page's change token (no table reloads).
		if after, err := s.ChangeToken(f.ctx, ws.ID); err != nil || after != token {
			t.Fatalf("change token %s before members were seen, %s after (%v)", token, after, err)
		}

		if _, err := other.ResendInvite(f.ctx, f.actor, ws, ids[3]); err != nil {
			t.Fatal(err)
		}
		check("after an invitation resent")

		// The invitation emails fail for good.
		msgs, err := other.ClaimOutbox(f.ctx, 100, time.Hour)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("claim outbox: %d, %v", len(msgs), err)
		}
		for _, m := range msgs {
			if err := other.MarkOutboxFailed(f.ctx, m.ID, "550 no such user", nil); err != nil {
				t.Fatal(err)
			}
		}
		check("after invitation emails failed")

		f.clock.Add(30 * 24 * time.Hour)
		check("after the invitations expired")

		if _, err := other.RevokeInvite(f.ctx, f.actor, ws, ids[4]); err != nil {
			t.Fatal(err)
		}
		f.invite(t, "Aaron Lovelace", "aaron@example.com", "Admin")
		check("after a revocation and a new member")
	})
}

// TestMemberPageCacheSeenConcurrently: 100 members seen at once, half
// through each of two replicas, each move the "seen" counter
// (workspace_seen) and none the change token: every kept view then shows
// each member's new last-seen time, as a page read afresh does.
func TestMemberPageCacheSeenConcurrently(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		other := modelstest.Replica(t, s)
		fresh := modelstest.Replica(t, s)
		fresh.NoMemberPageCache = true
		if err := s.SeedDemo(f.ctx, f.ws.ID, 100, 1); err != nil {
			t.Fatal(err)
		}
		views := []models.MemberQuery{{Limit: 200}, {Limit: 50}, {Limit: 50, Sort: "email", Desc: true}}
		dump := func(store *models.Store, q models.MemberQuery) string {
			t.Helper()
			p, err := store.ListMembers(f.ctx, f.ws.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(p)
			return string(b)
		}
		for _, q := range views {
			dump(s, q) // kept
			dump(other, q)
		}
		all, err := fresh.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{Limit: 200})
		if err != nil || len(all.Members) < 100 {
			t.Fatalf("%d members, %v", len(all.Members), err)
		}
		token, err := s.ChangeToken(f.ctx, f.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
		var wg sync.WaitGroup
		errs := make(chan error, len(all.Members))
		for i, m := range all.Members[:100] {
			store := s
			if i%2 == 1 {
				store = other
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- store.TouchMember(f.ctx, m)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, store := range []*models.Store{s, other} {
			for _, q := range views {
				if got, want := dump(store, q), dump(fresh, q); got != want {
					t.Fatalf("view %+v:\n kept  %s\n fresh %s", q, got, want)
				}
			}
		}
		if after, err := s.ChangeToken(f.ctx, f.ws.ID); err != nil || after != token {
			t.Fatalf("change token %s before members were seen, %s after (%v)", token, after, err)
		}
	})
}
