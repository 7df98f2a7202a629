package models_test

import (
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// Nobody hands out, takes away or restores powers they do not hold, by any
// path: a copied invite link, a resend, deactivating, reactivating,
// removing, or an import.
func TestNoEscalationByAnyPath(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		newAdmin, _ := f.invite(t, "New Admin", "new.admin@example.com", "Admin")
		inviter := models.Actor{Kind: "member", ID: "inviter", Name: "Ivy", Perms: models.PermissionSet{
			models.PermViewMembers: true, models.PermInviteMembers: true, models.PermRemoveMembers: true}}
		if _, _, err := s.NewInviteLink(f.ctx, inviter, f.ws, newAdmin.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("copying an Admin's invite link: %v", err)
		}
		if _, err := s.ResendInvite(f.ctx, inviter, f.ws, newAdmin.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("resending an Admin's invitation: %v", err)
		}
		// A second admin, so the last-admin rule is not what refuses.
		acc, _ := s.CreateAccount(f.ctx, "Second", "second@example.com", "a long enough password")
		_, tok := f.invite(t, "Second", "second@example.com", "Admin")
		if _, _, err := s.AcceptInvite(f.ctx, tok, models.AcceptInput{Account: acc}); err != nil {
			t.Fatal(err)
		}
		second, _, _ := s.Membership(f.ctx, f.ws.ID, acc.ID)
		if _, err := s.Deactivate(f.ctx, inviter, f.ws, second.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("deactivating an Admin without Admin's permissions: %v", err)
		}
		if _, err := s.RemoveMember(f.ctx, inviter, f.ws, second.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("removing an Admin without Admin's permissions: %v", err)
		}
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reactivate(f.ctx, inviter, f.ws, second.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("reactivating an Admin without Admin's permissions: %v", err)
		}
		// An import may not reactivate without the right to, nor be started
		// by someone other than who uploaded it.
		justInvite := models.Actor{Kind: "member", ID: "ivy", Name: "Ivy", Perms: models.PermissionSet{models.PermViewMembers: true, models.PermInviteMembers: true}}
		p, err := s.PreviewImport(f.ctx, justInvite, f.ws, "list", []models.ImportInput{{Line: 1, Email: "second@example.com"}}, f.roles["Member"].ID)
		if err != nil || p.Counts[models.OutcomeDeactivated] != 1 {
			t.Fatalf("preview: %v %v", p, err)
		}
		if _, err := s.StartImport(f.ctx, justInvite, f.ws, p.Import.ID, false, true); conflictCode(err) != models.ConflictState {
			t.Errorf("import reactivating without the permission: %v", err)
		}
		if _, err := s.StartImport(f.ctx, f.actor, f.ws, p.Import.ID, false, false); conflictCode(err) != models.ConflictState {
			t.Errorf("starting someone else's import: %v", err)
		}
	})
}

func TestImportNamesFromAccentedEmails(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		p, err := s.PreviewImport(f.ctx, f.actor, f.ws, "list", []models.ImportInput{{Line: 1, Email: "élodie.dupont@example.com"}}, f.roles["Member"].ID)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := s.ImportRows(f.ctx, p.Import.ID, false, 10)
		if rows[0].Name != "Élodie Dupont" {
			t.Errorf("name = %q", rows[0].Name)
		}
	})
}
