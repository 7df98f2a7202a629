package models_test

import (
	"encoding/json"
	"strconv"
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
		f.clock.Add(time.Hour) // seen again, not just now
		if err := other.TouchMember(f.ctx, admin); err != nil {
			t.Fatal(err)
		}
		check("after the admin was seen")

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
