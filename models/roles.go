package models

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
)

// MaxRoleName is the longest role name, in characters: a SCIM Group's
// displayName (Entra allows 256) and a role named in a user's roles are
// role names, and a longer one would refuse the whole request.
const MaxRoleName = 256

// RoleInput is what the role dialog sends.
type RoleInput struct {
	Name        string
	Description string
	Permissions []Permission
}

// RoleSummary is a role with how many members hold it: the roles page.
type RoleSummary struct {
	Role
	Members int `bun:"members"`
}

// RoleSummaries lists a workspace's roles in the order of Roles, each with
// its member count.
func (s *Store) RoleSummaries(ctx context.Context, wsID string) ([]RoleSummary, error) {
	roles, err := s.Roles(ctx, wsID)
	if err != nil {
		return nil, err
	}
	var counts []struct {
		RoleID string `bun:"role_id"`
		N      int    `bun:"n"`
	}
	if err := s.rdb.NewSelect().TableExpr("member_roles AS mr").ColumnExpr("mr.role_id, count(*) AS n").
		Join("JOIN roles AS r ON r.id = mr.role_id").Where("r.workspace_id = ?", wsID).
		GroupExpr("mr.role_id").Scan(ctx, &counts); err != nil {
		return nil, err
	}
	byRole := map[string]int{}
	for _, c := range counts {
		byRole[c.RoleID] = c.N
	}
	out := make([]RoleSummary, len(roles))
	for i, r := range roles {
		out[i] = RoleSummary{Role: r, Members: byRole[r.ID]}
	}
	return out, nil
}

// RoleByID loads one role of a workspace.
func (s *Store) RoleByID(ctx context.Context, wsID, roleID string) (*Role, error) {
	var r Role
	if err := s.rdb.NewSelect().Model(&r).Where("id = ? AND workspace_id = ?", roleID, wsID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// checkRoleInput cleans and validates a role's fields, and that the actor
// holds every permission it grants.
func checkRoleInput(actor Actor, in *RoleInput) error {
	in.Name, in.Description = cleanName(in.Name), strings.TrimSpace(in.Description)
	v := validator{}
	checkName(v, "name", in.Name, "a role name", MaxRoleName)
	if len([]rune(in.Description)) > 300 {
		v.add("description", "Keep the description under 300 characters.")
	}
	known := AllPermissions()
	var perms []Permission
	for _, p := range in.Permissions {
		if !slices.Contains(known, p) {
			v.add("permissions", "Choose permissions from the list.")
		} else if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	// Keep the catalog's order, so equal sets compare and read the same.
	slices.SortFunc(perms, func(a, b Permission) int { return slices.Index(known, a) - slices.Index(known, b) })
	in.Permissions = perms
	if missing := actor.cannotGrant(perms); len(missing) > 0 {
		v.add("permissions", "You can only grant permissions you hold yourself. You don't have: "+permissionLabels(missing)+".")
	}
	return v.err()
}

func permissionLabels(ps []Permission) string {
	labels := make([]string, len(ps))
	for i, p := range ps {
		labels[i] = string(p)
		for _, info := range Catalog {
			if info.Name == p {
				labels[i] = info.Label
			}
		}
	}
	return strings.Join(labels, ", ")
}

func nameTaken(name string) error {
	return &ValidationError{Fields: map[string]string{"name": "There is already a role called " + name + "."}}
}

// CreateRole adds a role to a workspace.
func (s *Store) CreateRole(ctx context.Context, actor Actor, ws *Workspace, in RoleInput) (*Role, error) {
	if err := checkRoleInput(actor, &in); err != nil {
		return nil, err
	}
	now := s.now()
	r := &Role{ID: newID(), WorkspaceID: ws.ID, Name: in.Name, Description: in.Description, Version: 1,
		Permissions: joinPermissions(in.Permissions), CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return nameTaken(in.Name)
			}
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "role.created", "role", r.ID, r.Name, map[string]Change{
			"name": {nil, r.Name}, "permissions": {nil, r.PermissionList()}})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole changes a role. The built-in Admin role keeps its name and
// every permission; only its description may change.
func (s *Store) UpdateRole(ctx context.Context, actor Actor, ws *Workspace, roleID string, in RoleInput) (*Role, error) {
	var r *Role
	err := s.tx(ctx, func(tx bun.Tx) error {
		var err error
		if r, err = roleByIDTx(ctx, tx, ws.ID, roleID); err != nil {
			return err
		}
		if r.IsAdmin() {
			in.Name, in.Permissions = r.Name, AllPermissions()
		}
		if err := checkRoleInput(actor, &in); err != nil {
			return err
		}
		// Taking a permission away also needs the actor to hold it: else a
		// member could strip roles of powers they cannot give back.
		removed := slices.DeleteFunc(r.PermissionList(), func(p Permission) bool { return slices.Contains(in.Permissions, p) })
		if missing := actor.cannotGrant(removed); len(missing) > 0 {
			return &ValidationError{Fields: map[string]string{"permissions": "You can only change permissions you hold yourself. You don't have: " + permissionLabels(missing) + "."}}
		}
		changes := map[string]Change{}
		if r.Name != in.Name {
			changes["name"] = Change{r.Name, in.Name}
		}
		if r.Description != in.Description {
			changes["description"] = Change{r.Description, in.Description}
		}
		if perms := joinPermissions(in.Permissions); perms != r.Permissions {
			changes["permissions"] = Change{r.PermissionList(), in.Permissions}
		}
		if len(changes) == 0 {
			return nil
		}
		r.Name, r.Description, r.Permissions, r.UpdatedAt = in.Name, in.Description, joinPermissions(in.Permissions), s.now()
		r.Version++ // a SCIM Group's ETag
		if _, err := tx.NewUpdate().Model(r).Column("name", "description", "permissions", "version", "updated_at").WherePK().Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return nameTaken(in.Name)
			}
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "role.updated", "role", r.ID, r.Name, changes)
	})
	return r, err
}

func roleByIDTx(ctx context.Context, db bun.IDB, wsID, roleID string) (*Role, error) {
	var r Role
	if err := db.NewSelect().Model(&r).Where("id = ? AND workspace_id = ?", roleID, wsID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// DeleteRole removes a role. Its members first get moveTo (unless they hold
// it already), so nobody is left without a role; moveTo is required while
// the role has members. The Admin role cannot be deleted.
func (s *Store) DeleteRole(ctx context.Context, actor Actor, ws *Workspace, roleID, moveTo string) (*Role, int, error) {
	var r *Role
	moved := 0
	err := s.tx(ctx, func(tx bun.Tx) error {
		// The workspace first, as every change that may touch many members
		// takes it: moving the role's members inserts member_roles rows,
		// whose foreign keys wait for a member's row that a change to one
		// member (changeMember) holds; without the workspace lock the two
		// could wait on each other (PostgreSQL: deadlock detected).
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
		}
		var err error
		if r, err = roleByIDTx(ctx, tx, ws.ID, roleID); err != nil {
			return err
		}
		if r.IsAdmin() {
			return &ConflictError{Code: ConflictState, Message: "The Admin role cannot be deleted."}
		}
		if missing := actor.cannotGrant(r.PermissionList()); len(missing) > 0 {
			return &ConflictError{Code: ConflictState, Message: "You can only delete roles whose permissions you hold yourself."}
		}
		n, err := tx.NewSelect().Model((*MemberRole)(nil)).Where("role_id = ?", r.ID).Count(ctx)
		if err != nil {
			return err
		}
		changes := map[string]Change{"name": {r.Name, nil}}
		if n > 0 {
			if moveTo == "" || moveTo == r.ID {
				return &ValidationError{Fields: map[string]string{"move_to": "Choose the role its " + strconv.Itoa(int(n)) + " members move to."}}
			}
			target, err := roleInWorkspace(ctx, tx, ws.ID, moveTo)
			if err != nil {
				var verr *ValidationError
				if errors.As(err, &verr) {
					return &ValidationError{Fields: map[string]string{"move_to": verr.Fields["role"]}}
				}
				return err
			}
			if missing := actor.cannotGrant(target.PermissionList()); len(missing) > 0 {
				return &ValidationError{Fields: map[string]string{"move_to": "You can only give roles whose permissions you hold yourself."}}
			}
			res, err := tx.NewRaw(`INSERT INTO member_roles (member_id, role_id)
				SELECT mr.member_id, ? FROM member_roles AS mr WHERE mr.role_id = ?
				AND NOT EXISTS (SELECT 1 FROM member_roles AS x WHERE x.member_id = mr.member_id AND x.role_id = ?)`,
				target.ID, r.ID, target.ID).Exec(ctx)
			if err != nil {
				return err
			}
			rows, _ := res.RowsAffected()
			moved = int(rows)
			changes["members_moved_to"] = Change{nil, target.Name}
			changes["members"] = Change{int(n), nil}
		}
		if _, err := tx.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "role.deleted", "role", r.ID, r.Name, changes)
	})
	return r, moved, err
}

// checkGrantable refuses roles whose permissions the actor does not hold.
func checkGrantable(actor Actor, roles []Role) error {
	for _, r := range roles {
		if missing := actor.cannotGrant(r.PermissionList()); len(missing) > 0 {
			return &ValidationError{Fields: map[string]string{"role": "You can only give roles whose permissions you hold yourself; " +
				r.Name + " includes " + permissionLabels(missing) + "."}}
		}
	}
	return nil
}
