package models

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"

	"github.com/uptrace/bun"
)

// On SQLite, members has no INSERT triggers (migration
// 20261208000100_members_insert_bookkeeping): whoever inserts members
// calls membersAdded in the same transaction, which gives them their
// search rows (whose own trigger queues them for the search index), adds
// them to their workspace's status counts and bumps its change token by
// one a member, as the triggers did. Every INSERT into members goes
// through insertRow (one member) or insertMembersBy (many), which do so.
// PostgreSQL keeps its triggers.
//
// In a group commit that runs whole (runWhole: SCIM creates), the members
// wait for the end of the group and are written together: three
// statements a group instead of a statement per member and three trigger
// statements each. None of those operations reads what is written late,
// and none watches the change token (a group with a ChangeWatch writes
// each member's at once).

// membersAddedStmts are writeMembersAdded's statements, in order: the
// search rows from a JSON array of [id, workspace_id, search_text], a
// status count, a workspace's change token.
var membersAddedStmts = []string{
	`INSERT INTO member_search_rows (member_id, workspace_id, search_text)
	SELECT value->>0, value->>1, value->>2 FROM json_each(?)`,
	`INSERT INTO member_counts (workspace_id, status, n) VALUES (?, ?, ?)
	ON CONFLICT (workspace_id, status) DO UPDATE SET n = n + excluded.n`,
	`UPDATE workspace_changes SET n = n + ? WHERE workspace_id = ?`,
}

// membersAdded does the bookkeeping of members just inserted through db
// (SQLite; nothing on PostgreSQL).
func (s *Store) membersAdded(ctx context.Context, db bun.IDB, members []*Member) error {
	if s.IsPostgres() || len(members) == 0 {
		return nil
	}
	q := &s.writes
	if tx, ok := db.(bun.Tx); ok && tx.Tx == q.addLater.Load() {
		q.added = append(q.added, members...)
		return nil
	}
	return s.writeMembersAdded(ctx, db, members)
}

// writeMembersAdded writes the search rows, counts and change tokens of
// new members.
func (s *Store) writeMembersAdded(ctx context.Context, db bun.IDB, members []*Member) error {
	type count struct {
		ws, status string
		n          int
	}
	rows := make([][3]string, len(members))
	var counts []count // few: one workspace, a status or two
	for i, m := range members {
		rows[i] = [3]string{m.ID, m.WorkspaceID, m.SearchText}
		at := slices.IndexFunc(counts, func(c count) bool { return c.ws == m.WorkspaceID && c.status == m.Status })
		if at < 0 {
			counts = append(counts, count{ws: m.WorkspaceID, status: m.Status})
			at = len(counts) - 1
		}
		counts[at].n++
	}
	list, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	if err := s.execAdded(ctx, db, 0, string(list)); err != nil {
		return err
	}
	// In order, each workspace's counts then its token.
	slices.SortFunc(counts, func(a, b count) int { return cmp.Or(cmp.Compare(a.ws, b.ws), cmp.Compare(a.status, b.status)) })
	added := 0 // to the workspace's token
	for i, c := range counts {
		if err := s.execAdded(ctx, db, 1, c.ws, c.status, c.n); err != nil {
			return err
		}
		added += c.n
		if i+1 < len(counts) && counts[i+1].ws == c.ws {
			continue
		}
		if err := s.execAdded(ctx, db, 2, added, c.ws); err != nil {
			return err
		}
		added = 0
	}
	return nil
}

// execAdded runs membersAddedStmts[i], prepared on the writer when db is
// a transaction on it.
func (s *Store) execAdded(ctx context.Context, db bun.IDB, i int, args ...any) error {
	var stmt *sql.Stmt
	if len(s.stmts.added) > i {
		stmt = s.stmts.added[i]
	}
	if tx, ok := db.(bun.Tx); ok && stmt != nil {
		_, err := tx.Tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
		return err
	}
	_, err := db.ExecContext(ctx, membersAddedStmts[i], args...)
	return err
}
