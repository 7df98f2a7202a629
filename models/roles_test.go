package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func fieldError(err error, field string) string {
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return verr.Fields[field]
	}
	return ""
}

func TestRoleRules(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		admin := f.actor.WithPerms(models.PermissionSet{}) // filled below
		for _, p := range models.AllPermissions() {
			admin.Perms[p] = true
		}
		cs, err := s.CreateRole(f.ctx, admin, f.ws, models.RoleInput{Name: " Customer  Success ", Description: "Helps customers",
			Permissions: []models.Permission{models.PermInviteMembers, models.PermViewMembers, models.PermViewMembers}})
		if err != nil || cs.Name != "Customer Success" || cs.Permissions != "members.view members.invite" {
			t.Fatalf("create: %+v %v", cs, err)
		}
		if _, err := s.CreateRole(f.ctx, admin, f.ws, models.RoleInput{Name: "customer success"}); fieldError(err, "name") == "" {
			t.Errorf("duplicate name (any case): %v", err)
		}
		if _, err := s.CreateRole(f.ctx, admin, f.ws, models.RoleInput{Name: "X", Permissions: []models.Permission{"root"}}); fieldError(err, "permissions") == "" {
			t.Errorf("unknown permission: %v", err)
		}

		// Admin keeps its name and every permission.
		adminRole := f.roles["Admin"]
		r, err := s.UpdateRole(f.ctx, admin, f.ws, adminRole.ID, models.RoleInput{Name: "Boss", Description: "Runs it", Permissions: nil})
		if err != nil || r.Name != "Admin" || len(r.PermissionList()) != len(models.Catalog) || r.Description != "Runs it" {
			t.Errorf("admin update: %+v %v", r, err)
		}
		if _, _, err := s.DeleteRole(f.ctx, admin, f.ws, adminRole.ID, ""); conflictCode(err) != models.ConflictState {
			t.Errorf("delete Admin: %v", err)
		}

		// No self-escalation: a Customer Success member cannot grant or
		// give what they lack.
		csActor := models.Actor{Kind: "member", ID: "x", Name: "Carla", Perms: models.PermissionSet{models.PermViewMembers: true, models.PermInviteMembers: true}}
		if _, err := s.CreateRole(f.ctx, csActor, f.ws, models.RoleInput{Name: "Auditors", Permissions: []models.Permission{models.PermViewAudit}}); !strings.Contains(fieldError(err, "permissions"), "View audit log") {
			t.Errorf("escalating role: %v", err)
		}
		if _, _, err := s.Invite(f.ctx, csActor, f.ws, models.InviteInput{Name: "Eve", Email: "eve@example.com", RoleID: adminRole.ID}); fieldError(err, "role") == "" {
			t.Errorf("inviting an Admin without holding Admin's permissions: %v", err)
		}
		if _, _, err := s.Invite(f.ctx, csActor, f.ws, models.InviteInput{Name: "Sam", Email: "sam@example.com", RoleID: cs.ID}); err != nil {
			t.Errorf("inviting with a role one holds: %v", err)
		}
		if _, err := s.UpdateRole(f.ctx, csActor, f.ws, adminRole.ID, models.RoleInput{Description: "mine"}); err == nil {
			t.Error("a Customer Success member edited the Admin role")
		}

		// Delete a role in use: its members must move first.
		m, _ := f.invite(t, "Grace", "grace@example.com", "Member")
		if _, err := s.UpdateMember(f.ctx, admin, f.ws, m.ID, models.UpdateInput{Name: "Grace", RoleIDs: []string{cs.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DeleteRole(f.ctx, admin, f.ws, cs.ID, ""); fieldError(err, "move_to") == "" {
			t.Errorf("delete in use without a target: %v", err)
		}
		_, moved, err := s.DeleteRole(f.ctx, admin, f.ws, cs.ID, f.roles["Member"].ID)
		if err != nil || moved != 2 {
			t.Fatalf("delete with reassignment: moved %d, %v", moved, err)
		}
		got, _ := s.MemberByID(f.ctx, f.ws.ID, m.ID)
		if len(got.Roles) != 1 || got.Roles[0].Name != "Member" {
			t.Errorf("after delete Grace holds %+v", got.Roles)
		}
		sums, _ := s.RoleSummaries(f.ctx, f.ws.ID)
		if len(sums) != 2 || sums[0].Members != 1 || sums[1].Members != 2 {
			t.Errorf("summaries = %+v", sums)
		}
	})
}

func TestWorkspaceSettingsAndAuditLog(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		if _, err := s.UpdateWorkspace(f.ctx, f.actor, f.ws, models.SettingsInput{Name: "", Slug: "Bad Slug", InviteExpiryHours: 0, InvitesPerHour: 0}); err == nil {
			t.Fatal("bad settings accepted")
		} else {
			for _, field := range []string{"name", "slug", "invite_expiry", "invites_per_hour"} {
				if fieldError(err, field) == "" {
					t.Errorf("no message for %s: %v", field, err)
				}
			}
		}
		ws, err := s.UpdateWorkspace(f.ctx, f.actor, f.ws, models.SettingsInput{Name: "Acme Robotics", Slug: "acme-robotics", InviteExpiryHours: 48, InvitesPerHour: 10})
		if err != nil || ws.Slug != "acme-robotics" {
			t.Fatalf("update: %v", err)
		}
		if got, _ := s.WorkspaceBySlug(f.ctx, "acme-robotics"); got == nil || got.InvitesPerHour != 10 {
			t.Error("settings not stored")
		}
		// Invitations now last 48 hours.
		f.ws = ws
		m, _ := f.invite(t, "Grace", "grace@example.com", "Member")
		got, _ := s.MemberByID(f.ctx, ws.ID, m.ID)
		if h := got.Invite.ExpiresAt.Sub(got.Invite.CreatedAt).Hours(); h != 48 {
			t.Errorf("invite lasts %v hours", h)
		}

		// The audit log pages newest first and filters.
		for i := 0; i < 5; i++ {
			f.invite(t, "P", string(rune('a'+i))+"@example.com", "Member")
		}
		all, err := s.ListAudit(f.ctx, ws.ID, models.AuditQuery{Limit: 4})
		if err != nil || len(all.Events) != 4 || all.Next == "" || all.Events[0].Action != "member.invited" {
			t.Fatalf("page 1: %+v %v", all, err)
		}
		rest, _ := s.ListAudit(f.ctx, ws.ID, models.AuditQuery{Limit: 100, Before: all.Next})
		// created, joined, updated, six invitations: nine in all.
		if len(rest.Events) != 9-4 || rest.Next != "" {
			t.Errorf("page 2 has %d events", len(rest.Events))
		}
		only, _ := s.ListAudit(f.ctx, ws.ID, models.AuditQuery{Action: "workspace.updated"})
		if len(only.Events) != 1 {
			t.Fatalf("action filter: %d", len(only.Events))
		}
		changes := only.Events[0].ChangeList()
		if len(changes) != 4 || changes[0].Field != "invite expiry hours" || changes[0].Before != "168" || changes[0].After != "48" {
			t.Errorf("changes = %+v", changes)
		}
		grace, _ := s.ListAudit(f.ctx, ws.ID, models.AuditQuery{Target: "GRAC"})
		if len(grace.Events) != 1 {
			t.Errorf("target filter: %d", len(grace.Events))
		}
		actors, actions, err := s.AuditFilters(f.ctx, ws.ID)
		if err != nil || len(actors) != 1 || actors[0].Name != "Ada Lovelace" || len(actions) < 3 {
			t.Errorf("filters: %+v %v %v", actors, actions, err)
		}
	})
}
