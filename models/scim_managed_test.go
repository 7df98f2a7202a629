package models_test

import (
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestUpdateMemberKeepsWhatTheIdPOwns: a SCIM-managed member's name and
// location belong to the identity provider, so the Edit dialog's operation
// refuses to change them (its next push would undo the change anyway), while
// roles stay editable and sending the same values back is no change.
func TestUpdateMemberKeepsWhatTheIdPOwns(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		m, _ := f.invite(t, "Grace Hopper", "grace@example.com", "Member")
		if _, err := s.DB().NewUpdate().Model((*models.Member)(nil)).Set("scim_managed = ?", true).Where("id = ?", m.ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		member, admin := f.roles["Member"].ID, f.roles["Admin"].ID

		for _, tc := range []struct {
			field string
			in    models.UpdateInput
		}{
			{"name", models.UpdateInput{Name: "Grace Brewster Hopper", RoleIDs: []string{member}, Location: "Berlin"}},
			{"location", models.UpdateInput{Name: "Grace Hopper", RoleIDs: []string{member}, Location: "Arlington"}},
		} {
			_, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, tc.in)
			if msg := fieldError(err, tc.field); !strings.Contains(msg, "identity provider") {
				t.Errorf("changing the %s of a SCIM-managed member: %v", tc.field, err)
			}
		}
		got, _ := s.MemberByID(f.ctx, f.ws.ID, m.ID)
		if got.DisplayName != "Grace Hopper" || got.Location != "Berlin" || got.Version != m.Version {
			t.Fatalf("refused changes were written: %+v", got)
		}

		// The same name and location (white space aside) with other roles: the roles change.
		updated, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, models.UpdateInput{Name: " Grace  Hopper ", RoleIDs: []string{member, admin}, Location: "Berlin"})
		if err != nil {
			t.Fatalf("roles of a SCIM-managed member: %v", err)
		}
		if len(updated.Roles) != 2 || updated.DisplayName != "Grace Hopper" {
			t.Errorf("updated = %+v", updated)
		}
		evs, _ := s.ListAudit(f.ctx, f.ws.ID, models.AuditQuery{Action: "member.updated"})
		if len(evs.Events) != 1 {
			t.Fatalf("%d member.updated events", len(evs.Events))
		}
		if ch := evs.Events[0].ChangeList(); len(ch) != 1 || ch[0].Field != "roles" {
			t.Errorf("audited changes = %+v", ch)
		}

		// A member Muster manages itself can be renamed as before.
		ann, _ := f.invite(t, "Ann", "ann@example.com", "Member")
		if u, err := s.UpdateMember(f.ctx, f.actor, f.ws, ann.ID, models.UpdateInput{Name: "Ann Lee", RoleIDs: []string{member}, Location: "Oslo"}); err != nil || u.DisplayName != "Ann Lee" || u.Location != "Oslo" {
			t.Errorf("ordinary member: %+v %v", u, err)
		}
	})
}

// TestSCIMInvitesSetting: the workspace setting starts on, is changed and
// audited by UpdateWorkspace, and a caller that leaves it out keeps it.
func TestSCIMInvitesSetting(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		if !f.ws.SCIMInvites {
			t.Fatal("a new workspace sends no invitations to SCIM-created members")
		}
		off := false
		in := models.SettingsInput{Name: f.ws.Name, Slug: f.ws.Slug, InviteExpiryHours: f.ws.InviteExpiryHours, InvitesPerHour: f.ws.InvitesPerHour, SCIMInvites: &off}
		ws, err := s.UpdateWorkspace(f.ctx, f.actor, f.ws, in)
		if err != nil || ws.SCIMInvites {
			t.Fatalf("turn off: %+v %v", ws, err)
		}
		if stored, _ := s.WorkspaceBySlug(f.ctx, ws.Slug); stored.SCIMInvites {
			t.Error("setting not stored")
		}
		evs, _ := s.ListAudit(f.ctx, ws.ID, models.AuditQuery{Action: "workspace.updated"})
		if len(evs.Events) != 1 {
			t.Fatalf("%d workspace.updated events", len(evs.Events))
		}
		if ch := evs.Events[0].ChangeList(); len(ch) != 1 || ch[0].Field != "scim invites" || ch[0].Before != "true" || ch[0].After != "false" {
			t.Errorf("audited changes = %+v", ch)
		}
		// Left out (nil), it stays as it is.
		in.SCIMInvites, in.Name = nil, "Acme Robotics"
		if ws, err = s.UpdateWorkspace(f.ctx, f.actor, ws, in); err != nil || ws.SCIMInvites {
			t.Errorf("rename turned SCIM invitations back on: %+v %v", ws, err)
		}
	})
}
