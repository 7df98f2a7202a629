package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// setOdd are values the two ways of writing a set must store alike:
// quotes, backslashes, placeholders Bun or SQLite might read, unicode,
// control characters, bytes that are not UTF-8, JSON of its own, and
// lengths on either side of each JSONB size header (11 and 12 bytes,
// 255 and 256, 65,535 and 65,536).
var setOdd = []string{`it's "quoted"`, `back\slash\`, `q?mark ?0 ?TableName \?`, "zoë 名前 🙂", "tab\tnew\nline\r\x01\x1f\x7f",
	"bad \xff\xfe utf-8", `{"json":[1,"two",null]}`, "null", "123", "1.5", "", " ", `\u0041`, "$[0]",
	strings.Repeat("e", 11), strings.Repeat("é", 6), strings.Repeat("x", 255), strings.Repeat("y", 256),
	strings.Repeat("z", 65535), strings.Repeat("w", 65536)}

// TestSetJSONStoresAsText: on SQLite, the rows insertSet writes through
// its prepared INSERT … FROM jsonb_each(?) are, column by column (value
// and type, as quote() shows them), the rows the text Bun writes stores:
// times in Bun's layout, NULLs and empty strings, booleans, numbers, and
// the columns the text leaves out when every row leaves them zero. Both
// for values the rows of a chunk share (bound once as parameters) and for
// values they do not (read from each row): the same odd values alone in a
// chunk, where every field is shared, and times that differ by a second
// or are one instant in two zones.
func TestSetJSONStoresAsText(t *testing.T) {
	ctx := context.Background()
	s := modelstest.Open(t, "sqlite")
	_, ws := modelstest.SetUp(t, s)
	var role models.Role
	if err := s.DB().NewSelect().Model(&role).Where("workspace_id = ? AND builtin = 'member'", ws.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.FixedZone("x", 5*3600+1800))
	seen := at.Add(time.Hour)
	str := func(v string) *string { return &v }
	var full, bare, alone []models.Member
	for i, v := range setOdd {
		id := "set-json-" + string(rune('a'+i))
		updated := at // one instant, in two zones: shared
		if i%2 == 0 {
			updated = at.UTC()
		}
		full = append(full, models.Member{ID: id, WorkspaceID: ws.ID, AccountID: nil, Email: id + v + "@example.com", UserName: id + v,
			DisplayName: v, GivenName: v, FamilyName: v, Location: v, Status: models.StatusActive, ExternalID: str(v + id),
			SCIMManaged: i%2 == 0, EmailType: v, Title: v, Locale: v, EmployeeNumber: v, Department: v, ManagerID: v,
			SCIMAttributes: v, RevokedRoleIDs: v, SortName: v, SearchText: v, Version: i - 3, LastSeenAt: &seen,
			CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: updated})
		one := full[i]
		one.ID, one.Email, one.UserName, one.ExternalID = id+"-alone", "alone-"+one.Email, "alone-"+one.UserName, str("alone-"+v+id)
		alone = append(alone, one)
		bare = append(bare, models.Member{ID: id + "-bare", WorkspaceID: ws.ID, UserName: id + "-bare" + v, Status: models.StatusInvited,
			CreatedAt: at, UpdatedAt: at})
	}
	var links []models.MemberRole
	var invites []models.Invite
	var msgs []models.OutboxMessage
	var events []models.AuditEvent
	for i, m := range full {
		v := setOdd[i]
		links = append(links, models.MemberRole{MemberID: m.ID, RoleID: role.ID})
		var ended *time.Time
		var by *string
		if i%2 == 0 {
			ended, by = &seen, str(v)
		}
		invites = append(invites, models.Invite{ID: m.ID + "-inv", WorkspaceID: ws.ID, MemberID: m.ID, TokenHash: v + m.ID, State: v,
			ExpiresAt: at, InvitedByID: by, InvitedByName: v, Emailed: i%3 == 0, CreatedAt: at, EndedAt: ended})
		var wsID, invID *string
		if i%2 == 0 {
			wsID, invID = &ws.ID, str(m.ID+"-inv")
		}
		msgs = append(msgs, models.OutboxMessage{ID: m.ID + "-msg", WorkspaceID: wsID, InviteID: invID, Kind: v, ToAddr: v, ToName: v,
			Payload: v, Attempts: i, NextAttemptAt: at, ClaimedUntil: ended, LastError: v, SentAt: ended, FailedAt: ended, CreatedAt: at})
		events = append(events, models.AuditEvent{ID: m.ID + "-ev", WorkspaceID: ws.ID, ActorKind: v, ActorID: by, ActorName: v,
			Action: v, TargetKind: v, TargetID: by, TargetName: v, Changes: v, CreatedAt: at})
	}
	bareMsgs := []models.OutboxMessage{{ID: "bare-msg", Kind: "invite", ToAddr: "a@example.com", NextAttemptAt: at, CreatedAt: at}}
	bareEvents := []models.AuditEvent{{ID: "bare-ev", WorkspaceID: ws.ID, ActorKind: "system", Action: "x", CreatedAt: at}}
	for _, c := range []struct {
		table, key, like string // like picks the case's rows by key
		rows             any
		each             bool // a chunk a row
	}{
		{"members", "id", "set-json-_", &full, false}, {"members", "id", "set-json-_-bare", &bare, false},
		{"members", "id", "set-json-_-alone", &alone, true}, {"member_roles", "member_id", "set-json-_", &links, false},
		{"invites", "id", "%-inv", &invites, false}, {"outbox", "id", "%-msg", &msgs, false}, {"outbox", "id", "bare-msg", &bareMsgs, false},
		{"audit_events", "id", "%-ev", &events, false}, {"audit_events", "id", "bare-ev", &bareEvents, false},
	} {
		where := " WHERE " + c.key + " LIKE '" + c.like + "'"
		var stored [2][]string
		for k, viaJSON := range []bool{false, true} {
			chunks := []any{c.rows}
			if c.each {
				chunks = nil
				for i := range *c.rows.(*[]models.Member) {
					chunks = append(chunks, &[]models.Member{(*c.rows.(*[]models.Member))[i]})
				}
			}
			for _, rows := range chunks {
				if err := models.InsertSetVia(ctx, s, rows, viaJSON); err != nil {
					t.Fatalf("%s (json %v): %v", c.table, viaJSON, err)
				}
			}
			stored[k] = quotedRows(t, s, c.table, where, c.key)
			if !viaJSON {
				if _, err := s.DB().ExecContext(ctx, "DELETE FROM "+c.table+where); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(stored[0]) == 0 || len(stored[0]) != len(stored[1]) {
			t.Errorf("%s: %d rows stored from text, %d from JSON", c.table, len(stored[0]), len(stored[1]))
			continue
		}
		for i := range stored[0] {
			if stored[0][i] != stored[1][i] {
				t.Errorf("%s: text stored\n%q\nJSON stored\n%q", c.table, stored[0][i], stored[1][i])
			}
		}
	}
}

// quotedRows are the test's rows of table, each column as quote() writes
// it (type and value), ordered by key; where picks them.
func quotedRows(t *testing.T, s *models.Store, table, where, key string) []string {
	t.Helper()
	ctx := context.Background()
	var cols []string
	if err := s.DB().NewRaw("SELECT name FROM pragma_table_info(?) ORDER BY cid", table).Scan(ctx, &cols); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		cols[i] = "quote(" + c + ")"
	}
	var rows []string
	q := "SELECT " + strings.Join(cols, " || ',' || ") + " FROM " + table + where + " ORDER BY " + key
	if err := s.DB().NewRaw(q).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSetJSONRefusesNul: a NUL in a value fails the INSERT both ways (Bun
// refuses to write it into the text), and nothing is written: in a value
// the chunk's rows share (a chunk of one) and in one they do not.
func TestSetJSONRefusesNul(t *testing.T) {
	ctx := context.Background()
	s := modelstest.Open(t, "sqlite")
	_, ws := modelstest.SetUp(t, s)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	nul := models.Member{ID: "set-json-nul", WorkspaceID: ws.ID, UserName: "nul\x00here", Status: models.StatusInvited, CreatedAt: at, UpdatedAt: at}
	fine := models.Member{ID: "set-json-nul-fine", WorkspaceID: ws.ID, UserName: "fine", Status: models.StatusInvited, CreatedAt: at, UpdatedAt: at}
	for _, rows := range [][]models.Member{{nul}, {fine, nul}} {
		for _, viaJSON := range []bool{false, true} {
			if err := models.InsertSetVia(ctx, s, &rows, viaJSON); err == nil {
				t.Errorf("%d rows, json %v: a NUL was written", len(rows), viaJSON)
			}
			if got := quotedRows(t, s, "members", " WHERE id LIKE 'set-json-nul%'", "id"); len(got) != 0 {
				t.Errorf("%d rows, json %v: stored %q", len(rows), viaJSON, got)
			}
		}
	}
}
