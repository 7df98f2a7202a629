package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// MemberSorts are the columns the members table sorts by. Each is backed by
// an index that ends in id, so every page is an index range scan (keyset
// paging), however deep.
var MemberSorts = map[string][]string{
	"name":     {"m.sort_name", "m.id"},
	"email":    {"m.email", "m.id"},
	"location": {"m.location", "m.id"},
	"status":   {"m.status", "m.sort_name", "m.id"},
	"joined":   {"m.created_at", "m.id"},
}

// searchLookupMax is how many matches a search may have for ListMembers to
// look them all up and sort them rather than walk the sort index.
var searchLookupMax = 2000

// MemberQuery is what the members table asks for: search, filters, sort and
// a position given by a cursor from an earlier page.
type MemberQuery struct {
	Search string
	Status string // "", or one of the statuses
	RoleID string
	Sort   string // a key of MemberSorts; "" is "name"
	Desc   bool
	After  string // cursor: the page after this row
	Before string // cursor: the page before this row
	// Offset, without a cursor, starts the page at this row (a page
	// number's); past the end it is the last page (see members_jump.go).
	Offset int
	Limit  int
	// NoTotal skips counting the matches: a walk over every page (the
	// export, a bulk action) needs no "of N".
	NoTotal bool
	// Counters, when not nil, are the workspace's counters as this
	// request read them before anything of the page, with no write of its
	// own since (Store.MembershipAt): the page is read under them instead
	// of reading them again. Values read after them are at least as new,
	// so the page can only be fresher than they say, never staler.
	Counters *Counters
}

// memberCountCap is as far as a search's matches are counted: counting
// walks every match, and "10,000+" says enough.
var memberCountCap = 10_000

// MemberPage is one page of the members table.
type MemberPage struct {
	Members []*Member
	// Total is how many members the view holds, exactly when TotalCapped
	// is false; when TotalCapped is true there are more than Total
	// (memberCountCap), and how many more was not counted.
	Total       int
	TotalCapped bool
	// Next and Prev are cursors for the neighbouring pages, "" where there is none.
	Next, Prev string
	// Offset is where a page asked for by Offset starts, after clamping.
	Offset int
	// Changes is the workspace's change counter read before the page's
	// data, -1 when it was not read (the "expired" filter, a walk): the
	// page's change token, and what RolesAt and SoleActiveAdminAt keep
	// under.
	Changes int64 `json:"-"`
}

// cursor is a page boundary: the sort values and id of one row.
type cursor []string

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, n int) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || json.Unmarshal(b, &c) != nil || len(c) != n {
		return nil, false
	}
	return c, true
}

func sortValues(m *Member, cols []string) cursor {
	c := make(cursor, len(cols))
	for i, col := range cols {
		switch col {
		case "m.sort_name":
			c[i] = m.SortName
		case "m.email":
			c[i] = m.Email
		case "m.location":
			c[i] = m.Location
		case "m.status":
			c[i] = m.Status
		case "m.created_at":
			c[i] = m.CreatedAt.Format(time.RFC3339Nano)
		case "m.id":
			c[i] = m.ID
		}
	}
	return c
}

// cursorArgs turns cursor strings back into typed query arguments (times
// must be times, so each database compares them as it stored them).
func cursorArgs(c cursor, cols []string) ([]any, bool) {
	args := make([]any, len(c))
	for i, col := range cols {
		args[i] = c[i]
		if col == "m.created_at" {
			t, err := time.Parse(time.RFC3339Nano, c[i])
			if err != nil {
				return nil, false
			}
			args[i] = t
		}
	}
	return args, true
}

// trigramFilter keeps a workspace's members whose name, email or location
// contains term (case-folded, three characters or more) through SQLite's
// FTS5 trigram index (see the member_search migration). PostgreSQL's
// trigram index serves the plain LIKE by itself.
//
// A unary + hides the workspace index from SQLite's planner, which would
// otherwise walk a whole workspace and probe every row; it looks the
// matches up by id instead. For many matches ListMembers walks the sort
// index with LIKE instead, which stops after a page.
func (s *Store) trigramFilter(sq *bun.SelectQuery, wsID, term string) *bun.SelectQuery {
	return sq.Where("+m.workspace_id = ?", wsID).Where(`m.id IN (SELECT r.member_id FROM member_search_rows AS r WHERE r.id IN `+
		`(`+searchMatches+`))`, ftsPhrase(term), term)
}

// ftsPhrase quotes term as one FTS5 phrase: with the trigram tokenizer, a
// phrase matches wherever it occurs as a substring.
func ftsPhrase(term string) string { return `"` + strings.ReplaceAll(term, `"`, `""`) + `"` }

// StatusCounts returns how many members a workspace has per status, and in
// all under "" (revoked invitations left out). The triggers of the member_counts migration keep these.
func (s *Store) StatusCounts(ctx context.Context, wsID string) (map[string]int, error) {
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	// PostgreSQL keeps each count in shards (migration 20261203000310).
	if err := s.rdb.NewSelect().Table("member_counts").Column("status").ColumnExpr("sum(n) AS n").Where("workspace_id = ?", wsID).Group("status").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Status] = r.N
		if r.Status != StatusRevoked { // not in the workspace: not in All
			counts[""] += r.N
		}
	}
	return counts, nil
}

// ListMembers returns one page of a workspace's members. An unknown sort or
// a malformed cursor falls back to the first page by name rather than
// failing: both come from URLs people edit and bookmark.
func (s *Store) ListMembers(ctx context.Context, wsID string, q MemberQuery) (*MemberPage, error) {
	ctx, cancel := s.listCtx(ctx)
	defer cancel()
	page, err := s.listMembers(ctx, wsID, q)
	return page, listErr(ctx, err)
}

func (s *Store) listMembers(ctx context.Context, wsID string, q MemberQuery) (*MemberPage, error) {
	cols, ok := MemberSorts[q.Sort]
	if !ok {
		cols = MemberSorts["name"]
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	term := foldCase(strings.TrimSpace(q.Search))
	trigram := term != "" && !s.IsPostgres() && utf8.RuneCountInString(term) >= 3
	// lookup: find the search's matches first and sort them, instead of
	// walking the sort index and testing each row (see searchFilter).
	lookup := false
	filters := func(sq *bun.SelectQuery) *bun.SelectQuery {
		sq = s.statusFilter(sq, q.Status)
		if q.RoleID != "" {
			sq = sq.Where("EXISTS (SELECT 1 FROM member_roles AS mr WHERE mr.member_id = m.id AND mr.role_id = ?)", q.RoleID)
		}
		return sq
	}
	filter := func(sq *bun.SelectQuery) *bun.SelectQuery {
		switch {
		case trigram && lookup:
			sq = s.trigramFilter(sq, wsID, term)
		case term != "":
			// Short terms, and common ones: walking the sort index and
			// testing each row meets a page of matches soon.
			escape := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
			sq = sq.Where("m.workspace_id = ?", wsID).Where(`m.search_text LIKE ? ESCAPE '\'`, "%"+escape.Replace(term)+"%")
		default:
			sq = sq.Where("m.workspace_id = ?", wsID)
		}
		return filters(sq)
	}

	// The change counter, read before anything else of the page, names
	// what is kept of it (members_page_cache.go, members_count_cache.go);
	// the "seen" counter, read with it, says whether the kept page's
	// last-seen times still hold;
	// not for the "expired" filter, which also depends on the time, nor
	// for a walk (NoTotal), which reads each page once.
	var changes, seen int64
	counted := false
	pageKey := ""
	if q.Status != FilterExpired && !q.NoTotal {
		if q.Counters != nil {
			changes, seen = q.Counters.Changes, q.Counters.Seen
		} else {
			var err error
			if changes, seen, err = s.readChangesSeen(ctx, wsID); err != nil {
				return nil, err
			}
		}
		counted = true
		if !s.NoMemberPageCache {
			pageKey = memberPageKey(wsID, changes, term, cols, q)
			if e, ok := s.memberPages.Get(pageKey); ok {
				return s.keptPage(ctx, pageKey, e.page, e.seen, seen)
			}
		}
	}

	page := &MemberPage{Changes: -1}
	if counted {
		page.Changes = changes
	}
	countKey := "" // a search's count not in the cache: kept under this key
	// A walk that needs no total (the export, a bulk action) reads no
	// counts either: it calls this once a page.
	var counts map[string]int
	if !q.NoTotal {
		var err error
		if counts, err = s.StatusCounts(ctx, wsID); err != nil {
			return nil, err
		}
	}
	switch {
	case q.NoTotal:
		page.Total = -1 // unknown; and -1 walks the sort index below
	case term == "" && q.RoleID == "" && q.Status != FilterExpired:
		page.Total = counts[q.Status]
	case term != "" && s.cachedSearchCount(wsID, changes, counted, term, q, page, &countKey):
	case trigram:
		// The index's matches drive the count, which stops at the cap
		// (members is joined only for a status or role filter, or to leave
		// out revoked invitations when the workspace has any).
		// CROSS JOIN keeps the matches the outer loop, read as they come
		// (searchMatches, a compound, is not flattened into the join).
		sq := s.rdb.NewSelect().TableExpr("("+searchMatches+") AS f", ftsPhrase(term), term).ColumnExpr("1").
			Join("CROSS JOIN member_search_rows AS r ON r.id = f.id").
			Where("r.workspace_id = ?", wsID)
		if q.Status != "" || q.RoleID != "" || counts[StatusRevoked] > 0 {
			sq = filters(sq.Join("JOIN members AS m ON m.id = r.member_id"))
		}
		var err error
		page.Total, page.TotalCapped, err = s.countCapped(ctx, sq, memberCountCap)
		if err != nil {
			return nil, err
		}
		s.keepSearchCount(countKey, page)
	default:
		var err error
		page.Total, page.TotalCapped, err = s.countCapped(ctx, filter(s.rdb.NewSelect().TableExpr("members AS m").ColumnExpr("1")), memberCountCap)
		if err != nil {
			return nil, err
		}
		s.keepSearchCount(countKey, page)
	}
	// Few matches: look them up and sort them. Many: walking the sort index
	// meets a page's worth of them soon.
	lookup = trigram && page.Total >= 0 && page.Total <= searchLookupMax
	if q.Offset > 0 && q.After == "" && q.Before == "" {
		page.Offset = jumpOffset(q.Offset, page.Total, q.Limit)
		var err error
		exact := !page.TotalCapped // a capped count can't be counted from the end
		if q.After, err = s.cursorBefore(ctx, filter, cols, q.Desc, page.Offset, page.Total, exact); err != nil {
			return nil, err
		}
		if q.After == "" {
			page.Offset = 0
		}
	}

	// Walking backwards (the page before a cursor) reads in the opposite
	// order and flips the rows afterwards.
	backwards := false
	var bound cursor
	if c, ok := decodeCursor(q.Before, len(cols)); q.Before != "" && ok {
		bound, backwards = c, true
	} else if c, ok := decodeCursor(q.After, len(cols)); q.After != "" && ok {
		bound = c
	}
	desc := q.Desc != backwards
	sq := filter(s.rdb.NewSelect().Model(&page.Members))
	if bound != nil {
		args, ok := cursorArgs(bound, cols)
		if ok {
			op := ">"
			if desc {
				op = "<"
			}
			sq = sq.Where("("+strings.Join(cols, ", ")+") "+op+" ("+placeholders(len(cols))+")", args...)
		} else {
			bound, backwards, desc = nil, false, q.Desc
		}
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	for _, col := range cols {
		sq = sq.OrderExpr(col + dir)
	}
	if err := sq.Limit(int64(q.Limit + 1)).Scan(ctx); err != nil {
		return nil, err
	}
	more := len(page.Members) > q.Limit
	if more {
		page.Members = page.Members[:q.Limit]
	}
	if backwards {
		for i, j := 0, len(page.Members)-1; i < j; i, j = i+1, j-1 {
			page.Members[i], page.Members[j] = page.Members[j], page.Members[i]
		}
	}
	if n := len(page.Members); n > 0 {
		first, last := encodeCursor(sortValues(page.Members[0], cols)), encodeCursor(sortValues(page.Members[n-1], cols))
		if backwards {
			page.Next = last
			if more {
				page.Prev = first
			}
		} else {
			if more {
				page.Next = last
			}
			if bound != nil {
				page.Prev = first
			}
		}
	}
	if err := s.loadRoles(ctx, s.rdb, page.Members); err != nil {
		return nil, err
	}
	if pageKey != "" {
		s.memberPages.Put(pageKey, keptMemberPage{clonePage(page), seen})
	}
	return page, s.loadInvites(ctx, page.Members)
}

// countCapped counts the rows of sel (which selects a constant) up to
// limit: (limit, true) when there are more. It reads limit+1 rows at most.
func (s *Store) countCapped(ctx context.Context, sel *bun.SelectQuery, limit int) (int, bool, error) {
	var n int
	err := s.rdb.NewSelect().TableExpr("(?) AS capped", sel.Limit(int64(limit+1))).ColumnExpr("count(*)").Scan(ctx, &n)
	if n > limit {
		return limit, true, err
	}
	return n, false, err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
