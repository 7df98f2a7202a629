package models

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// A revoked invitation keeps its member row with status revoked: the row
// is how an admin finds it again (the members table's Revoked filter) and
// invites the same person again with the same roles. It is nobody's
// membership: its roles are kept aside in revoked_role_ids instead of
// member_roles (so role counts, SCIM Groups and role changes never see it),
// SCIM does not list or find it, and the default members view and its
// count leave it out. It still holds its email, userName and externalId in
// the unique indexes: inviting the address again reuses the row, and an
// identity provider or single sign-on that brings the same person frees it
// (freeRevoked), the new member winning over a withdrawn invitation.

// markRevoked turns invited m (roles loaded) into a revoked invitation.
func (s *Store) markRevoked(ctx context.Context, tx bun.IDB, m *Member) error {
	ids := make([]string, len(m.Roles))
	for i, r := range m.Roles {
		ids[i] = r.ID
	}
	if _, err := tx.NewDelete().Model((*MemberRole)(nil)).Where("member_id = ?", m.ID).Exec(ctx); err != nil {
		return err
	}
	m.Status, m.RevokedRoleIDs = StatusRevoked, strings.Join(ids, " ")
	return s.saveMember(ctx, tx, m, "status", "revoked_role_ids")
}

// InviteAgain gives a revoked invitation a fresh one: the same person, with
// the roles they were invited with, a new link by email, counted against
// the invite limit and audited. Roles deleted since are left out; when
// none is left they are invited as Members.
func (s *Store) InviteAgain(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	return s.changeMember(ctx, ws, memberID, StatusRevoked, " has no revoked invitation.", func(tx bun.Tx, m *Member) error {
		roles := m.Roles
		if len(roles) == 0 {
			var member Role
			if err := tx.NewSelect().Model(&member).Where("workspace_id = ? AND builtin = 'member'", ws.ID).Scan(ctx); err != nil {
				return err
			}
			roles = []Role{member}
		}
		if err := checkGrantable(actor, roles); err != nil {
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName +
				" was invited with a role whose permissions you don't have, so you can't invite them again."}
		}
		if err := s.checkInviteRate(ctx, tx, ws, actor); err != nil {
			return err
		}
		_, err := s.reinviteTx(ctx, tx, actor, ws, m, m.DisplayName, m.Location, roles)
		return err
	})
}

// reinviteTx invites revoked m again as name at location with roles: the
// row becomes invited, and a new link (returned) goes out by email.
func (s *Store) reinviteTx(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, m *Member, name, location string, roles []Role) (string, error) {
	if m.Roles == nil {
		if err := s.loadRevokedRoles(ctx, tx, []*Member{m}); err != nil {
			return "", err
		}
	}
	before := roleNames(m.Roles)
	changes := map[string]Change{"status": {StatusRevoked, StatusInvited}, "roles": {before, roleNames(roles)}}
	if name != "" && name != m.DisplayName {
		changes["name"] = Change{m.DisplayName, name}
		m.DisplayName = name
	}
	if location != m.Location {
		changes["location"] = Change{m.Location, location}
		m.Location = location
	}
	m.Status, m.RevokedRoleIDs, m.Roles = StatusInvited, "", roles
	if err := s.saveMember(ctx, tx, m, "status", "revoked_role_ids", "display_name", "location"); err != nil {
		return "", err
	}
	if err := setMemberRoles(ctx, tx, m.ID, roles); err != nil {
		return "", err
	}
	token, _, err := s.insertInvite(ctx, tx, ws, m, actor, true)
	if err != nil {
		return "", err
	}
	return token, s.audit(ctx, tx, ws.ID, actor, "member.reinvited", "member", m.ID, m.DisplayName, changes)
}

// freeRevoked deletes the workspace's revoked invitations that hold email,
// userName or externalId, for a new member who brings them. Each value may
// be empty (not looked for). It reports whether it deleted any.
func (s *Store) freeRevoked(ctx context.Context, tx bun.IDB, wsID, email, userName string, externalID *string) (bool, error) {
	var or []string
	var args []any
	if email != "" {
		or, args = append(or, "email = ?"), append(args, email)
	}
	if userName != "" {
		or, args = append(or, "lower(user_name) = ?"), append(args, dbLower(s.IsPostgres(), userName))
	}
	if externalID != nil {
		or, args = append(or, "external_id = ?"), append(args, *externalID)
	}
	if len(or) == 0 {
		return false, nil
	}
	// members_by_status keeps this to the workspace's revoked rows.
	res, err := tx.NewDelete().Model((*Member)(nil)).Where("workspace_id = ? AND status = ?", wsID, StatusRevoked).
		Where("("+strings.Join(or, " OR ")+")", args...).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// loadRevokedRoles gives revoked invitations among members the roles they
// were invited with (those that still exist), in place of member_roles.
func (s *Store) loadRevokedRoles(ctx context.Context, db bun.IDB, members []*Member) error {
	var ids []string
	for _, m := range members {
		if m.Status == StatusRevoked && m.RevokedRoleIDs != "" {
			ids = append(ids, strings.Fields(m.RevokedRoleIDs)...)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var roles []Role
	if err := db.NewSelect().Model(&roles).Where("id IN (?)", bun.In(ids)).OrderExpr(roleOrder).Scan(ctx); err != nil {
		return err
	}
	for _, m := range members {
		if m.Status != StatusRevoked {
			continue
		}
		m.Roles = nil
		for _, r := range roles {
			if strings.Contains(" "+m.RevokedRoleIDs+" ", " "+r.ID+" ") {
				m.Roles = append(m.Roles, r)
			}
		}
	}
	return nil
}
