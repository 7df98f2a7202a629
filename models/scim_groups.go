package models

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/uptrace/bun"
)

// SCIM Groups are roles: a group's members are the members holding the
// role. A group an identity provider creates is a role without permissions
// until an admin grants some.

// SCIMGroup is what a SCIM POST of a Group carries.
type SCIMGroup struct {
	DisplayName string
	ExternalID  *string
	Members     []string // member ids
}

// GroupChange is one PUT or PATCH of a Group. Nil fields stay as they are;
// Members operations apply in order.
type GroupChange struct {
	DisplayName *string
	ExternalID  **string
	Members     []MembersOp
}

// MembersOp adds, removes or replaces ("add", "remove", "replace") members
// of a group by member id.
type MembersOp struct {
	Op  string
	IDs []string
}

// MemberRef names a member of a group.
type MemberRef struct {
	ID          string `bun:"id"`
	DisplayName string `bun:"display_name"`
}

func cleanGroupName(name string) (string, error) {
	name = cleanName(name)
	v := validator{}
	checkName(v, "displayName", name, "displayName", MaxRoleName)
	return name, v.err()
}

// checkExternalID refuses what the column cannot hold: VARCHAR(255) (a
// longer one fails on PostgreSQL) and control characters (a NUL fails
// on both databases).
func checkExternalID(id *string) error {
	v := validator{}
	checkExternalIDIn(v, id)
	return v.err()
}

func checkExternalIDIn(v validator, id *string) {
	if id != nil && (len(*id) > 255 || strings.IndexFunc(*id, unicode.IsControl) >= 0) {
		v.add("externalId", "externalId must be at most 255 characters without control characters.")
	}
}

func cleanExternalID(id *string) *string {
	if id == nil {
		return nil
	}
	if t := strings.TrimSpace(*id); t != "" {
		return &t
	}
	return nil
}

// CreateSCIMGroup makes a role from a group an identity provider pushes,
// with its members. Member ids that are not in the workspace are skipped:
// refusing the whole push would silently lose every other member (Okta
// gives up on the group).
func (s *Store) CreateSCIMGroup(ctx context.Context, actor Actor, ws *Workspace, g SCIMGroup) (*Role, error) {
	name, err := cleanGroupName(g.DisplayName)
	if err != nil {
		return nil, err
	}
	if err := checkExternalID(cleanExternalID(g.ExternalID)); err != nil {
		return nil, err
	}
	if len(g.Members) > 0 {
		if err := actor.Require("give members roles", PermEditMembers); err != nil {
			return nil, err
		}
	}
	now := s.now()
	r := &Role{ID: newID(), WorkspaceID: ws.ID, Name: name, ExternalID: cleanExternalID(g.ExternalID), Version: 1,
		Description: "Pushed by " + truncate(actor.Name, 200) + ".", CreatedAt: now, UpdatedAt: now}
	err = s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return &ConflictError{Field: "displayName", Code: ConflictUniqueness, Message: "There is already a role called " + name + " (or one with this externalId)."}
			}
			return err
		}
		added, _, err := s.changeGroupMembers(ctx, tx, actor, ws, r, []MembersOp{{Op: "add", IDs: g.Members}})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "role.created", "role", r.ID, r.Name, map[string]Change{
			"name": {nil, r.Name}, "members": {nil, added}})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ChangeSCIMGroup renames a group or changes its members. A version other
// than zero must be the role's current one (If-Match).
func (s *Store) ChangeSCIMGroup(ctx context.Context, actor Actor, ws *Workspace, id string, version int, ch GroupChange) (*Role, error) {
	var r *Role
	err := s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
		}
		var err error
		if r, err = roleByIDTx(ctx, tx, ws.ID, id); err != nil {
			return err
		}
		if version != 0 && r.Version != version {
			return &PreconditionFailedError{Version: r.Version}
		}
		changes := map[string]Change{}
		if ch.DisplayName != nil {
			name, err := cleanGroupName(*ch.DisplayName)
			if err != nil {
				return err
			}
			if name != r.Name {
				if r.IsAdmin() {
					return &ConflictError{Field: "displayName", Code: ConflictState, Message: "The built-in Admin role cannot be renamed."}
				}
				changes["name"] = Change{r.Name, name}
				r.Name = name
			}
		}
		if ch.ExternalID != nil {
			if err := checkExternalID(cleanExternalID(*ch.ExternalID)); err != nil {
				return err
			}
			before, after := derefOr(r.ExternalID), derefOr(cleanExternalID(*ch.ExternalID))
			if before != after {
				changes["externalId"] = Change{before, after}
				r.ExternalID = cleanExternalID(*ch.ExternalID)
			}
		}
		// As in the browser: renaming a role is managing roles, changing
		// who holds it is editing members.
		if len(changes) > 0 {
			if err := actor.Require("rename roles", PermManageRoles); err != nil {
				return err
			}
		}
		if len(ch.Members) > 0 {
			if err := actor.Require("change members' roles", PermEditMembers); err != nil {
				return err
			}
		}
		added, removed, err := s.changeGroupMembers(ctx, tx, actor, ws, r, ch.Members)
		if err != nil {
			return err
		}
		if added > 0 {
			changes["members_added"] = Change{nil, added}
		}
		if removed > 0 {
			changes["members_removed"] = Change{nil, removed}
		}
		if len(changes) == 0 {
			return nil
		}
		r.Version++
		r.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(r).Column("name", "external_id", "version", "updated_at").WherePK().Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return &ConflictError{Field: "displayName", Code: ConflictUniqueness, Message: "There is already a role called " + r.Name + " (or one with this externalId)."}
			}
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "role.updated", "role", r.ID, r.Name, changes)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteSCIMGroup deletes the role of a group: everyone who held it loses
// it. The built-in Admin role stays.
func (s *Store) DeleteSCIMGroup(ctx context.Context, actor Actor, ws *Workspace, id string, version int) error {
	return s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
		}
		r, err := roleByIDTx(ctx, tx, ws.ID, id)
		if err != nil {
			return err
		}
		if version != 0 && r.Version != version {
			return &PreconditionFailedError{Version: r.Version}
		}
		if r.IsAdmin() {
			return &ConflictError{Code: ConflictState, Message: "The built-in Admin role cannot be deleted."}
		}
		if err := checkGrantable(actor, []Role{*r}); err != nil {
			return err
		}
		_, removed, err := s.changeGroupMembers(ctx, tx, actor, ws, r, []MembersOp{{Op: "replace"}})
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "role.deleted", "role", r.ID, r.Name, map[string]Change{"name": {r.Name, nil}, "members": {removed, nil}})
	})
}

// groupBatch bounds the ids in one IN (…): both databases limit parameters.
const groupBatch = 500

// changeGroupMembers applies membership operations to role r in order and
// returns how many members it added and removed. Unknown member ids are
// skipped, adding a member twice or removing a non-member changes nothing.
// Members whose roles change get a new version (their ETag changes).
func (s *Store) changeGroupMembers(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, r *Role, ops []MembersOp) (added, removed int, err error) {
	if len(ops) == 0 {
		return 0, 0, nil
	}
	var current []string
	if err := tx.NewSelect().Model((*MemberRole)(nil)).Column("member_id").Where("role_id = ?", r.ID).Scan(ctx, &current); err != nil {
		return 0, 0, err
	}
	set := make(map[string]bool, len(current))
	for _, id := range current {
		set[id] = true
	}
	want := make(map[string]bool, len(set))
	for id := range set {
		want[id] = true
	}
	for _, op := range ops {
		switch op.Op {
		case "replace":
			clear(want)
			fallthrough
		case "add":
			for _, id := range op.IDs {
				want[id] = true
			}
		case "remove":
			for _, id := range op.IDs {
				delete(want, id)
			}
		}
	}
	var toAdd, toRemove []string
	for id := range want {
		// An id with a NUL is no member's, and the database cannot
		// even be asked about it.
		if !set[id] && strings.IndexByte(id, 0) < 0 {
			toAdd = append(toAdd, id)
		}
	}
	for id := range set {
		if !want[id] {
			toRemove = append(toRemove, id)
		}
	}
	if len(toAdd) == 0 && len(toRemove) == 0 {
		return 0, 0, nil
	}
	// Giving or taking a role needs its permissions, as in the browser.
	if err := checkGrantable(actor, []Role{*r}); err != nil {
		return 0, 0, err
	}
	slices.Sort(toAdd)
	slices.Sort(toRemove)
	// Only members of this workspace can join; other ids are skipped.
	var known []string
	for chunk := range slices.Chunk(toAdd, groupBatch) {
		var ids []string
		if err := tx.NewSelect().Model((*Member)(nil)).Column("id").Where("workspace_id = ? AND id IN (?) AND status <> 'revoked'", ws.ID, bun.In(chunk)).Scan(ctx, &ids); err != nil {
			return 0, 0, err
		}
		known = append(known, ids...)
	}
	for chunk := range slices.Chunk(known, groupBatch) {
		links := make([]MemberRole, len(chunk))
		for i, id := range chunk {
			links[i] = MemberRole{MemberID: id, RoleID: r.ID}
		}
		if _, err := tx.NewInsert().Model(&links).Exec(ctx); err != nil {
			return 0, 0, err
		}
	}
	for chunk := range slices.Chunk(toRemove, groupBatch) {
		if _, err := tx.NewDelete().Model((*MemberRole)(nil)).Where("role_id = ? AND member_id IN (?)", r.ID, bun.In(chunk)).Exec(ctx); err != nil {
			return 0, 0, err
		}
	}
	now := s.now()
	for _, ids := range [][]string{known, toRemove} {
		for chunk := range slices.Chunk(ids, groupBatch) {
			if _, err := tx.NewUpdate().Model((*Member)(nil)).Set("version = version + 1").Set("updated_at = ?", now).
				Where("id IN (?)", bun.In(chunk)).Exec(ctx); err != nil {
				return 0, 0, err
			}
		}
	}
	if r.IsAdmin() && len(toRemove) > 0 {
		if err := s.keepAnActiveAdmin(ctx, tx, ws); err != nil {
			return 0, 0, err
		}
	}
	return len(known), len(toRemove), nil
}

// keepAnActiveAdmin refuses a change that left the workspace without an
// active Admin (the transaction rolls back).
func (s *Store) keepAnActiveAdmin(ctx context.Context, tx bun.IDB, ws *Workspace) error {
	ok, err := tx.NewSelect().Model((*Member)(nil)).
		Join("JOIN member_roles AS mr ON mr.member_id = m.id").
		Join("JOIN roles AS r ON r.id = mr.role_id").
		Where("m.workspace_id = ? AND m.status = ? AND r.builtin = 'admin'", ws.ID, StatusActive).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return &ConflictError{Field: "members", Code: ConflictLastAdmin,
			Message: "This change would leave " + ws.Name + " without an active Admin. Make someone else an Admin first."}
	}
	return nil
}

// SCIMGroupByID loads one role of a workspace.
func (s *Store) SCIMGroupByID(ctx context.Context, wsID, id string) (*Role, error) {
	return roleByIDTx(ctx, s.conn(ctx), wsID, id)
}

// GroupMembers lists the members of each role, by role id, in id order.
func (s *Store) GroupMembers(ctx context.Context, roleIDs []string) (map[string][]MemberRef, error) {
	out := make(map[string][]MemberRef, len(roleIDs))
	if len(roleIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		RoleID string `bun:"role_id"`
		MemberRef
	}
	err := s.conn(ctx).NewSelect().TableExpr("member_roles AS mr").ColumnExpr("mr.role_id, m.id, m.display_name").
		Join("JOIN members AS m ON m.id = mr.member_id").Where("mr.role_id IN (?)", bun.In(roleIDs)).
		OrderExpr("mr.role_id, m.id").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		out[row.RoleID] = append(out[row.RoleID], row.MemberRef)
	}
	return out, nil
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
