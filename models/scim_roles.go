package models

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Roles an identity provider names for a user. Okta and Entra send the
// names their admins chose ("Engineer"), usually before anyone created that
// role in Muster: refusing the name would refuse the user (and, PATCH being
// atomic, every other change sent with it). So an unknown name becomes a
// role without permissions, as a pushed SCIM Group does, recorded in the
// audit log; an admin grants it permissions later.

// rolesForUser finds roles by name, case-insensitively, and creates those
// no role has. Nil names mean the built-in Member role, which every new
// member gets.
func (s *Store) rolesForUser(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, names []string) ([]Role, error) {
	if names == nil {
		return s.memberRoleIn(ctx, tx, ws.ID)
	}
	byName, names, unknown, err := rolesNamed(ctx, tx, s.IsPostgres(), ws.ID, names)
	if err != nil {
		return nil, err
	}
	for _, n := range unknown {
		r, err := s.createUnknownRole(ctx, tx, actor, ws, n)
		if err != nil {
			return nil, err
		}
		byName[foldCase(n)] = r
	}
	return rolesInOrder(byName, names), nil
}

// rolesNamed cleans names (cleanRoleNames) and reads through db the roles
// they name, keyed by foldCase(name); unknown are the names no role has,
// in the one order (by folded name) every request creates them in: two
// that create "Ops" and "Eng" at once, in opposite orders, would each wait
// for the other's uncommitted role (PostgreSQL: deadlock detected).
func rolesNamed(ctx context.Context, db bun.IDB, pg bool, wsID string, names []string) (byName map[string]Role, cleaned, unknown []string, err error) {
	if cleaned, err = cleanRoleNames(names); err != nil || len(cleaned) == 0 {
		return nil, cleaned, nil, err
	}
	if byName, err = rolesByName(ctx, db, pg, wsID, cleaned); err != nil {
		return nil, nil, nil, err
	}
	for _, n := range cleaned {
		if _, ok := byName[foldCase(n)]; !ok {
			unknown = append(unknown, n)
		}
	}
	slices.SortFunc(unknown, func(a, b string) int { return strings.Compare(foldCase(a), foldCase(b)) })
	return byName, cleaned, unknown, nil
}

// rolesInOrder is byName's roles in the order of names.
func rolesInOrder(byName map[string]Role, names []string) []Role {
	roles := make([]Role, 0, len(names))
	for _, n := range names {
		roles = append(roles, byName[foldCase(n)])
	}
	return roles
}

// cleanRoleNames tidies names as role names are stored and drops repeats
// ("Engineer" and "engineer" are one role).
func cleanRoleNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	seen := map[string]bool{}
	v := validator{}
	for _, n := range names {
		n = cleanName(n)
		if n == "" || seen[foldCase(n)] {
			continue
		}
		seen[foldCase(n)] = true
		checkName(v, "roles", n, "a role name", MaxRoleName)
		out = append(out, n)
	}
	return out, v.err()
}

// rolesByName loads the roles with these names, keyed by foldCase(name).
// The index compares lower(name); SQLite's lower() knows only ASCII, so a
// name with other letters ("équipe" for "Équipe") is matched among all of
// the workspace's roles instead.
func rolesByName(ctx context.Context, tx bun.IDB, pg bool, wsID string, names []string) (map[string]Role, error) {
	lower := make([]string, len(names))
	ascii := true
	for i, n := range names {
		lower[i] = dbLower(pg, n)
		ascii = ascii && isASCII(n)
	}
	q := tx.NewSelect().Model((*Role)(nil)).Where("workspace_id = ?", wsID)
	if pg || ascii {
		q = q.Where("lower(name) IN (?)", bun.In(lower))
	}
	var roles []Role
	if err := q.Scan(ctx, &roles); err != nil {
		return nil, err
	}
	out := make(map[string]Role, len(roles))
	for _, r := range roles {
		out[foldCase(r.Name)] = r
	}
	return out, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// createUnknownRole makes a role without permissions for a name an
// identity provider sent, and audits it.
func (s *Store) createUnknownRole(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, name string) (Role, error) {
	now := s.now()
	r := Role{ID: newID(), WorkspaceID: ws.ID, Name: name, Version: 1, CreatedAt: now, UpdatedAt: now,
		Description: truncate("Named by "+actor.Name+" for a user before it existed in Muster; grant it permissions here.", 300)}
	// A concurrent request naming the same new role (two users provisioned
	// at once with it) may insert it first: then it is that role. ON
	// CONFLICT waits for that transaction and skips the row, and on
	// PostgreSQL the next statement sees the committed role.
	res, err := tx.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return Role{}, err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		byName, err := rolesByName(ctx, tx, s.IsPostgres(), ws.ID, []string{name})
		if err != nil {
			return Role{}, err
		}
		if found, ok := byName[foldCase(name)]; ok {
			return found, nil
		}
		// An external_id or another unique rule refused it.
		return Role{}, &ConflictError{Field: "roles", Code: ConflictUniqueness, Message: "The role " + name + " has just been created; retry."}
	}
	return r, s.audit(ctx, tx, ws.ID, actor, "role.created", "role", r.ID, r.Name, map[string]Change{
		"name": {nil, r.Name}, "permissions": {nil, []Permission{}}, "reason": {nil, "named in a SCIM user's roles"}})
}

// withGroups adds to roles the workspace's roles with these ids (a SCIM
// User's groups), skipping unknown ids and those already held.
func (s *Store) withGroups(ctx context.Context, tx bun.IDB, wsID string, roles []Role, ids []string) ([]Role, error) {
	var want []string
	for _, id := range ids {
		// An id with a NUL names no role, and PostgreSQL cannot be asked.
		if id != "" && strings.IndexByte(id, 0) < 0 && !slices.ContainsFunc(roles, func(r Role) bool { return r.ID == id }) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return roles, nil
	}
	out := slices.Clone(roles)
	for chunk := range slices.Chunk(want, groupBatch) {
		var found []Role
		if err := tx.NewSelect().Model(&found).Where("workspace_id = ? AND id IN (?)", wsID, bun.In(chunk)).Scan(ctx); err != nil {
			return nil, err
		}
		for _, r := range found {
			if !slices.ContainsFunc(out, func(x Role) bool { return x.ID == r.ID }) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}
