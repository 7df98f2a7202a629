package models

import "github.com/uptrace/bun"

// FilterExpired is the members table's status filter for invitations whose
// link has expired (invited members, found through their pending link).
const FilterExpired = "expired"

// MemberStatusFilters are the members table's status filters. "" (All) is
// every member but revoked invitations, which, as in Linear and Slack, are
// not people in the workspace: they show under their own filter.
var MemberStatusFilters = []string{StatusActive, StatusInvited, FilterExpired, StatusDeactivated, StatusRevoked}

// statusFilter narrows the members query sq to one of MemberStatusFilters.
func (s *Store) statusFilter(sq *bun.SelectQuery, status string) *bun.SelectQuery {
	switch status {
	case "":
		return sq.Where("m.status <> ?", StatusRevoked)
	case FilterExpired:
		return sq.Where("m.status = ?", StatusInvited).Where("EXISTS (SELECT 1 FROM invites AS i WHERE i.member_id = m.id AND i.state = ? AND i.expires_at <= ?)",
			InvitePending, s.now())
	default:
		return sq.Where("m.status = ?", status)
	}
}
