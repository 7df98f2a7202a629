package models_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMemberDetails: where each member came from (a person, an import, an
// identity provider, single sign-on, founding the workspace), their status
// history newest first, the directory fields from the stored SCIM User and
// a manager found by id or externalId, and the audit history's limit.
func TestMemberDetails(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		details := func(id string, limit int) *models.MemberDetails {
			t.Helper()
			m, err := s.MemberByID(f.ctx, f.ws.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.MemberDetails(f.ctx, m, limit)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}

		// The founder.
		if d := details(f.admin.ID, 10); d.Source.Kind != models.SourceFounder || d.Source.ActorName != "Ada Lovelace" {
			t.Errorf("Ada's source = %+v", d.Source)
		}

		// Invited by a person, accepted, deactivated, reactivated.
		grace, token := f.invite(t, "Grace Hopper", "grace@example.com", "Member")
		f.clock.Add(time.Hour)
		if _, _, err := s.AcceptInvite(f.ctx, token, models.AcceptInput{Name: "Grace Hopper", Password: "a long enough password"}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
		if _, err := s.Reactivate(f.ctx, f.actor, f.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		// An edit is history of another kind: in the events, not the status.
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, grace.ID, models.UpdateInput{RoleIDs: []string{f.roles["Admin"].ID}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		d := details(grace.ID, 10)
		if d.Source.Kind != models.SourceInvited || d.Source.ActorName != "Ada Lovelace" || d.Source.ActorKind != "member" || !d.Source.At.Equal(modelstest.Epoch) {
			t.Errorf("Grace's source = %+v", d.Source)
		}
		var got []string
		for _, e := range d.History {
			got = append(got, e.Action)
		}
		if want := "[member.reactivated member.deactivated invite.accepted member.invited]"; fmt.Sprint(got) != want {
			t.Errorf("Grace's history = %v, want %s", got, want)
		}
		if len(d.Events) != 5 || d.Events[0].Action != "member.updated" || d.More {
			t.Errorf("Grace's events = %d, first %q, more %v", len(d.Events), d.Events[0].Action, d.More)
		}
		if d := details(grace.ID, 2); len(d.Events) != 2 || !d.More || d.Events[1].Action != "member.reactivated" {
			t.Errorf("limited to 2: %d events, more %v", len(d.Events), d.More)
		}
		if d := details(grace.ID, 0); len(d.Events) != 0 || len(d.History) != 4 {
			t.Errorf("no events asked for: %d events, %d history", len(d.Events), len(d.History))
		}

		// Invited by an import; someone the same import found already
		// invited keeps their own source.
		pending, _ := f.invite(t, "Pending Person", "pending@example.com", "Member")
		p, err := s.PreviewImport(f.ctx, f.actor, f.ws, "team.csv", []models.ImportInput{
			{Line: 2, Email: "imported@example.com", Name: "Imported Person"},
			{Line: 3, Email: "pending@example.com", Name: "Pending Person"},
		}, f.roles["Member"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartImport(f.ctx, f.actor, f.ws, p.Import.ID, true, false); err != nil {
			t.Fatal(err)
		}
		runImport(t, f, p.Import.ID, 100)
		var imported models.Member
		if err := s.DB().NewSelect().Model(&imported).Where("workspace_id = ? AND email = ?", f.ws.ID, "imported@example.com").Scan(f.ctx); err != nil {
			t.Fatal(err)
		}
		if d := details(imported.ID, 10); d.Source.Kind != models.SourceImport || d.Source.Import != "team.csv" || d.Source.ActorName != "Ada Lovelace" {
			t.Errorf("imported source = %+v", d.Source)
		}
		if d := details(pending.ID, 10); d.Source.Kind != models.SourceInvited {
			t.Errorf("resent by an import, invited by a person: source = %+v", d.Source)
		}

		// Provisioned by a SCIM token, with directory fields and a manager
		// (Grace, by id); then one whose manager is named by externalId.
		_, tok, err := s.CreateSCIMToken(f.ctx, f.actor, f.ws, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		okta := tok.Actor()
		okta.Perms = nil // as a token made from the shell: no owner, no limit
		ext := "okta-grace"
		if _, err := s.ChangeSCIMUser(f.ctx, okta, f.ws, grace.ID, 0, func(u *models.SCIMUser) error {
			u.ExternalID = &ext
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		attrs := map[string]any{
			"title":        "Engineer",
			"phoneNumbers": []any{map[string]any{"value": "+1 555 0101", "type": "mobile"}, map[string]any{"value": "+1 555 0100", "type": "work"}},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "701", "department": "Compilers", "manager": map[string]any{"value": grace.ID, "displayName": "G. Hopper"}},
		}
		linus, err := s.CreateSCIMUser(f.ctx, okta, f.ws, models.SCIMUser{UserName: "linus", Email: "linus@example.com", DisplayName: "Linus T",
			Title: "Engineer", EmployeeNumber: "701", Department: "Compilers", ManagerID: grace.ID, Active: true, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		d = details(linus.ID, 10)
		if d.Source.Kind != models.SourceSCIM || d.Source.ActorKind != "scim_token" || d.Source.ActorName != "Okta" {
			t.Errorf("provisioned source = %+v", d.Source)
		}
		dir := d.Directory
		if dir.Title != "Engineer" || dir.Department != "Compilers" || dir.EmployeeNumber != "701" || dir.Phone != "+1 555 0100" ||
			dir.Manager == nil || dir.Manager.ID != grace.ID || dir.ManagerName != "Grace Hopper" {
			t.Errorf("directory = %+v", dir)
		}
		attrs["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"manager": map[string]any{"value": "okta-grace"}}
		attrs["phoneNumbers"] = []any{map[string]any{"value": "+1 555 0199", "type": "mobile", "primary": true}, map[string]any{"value": "+1 555 0100", "type": "work"}}
		ken, err := s.CreateSCIMUser(f.ctx, okta, f.ws, models.SCIMUser{UserName: "ken", Email: "ken@example.com", ManagerID: "okta-grace", Active: true, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		if dir := details(ken.ID, 10).Directory; dir.Manager == nil || dir.Manager.ID != grace.ID || dir.Phone != "+1 555 0199" {
			t.Errorf("manager by externalId, primary phone: %+v", dir)
		}
		// A manager who is nobody here is named as sent, without a link.
		attrs["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"manager": map[string]any{"value": "elsewhere", "displayName": "Someone Else"}}
		dmr, err := s.CreateSCIMUser(f.ctx, okta, f.ws, models.SCIMUser{UserName: "dmr", Email: "dmr@example.com", ManagerID: "elsewhere", Active: true, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		if dir := details(dmr.ID, 10).Directory; dir.Manager != nil || dir.ManagerName != "Someone Else" {
			t.Errorf("unknown manager: %+v", dir)
		}
		if dir := details(grace.ID, 10).Directory; !dir.Empty() {
			t.Errorf("a member without directory fields: %+v", dir)
		}

		// Joined through single sign-on just in time: the event says so.
		joined, _ := f.invite(t, "Jit Person", "jit@example.com", "Member")
		ev := &models.AuditEvent{ID: "00000000-0000-7000-8000-000000000001", WorkspaceID: f.ws.ID, ActorKind: "member", ActorID: &joined.ID,
			ActorName: "Jit Person", Action: "sso.jit_joined", TargetKind: "member", TargetID: &joined.ID, TargetName: "Jit Person", Changes: "{}", CreatedAt: modelstest.Epoch}
		if _, err := s.DB().NewInsert().Model(ev).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if d := details(joined.ID, 10); d.Source.Kind != models.SourceSSO {
			t.Errorf("jit source = %+v", d.Source)
		}
	})
}

// TestUpdateMemberRolesOnly: the member page's Role form changes the roles
// and nothing else, replaces several roles with the one chosen, and keeps
// every rule of the Edit dialog: a bad role is a validation error, the
// last active Admin keeps the role, nobody gives a role they could not.
func TestUpdateMemberRolesOnly(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		m, _ := f.invite(t, "Grace Hopper", "grace@example.com", "Member")
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, models.UpdateInput{Name: "Grace Hopper", Location: "Berlin",
			RoleIDs: []string{f.roles["Member"].ID, f.roles["Admin"].ID}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, models.UpdateInput{RoleIDs: []string{f.roles["Member"].ID}, RolesOnly: true})
		if err != nil || len(got.Roles) != 1 || got.Roles[0].Name != "Member" || got.DisplayName != "Grace Hopper" || got.Location != "Berlin" {
			t.Fatalf("roles only = %+v, %v", got, err)
		}
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, models.UpdateInput{RoleIDs: []string{"no-such-role"}, RolesOnly: true}); fieldError(err, "role") == "" {
			t.Errorf("unknown role: %v", err)
		}
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, models.UpdateInput{RolesOnly: true}); fieldError(err, "role") == "" {
			t.Errorf("no role: %v", err)
		}
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, f.admin.ID, models.UpdateInput{RoleIDs: []string{f.roles["Member"].ID}, RolesOnly: true}); conflictCode(err) != models.ConflictLastAdmin {
			t.Errorf("the last active Admin stepping down: %v", err)
		}
		weak := f.actor.WithPerms(models.PermissionSet{models.PermViewMembers: true, models.PermEditMembers: true})
		if _, err := s.UpdateMember(f.ctx, weak, f.ws, m.ID, models.UpdateInput{RoleIDs: []string{f.roles["Admin"].ID}, RolesOnly: true}); fieldError(err, "role") == "" {
			t.Errorf("someone who may only edit gave the Admin role: %v", err)
		}
		if got, _ := s.MemberByID(f.ctx, f.ws.ID, m.ID); len(got.Roles) != 1 || got.Roles[0].Name != "Member" {
			t.Errorf("after refusals: %+v", got.Roles)
		}
	})
}
