package models

import (
	"context"
	"strings"
)

// What a SCIM token may do. A token acts for the member who made it, with
// the permissions that member holds now (not when the token was made): each
// SCIM operation needs the permission the same action needs in the browser,
// and the token stops working when its owner is deactivated or removed.
// Tokens made from the shell (muster scim-token) have no owner: whoever
// runs that command already holds the whole database.

// ForbiddenError: the actor lacks a permission the operation needs.
type ForbiddenError struct {
	Action  string // what was refused, e.g. "deactivate members"
	Missing []Permission
}

func (e *ForbiddenError) Error() string {
	return "This token cannot " + e.Action + ": its owner lacks the permission “" + permissionLabels(e.Missing) +
		"”. A token acts with its owner's current permissions; give the owner a role with it, or create a token as someone who has it."
}

// Require refuses with a *ForbiddenError unless the actor holds every one
// of ps. An actor without a permission set (Muster itself, the shell) may
// do anything.
func (a Actor) Require(action string, ps ...Permission) error {
	if missing := a.cannotGrant(ps); len(missing) > 0 {
		return &ForbiddenError{Action: action, Missing: missing}
	}
	return nil
}

// RequireUserChange checks a PUT or PATCH of a SCIM User against the
// permissions the browser asks for the same change: turning access off or
// on (active) needs "Deactivate and remove members", any other change (and
// a request that changes nothing, which still claims the member for the
// identity provider) needs "Edit members". Both sides are compared as
// stored, so a PUT that repeats the profile with active false is only a
// deactivation.
func (a Actor) RequireUserChange(before, after SCIMUser) error {
	b, c := before, after
	b.Roles, c.Roles = nil, nil
	_ = b.clean()
	_ = c.clean()
	activeChanged := b.Active != c.Active
	b.Active, c.Active = false, false
	rolesChanged := after.Roles != nil && !sameNames(before.Roles, after.Roles)
	profileChanged := len(userChanges(b, c)) > 0
	if activeChanged {
		if err := a.Require("deactivate or reactivate members", PermRemoveMembers); err != nil {
			return err
		}
	}
	if profileChanged || rolesChanged || !activeChanged {
		return a.Require("edit members", PermEditMembers)
	}
	return nil
}

// tokenOwner is what a token's owner is now.
type tokenOwner struct {
	Status      string  `bun:"status"`
	Name        string  `bun:"display_name"`
	SCIMManaged bool    `bun:"scim_managed"`
	Permissions *string `bun:"permissions"`
}

// ownerPermissions reads the current status and permissions of a token's
// owner in one query (a row per role). found is false when the owner is no
// longer a member of the workspace.
func (s *Store) ownerPermissions(ctx context.Context, wsID, memberID string) (owner tokenOwner, perms PermissionSet, found bool, err error) {
	var rows []tokenOwner
	err = s.queryPrepared(ctx, &rows, "SELECT m.status, m.display_name, m.scim_managed, r.permissions FROM members m "+
		"LEFT JOIN member_roles mr ON mr.member_id = m.id LEFT JOIN roles r ON r.id = mr.role_id "+
		"WHERE m.id = ? AND m.workspace_id = ?", memberID, wsID)
	if err != nil || len(rows) == 0 {
		return tokenOwner{}, nil, false, err
	}
	perms = PermissionSet{}
	for _, r := range rows {
		if r.Permissions != nil {
			for _, p := range strings.Fields(*r.Permissions) {
				perms[Permission(p)] = true
			}
		}
	}
	return rows[0], perms, true, nil
}
