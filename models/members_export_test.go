package models_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestExportMembers: the export walks the view (search, filters, sort) in
// its order across pages, says where each member came from, and is one
// audit event.
func TestExportMembers(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newBulkFixture(t, s)
		// Enough invited members for several pages of the walk.
		var inputs []models.ImportInput
		for i := range 450 {
			inputs = append(inputs, models.ImportInput{Line: i + 2, Email: fmt.Sprintf("bulk%s.%d@example.com", string(rune('a'+i%26)), i)})
		}
		p, err := s.PreviewImport(f.ctx, f.actor, f.ws, "people.csv", inputs, f.roles["Member"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartImport(f.ctx, f.actor, f.ws, p.Import.ID, false, false); err != nil {
			t.Fatal(err)
		}
		runImport(t, f.inviteFixture, p.Import.ID, 500)

		collect := func(q models.MemberQuery) []models.ExportRow {
			var rows []models.ExportRow
			walk, err := s.ExportMembers(f.ctx, f.actor, f.ws, q)
			if err != nil {
				t.Fatal(err)
			}
			if err := walk(f.ctx, func(page []models.ExportRow) error {
				rows = append(rows, page...)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return rows
		}
		before := auditActions(t, s, f.ws.ID)["members.exported"]
		rows := collect(models.MemberQuery{Sort: "email", Desc: true})
		if len(rows) != 457 {
			t.Fatalf("%d rows, want 457", len(rows))
		}
		for i := 1; i < len(rows); i++ {
			if rows[i-1].Email < rows[i].Email {
				t.Fatalf("rows out of order at %d: %s before %s", i, rows[i-1].Email, rows[i].Email)
			}
		}
		if n := auditActions(t, s, f.ws.ID)["members.exported"] - before; n != 1 {
			t.Errorf("%d members.exported events, want 1", n)
		}
		by := map[string]models.ExportRow{}
		for _, r := range rows {
			by[r.Email] = r
		}
		for email, want := range map[string]string{"bulkb.1@example.com": models.SourceImport, "dan@example.com": models.SourceSCIM,
			"grace@example.com": models.SourceInvited, f.admin.Email: models.SourceDirect} {
			if got := by[email].Source; got != want {
				t.Errorf("%s: source %q, want %q", email, got, want)
			}
		}
		if g := by["grace@example.com"]; g.InvitedAt == nil || g.JoinedAt == nil || strings.Join(g.Roles, ",") != "Member" || g.Status != models.StatusActive {
			t.Errorf("grace = %+v", g)
		}
		if b := by["bob@example.com"]; b.InvitedAt == nil || b.JoinedAt != nil {
			t.Errorf("bob (invited) = %+v", b)
		}

		// Filters and search narrow it; order by name.
		rows = collect(models.MemberQuery{Status: models.StatusActive, Search: "test"})
		var names []string
		for _, r := range rows {
			names = append(names, r.Name)
		}
		if strings.Join(names, ",") != "Alan Test,Dan Test,Grace Test,Olga Test" {
			t.Errorf("active members matching test: %v", names)
		}
		if rows := collect(models.MemberQuery{RoleID: f.roles["Admin"].ID}); len(rows) != 2 {
			t.Errorf("%d Admins", len(rows))
		}
	})
}
