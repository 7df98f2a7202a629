package models

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// walkPage is how many members a walk reads at a time: the most a members
// page may hold.
const walkPage = 200

// WalkMembers calls fn with every member q matches, a page at a time, in
// q's sort order, each with its roles: a keyset walk, so memory holds one
// page however many members match. q's cursors are ignored.
func (s *Store) WalkMembers(ctx context.Context, wsID string, q MemberQuery, fn func([]*Member) error) error {
	q.After, q.Before, q.NoTotal, q.Limit = "", "", true, walkPage
	for {
		pg, err := s.ListMembers(ctx, wsID, q)
		if err != nil {
			return err
		}
		if len(pg.Members) > 0 {
			if err := fn(pg.Members); err != nil {
				return err
			}
		}
		if pg.Next == "" {
			return nil
		}
		q.After = pg.Next
	}
}

// SourceDirect is the export's source for a member none of the
// MemberSource kinds left a trace of (the workspace's creator, demo
// members); the export uses the member page's kinds otherwise.
const SourceDirect = "direct"

// ExportRow is one member as the members export shows them.
type ExportRow struct {
	Name, Email, Location, Status, Source string
	Roles                                 []string
	InvitedAt, JoinedAt, LastSeen         *time.Time
}

// ExportMembers audits the export of the view q and returns the walk
// that reads it: it calls fn with every member q matches, a page at a time
// in the view's order. The audit event is written first, so an export that
// fails half way is still on record; the walk may run later (while the
// response streams).
//
// Source is derived from what exists: SCIM-managed members came from an
// identity provider; members an import invited have its row; members who
// joined through single sign-on have its audit event (sso.jit_joined);
// others with an invitation were invited; the rest are direct (the
// workspace's creator, demo members). Invited at is the first invitation;
// joined at is when one was accepted, or when a member with an account
// was created without one (SCIM, SSO, the creator).
func (s *Store) ExportMembers(ctx context.Context, actor Actor, ws *Workspace, q MemberQuery) (func(ctx context.Context, fn func([]ExportRow) error) error, error) {
	roleName := q.RoleID
	if q.RoleID != "" {
		if r, err := s.RoleByID(ctx, ws.ID, q.RoleID); err == nil {
			roleName = r.Name
		}
	}
	err := s.tx(ctx, func(tx bun.Tx) error {
		return s.audit(ctx, tx, ws.ID, actor, "members.exported", "workspace", ws.ID, ws.Name,
			map[string]Change{"view": {nil, describeView(q, roleName)}})
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, fn func([]ExportRow) error) error {
		return s.WalkMembers(ctx, ws.ID, q, func(ms []*Member) error {
			rows, err := s.exportRows(ctx, ms)
			if err != nil {
				return err
			}
			return fn(rows)
		})
	}, nil
}

// describeView words a members view for the audit log.
func describeView(q MemberQuery, roleName string) string {
	var parts []string
	if q.Search != "" {
		parts = append(parts, "search “"+q.Search+"”")
	}
	if q.Status != "" {
		parts = append(parts, "status "+q.Status)
	}
	if q.RoleID != "" {
		parts = append(parts, "role "+roleName)
	}
	if len(parts) == 0 {
		return "all members"
	}
	return strings.Join(parts, ", ")
}

func (s *Store) exportRows(ctx context.Context, ms []*Member) ([]ExportRow, error) {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	var imported, joinedSSO []string
	if err := s.rdb.NewSelect().Model((*ImportRow)(nil)).Column("member_id").
		Where("member_id IN (?) AND result = 'invited'", bun.In(ids)).Scan(ctx, &imported); err != nil {
		return nil, err
	}
	if err := s.rdb.NewSelect().Model((*AuditEvent)(nil)).Column("target_id").
		Where("target_id IN (?) AND action = 'sso.jit_joined'", bun.In(ids)).Scan(ctx, &joinedSSO); err != nil {
		return nil, err
	}
	var invites []Invite
	if err := s.rdb.NewSelect().Model(&invites).Column("member_id", "state", "created_at", "ended_at").
		Where("member_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	source := map[string]string{}
	for _, id := range imported {
		source[id] = SourceImport
	}
	for _, id := range joinedSSO {
		source[id] = SourceSSO
	}
	invited, accepted := map[string]time.Time{}, map[string]time.Time{}
	for _, inv := range invites {
		if t, ok := invited[inv.MemberID]; !ok || inv.CreatedAt.Before(t) {
			invited[inv.MemberID] = inv.CreatedAt
		}
		if inv.State == InviteAccepted && inv.EndedAt != nil {
			accepted[inv.MemberID] = *inv.EndedAt
		}
	}
	rows := make([]ExportRow, len(ms))
	for i, m := range ms {
		r := ExportRow{Name: m.DisplayName, Email: m.Email, Location: m.Location, Status: m.Status,
			Roles: roleNames(m.Roles), LastSeen: m.LastSeenAt, Source: source[m.ID]}
		if t, ok := invited[m.ID]; ok {
			r.InvitedAt = &t
		}
		if t, ok := accepted[m.ID]; ok {
			r.JoinedAt = &t
		} else if m.AccountID != nil {
			t := m.CreatedAt
			r.JoinedAt = &t
		}
		switch {
		case m.SCIMManaged:
			r.Source = SourceSCIM
		case r.Source != "":
		case r.InvitedAt != nil:
			r.Source = SourceInvited
		default:
			r.Source = SourceDirect
		}
		rows[i] = r
	}
	return rows, nil
}
