package models_test

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/uptrace/bun"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSetInsertKeepsText: the multi-row INSERT's text is written by Bun and
// executed without arguments, so nothing in it is read as a placeholder:
// values holding '?' (also as Bun's '?0', '?TableName' and escaped '\?'),
// quotes and any script come back exactly as given.
func TestSetInsertKeepsText(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		odd := []string{"q?mark@example.com", "it's?@example.com", "?0@example.com", "a?TableName@example.com", `back\?slash@example.com`,
			"zoë?élan@example.com", "名前?@example.com", `quote"?'?@example.com`, `ends-in-backslash\`, `quote-then-backslash'\`}
		users := make([]models.SCIMUser, len(odd))
		for i, name := range odd {
			users[i] = models.SCIMUser{UserName: name, GivenName: "Gi?ven'" + name, FamilyName: "Fam?" + name, Active: true}
		}
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := models.SetRetries() - retries; n != 0 { // the one-at-a-time path would hide a broken INSERT
			t.Errorf("the chunk was run again one user at a time (%d)", n)
		}
		for i, r := range out {
			if r.Err != nil {
				t.Fatalf("user %d (%q): %v", i, odd[i], r.Err)
			}
			var m models.Member
			if err := s.DB().NewSelect().Model(&m).Where("id = ?", r.Member.ID).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if m.UserName != odd[i] || m.GivenName != "Gi?ven'"+odd[i] || m.FamilyName != "Fam?"+odd[i] || m.DisplayName != r.Member.DisplayName {
				t.Errorf("stored %q %q %q %q, want %q and its names", m.UserName, m.GivenName, m.FamilyName, m.DisplayName, odd[i])
			}
			var changes string
			if err := s.DB().NewSelect().Table("audit_events").Column("changes").Where("target_id = ? AND action = 'member.provisioned'", m.ID).Scan(ctx, &changes); err != nil {
				t.Fatal(err)
			}
			var got map[string][2]any
			if err := json.Unmarshal([]byte(changes), &got); err != nil || got["userName"][1] != odd[i] {
				t.Errorf("audit changes %s (%v): want userName %q", changes, err, odd[i])
			}
		}
	})
}

// setStatements records the INSERT statements run, by table.
type setStatements struct{ texts map[string]string }

func (h *setStatements) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	for _, table := range []string{"members", "invites", "outbox", "audit_events"} {
		if strings.HasPrefix(e.Query, `INSERT INTO "`+table+`" `) {
			h.texts[table] = e.Query
		}
	}
	return ctx
}

func (h *setStatements) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestSetDefaultedColumns: the columns a set INSERT leaves out when every
// row leaves them zero (setDefaulted) are left out, and the database's
// default for each is that zero, so what is read back is what was written.
func TestSetDefaultedColumns(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		ws.SCIMInvites = true // an invitation and its email for each
		hook := &setStatements{texts: map[string]string{}}
		s.DB().AddQueryHook(hook)
		users := setUsers(3, "bare")
		for i := range users {
			users[i].GivenName, users[i].FamilyName = "", ""
		}
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := models.SetRetries() - retries; n != 0 {
			t.Fatalf("the chunk was run again one user at a time (%d)", n)
		}
		for table := range models.SetDefaulted {
			text := hook.texts[table]
			if !s.IsPostgres() {
				// SQLite writes sets through prepared statements of every
				// column (members_set_json.go): no text, the zeros written
				// (TestSetJSONStoresAsText).
				if text != "" {
					t.Errorf("%s: written as text on SQLite: %.100s", table, text)
				}
				if models.SetJSONRuns(s, models.Member{}) == 0 {
					t.Fatal("no set INSERT ran on SQLite, as text or prepared")
				}
				continue
			}
			if text == "" {
				t.Fatalf("no INSERT into %s", table)
			}
			cols := strings.SplitN(text, " VALUES ", 2)[0]
			for _, c := range []string{"location", "last_seen_at", "claimed_until", "ended_at"} {
				if strings.Contains(cols, `"`+c+`"`) {
					t.Errorf("%s: %s not left out: %.300s", table, c, cols)
				}
			}
		}
		for _, r := range out {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			var m models.Member
			var inv models.Invite
			var msg models.OutboxMessage
			var ev models.AuditEvent
			db := s.DB()
			queries := []func() *bun.SelectQuery{
				func() *bun.SelectQuery { return db.NewSelect().Model(&m).Where("id = ?", r.Member.ID) },
				func() *bun.SelectQuery { return db.NewSelect().Model(&inv).Where("member_id = ?", r.Member.ID) },
				func() *bun.SelectQuery { return db.NewSelect().Model(&msg).Where("invite_id = ?", inv.ID) },
				func() *bun.SelectQuery {
					return db.NewSelect().Model(&ev).Where("target_id = ? AND action = 'member.provisioned'", r.Member.ID)
				},
			}
			for _, q := range queries {
				if err := q().Scan(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for table, row := range map[string]any{"members": &m, "invites": &inv, "outbox": &msg, "audit_events": &ev} {
				var cols []string
				for _, c := range models.SetDefaulted[table] {
					if !map[string]bool{"workspace_id": true, "invite_id": true, "to_name": true, "target_kind": true, "target_id": true, "target_name": true}[c] {
						cols = append(cols, c) // these the rows set, so they are written
					}
				}
				if bad := models.NonZeroColumns(s, row, cols); len(bad) > 0 {
					t.Errorf("%s: read back non-zero %v", table, bad)
				}
			}
		}
	})
}
