package models

import (
	"bytes"
	"context"
	"reflect"
	"unsafe"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// Many new members at once: CSV import, SCIM /Bulk and the demo write
// them with one multi-row INSERT per table (members, member_roles,
// invites, outbox, audit_events) instead of a handful of statements per
// member. The callers check their rules in Go first (and with one IN (…)
// query for what the workspace already holds); this only writes.

// newMemberRow is one member for insertMembers: the member, with Roles
// set, and what comes with it.
type newMemberRow struct {
	M *Member
	// Invite issues a link, Email queues the email that carries it.
	Invite, Email bool
	// Action and Changes are the member's audit event; no Action, no event.
	Action  string
	Changes map[string]Change
	// ChangesJSON, when set, is Changes already as JSON (Changes is then
	// nil): for an Action whose changes the token cache ignores
	// (authChange), as "member.provisioned".
	ChangesJSON string
}

// memberSetChunk bounds the rows of one INSERT: on PostgreSQL Bun writes
// the values into the statement's text, and a 10,000-row statement is
// megabytes to parse; on SQLite it bounds the JSON parameter (about
// 0.7 MB a chunk of members) and what a chunk holds in memory.
const memberSetChunk = 1000

// insertMembers writes new members and what comes with them, set-based.
// It returns each row's invitation token ("" without one), in order. A
// unique violation (a concurrent writer took an email or userName) comes
// back as it is: the caller decides what that means for its rows.
func (s *Store) insertMembers(ctx context.Context, tx bun.IDB, actor Actor, ws *Workspace, rows []newMemberRow) ([]string, error) {
	return s.insertMembersBy(ctx, tx, actor, ws, rows, memberSetChunk)
}

// insertMembersBy is insertMembers with up to per rows to a statement.
func (s *Store) insertMembersBy(ctx context.Context, tx bun.IDB, actor Actor, ws *Workspace, rows []newMemberRow, per int) ([]string, error) {
	tokens := make([]string, len(rows))
	s.wroteRows(len(rows))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		members := make([]*Member, len(chunk))
		var links []MemberRole
		var invites []*Invite
		var msgs []*OutboxMessage
		var events []*AuditEvent
		for i, r := range chunk {
			members[i] = r.M
			for _, role := range r.M.Roles {
				links = append(links, MemberRole{MemberID: r.M.ID, RoleID: role.ID})
			}
			if r.Invite {
				token, inv, msg, err := s.inviteRecords(ws, r.M, actor, r.Email)
				if err != nil {
					return nil, err
				}
				tokens[start+i] = token
				invites = append(invites, inv)
				if msg != nil {
					msgs = append(msgs, msg)
				}
			}
			if r.Action != "" {
				var ev *AuditEvent
				var err error
				if r.ChangesJSON != "" {
					s.tokens.authChange(r.Action, nil)
					ev = s.auditEventJSON(ws.ID, actor, r.Action, "member", r.M.ID, r.M.DisplayName, r.ChangesJSON)
				} else if ev, err = s.auditEvent(ws.ID, actor, r.Action, "member", r.M.ID, r.M.DisplayName, r.Changes); err != nil {
					return nil, err
				}
				events = append(events, ev)
			}
		}
		if err := s.insertSet(ctx, tx, &members); err != nil {
			return nil, err
		}
		if err := s.membersAdded(ctx, tx, members); err != nil {
			return nil, err
		}
		for _, batch := range []any{&links, &invites, &msgs, &events} {
			if err := s.insertSet(ctx, tx, batch); err != nil {
				return nil, err
			}
		}
	}
	return tokens, nil
}

// insertSet inserts the rows of a slice (of structs or pointers to them)
// with one multi-row INSERT. Measured on SQLite (10,000 users, /Bulk), its
// alternatives were no faster: prepared INSERTs of 40 or 100 rows save the
// parse but journal the pages every row touches (search index, counts)
// once per statement instead of once per chunk; of 1,000 rows the driver
// binds arguments in time growing with their number; of one row each, a
// statement journal per row made it ten times slower. Measured again for
// issue 13: prepared statements of 32, 8 and 1 rows took twice the CPU of
// /Bulk of 10,000 (8.8 to 10.4 s against 4.5), and one INSERT … SELECT
// FROM json_each(?) per table (no parse per row) no less (3.2 to 3.4 s
// against 3.1 to 3.2) and more for the demo's 10,000-row statements
// (SQLite turns each row back into JSON text and parses it again).
// A third time, with insertRow's statements (prepared once on the writer,
// all columns bound, text path untouched for PostgreSQL): one row each
// took 26.6 s of CPU against 2.7 for /Bulk of 10,000. Why: a row INSERT
// into members or member_roles fires triggers and checks immediate
// foreign keys, so SQLite opens a statement journal for it; each
// statement copies every page it touches into that journal, and on
// closing walks the journal's 1 KiB chunks from the start of the
// enclosing savepoint (a /Bulk chunk runs in one) and frees its own,
// each freed allocator page an munmap. Keeping 1,024 allocator pages of
// that size class mapped (sqlite_config.go) brought it to 5.0 s, and
// 32-row statements with it to 3.7 s (median of 3, alternated, load 14,
// against 3.3) with 27% more allocations: the parse saved is spent again
// in journal copies, truncation walks and the driver's binding.
//
// On SQLite it now runs insertSetJSON (members_set_json.go) instead: the
// same set-based INSERT … SELECT, but prepared once per table on the
// writer and fed one JSON parameter, which compiles nothing per chunk;
// jsonb_each parses the text once and hands each row over as JSONB
// (json_each, as tried above, hands each row back as text to parse again).
// /Bulk of 10,000 users took 8 % less CPU (2,688 -> 2,462 ms, medians of
// 3 alternated) and allocated 171 MB instead of 190. Building SQLite's
// JSONB in Go saved another 3 % at most, but SQLite documents JSONB as
// its own internal format, not one for applications to write. (It is
// JSONB built in Go now, and the values a chunk's rows share are bound
// once beside it: see members_set_json.go.)
//
// Its text is written into one buffer sized up front (setQuery) instead
// of Bun's, which grows by doubling: at 1,000 rows a statement the copies
// were 110 of the 200 MB a /Bulk of 10,000 users allocated.
func (s *Store) insertSet(ctx context.Context, db bun.IDB, rows any) error {
	if ok, err := s.insertSetJSON(ctx, db, rows); ok {
		return err
	}
	query, err := setQuery(db, rows)
	if err != nil || query == "" {
		return err
	}
	// No arguments: Bun passes the text on as it is, without looking for
	// placeholders in it (a value holding '?' stays what it was).
	_, err = db.ExecContext(ctx, query)
	return err
}

// setQuery is the multi-row INSERT of rows (a pointer to a slice), "" for
// none, written by Bun into a buffer sized from the statement of the first
// row alone: its head once, its row as many times as there are rows, and
// an eighth more for rows longer than the first.
func setQuery(db bun.IDB, rows any) (string, error) {
	slice := reflect.ValueOf(rows).Elem()
	n := slice.Len()
	if n == 0 {
		return "", nil
	}
	gen := schema.NewQueryGen(db.Dialect())
	skip := zeroColumns(db.Dialect(), slice)
	first := reflect.New(slice.Type())
	first.Elem().Set(slice.Slice(0, 1))
	one, err := db.NewInsert().Model(first.Interface()).ExcludeColumn(skip...).AppendQuery(gen, nil)
	if err != nil {
		return "", err
	}
	head := bytes.Index(one, []byte(" VALUES (")) + len(" VALUES (")
	row := len(one) - head + len("), (")
	// A first row far longer than the rest (64 KB of attributes) must not
	// size the buffer for a thousand such rows: past setQueryCap, append
	// grows it as needed.
	size := min(head+n*row+n*row/8, setQueryCap)
	buf, err := db.NewInsert().Model(rows).ExcludeColumn(skip...).AppendQuery(gen, make([]byte, 0, size))
	if err != nil {
		return "", err
	}
	// The buffer is this statement's alone and never written again.
	return unsafe.String(unsafe.SliceData(buf), len(buf)), nil
}

// setQueryCap bounds the buffer setQuery sizes up front.
const setQueryCap = 4 << 20

// setDefaulted are the columns, by table, whose default is their Go zero
// value (NULL, ”, 0): a set INSERT leaves out those every row leaves
// zero, and the database fills them in. New members from an identity
// provider or an import mostly have no title, locale, manager, account or
// last sign-in, and new emails no attempts or errors yet: a third of the
// values of those two tables, each a literal SQLite parses and a step of
// the statement's program (TestSetDefaultedColumns checks each default).
var setDefaulted = map[string][]string{
	"members": {"account_id", "given_name", "family_name", "location", "external_id", "title", "locale",
		"employee_number", "department", "manager_id", "revoked_role_ids", "last_seen_at"},
	"outbox":       {"workspace_id", "invite_id", "to_name", "attempts", "claimed_until", "last_error", "sent_at", "failed_at"},
	"invites":      {"invited_by_id", "ended_at"},
	"audit_events": {"actor_id", "target_kind", "target_id", "target_name"},
}

// zeroColumns are the columns of setDefaulted that every row of slice
// leaves at its zero value.
func zeroColumns(d schema.Dialect, slice reflect.Value) []string {
	typ := slice.Type().Elem()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	table := d.Tables().Get(typ)
	var skip []string
	for _, name := range setDefaulted[table.Name] {
		f, err := table.Field(name)
		if err != nil { // TestSetDefaultedColumns keeps the list to real columns
			continue
		}
		zero := true
		for i := 0; i < slice.Len() && zero; i++ {
			zero = f.Value(reflect.Indirect(slice.Index(i))).IsZero()
		}
		if zero {
			skip = append(skip, name)
		}
	}
	return skip
}
