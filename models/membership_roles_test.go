package models_test

import (
	"context"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMembershipRolesFollowChanges: Membership keeps a member's roles
// under the workspace's change counter (membership_roles.go); a role
// given, a role's permissions changed, a role taken away, each on another
// replica, shows in the very next Membership here.
func TestMembershipRolesFollowChanges(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		admin, _, err := s.Membership(ctx, ws.ID, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		actor := models.MemberActor(admin)
		other := modelstest.Replica(t, s)
		role, err := other.CreateRole(ctx, actor, ws, models.RoleInput{Name: "Helpers", Permissions: []models.Permission{models.PermViewMembers}})
		if err != nil {
			t.Fatal(err)
		}
		roles, err := s.Roles(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		memberRole := ""
		for _, r := range roles {
			if r.Name == "Member" {
				memberRole = r.ID
			}
		}
		grace, token, err := s.Invite(ctx, actor, ws, models.InviteInput{Name: "Grace", Email: "grace@example.com", RoleID: memberRole})
		if err != nil {
			t.Fatal(err)
		}
		graceAcc, _, err := s.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		perms := func(when string) models.PermissionSet {
			t.Helper()
			var ps models.PermissionSet
			for range 2 { // the second read is the kept one
				if _, ps, err = s.Membership(ctx, ws.ID, graceAcc.ID); err != nil {
					t.Fatal(err)
				}
			}
			m, _, err := s.Membership(ctx, ws.ID, graceAcc.ID)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := other.MemberByID(ctx, ws.ID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Roles) != len(fresh.Roles) {
				t.Errorf("%s: %d roles kept, %d in the database", when, len(m.Roles), len(fresh.Roles))
			}
			return ps
		}
		if ps := perms("at first"); !ps.Has(models.PermViewMembers) || ps.Has(models.PermInviteMembers) {
			t.Fatalf("a Member's permissions: %v", ps)
		}
		// Helpers given to her as well, on the other replica.
		if _, err := other.UpdateMember(ctx, actor, ws, grace.ID, models.UpdateInput{RoleIDs: []string{memberRole, role.ID}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		perms("a role given")
		// Helpers may now invite: a role's permissions changed.
		if _, err := other.UpdateRole(ctx, actor, ws, role.ID, models.RoleInput{Name: "Helpers",
			Permissions: []models.Permission{models.PermViewMembers, models.PermInviteMembers}}); err != nil {
			t.Fatal(err)
		}
		if ps := perms("a role's permissions changed"); !ps.Has(models.PermInviteMembers) {
			t.Errorf("a role given the right to invite on another replica: Membership does not grant it")
		}
		// Helpers taken away.
		if _, err := other.UpdateMember(ctx, actor, ws, grace.ID, models.UpdateInput{RoleIDs: []string{memberRole}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		if ps := perms("a role taken away"); ps.Has(models.PermInviteMembers) {
			t.Errorf("a role taken away on another replica: Membership still grants members.invite")
		}
	})
}
