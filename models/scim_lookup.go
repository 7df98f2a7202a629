package models

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The lookups an identity provider sends before nearly every write
// (userName eq, externalId eq) read one member and its roles. They were
// two statements, each its own read transaction on SQLite (a snapshot
// taken and dropped, the page cache dropped whenever the provisioning log
// had written since); one statement that joins the roles halves that.

// lookupColumns are what a SCIM User shows of a member and its roles (see
// scim/user_encode.go and userJSON), scanned by lookupSCIMUser in this
// order. Not the whole row: each column of each row cost the driver its
// name, its declared type and its text, and database/sql a conversion, and
// a member's sort and search text and a role's permissions are not
// shown. TestLookupOneStatement compares these fields with SCIMUserByID's.
const lookupColumns = "m.id, m.email, m.user_name, m.display_name, m.given_name, m.family_name, m.location, m.status, " +
	"m.email_type, m.title, m.locale, m.employee_number, m.department, m.manager_id, m.scim_attributes, " +
	"m.external_id, m.version, m.created_at, m.updated_at, r.id, r.name, r.builtin"

// lookupColumnsSQLite are lookupColumns as expressions (+x is x): a
// column's declared type is then NULL, which the SQLite driver reads for
// every text value of every row (to parse DATE, DATETIME and TIMESTAMP
// columns, none of which Muster has), allocating it each time.
var lookupColumnsSQLite = "+" + strings.ReplaceAll(lookupColumns, ", ", ", +")

// lookupSCIMUser finds the member of wsID whose col (a unique column:
// lower(m.user_name) or m.external_id) is value, revoked invitations left
// out (they are not Users), with its roles in roleOrder; none is an empty
// slice. The columns are unique in a workspace, so every row is the same
// member's. The member holds lookupColumns only: it is for a SCIM answer.
// Rows are scanned into typed fields: Bun's reflective scan was a fifth of
// the lookup's CPU.
func (s *Store) lookupSCIMUser(ctx context.Context, wsID, col, value string) (_ []*Member, err error) {
	pg := s.IsPostgres()
	cols := lookupColumns
	if !pg {
		cols = lookupColumnsSQLite
	}
	query := "SELECT " + cols + ` FROM members AS m
		LEFT JOIN member_roles AS mr ON mr.member_id = m.id LEFT JOIN roles AS r ON r.id = mr.role_id
		WHERE m.workspace_id = ? AND ` + col + ` = ? AND m.status <> 'revoked'`
	if pg { // its collation orders the names: only the database can
		query += " ORDER BY " + roleOrder
	}
	rows, err := s.rowsPrepared(ctx, query, wsID, value)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	var m *Member
	var row Member
	var ext, roleID, roleName, roleBuiltin sql.NullString
	var version, created, updated any
	dest := []any{&row.ID, &row.Email, &row.UserName, &row.DisplayName, &row.GivenName, &row.FamilyName, &row.Location,
		&row.Status, &row.EmailType, &row.Title, &row.Locale, &row.EmployeeNumber, &row.Department, &row.ManagerID,
		&row.SCIMAttributes, &ext, &version, &created, &updated, &roleID, &roleName, &roleBuiltin}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if m == nil {
			m = &Member{}
			*m = row
			m.WorkspaceID = wsID
			if ext.Valid {
				id := ext.String // not &ext.String: the next row scans into ext
				m.ExternalID = &id
			}
			if m.Version, err = lookupInt(version); err != nil {
				return nil, err
			}
			if m.CreatedAt, err = lookupTime(created); err != nil {
				return nil, err
			}
			if m.UpdatedAt, err = lookupTime(updated); err != nil {
				return nil, err
			}
			m.Roles = make([]Role, 0, 1) // as loadRoles: empty, not nil
		}
		if roleID.Valid && row.ID == m.ID {
			m.Roles = append(m.Roles, Role{ID: roleID.String, WorkspaceID: wsID, Name: roleName.String, Builtin: roleBuiltin.String})
		}
	}
	if err := rows.Err(); err != nil || m == nil {
		return nil, err
	}
	if !pg {
		sortRolesSQLite(m.Roles)
	}
	return []*Member{m}, nil
}

// lookupInt is an integer column as either driver gives it.
func lookupInt(v any) (int, error) {
	if n, ok := v.(int64); ok {
		return int(n), nil
	}
	return 0, fmt.Errorf("models: lookup: an integer column holds %T", v)
}

// lookupTime is a time column as either driver gives it, read as Bun
// reads it (SQLite holds Bun's text).
func lookupTime(v any) (time.Time, error) {
	var t bun.NullTime
	err := t.Scan(v)
	return t.Time, err
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
