package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Membership loads acc's member row in a workspace together with the union of
// its roles' permissions. It is read on every workspace request, so a role
// change takes effect on the member's next request.
func (s *Store) Membership(ctx context.Context, wsID, accountID string) (*Member, PermissionSet, error) {
	m, perms, _, err := s.MembershipAt(ctx, wsID, accountID)
	return m, perms, err
}

// Counters are a workspace's change counter (workspace_changes) and its
// "seen" counter (workspace_seen), read together.
type Counters struct{ Changes, Seen int64 }

// MembershipAt is Membership, with the workspace's counters as read in the
// same statement as the member row: a members page that runs no write in
// between may read its page under them (MemberQuery.Counters) instead of
// reading them again.
func (s *Store) MembershipAt(ctx context.Context, wsID, accountID string) (*Member, PermissionSet, Counters, error) {
	// Prepared: this runs on every page view of a workspace. The
	// workspace's change counter comes with the row: the member's roles
	// are kept under it (membership_roles.go).
	var rows []struct {
		Member
		Changes int64 `bun:"changes"`
		Seen    int64 `bun:"seen"`
	}
	if err := s.queryPrepared(ctx, &rows, "SELECT "+s.modelColumns(Member{}, "m")+
		", COALESCE((SELECT sum(n) FROM workspace_changes WHERE workspace_id = m.workspace_id), 0) AS changes"+
		", COALESCE((SELECT sum(n) FROM workspace_seen WHERE workspace_id = m.workspace_id), 0) AS seen"+
		" FROM members AS m WHERE m.workspace_id = ? AND m.account_id = ?", wsID, accountID); err != nil {
		return nil, nil, Counters{}, err
	}
	if len(rows) == 0 {
		return nil, nil, Counters{}, ErrNotFound
	}
	m := rows[0].Member
	if err := s.membershipRoles(ctx, &m, rows[0].Changes); err != nil {
		return nil, nil, Counters{}, err
	}
	perms := PermissionSet{}
	for _, r := range m.Roles {
		for _, p := range r.PermissionList() {
			perms[p] = true
		}
	}
	return &m, perms, Counters{rows[0].Changes, rows[0].Seen}, nil
}

// roleOrder lists a member's roles Admin first, then Member, then by name.
const roleOrder = "CASE r.builtin WHEN 'admin' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, lower(r.name)"

// loadRoles fills Roles for each member with one query.
func (s *Store) loadRoles(ctx context.Context, db bun.IDB, members []*Member) (err error) {
	if len(members) == 0 {
		return nil
	}
	defer func() { // revoked invitations keep their roles aside
		if err == nil {
			err = s.loadRevokedRoles(ctx, db, members)
		}
	}()
	ids := make([]string, len(members))
	byID := make(map[string]*Member, len(members))
	for i, m := range members {
		ids[i] = m.ID
		byID[m.ID] = m
		m.Roles = nil
	}
	var rows []struct {
		MemberID string `bun:"member_id"`
		Role
	}
	if len(ids) == 1 && db == bun.IDB(s.rdb) { // one member: the common case, prepared
		if err := s.queryPrepared(ctx, &rows, `SELECT mr.member_id, `+s.modelColumns(Role{}, "r")+` FROM member_roles AS mr JOIN roles AS r ON r.id = mr.role_id
			WHERE mr.member_id = ? ORDER BY `+roleOrder, ids[0]); err != nil {
			return err
		}
		members[0].Roles = make([]Role, len(rows))
		for i, row := range rows {
			members[0].Roles[i] = row.Role
		}
		return nil
	}
	err = db.NewSelect().TableExpr("member_roles AS mr").
		ColumnExpr("mr.member_id").ColumnExpr("r.*").
		Join("JOIN roles AS r ON r.id = mr.role_id").
		Where("mr.member_id IN (?)", bun.In(ids)).
		OrderExpr(roleOrder).Scan(ctx, &rows)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if m := byID[row.MemberID]; m != nil {
			m.Roles = append(m.Roles, row.Role)
		}
	}
	return nil
}

// loadInvites fills the current invitation of each invited member, and
// whether its email failed for good.
func (s *Store) loadInvites(ctx context.Context, members []*Member) error {
	byID := map[string]*Member{}
	var ids []string
	for _, m := range members {
		if m.Status == StatusInvited {
			byID[m.ID] = m
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// Prepared (one statement per number of ids): a members page reads
	// its invitations on every view, even from a kept page.
	var invites []Invite
	from, args := s.fromIDs(ids, "invites", "i", "member_id", "i.state = ?", InvitePending)
	if err := s.queryPrepared(ctx, &invites, "SELECT "+s.modelColumns(Invite{}, "i")+" FROM "+from, args...); err != nil {
		return err
	}
	now := s.now()
	inviteIDs := make([]string, 0, len(invites))
	byInvite := map[string]*Member{}
	for i := range invites {
		m := byID[invites[i].MemberID]
		m.Invite = &invites[i]
		m.InviteExpired = !now.Before(invites[i].ExpiresAt)
		inviteIDs = append(inviteIDs, invites[i].ID)
		byInvite[invites[i].ID] = m
	}
	if len(inviteIDs) == 0 {
		return nil
	}
	status, err := s.OutboxStatus(ctx, inviteIDs)
	if err != nil {
		return err
	}
	for id, st := range status {
		byInvite[id].EmailFailed = st.Failed
	}
	return nil
}

// lastSeenEvery bounds how often a member's "last seen" is written.
const lastSeenEvery = 5 * time.Minute

// TouchMember records that m was seen now, at most every few minutes.
func (s *Store) TouchMember(ctx context.Context, m *Member) error {
	now := s.now()
	if m.LastSeenAt != nil && now.Sub(*m.LastSeenAt) < lastSeenEvery {
		return nil
	}
	m.LastSeenAt = &now
	_, err := s.db.NewUpdate().Model(m).Set("last_seen_at = ?", now).WherePK().Exec(ctx)
	return err
}
