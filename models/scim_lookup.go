package models

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

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
	query := "SELECT m.*, " + lookupRoleColumns + ` FROM members AS m
		LEFT JOIN member_roles AS mr ON mr.member_id = m.id LEFT JOIN roles AS r ON r.id = mr.role_id
		WHERE m.workspace_id = ? AND ` + col + ` = ? AND m.status <> 'revoked'`
	pg := s.IsPostgres()
	if pg { // its collation orders the names: only the database can
		query += " ORDER BY " + roleOrder
	}
	var rows []memberRoleRow
	if err := s.queryPrepared(ctx, &rows, query, wsID, value); err != nil || len(rows) == 0 {
		return nil, err
	}
	m := rows[0].Member
	m.Roles = make([]Role, 0, len(rows)) // as loadRoles: empty, not nil
	for _, row := range rows {
		if row.Role.ID != "" && row.ID == m.ID {
			m.Roles = append(m.Roles, row.Role)
		}
	}
	if !pg {
		sortRolesSQLite(m.Roles)
	}
	return []*Member{&m}, nil
}

// sortRolesSQLite puts roles in roleOrder as SQLite orders it: Admin,
// Member, then by name with ASCII letters lowered (SQLite's lower()),
// compared byte by byte (its BINARY collation). Sorting them in SQL took
// a fifth of a lookup's time on SQLite: its sorter, set up for one row
// with every column of the member.
func sortRolesSQLite(roles []Role) {
	rank := func(r *Role) int {
		switch r.Builtin {
		case "admin":
			return 0
		case "member":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(roles, func(a, b Role) int {
		if c := cmp.Compare(rank(&a), rank(&b)); c != 0 {
			return c
		}
		return strings.Compare(dbLower(false, a.Name), dbLower(false, b.Name))
	})
}
