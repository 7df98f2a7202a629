package models_test

import (
	"encoding/json"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMembersPageKeptRolesAndSoleAdmin: the roles and sole active Admin a
// members page keeps under the change counter it read
// (members_page_kept.go) are what a fresh read gives, after each change
// made on the other replica: a role created and renamed, a second active
// Admin, that Admin deactivated.
func TestMembersPageKeptRolesAndSoleAdmin(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		other := modelstest.Replica(t, s)
		ws := f.ws
		if err := s.SeedDemo(f.ctx, ws.ID, 20, 1); err != nil {
			t.Fatal(err)
		}
		check := func(step string) {
			t.Helper()
			for range 2 { // the second read is the kept one
				page, err := s.ListMembers(f.ctx, ws.ID, models.MemberQuery{})
				if err != nil {
					t.Fatal(err)
				}
				if page.Changes < 0 {
					t.Fatalf("%s: the page read no change counter", step)
				}
				if tok, err := s.ChangeToken(f.ctx, ws.ID); err != nil || tok != itoa(page.Changes) {
					t.Fatalf("%s: page read under %d, change token %s (%v)", step, page.Changes, tok, err)
				}
				roles, err := s.RolesAt(f.ctx, ws.ID, page.Changes)
				if err != nil {
					t.Fatal(err)
				}
				want, err := s.Roles(f.ctx, ws.ID)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := dumpJSON(roles), dumpJSON(want); g != w {
					t.Fatalf("%s: kept roles\n %s\nfresh\n %s", step, g, w)
				}
				sole, err := s.SoleActiveAdminAt(f.ctx, ws.ID, page.Changes)
				if err != nil {
					t.Fatal(err)
				}
				if w, err := s.SoleActiveAdmin(f.ctx, ws.ID); err != nil || sole != w {
					t.Fatalf("%s: kept sole Admin %q, fresh %q (%v)", step, sole, w, err)
				}
			}
		}
		check("at first")
		if sole, _ := s.SoleActiveAdminAt(f.ctx, ws.ID, 0); sole != f.admin.ID {
			t.Fatalf("sole Admin %q, want %q", sole, f.admin.ID)
		}

		role, err := other.CreateRole(f.ctx, f.actor, ws, models.RoleInput{Name: "Auditor", Permissions: []models.Permission{}})
		if err != nil {
			t.Fatal(err)
		}
		check("after a role was created on the other replica")
		if _, err := other.UpdateRole(f.ctx, f.actor, ws, role.ID, models.RoleInput{Name: "Zed Auditor", Permissions: []models.Permission{}}); err != nil {
			t.Fatal(err)
		}
		check("after a role was renamed on the other replica")

		active, err := s.ListMembers(f.ctx, ws.ID, models.MemberQuery{Status: models.StatusActive, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var second *models.Member
		for _, m := range active.Members {
			if m.ID != f.admin.ID {
				second = m
				break
			}
		}
		if second == nil {
			t.Fatal("no other active member")
		}
		if _, err := other.UpdateMember(f.ctx, f.actor, ws, second.ID, models.UpdateInput{RoleIDs: []string{f.roles["Admin"].ID}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		check("after a second active Admin on the other replica")
		if _, err := other.Deactivate(f.ctx, f.actor, ws, second.ID); err != nil {
			t.Fatal(err)
		}
		check("after the second Admin was deactivated on the other replica")
	})
}

func dumpJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
