package models

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"

	"github.com/uptrace/bun"
)

// UpdateInput is what the Edit dialog changes.
type UpdateInput struct {
	Name     string
	RoleIDs  []string
	Location string
	// RolesOnly changes the roles alone (a member page's Role form): Name
	// and Location are ignored and stay as they are.
	RolesOnly bool
}

// managedByIdP refuses a change to a field a SCIM-managed member's identity
// provider owns.
const managedByIdP = "Managed by your identity provider: change it there."

// UpdateMember changes a member's name, roles and location. The last active
// Admin of a workspace keeps the Admin role; a SCIM-managed member's name and
// location cannot change here.
func (s *Store) UpdateMember(ctx context.Context, actor Actor, ws *Workspace, memberID string, in UpdateInput) (*Member, error) {
	in.Name, in.Location = cleanName(in.Name), cleanName(in.Location)
	v := validator{}
	if !in.RolesOnly {
		checkName(v, "name", in.Name, "a name", maxNameRunes)
		checkLocation(v, in.Location)
	}
	if len(in.RoleIDs) == 0 {
		v.add("role", "Choose a role.")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var m *Member
	err := s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
		}
		var err error
		if m, err = memberInWorkspace(ctx, tx, ws.ID, memberID); err != nil {
			return err
		}
		if m.Status == StatusRevoked { // invited again, not edited: see invites_revoked.go
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName + "'s invitation was revoked: invite them again instead."}
		}
		if err := s.loadRoles(ctx, tx, []*Member{m}); err != nil {
			return err
		}
		if in.RolesOnly { // read inside the transaction: a concurrent rename stays
			in.Name, in.Location = m.DisplayName, m.Location
		}
		// The identity provider owns a SCIM-managed member's name and
		// location: a change made here would be overwritten by its next
		// push, so it is refused. The same values (as the dialog sends them
		// back) are no change; roles stay editable.
		if m.SCIMManaged && !in.RolesOnly {
			mv := validator{}
			if in.Name != cleanName(m.DisplayName) {
				mv.add("name", managedByIdP)
			}
			if in.Location != cleanName(m.Location) {
				mv.add("location", managedByIdP)
			}
			if err := mv.err(); err != nil {
				return err
			}
			in.Name, in.Location = m.DisplayName, m.Location
		}
		roles := make([]Role, 0, len(in.RoleIDs))
		for _, id := range in.RoleIDs {
			r, err := roleInWorkspace(ctx, tx, ws.ID, id)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(roles, func(x Role) bool { return x.ID == r.ID }) {
				roles = append(roles, *r)
			}
		}
		// Roles given or taken away must be ones the actor could give.
		if err := checkGrantable(actor, roleDiff(m.Roles, roles)); err != nil {
			return err
		}
		hadAdmin, hasAdmin := hasAdminRole(m.Roles), hasAdminRole(roles)
		if hadAdmin && !hasAdmin {
			if err := s.guardLastAdmin(ctx, tx, ws, m, "remove the Admin role from"); err != nil {
				return err
			}
		}
		changes := map[string]Change{}
		if m.DisplayName != in.Name {
			changes["name"] = Change{m.DisplayName, in.Name}
		}
		if m.Location != in.Location {
			changes["location"] = Change{m.Location, in.Location}
		}
		if before, after := roleNames(m.Roles), roleNames(roles); !slices.Equal(before, after) {
			changes["roles"] = Change{before, after}
			if err := setMemberRoles(ctx, tx, m.ID, roles); err != nil {
				return err
			}
		}
		if len(changes) == 0 {
			return nil
		}
		m.DisplayName, m.Location, m.Roles = in.Name, in.Location, roles
		if err := s.saveMember(ctx, tx, m, "display_name", "location"); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "member.updated", "member", m.ID, m.DisplayName, changes)
	})
	if err != nil {
		return nil, err
	}
	return m, s.loadRoles(ctx, s.rdb, []*Member{m})
}

// saveMember writes the given columns of m with its derived columns, a new
// version and update time.
func (s *Store) saveMember(ctx context.Context, tx bun.IDB, m *Member, columns ...string) error {
	m.setDerived()
	m.Version++
	m.UpdatedAt = s.now()
	columns = append(columns, "sort_name", "search_text", "version", "updated_at")
	_, err := tx.NewUpdate().Model(m).Column(columns...).WherePK().Exec(ctx)
	return err
}

func hasAdminRole(roles []Role) bool {
	return slices.ContainsFunc(roles, func(r Role) bool { return r.IsAdmin() })
}

func roleNames(roles []Role) []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	slices.Sort(names)
	return names
}

// activeAdmins selects the workspace's active members with the Admin role.
//
// It starts from the workspace's Admin role and walks its members
// (member_roles_role), not from the members: a workspace has a few Admins
// among up to 100,000 members, and SQLite, left to choose, read the active
// members one by one looking for Admins (a members page's SoleActiveAdmin
// cost 1–140 ms at 100,000 members; this way 0.2 ms). CROSS JOIN fixes that
// order on SQLite; PostgreSQL plans it as an inner join either way.
func activeAdmins(db bun.IDB, workspaceID string) *bun.SelectQuery {
	return db.NewSelect().TableExpr("roles AS r").
		Join("CROSS JOIN member_roles AS mr").
		Join("CROSS JOIN members AS m").
		Where("mr.role_id = r.id AND m.id = mr.member_id").
		Where("r.workspace_id = ? AND r.builtin = 'admin' AND m.status = ?", workspaceID, StatusActive)
}

// SoleActiveAdmin returns the id of the workspace's only active Admin, or ""
// when it has several: the one whom guardLastAdmin protects.
func (s *Store) SoleActiveAdmin(ctx context.Context, workspaceID string) (string, error) {
	var ids []string
	if err := activeAdmins(s.rdb, workspaceID).Column("m.id").Limit(2).Scan(ctx, &ids); err != nil {
		return "", err
	}
	if len(ids) != 1 {
		return "", nil
	}
	return ids[0], nil
}

// guardLastAdmin refuses a change that would leave the workspace without an
// active Admin: m is active with the Admin role and nobody else is.
func (s *Store) guardLastAdmin(ctx context.Context, tx bun.IDB, ws *Workspace, m *Member, doing string) error {
	if m.Status != StatusActive {
		return nil
	}
	if m.Roles == nil {
		if err := s.loadRoles(ctx, tx, []*Member{m}); err != nil {
			return err
		}
	}
	if !hasAdminRole(m.Roles) {
		return nil
	}
	others, err := activeAdmins(tx, ws.ID).Where("m.id <> ?", m.ID).Count(ctx)
	if err != nil {
		return err
	}
	if others == 0 {
		return &ConflictError{Field: "role", Code: ConflictLastAdmin, MemberID: m.ID,
			Message: m.DisplayName + " is the only active Admin of " + ws.Name + ", so you cannot " + doing + " them. Make someone else an Admin first."}
	}
	return nil
}

// Deactivate turns a member's access off at once (every request checks the
// member's status) and signs their account out everywhere if this was its
// only workspace. Their data and roles stay, for Reactivate.
func (s *Store) Deactivate(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	return s.changeMember(ctx, ws, memberID, StatusActive, " is not active.", func(tx bun.Tx, m *Member) error {
		if err := checkRemovable(actor, m); err != nil {
			return err
		}
		if err := s.guardLastAdmin(ctx, tx, ws, m, "deactivate"); err != nil {
			return err
		}
		if err := checkNotSelf(actor, m, "deactivate"); err != nil {
			return err
		}
		m.Status = StatusDeactivated
		if err := s.saveMember(ctx, tx, m, "status"); err != nil {
			return err
		}
		if err := s.endSessionsIfNoWorkspaceLeft(ctx, tx, m, SessionDeactivated); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "member.deactivated", "member", m.ID, m.DisplayName,
			map[string]Change{"status": {StatusActive, StatusDeactivated}})
	})
}

// changeMember runs one change to a member of ws in a transaction, after
// checking the member is in status want ("" takes any status; otherwise
// wrongState completes the refusal "<name> …"). fn gets the member with its
// roles.
//
// On PostgreSQL the member's row is locked (FOR UPDATE) for the whole
// change, so two changes to one member take turns and each acts on its
// current status and roles. The workspace is locked exclusively
// (lockWorkspace) only when the change can break the last-admin rule: the
// member is an active Admin now (a role taken away, a deactivation or a
// removal of them could leave nobody to run the workspace). Any other
// change takes the workspace row in share mode (lockWorkspaceShared): such
// changes run side by side, and still wait for (and hold off) the
// operations that lock the workspace exclusively, as before. Whether the
// member is an active Admin is known only once its row is locked: when it
// is, the transaction starts again with the exclusive lock, taken first,
// as every other exclusive locker does (workspace, then members), so the
// locks never wait on each other in a circle. The member's status and
// roles cannot change while its row is locked: a change of status writes
// the row, and a new member_roles row's foreign key check takes a key-share
// lock that FOR UPDATE holds off. Inside a /Bulk transaction the lock is
// exclusive at once (two batches each holding a share would deadlock on the
// upgrade).
func (s *Store) changeMember(ctx context.Context, ws *Workspace, memberID, want, wrongState string, fn func(tx bun.Tx, m *Member) error) (*Member, error) {
	exclusive := inBatch(ctx)
	for {
		m, err := s.changeMemberOnce(ctx, ws, memberID, want, wrongState, exclusive, fn)
		if errors.Is(err, errAdminChange) && !exclusive {
			exclusive = true
			continue
		}
		return m, err
	}
}

// errAdminChange: changeMemberOnce found, under its share lock, that the
// change is to an active Admin and needs the exclusive workspace lock.
var errAdminChange = errors.New("the change is to an active Admin: lock the workspace")

func (s *Store) changeMemberOnce(ctx context.Context, ws *Workspace, memberID, want, wrongState string, exclusive bool,
	fn func(tx bun.Tx, m *Member) error) (*Member, error) {
	var m *Member
	err := s.tx(ctx, func(tx bun.Tx) error {
		lock := s.lockWorkspace
		if !exclusive {
			lock = s.lockWorkspaceShared
		}
		if err := lock(ctx, tx, ws.ID); err != nil {
			return err
		}
		var err error
		if m, err = s.memberForChange(ctx, tx, ws.ID, memberID); err != nil {
			return err
		}
		if want != "" && m.Status != want {
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName + wrongState}
		}
		if err := s.loadRoles(ctx, tx, []*Member{m}); err != nil {
			return err
		}
		if !exclusive && s.IsPostgres() && m.Status == StatusActive && hasAdminRole(m.Roles) {
			return errAdminChange
		}
		return fn(tx, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// memberForChange reads a member of the workspace for a change: on
// PostgreSQL with its row locked until the transaction ends (see
// changeMember). SQLite's writers take turns anyway.
func (s *Store) memberForChange(ctx context.Context, tx bun.Tx, wsID, memberID string) (*Member, error) {
	if !s.IsPostgres() {
		return memberInWorkspace(ctx, tx, wsID, memberID)
	}
	var m Member
	if err := tx.NewSelect().Model(&m).Where("id = ? AND workspace_id = ?", memberID, wsID).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

// lockWorkspace serialises changes to a workspace's members on PostgreSQL,
// where two transactions could otherwise each see the other's Admin still
// active and both step down, or act on a member's stale status. SQLite's
// writers already take turns (BEGIN IMMEDIATE). NO KEY UPDATE, not
// UPDATE: the lock excludes other lockers but not the key-share lock a
// foreign key check takes on the workspace when a row of it is inserted,
// so creates, which take no lock (CreateSCIMUser), do not queue behind it
// nor deadlock with it.
func (s *Store) lockWorkspace(ctx context.Context, tx bun.Tx, wsID string) error {
	if !s.IsPostgres() {
		return nil
	}
	_, err := tx.NewSelect().Model((*Workspace)(nil)).Column("id").Where("id = ?", wsID).For("NO KEY UPDATE").Exec(ctx)
	return err
}

// lockWorkspaceShared takes the workspace row in share mode on PostgreSQL:
// changes that cannot break the last-admin rule run side by side, and none
// runs while a transaction holds lockWorkspace (see changeMember).
func (s *Store) lockWorkspaceShared(ctx context.Context, tx bun.Tx, wsID string) error {
	if !s.IsPostgres() {
		return nil
	}
	_, err := tx.NewSelect().Model((*Workspace)(nil)).Column("id").Where("id = ?", wsID).For("SHARE").Exec(ctx)
	return err
}

// checkNotSelf refuses to let members deactivate or remove themselves from
// the members table: one click would lock them out with nobody to undo it.
func checkNotSelf(actor Actor, m *Member, doing string) error {
	if actor.Kind == "member" && actor.ID == m.ID {
		return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: "You cannot " + doing + " yourself. Another admin can."}
	}
	return nil
}

// checkRemovable refuses to deactivate, reactivate or remove someone whose
// roles the actor could not give: nobody takes away (or restores) powers
// they do not hold themselves.
func checkRemovable(actor Actor, m *Member) error {
	if err := checkGrantable(actor, m.Roles); err != nil {
		return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName +
			" holds a role with permissions you don't have, so only someone who has them can change their access."}
	}
	return nil
}

// endSessionsIfNoWorkspaceLeft signs m's account out everywhere when m was
// its last active membership, remembering why (reason: SessionDeactivated
// or SessionRemoved) so that the sign-in page can say so.
func (s *Store) endSessionsIfNoWorkspaceLeft(ctx context.Context, tx bun.IDB, m *Member, reason string) error {
	if m.AccountID == nil {
		return nil
	}
	n, err := tx.NewSelect().Model((*Member)(nil)).Where("account_id = ? AND status = ?", *m.AccountID, StatusActive).Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	var ended []Session
	if err := tx.NewDelete().Model(&ended).Where("account_id = ?", *m.AccountID).Returning("id").Scan(ctx); err != nil {
		return err
	}
	if len(ended) == 0 {
		return nil
	}
	until := s.now().Add(sessionMaxAge)
	notes := make([]kvEntry, len(ended))
	for i, sess := range ended {
		notes[i] = kvEntry{Key: sessionEndedKey + sess.ID, Value: base64.StdEncoding.EncodeToString([]byte(reason)), ExpiresAt: &until} // as KV keeps values
	}
	_, err = tx.NewInsert().Model(&notes).On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value, expires_at = EXCLUDED.expires_at").Exec(ctx)
	return err
}

// Reactivate gives a deactivated member access again. Someone who never
// accepted their invitation is invited again, with a new link by email.
func (s *Store) Reactivate(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	return s.changeMember(ctx, ws, memberID, StatusDeactivated, " is not deactivated.", func(tx bun.Tx, m *Member) error {
		if err := checkRemovable(actor, m); err != nil {
			return err
		}
		if m.AccountID == nil {
			if err := s.checkInviteRate(ctx, tx, ws, actor); err != nil {
				return err
			}
		}
		return s.reactivateTx(ctx, tx, actor, ws, m)
	})
}

func (s *Store) reactivateTx(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, m *Member) error {
	m.Status = StatusActive
	if m.AccountID == nil {
		m.Status = StatusInvited
	}
	if err := s.saveMember(ctx, tx, m, "status"); err != nil {
		return err
	}
	if m.Status == StatusInvited && m.CanBeInvited() { // without an address they wait for one
		if _, _, err := s.issueInvite(ctx, tx, ws, m, actor, true); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, ws.ID, actor, "member.reactivated", "member", m.ID, m.DisplayName,
		map[string]Change{"status": {StatusDeactivated, m.Status}})
}

// RemoveMember takes a member out of the workspace for good: their roles and
// invitations go with them; the audit log keeps the record.
func (s *Store) RemoveMember(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	return s.changeMember(ctx, ws, memberID, "", "", func(tx bun.Tx, m *Member) error {
		return s.removeTx(ctx, tx, actor, ws, m)
	})
}

func (s *Store) removeTx(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, m *Member) error {
	if err := checkRemovable(actor, m); err != nil {
		return err
	}
	if err := s.guardLastAdmin(ctx, tx, ws, m, "remove"); err != nil {
		return err
	}
	if err := checkNotSelf(actor, m, "remove"); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, ws.ID, actor, "member.removed", "member", m.ID, m.DisplayName,
		map[string]Change{"email": {m.Email, nil}, "roles": {roleNames(m.Roles), nil}}); err != nil {
		return err
	}
	if err := s.endInvites(ctx, tx, m.ID, InviteRevoked); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model(m).WherePK().Exec(ctx); err != nil {
		return err
	}
	return s.endSessionsIfNoWorkspaceLeft(ctx, tx, m, SessionRemoved)
}

// MemberByID loads one member of a workspace with roles and invitation state.
func (s *Store) MemberByID(ctx context.Context, wsID, memberID string) (*Member, error) {
	m, err := memberInWorkspace(ctx, s.rdb, wsID, memberID)
	if err != nil {
		return nil, err
	}
	if err := s.loadRoles(ctx, s.rdb, []*Member{m}); err != nil {
		return nil, err
	}
	return m, s.loadInvites(ctx, []*Member{m})
}
