package models

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// A members page is the same page for as long as the workspace's change
// counter (workspace_changes) stays put: its triggers move it with every
// change to a member, their roles or a role, on any replica, and those
// are all the rows, order, counts and cursors of a page come from. So a
// page is kept under the counter's value and served again until it moves:
// the first view after any change reads afresh. When each member was last
// seen is deliberately off that counter (so signing in does not reload
// every open table): it moves a second counter, workspace_seen (migration
// 20261204000600), read in the same statement, and a kept page remembers
// the value its last-seen times were read under: they are read again only
// when it moved. Invitations (their links, expiry, email failures:
// loadInvites) are read on every view even from a kept page. The "expired" filter depends on the time,
// and walks (NoTotal: the export, bulk actions) read each page once, so
// neither is kept.
//
// A search for a term of middling frequency ("lovelace" at 100,000
// members) walks a couple of thousand rows of the sort index to fill a
// page; every other view of it while nothing changes, paging back
// included, costs what the first page of the table does.

// memberPageCacheMax bounds the pages kept (memberPages, by memberPageKey),
// over all workspaces (a page of 50 members is some tens of kB). Full, one
// page at random makes room (bounded.Map): pages under an older counter
// are dead anyway.
const memberPageCacheMax = 64

// keptMemberPage is a kept page and the workspace's "seen" counter its
// members' last-seen times were read under (or after).
type keptMemberPage struct {
	page *MemberPage
	seen int64
}

// memberPageKey names a page: workspace, change counter and the whole
// query as listMembers normalised it.
func memberPageKey(wsID string, changes int64, term string, cols []string, q MemberQuery) string {
	return strings.Join([]string{wsID, strconv.FormatInt(changes, 10), term, q.Status, q.RoleID,
		strings.Join(cols, ","), strconv.FormatBool(q.Desc), q.After, q.Before,
		strconv.Itoa(q.Offset), strconv.Itoa(q.Limit), strconv.Itoa(memberCountCap)}, "\x00")
}

// clonePage copies p with its own members (and their role lists), so
// neither the cache nor a request sees the other's changes; invitations
// are left out, as they are read on each view.
func clonePage(p *MemberPage) *MemberPage {
	c := *p
	if p.Members == nil {
		return &c
	}
	c.Members = make([]*Member, len(p.Members))
	for i, m := range p.Members {
		cm := *m
		cm.Roles = append([]Role(nil), m.Roles...)
		cm.Invite, cm.EmailFailed, cm.InviteExpired = nil, false, false
		c.Members[i] = &cm
	}
	return &c
}

// keptPage serves a kept page: a copy, with their invitations read now,
// and when each member was last seen read again if the "seen" counter
// moved since the kept page's (keptSeen) to seen, read before this call:
// times read after it hold for it, so the page is kept again under it.
func (s *Store) keptPage(ctx context.Context, key string, kept *MemberPage, keptSeen, seen int64) (*MemberPage, error) {
	page := clonePage(kept)
	if keptSeen != seen {
		if err := s.loadLastSeen(ctx, page.Members); err != nil {
			return nil, err
		}
		s.memberPages.Put(key, keptMemberPage{clonePage(page), seen})
	}
	return page, s.loadInvites(ctx, page.Members)
}

// readChangesSeen reads a workspace's change counter and its "seen"
// counter (workspace_seen), in one prepared statement (every members page
// view reads them); both are sums over shards on PostgreSQL.
func (s *Store) readChangesSeen(ctx context.Context, wsID string) (changes, seen int64, err error) {
	var rows []struct {
		Changes int64 `bun:"changes"`
		Seen    int64 `bun:"seen"`
	}
	err = s.queryPrepared(ctx, &rows, `SELECT COALESCE((SELECT sum(n) FROM workspace_changes WHERE workspace_id = ?), 0) AS changes, `+
		`COALESCE((SELECT sum(n) FROM workspace_seen WHERE workspace_id = ?), 0) AS seen`, wsID, wsID)
	if err == nil && len(rows) == 1 {
		changes, seen = rows[0].Changes, rows[0].Seen
	}
	return changes, seen, err
}

// ReadCounters reads a workspace's counters as ListMembers does when
// MemberQuery.Counters is nil: for a caller that needs the change counter
// before listing, and passes them on.
func (s *Store) ReadCounters(ctx context.Context, wsID string) (Counters, error) {
	changes, seen, err := s.readChangesSeen(ctx, wsID)
	return Counters{changes, seen}, err
}

// loadLastSeen reads when each member was last seen, in one statement.
func (s *Store) loadLastSeen(ctx context.Context, members []*Member) error {
	if len(members) == 0 {
		return nil
	}
	ids := make([]string, len(members))
	byID := make(map[string]*Member, len(members))
	for i, m := range members {
		ids[i] = m.ID
		byID[m.ID] = m
	}
	var rows []struct {
		ID         string     `bun:"id"`
		LastSeenAt *time.Time `bun:"last_seen_at"`
	}
	from, args := s.fromIDs(ids, "members", "m", "id", "")
	if err := s.queryPrepared(ctx, &rows, "SELECT m.id, m.last_seen_at FROM "+from, args...); err != nil {
		return err
	}
	for _, r := range rows {
		byID[r.ID].LastSeenAt = r.LastSeenAt
	}
	return nil
}
