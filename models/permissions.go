package models

import "strings"

// Permission is one thing a role may allow. The catalog is fixed in code so
// that every route can name the permission it needs.
type Permission string

const (
	PermViewMembers     Permission = "members.view"
	PermInviteMembers   Permission = "members.invite"
	PermEditMembers     Permission = "members.edit"
	PermRemoveMembers   Permission = "members.remove"
	PermManageRoles     Permission = "roles.manage"
	PermManageSCIM      Permission = "scim.manage"
	PermViewAudit       Permission = "audit.view"
	PermManageWorkspace Permission = "workspace.manage"
)

// PermissionInfo describes a permission for the people choosing it.
type PermissionInfo struct {
	Name        Permission
	Group       string
	Label       string
	Description string
}

// Catalog lists every permission in the order the UI shows them.
var Catalog = []PermissionInfo{
	{PermViewMembers, "Members", "View members", "See the members table and each member's roles and status."},
	{PermInviteMembers, "Members", "Invite members", "Invite people by email, resend and revoke invitations."},
	{PermEditMembers, "Members", "Edit members", "Change a member's name, roles and location."},
	{PermRemoveMembers, "Members", "Deactivate and remove members", "Turn a member's access off or remove them from the workspace."},
	{PermManageRoles, "Administration", "Manage roles", "Create, change and delete roles."},
	{PermManageSCIM, "Administration", "Manage SCIM tokens", "Connect identity providers such as Okta and Entra ID."},
	{PermViewAudit, "Administration", "View audit log", "Read who changed what in this workspace."},
	{PermManageWorkspace, "Administration", "Manage workspace settings", "Rename the workspace and change its settings."},
}

// AllPermissions is every permission in the catalog; the Admin role holds them all.
func AllPermissions() []Permission {
	out := make([]Permission, len(Catalog))
	for i, p := range Catalog {
		out[i] = p.Name
	}
	return out
}

// PermissionSet is the union of a member's roles' permissions.
type PermissionSet map[Permission]bool

// Has reports whether the set allows p.
func (s PermissionSet) Has(p Permission) bool { return s[p] }

// Can is Has for templates, which pass plain strings.
func (s PermissionSet) Can(p string) bool { return s[Permission(p)] }

// CanAll reports whether the set holds every permission, as Admins do.
func (s PermissionSet) CanAll() bool {
	for _, p := range AllPermissions() {
		if !s[p] {
			return false
		}
	}
	return true
}

func joinPermissions(ps []Permission) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = string(p)
	}
	return strings.Join(parts, " ")
}

// PermissionList splits a role's stored permissions.
func (r *Role) PermissionList() []Permission {
	var out []Permission
	for _, f := range strings.Fields(r.Permissions) {
		out = append(out, Permission(f))
	}
	return out
}

// IsAdmin reports whether r is the built-in Admin role.
func (r *Role) IsAdmin() bool { return r.Builtin == "admin" }
