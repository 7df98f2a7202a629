package models_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func roleNamesOfMember(m *models.Member) []string {
	var names []string
	for _, r := range m.Roles {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// A role name an identity provider sends that no role has becomes a role
// without permissions, once, audited; names match roles case-insensitively
// on both databases, accents included.
func TestSCIMUnknownRolesAreCreated(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		if _, err := s.CreateRole(f.ctx, f.actor, f.ws, models.RoleInput{Name: "Équipe", Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
			t.Fatal(err)
		}
		m, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "eng@example.com", Active: true,
			Roles: []string{"Engineer", "engineer", " ENGINEER ", "équipe"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := roleNamesOfMember(m); !slices.Equal(got, []string{"Engineer", "Équipe"}) {
			t.Fatalf("roles %v", got)
		}
		roles, _ := s.Roles(f.ctx, f.ws.ID)
		var eng *models.Role
		for i, r := range roles {
			if strings.EqualFold(r.Name, "engineer") {
				if eng != nil {
					t.Fatalf("two Engineer roles")
				}
				eng = &roles[i]
			}
		}
		if eng == nil || eng.Permissions != "" || eng.Builtin != "" || eng.Description == "" {
			t.Fatalf("Engineer: %+v", eng)
		}
		evs, _ := s.ListAudit(f.ctx, f.ws.ID, models.AuditQuery{Action: "role.created"})
		if len(evs.Events) != 2 || evs.Events[0].TargetName != "Engineer" || evs.Events[0].ActorKind != "scim_token" {
			t.Fatalf("role.created events: %+v", evs.Events)
		}
		// A change naming it again, in another case, reuses it; a new name
		// is created inside the same change, which also applies the rest.
		m, err = s.ChangeSCIMUser(f.ctx, scimActor, f.ws, m.ID, 0, func(u *models.SCIMUser) error {
			u.Title = "Staff"
			u.Roles = []string{"ENGINEER", "Designer"}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := roleNamesOfMember(m); !slices.Equal(got, []string{"Designer", "Engineer"}) || m.Title != "Staff" {
			t.Errorf("after change: %v %q", got, m.Title)
		}
		// A refused change creates nothing.
		before, _ := s.Roles(f.ctx, f.ws.ID)
		_, err = s.ChangeSCIMUser(f.ctx, scimActor, f.ws, m.ID, 0, func(u *models.SCIMUser) error {
			u.Roles = []string{"Ghost"}
			u.Email = "not an email"
			return nil
		})
		if err == nil {
			t.Fatal("a bad email was accepted")
		}
		if after, _ := s.Roles(f.ctx, f.ws.ID); len(after) != len(before) {
			t.Errorf("roles %d → %d after a refused change", len(before), len(after))
		}
		// Names are role names: too long or invisible text is refused.
		for _, bad := range []string{strings.Repeat("x", models.MaxRoleName+1), "Eng\u200bineer"} {
			if _, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "bad@example.com", Active: true, Roles: []string{bad}}); fieldError(err, "roles") == "" {
				t.Errorf("role %q: %v", bad[:8], err)
			}
		}
		// The browser's role dialog takes names as long as a pushed group's.
		long := strings.Repeat("r", models.MaxRoleName)
		if _, err := s.CreateRole(f.ctx, f.actor, f.ws, models.RoleInput{Name: long}); err != nil {
			t.Errorf("a %d-character role: %v", models.MaxRoleName, err)
		}
	})
}

// Groups in a SCIM User (Okta's custom apps) add memberships by role id;
// unknown ids are skipped.
func TestSCIMUserGroupIDs(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		ops, err := s.CreateRole(f.ctx, f.actor, f.ws, models.RoleInput{Name: "Ops"})
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "g@example.com", Active: true,
			GroupIDs: []string{ops.ID, "0196f0e0-0000-7000-8000-00000000beef", "a\x00b"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := roleNamesOfMember(m); !slices.Equal(got, []string{"Member", "Ops"}) {
			t.Errorf("roles %v", got)
		}
		m, err = s.ChangeSCIMUser(f.ctx, scimActor, f.ws, m.ID, 0, func(u *models.SCIMUser) error {
			u.Roles, u.GroupIDs = []string{"Member"}, []string{f.roles["Admin"].ID}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := roleNamesOfMember(m); !slices.Equal(got, []string{"Admin", "Member"}) {
			t.Errorf("roles after change %v", got)
		}
	})
}
