package models_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// searchCounts is how many of texts are a search's count.
func searchCounts(texts []string) int {
	n := 0
	for _, q := range texts {
		if strings.Contains(q, "AS capped") {
			n++
		}
	}
	return n
}

// TestSearchCountCache: a search's count is made once while nothing in the
// workspace changes (other sorts and pages of the same search reuse it),
// and any change, on either replica, is counted on the next view: a new
// match, a deactivation (status filter), a role change (role filter).
func TestSearchCountCache(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		b := modelstest.Replica(t, s)
		counter := &lookupCounter{}
		s.AddQueryHook(counter)
		var ids []string
		for i := range 5 {
			m, _ := f.invite(t, "Hopper "+strconv.Itoa(i), "hopper"+strconv.Itoa(i)+"@example.com", "Member")
			ids = append(ids, m.ID)
		}
		total := func(q models.MemberQuery) int {
			t.Helper()
			pg, err := s.ListMembers(f.ctx, f.ws.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			return pg.Total
		}
		search := models.MemberQuery{Search: "hopper"}
		if n := total(search); n != 5 {
			t.Fatalf("search: %d, want 5", n)
		}
		counter.take()
		for _, q := range []models.MemberQuery{search, {Search: "hopper", Sort: "email", Desc: true}, {Search: "hopper", Limit: 2}} {
			if n := total(q); n != 5 {
				t.Fatalf("%+v: %d, want 5", q, n)
			}
		}
		if n := searchCounts(counter.take()); n != 0 {
			t.Errorf("the same search counted %d more times", n)
		}
		// A new match through the other replica.
		if _, _, err := b.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Hopper 5", Email: "hopper5@example.com", RoleID: f.roles["Member"].ID}); err != nil {
			t.Fatal(err)
		}
		if n := total(search); n != 6 {
			t.Errorf("after an invitation on the other replica: %d, want 6", n)
		}
		// Status and role filters.
		invited := models.MemberQuery{Search: "hopper", Status: models.StatusInvited}
		admins := models.MemberQuery{Search: "hopper", RoleID: f.roles["Admin"].ID}
		if n, m := total(invited), total(admins); n != 6 || m != 0 {
			t.Fatalf("invited %d, admins %d; want 6, 0", n, m)
		}
		if _, err := b.UpdateMember(f.ctx, f.actor, f.ws, ids[0], models.UpdateInput{RoleIDs: []string{f.roles["Admin"].ID}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		if m := total(admins); m != 1 {
			t.Errorf("after a role change on the other replica: admins %d, want 1", m)
		}
		if _, err := b.RevokeInvite(f.ctx, f.actor, f.ws, ids[1]); err != nil {
			t.Fatal(err)
		}
		if n := total(invited); n != 5 {
			t.Errorf("after a revoke on the other replica: invited %d, want 5", n)
		}
	})
}
