package models_test

import (
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestPGInsertsStoreAsBun: a row pgInserts binds as parameters of its
// prepared statement is stored as the same row Bun writes with its values
// in the text (quotes, backslashes, '?', '$1', accents, a zero time, a
// nil pointer), and a second row on a taken userName is refused as a
// unique violation with nothing of the statement kept.
func TestPGInsertsStoreAsBun(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("PostgreSQL's prepared creates")
		}
		f := newInviteFixture(t, s)
		seen := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("x", 3600))
		ext := `ext 'q' \ ? $1`
		viaBun := &models.Member{ID: "m-bun", WorkspaceID: f.ws.ID, Email: "bun@example.com", UserName: "bun",
			DisplayName: `O'Brien \ ? $1 ; -- "x"`, GivenName: "Zoë 😀", Location: "a\tb\nc", Status: models.StatusInvited,
			ExternalID: &ext, SCIMManaged: true, SortName: "obrien", SearchText: "o'brien", Version: 3,
			LastSeenAt: &seen, CreatedAt: seen}
		viaStmt := *viaBun
		viaStmt.ID, viaStmt.Email, viaStmt.UserName, viaStmt.ExternalID = "m-stmt", "stmt@example.com", "stmt", nil
		if _, err := s.DB().NewInsert().Model(viaBun).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		role := f.roles["Member"]
		ev := &models.AuditEvent{ID: "ev-stmt", WorkspaceID: f.ws.ID, ActorKind: "system", Action: "x", Changes: `{"a":["?",null]}`, CreatedAt: seen}
		if err := s.PGInserts(f.ctx, &viaStmt, &models.MemberRole{MemberID: viaStmt.ID, RoleID: role.ID}, ev); err != nil {
			t.Fatal(err)
		}
		var rows []string
		if err := s.DB().NewRaw(`SELECT (to_jsonb(m) - 'id' - 'email' - 'user_name' - 'external_id')::text FROM members AS m WHERE id IN ('m-bun', 'm-stmt') ORDER BY id`).Scan(f.ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0] != rows[1] {
			t.Fatalf("Bun's row and the statement's differ:\n%v", rows)
		}
		var got struct {
			External *string
			Changes  string
			Roles    int
		}
		if err := s.DB().NewRaw(`SELECT (SELECT external_id FROM members WHERE id = 'm-bun') AS external,
			(SELECT changes FROM audit_events WHERE id = 'ev-stmt') AS changes,
			(SELECT count(*) FROM member_roles WHERE member_id = 'm-stmt') AS roles`).Scan(f.ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got.External == nil || *got.External != ext || got.Changes != ev.Changes || got.Roles != 1 {
			t.Fatalf("got %+v", got)
		}

		// A taken userName: a unique violation, and neither the role link
		// nor the audit event of the same statement stays.
		again := viaStmt
		again.ID, again.Email = "m-again", "again@example.com"
		ev2 := *ev
		ev2.ID = "ev-again"
		err := s.PGInserts(f.ctx, &again, &models.MemberRole{MemberID: again.ID, RoleID: role.ID}, &ev2)
		if !models.IsUniqueViolation(err) {
			t.Fatalf("err %v, want a unique violation", err)
		}
		var left int
		if err := s.DB().NewRaw(`SELECT (SELECT count(*) FROM member_roles WHERE member_id = 'm-again') +
			(SELECT count(*) FROM audit_events WHERE id = 'ev-again')`).Scan(f.ctx, &left); err != nil || left != 0 {
			t.Fatalf("%d rows of the refused statement kept (%v)", left, err)
		}
	})
}
