package models_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func runImport(t *testing.T, f *inviteFixture, id string, batch int) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		worked, err := f.s.ProcessImports(f.ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		im, _ := f.s.ImportByID(f.ctx, f.ws.ID, id)
		if !worked || im.Status == models.ImportDone {
			return
		}
	}
	t.Fatal("the import never finished")
}

func TestImportPreviewAndRun(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		pending, _ := f.invite(t, "Pat Pending", "pat@example.com", "Member")
		inputs := []models.ImportInput{
			{Line: 2, Email: "grace@example.com", Name: "Grace Hopper", Role: "admin", Location: "Arlington"},
			{Line: 3, Email: "ALAN.TURING@example.com", Role: ""},
			{Line: 4, Email: "ada@example.com", Name: "Ada"},
			{Line: 5, Email: "pat@example.com"},
			{Line: 6, Email: "not-an-email", Name: "X"},
			{Line: 7, Email: "x@example.com", Role: "Astronaut"},
			{Line: 8, Email: "Grace@example.com", Name: "Grace again"},
			{Line: 9, Email: "long@example.com", Name: "Cut short", TooLong: true},
		}
		p, err := s.PreviewImport(f.ctx, f.actor, f.ws, "people.csv", inputs, f.roles["Member"].ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{models.OutcomeInvite: 2, models.OutcomeMember: 1, models.OutcomePending: 1,
			models.OutcomeInvalid: 2, models.OutcomeUnknownRole: 1, models.OutcomeDuplicate: 1}
		for k, v := range want {
			if p.Counts[k] != v {
				t.Errorf("count %s = %d, want %d (all: %v)", k, p.Counts[k], v, p.Counts)
			}
		}
		// Nothing but the preview is written.
		if n, _ := s.DB().NewSelect().Model((*models.Member)(nil)).Count(f.ctx); n != 2 {
			t.Fatalf("%d members after the preview", n)
		}
		if _, err := s.StartImport(f.ctx, f.actor, f.ws, p.Import.ID, true, false); err != nil {
			t.Fatal(err)
		}
		runImport(t, f, p.Import.ID, 3)
		im, _ := s.ImportByID(f.ctx, f.ws.ID, p.Import.ID)
		if im.Status != models.ImportDone || im.Invited != 2 || im.Resent != 1 || im.Skipped != 1 || im.Failed != 4 || im.Processed != 8 {
			t.Errorf("import = %+v", im)
		}
		alan, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "A", Email: "alan.turing@example.com", RoleID: f.roles["Member"].ID})
		if conflictCode(err) != models.ConflictPending || alan != nil {
			t.Errorf("Alan was not invited: %v", err)
		}
		page, _ := s.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{Search: "alan turing"})
		if page.Total != 1 || page.Members[0].DisplayName != "Alan Turing" {
			t.Errorf("Alan's name from his email: %+v", page.Members)
		}
		grace, _ := s.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{Search: "grace hopper"})
		if grace.Total != 1 || grace.Members[0].Roles[0].Name != "Admin" || grace.Members[0].Location != "Arlington" {
			t.Errorf("Grace: %+v", grace.Members)
		}
		if got, _ := s.MemberByID(f.ctx, f.ws.ID, pending.ID); got.Invite == nil {
			t.Error("Pat has no current invite after the resend")
		}
		failed, _ := s.FailedImportRows(f.ctx, p.Import.ID)
		if len(failed) != 4 || failed[0].Line != 6 || failed[0].ResultMessage == "" {
			t.Errorf("failed rows = %+v", failed)
		}
		evs, _ := s.ListAudit(f.ctx, f.ws.ID, models.AuditQuery{Action: "import.completed"})
		if len(evs.Events) != 1 {
			t.Errorf("%d import.completed events", len(evs.Events))
		}
		n, _ := s.DB().NewSelect().Model((*models.OutboxMessage)(nil)).Count(f.ctx)
		if n != 4 { // Pat's first invite and resend, Grace, Alan
			t.Errorf("%d emails queued, want 4", n)
		}

		// The same file again invites nobody twice.
		again, err := s.PreviewImport(f.ctx, f.actor, f.ws, "people.csv", inputs, f.roles["Member"].ID)
		if err != nil || again.Counts[models.OutcomeInvite] != 0 {
			t.Fatalf("second preview: %v %v", again.Counts, err)
		}
		s.StartImport(f.ctx, f.actor, f.ws, again.Import.ID, false, false)
		runImport(t, f, again.Import.ID, 100)
		if n2, _ := s.DB().NewSelect().Model((*models.OutboxMessage)(nil)).Count(f.ctx); n2 != n {
			t.Errorf("the second run queued %d more emails", n2-n)
		}
	})
}

func TestImportResumesAfterACrash(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		var inputs []models.ImportInput
		for i := 0; i < 25; i++ {
			inputs = append(inputs, models.ImportInput{Line: i + 2, Email: fmt.Sprintf("p%d@example.com", i), Name: "P"})
		}
		p, _ := s.PreviewImport(f.ctx, f.actor, f.ws, "list", inputs, f.roles["Member"].ID)
		s.StartImport(f.ctx, f.actor, f.ws, p.Import.ID, false, false)
		// One batch, then the process "dies" holding the lease.
		if _, err := s.ProcessImports(f.ctx, 10); err != nil {
			t.Fatal(err)
		}
		s.DB().NewUpdate().Model((*models.Import)(nil)).Set("claimed_until = ?", f.clock.Now().Add(models.ImportLeaseForTest)).Where("id = ?", p.Import.ID).Exec(f.ctx)
		if worked, _ := s.ProcessImports(f.ctx, 10); worked {
			t.Error("a leased import was taken over early")
		}
		f.clock.Add(models.ImportLeaseForTest + time.Second)
		runImport(t, f, p.Import.ID, 10)
		im, _ := s.ImportByID(f.ctx, f.ws.ID, p.Import.ID)
		n, _ := s.DB().NewSelect().Model((*models.Member)(nil)).Where("status = ?", models.StatusInvited).Count(f.ctx)
		if im.Invited != 25 || n != 25 || im.Status != models.ImportDone {
			t.Errorf("after resuming: %+v, %d invited members", im, n)
		}
	})
}
