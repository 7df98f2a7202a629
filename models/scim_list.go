package models

import (
	"context"
	"strings"

	"github.com/scim2/filter-parser/v2"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// SCIMQuery is one page of a SCIM list: a parsed filter (nil for all), an
// attribute to sort by ("" for creation order) and a 1-based start index.
type SCIMQuery struct {
	Filter     filter.Expression
	SortBy     string
	Descending bool
	StartIndex int
	Count      int
}

// ListSCIMUsers returns a page of a workspace's members (with roles) and
// how many match in all.
func (s *Store) ListSCIMUsers(ctx context.Context, wsID string, q SCIMQuery) ([]*Member, int, error) {
	if _, _, ok := uniqueLookup(q); ok {
		// No deadline for a lookup: it reads one member's rows through a
		// unique index, so it cannot run long, and a deadline made each
		// query start two goroutines to watch it (the driver's and
		// database/sql's) and a timer, a quarter of its CPU.
		return s.listSCIMUsers(ctx, wsID, q)
	}
	ctx, cancel := s.listCtx(ctx)
	defer cancel()
	members, total, err := s.listSCIMUsers(ctx, wsID, q)
	return members, total, listErr(ctx, err)
}

func (s *Store) listSCIMUsers(ctx context.Context, wsID string, q SCIMQuery) ([]*Member, int, error) {
	db := s.conn(ctx)
	var members []*Member
	if col, value, ok := uniqueLookup(q); ok {
		// The general path's rule: a NUL is a 400, not PostgreSQL's 500.
		if err := checkFilterText(q.Filter.(*filter.AttributeExpression).AttributePath.AttributeName, value); err != nil {
			return nil, 0, err
		}
		// userName and externalId are unique in a workspace: no count needed.
		if col == "lower(m.user_name)" {
			value = dbLower(s.IsPostgres(), norm.NFC.String(value))
		}
		members, err := s.lookupSCIMUser(ctx, wsID, col, value)
		return members, len(members), err
	}
	// Revoked invitations are not Users (see invites_revoked.go).
	sel := db.NewSelect().Model(&members).Where("m.workspace_id = ?", wsID).Where("m.status <> 'revoked'")
	total, err := s.scimPage(ctx, wsID, q, SCIMUsers, sel, "m", func() int { return len(members) })
	if err != nil {
		return nil, 0, err
	}
	return members, total, s.loadRoles(ctx, db, members)
}

// ListSCIMGroups returns a page of a workspace's roles and how many match.
func (s *Store) ListSCIMGroups(ctx context.Context, wsID string, q SCIMQuery) ([]Role, int, error) {
	ctx, cancel := s.listCtx(ctx)
	defer cancel()
	var roles []Role
	sel := s.conn(ctx).NewSelect().Model(&roles).Where("r.workspace_id = ?", wsID)
	total, err := s.scimPage(ctx, wsID, q, SCIMGroups, sel, "r", func() int { return len(roles) })
	return roles, total, listErr(ctx, err)
}

// scimPage filters sel, reads up to Count rows from StartIndex ordered by
// the sort attribute and then by id (so pages are stable: ids are UUIDv7,
// in creation order), and returns the number of matches. got tells how
// many rows the page read. A filter the trigram index does not confine
// may read every member: its queries take a scan slot (scim_count.go).
// The count is kept under the workspace's change counter.
func (s *Store) scimPage(ctx context.Context, wsID string, q SCIMQuery, res SCIMResource, sel *bun.SelectQuery, alias string, got func() int) (int, error) {
	where, args, scan := "", []any(nil), false
	if q.Filter != nil {
		var narrowed bool
		var err error
		where, args, narrowed, err = scimWhere(q.Filter, res, s.IsPostgres(), func(term string) bool { return s.rareTerm(ctx, term) })
		if err != nil {
			return 0, err
		}
		sel = sel.Where(where, args...)
		scan = !narrowed
	}
	// Inside a /Bulk batch reads see the batch's own writes, which the
	// committed counter does not: no slot (the batch holds the writer) and
	// no kept count.
	_, inBatch := ctx.Value(batchKey{}).(bun.Tx)
	scan = scan && !inBatch
	slot := func() (func(), error) {
		if !scan {
			return func() {}, nil
		}
		return s.scanSlot(ctx)
	}
	// The kept count, when there is one, is looked up first: a filter
	// that matches nothing (or fewer members than the page starts at)
	// then reads no rows, where a page of a rare short value would walk
	// every member.
	key := ""
	if !inBatch && scimCountCaching {
		changes, _, err := readChanges(ctx, s.rdb, wsID, false)
		if err != nil {
			return 0, err
		}
		key = scimCountKey(wsID, changes, res, where, args)
	}
	start := max(q.StartIndex, 1)
	if n, ok := s.scimCounts.kept(key); ok && start > n {
		return n, nil
	}
	if q.Count > 0 {
		dir := " ASC"
		if q.Descending {
			dir = " DESC"
		}
		order := sel.Clone()
		if q.SortBy != "" {
			col, err := SCIMSortColumn(q.SortBy, res)
			if err != nil {
				return 0, err
			}
			order = order.OrderExpr(col + dir)
		}
		release, err := slot()
		if err != nil {
			return 0, err
		}
		// A request that waited for its slot may find the count kept by
		// the one before it.
		if n, ok := s.scimCounts.kept(key); ok && start > n {
			release()
			return n, nil
		}
		err = order.OrderExpr(alias + ".id" + dir).Offset(int64(start - 1)).Limit(int64(q.Count)).Scan(ctx)
		release()
		if err != nil {
			return 0, err
		}
		// A first page with room to spare holds every match: the lookups
		// IdPs send before each write (userName eq …) need no count.
		if n := got(); start == 1 && n < q.Count {
			s.scimCounts.put(key, n)
			return n, nil
		}
	}
	count := func() (int, error) {
		release, err := slot()
		if err != nil {
			return 0, err
		}
		defer release()
		if idx := scimCoveringIndex(res, where); idx != "" && !s.IsPostgres() && !inBatch {
			return s.scimCoveredCount(ctx, wsID, idx, where, args)
		}
		n, err := sel.Count(ctx)
		return int(n), err
	}
	if key == "" {
		return count()
	}
	return s.scimCounts.get(ctx, key, count)
}

// scimCoveringIndex names an index of members that holds every column a
// Users filter reads ("": none does): emails.value and userName
// conditions, which a count then reads from the index alone (on SQLite,
// the members table is ten times the index's size, and its rows were
// looked up one by one in the index's order).
func scimCoveringIndex(res SCIMResource, where string) string {
	refs := strings.Count(where, "m.")
	switch {
	case res != SCIMUsers || refs == 0 || !scimCoveredCounts:
		return ""
	case strings.Count(where, "m.email") == refs && !strings.Contains(where, "m.email_"):
		return "members_by_email" // (workspace_id, email, id)
	case strings.Count(where, "lower(m.user_name)") == refs:
		return "members_workspace_user_name" // (workspace_id, lower(user_name))
	}
	return ""
}

// scimCoveredCount counts a Users filter's matches through idx: every
// member the index holds, less the revoked invitations (not Users, few,
// found through members_by_status).
func (s *Store) scimCoveredCount(ctx context.Context, wsID, idx, where string, args []any) (int, error) {
	var all, revoked int
	q := "SELECT count(*) FROM members AS m INDEXED BY " + idx + " WHERE m.workspace_id = ? AND (" + where + ")"
	if err := s.conn(ctx).NewRaw(q, append([]any{wsID}, args...)...).Scan(ctx, &all); err != nil {
		return 0, err
	}
	q = "SELECT count(*) FROM members AS m INDEXED BY members_by_status WHERE m.workspace_id = ? AND m.status = 'revoked' AND (" + where + ")"
	if err := s.conn(ctx).NewRaw(q, append([]any{wsID}, args...)...).Scan(ctx, &revoked); err != nil {
		return 0, err
	}
	return all - revoked, nil
}

// scimCoveredCounts: tests turn it off to compare with the plain count.
var scimCoveredCounts = true

// scimCountCaching: tests turn it off to compare counts with and without.
var scimCountCaching = true

// uniqueLookup recognises userName eq "…" and externalId eq "…" on a first
// page: what IdPs send before nearly every write, answered by one indexed
// row read.
func uniqueLookup(q SCIMQuery) (col, value string, ok bool) {
	e, isAttr := q.Filter.(*filter.AttributeExpression)
	if !isAttr || e.Operator != filter.EQ || e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil ||
		q.StartIndex > 1 || q.Count < 1 {
		return "", "", false
	}
	value, ok = e.CompareValue.(string)
	switch {
	case !ok:
		return "", "", false
	case strings.EqualFold(e.AttributePath.AttributeName, "userName"):
		return "lower(m.user_name)", value, true
	case strings.EqualFold(e.AttributePath.AttributeName, "externalId"):
		return "m.external_id", value, true
	}
	return "", "", false
}

// scimRareMax: a SCIM co/sw/ew value with at most this many trigram
// matches (in all workspaces) is looked up through the index on SQLite;
// above it, testing each member costs less.
const scimRareMax = 2000

// rareTerm counts the trigram index's matches for term, up to scimRareMax,
// and adds the search queue's entries: a queued row may match and is not
// counted by the index yet (searchMatches reads it apart), so a term just
// under the limit with rows still queued is not taken for rare. The queue
// holds at most a few hundred entries between flushes.
func (s *Store) rareTerm(ctx context.Context, term string) bool {
	var n int
	err := s.conn(ctx).NewRaw("SELECT (SELECT count(*) FROM (SELECT 1 FROM member_search WHERE member_search MATCH ? LIMIT ?))"+
		" + (SELECT count(*) FROM (SELECT 1 FROM member_search_queue LIMIT ?))",
		ftsPhrase(term), scimRareMax+1, scimRareMax+1).Scan(ctx, &n)
	return err == nil && n <= scimRareMax
}
