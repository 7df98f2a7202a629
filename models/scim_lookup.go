package models

import "context"

// The lookups an identity provider sends before nearly every write
// (userName eq, externalId eq) read one member and its roles. They were
// two statements, each its own read transaction on SQLite (a snapshot
// taken and dropped, the page cache dropped whenever the provisioning log
// had written since); one statement that joins the roles halves that.

// lookupRoleColumns are Role's columns prefixed r_, for memberRoleRow.
// TestLookupOneStatement compares a lookup's roles with loadRoles', so a
// column left out here shows.
const lookupRoleColumns = "r.id AS r_id, r.workspace_id AS r_workspace_id, r.name AS r_name, r.description AS r_description, " +
	"r.permissions AS r_permissions, r.builtin AS r_builtin, r.external_id AS r_external_id, r.version AS r_version, " +
	"r.created_at AS r_created_at, r.updated_at AS r_updated_at"

// memberRoleRow is one row of a lookup: the member and one of its roles,
// whose columns are NULL (an empty Role) when the member has none.
type memberRoleRow struct {
	Member
	Role Role `bun:"embed:r_"`
}

// lookupSCIMUser finds the member of wsID whose col (a unique column:
// lower(m.user_name) or m.external_id) is value, revoked invitations left
// out (they are not Users), with its roles in roleOrder; none is an empty
// slice. The columns are unique in a workspace, so every row is the same
// member's.
func (s *Store) lookupSCIMUser(ctx context.Context, wsID, col, value string) ([]*Member, error) {
	var rows []memberRoleRow
	err := s.queryPrepared(ctx, &rows, "SELECT m.*, "+lookupRoleColumns+` FROM members AS m
		LEFT JOIN member_roles AS mr ON mr.member_id = m.id LEFT JOIN roles AS r ON r.id = mr.role_id
		WHERE m.workspace_id = ? AND `+col+` = ? AND m.status <> 'revoked' ORDER BY `+roleOrder, wsID, value)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	m := rows[0].Member
	m.Roles = make([]Role, 0, len(rows)) // as loadRoles: empty, not nil
	for _, row := range rows {
		if row.Role.ID != "" && row.ID == m.ID {
			m.Roles = append(m.Roles, row.Role)
		}
	}
	return []*Member{&m}, nil
}
