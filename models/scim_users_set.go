package models

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// SCIM /Bulk creates many users in a row. CreateSCIMUsers gives each the
// answer CreateSCIMUser would have given it, in the same order, but checks
// the whole chunk in Go with one lookup of what the workspace holds, and
// writes it with insertMembers: a few statements for hundreds of users
// where one at a time took nine each, plus a savepoint.

// SCIMCreated is what became of one user of CreateSCIMUsers: the member,
// or the error CreateSCIMUser would have answered.
type SCIMCreated struct {
	Member *Member
	Err    error
}

// CreateSCIMUsers creates users as CreateSCIMUser does, one after the
// other: a user whose userName, email or externalId an earlier user of the
// list took gets the conflict it would have got. With maxErrors above zero
// it stops after that many failures, as /Bulk's failOnErrors does, and
// returns only the users it went through. Inside a batch (InBatch) the
// chunk runs in one savepoint.
func (s *Store) CreateSCIMUsers(ctx context.Context, actor Actor, ws *Workspace, users []SCIMUser, maxErrors int) ([]SCIMCreated, error) {
	originals := make([]SCIMUser, len(users))
	copy(originals, users)
	var out []SCIMCreated
	err := s.tx(ctx, func(tx bun.Tx) error {
		var err error
		out, err = s.createUsersSet(ctx, tx, actor, ws, users, maxErrors)
		return err
	})
	if err == nil || ctx.Err() != nil {
		return out, err
	}
	// The chunk failed as a whole: a unique index refused a row (a
	// concurrent writer, or two spellings the database folds alike and Go
	// does not), or the database failed. It is undone; one user at a time,
	// each gets its own answer.
	setRetries.Add(1)
	out, errs := nil, 0
	for _, u := range originals {
		m, err := s.CreateSCIMUser(ctx, actor, ws, u)
		out = append(out, SCIMCreated{Member: m, Err: err})
		if err != nil {
			if errs++; maxErrors > 0 && errs >= maxErrors {
				break
			}
		}
	}
	return out, nil
}

// isDomainError: an error that is an answer to one user (refused, not
// found, in conflict), not a failure of the database.
func isDomainError(err error) bool {
	var (
		v *ValidationError
		c *ConflictError
		f *ForbiddenError
	)
	return errors.As(err, &v) || errors.As(err, &c) || errors.As(err, &f) || errors.Is(err, ErrNotFound)
}

func (s *Store) createUsersSet(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, users []SCIMUser, maxErrors int) ([]SCIMCreated, error) {
	out := make([]SCIMCreated, len(users))
	pg := s.IsPostgres()
	// The rules of one user, in CreateSCIMUser's order: the user itself,
	// then its role names.
	names := map[string]string{} // foldCase(name) → name, every role named
	wantMember := false
	for i := range users {
		u := &users[i]
		if err := u.cleanOnce(); err != nil {
			out[i].Err = err
			continue
		}
		if u.Roles == nil {
			wantMember = true
			continue
		}
		cleaned, err := cleanRoleNames(u.Roles)
		if err != nil {
			out[i].Err = err
			continue
		}
		u.Roles = cleaned
		for _, n := range cleaned {
			if _, ok := names[foldCase(n)]; !ok {
				names[foldCase(n)] = n
			}
		}
	}
	if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
		return nil, err
	}
	var memberRole []Role
	if wantMember {
		if err := tx.NewSelect().Model(&memberRole).Where("workspace_id = ? AND builtin = 'member'", ws.ID).Scan(ctx); err != nil {
			return nil, err
		}
	}
	list := make([]string, 0, len(names))
	for _, n := range names {
		list = append(list, n)
	}
	byName := map[string]Role{}
	if len(list) > 0 {
		var err error
		if byName, err = rolesByName(ctx, tx, pg, ws.ID, list); err != nil {
			return nil, err
		}
	}
	taken, err := s.takenIn(ctx, tx, ws.ID, users, out)
	if err != nil {
		return nil, err
	}

	// Each user in turn, as if the ones before it were written.
	var rows []newMemberRow
	var created []int // indexes of rows' users
	unknown := map[string]*Role{}
	errs := 0
	now := s.now()
	for i := range users {
		u := &users[i]
		if out[i].Err == nil {
			out[i].Member, out[i].Err = s.userForSet(ctx, tx, actor, ws, u, memberRole, byName, unknown, taken, now)
		}
		if out[i].Err != nil {
			if !isDomainError(out[i].Err) {
				return nil, out[i].Err
			}
			if errs++; maxErrors > 0 && errs >= maxErrors {
				out = out[:i+1]
				break
			}
			continue
		}
		m := out[i].Member
		taken.claim(pg, m)
		rows = append(rows, newMemberRow{M: m, Invite: m.Status == StatusInvited && m.CanBeInvited(), Email: ws.SCIMInvites,
			Action: "member.provisioned", ChangesJSON: provisionedChanges(m)})
		created = append(created, i)
	}
	// Roles no role had yet: made once each, for the users that got
	// through (a refused user's names make nothing, as its savepoint would
	// have undone them).
	for _, i := range created {
		roles := out[i].Member.Roles
		for j, r := range roles {
			if r.ID != "" {
				continue
			}
			p := unknown[foldCase(r.Name)]
			if p.ID == "" {
				made, err := s.createUnknownRole(ctx, tx, actor, ws, p.Name)
				if err != nil {
					return nil, err
				}
				*p = made
			}
			roles[j] = *p
		}
	}
	if beforeSetInsert != nil {
		if err := beforeSetInsert(ctx, tx); err != nil {
			return nil, err
		}
	}
	if _, err := s.insertMembers(ctx, tx, actor, ws, rows); err != nil {
		return nil, err
	}
	return out, nil
}

// beforeSetInsert, set by tests only, plays a concurrent writer between
// createUsersSet's checks and its INSERTs.
var beforeSetInsert func(ctx context.Context, tx bun.Tx) error

// setRetries counts chunks CreateSCIMUsers ran again one user at a time.
var setRetries atomic.Int64

// userForSet checks one user of a chunk against what the workspace and the
// chunk's earlier users hold, and builds its member (roles not yet made
// have no id until createUsersSet makes them).
func (s *Store) userForSet(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, u *SCIMUser, memberRole []Role,
	byName map[string]Role, unknown map[string]*Role, taken *takenSet, now time.Time) (*Member, error) {
	var roles []Role
	if u.Roles == nil {
		roles = memberRole
	} else {
		roles = make([]Role, 0, len(u.Roles))
		for _, n := range u.Roles {
			if r, ok := byName[foldCase(n)]; ok {
				roles = append(roles, r)
				continue
			}
			p := unknown[foldCase(n)]
			if p == nil {
				p = &Role{Name: n}
				unknown[foldCase(n)] = p
			}
			roles = append(roles, Role{Name: p.Name}) // no permissions: anyone may give it
		}
	}
	roles, err := s.withGroups(ctx, tx, ws.ID, roles, u.GroupIDs)
	if err != nil {
		return nil, err
	}
	if err := checkGrantable(actor, roles); err != nil {
		return nil, err
	}
	if err := taken.check(s.IsPostgres(), u); err != nil {
		return nil, err
	}
	m := &Member{ID: newID(), WorkspaceID: ws.ID, Status: StatusInvited, Version: 1, CreatedAt: now, UpdatedAt: now, Roles: roles}
	if !u.Active {
		m.Status = StatusDeactivated
	}
	u.apply(m)
	m.setDerived()
	return m, nil
}

// takenSet is who holds each userName (as the database folds it), email
// and externalId: the workspace's members a chunk's users collide with, and
// the chunk's users already accepted.
type takenSet struct {
	userName, email, externalID map[string]string // value → member id
}

// takenIn looks up, in one statement, the members holding any userName,
// email or externalId of users (those not already refused in out), each
// list through its unique index: on PostgreSQL three IN lists joined by
// UNION ALL, on SQLite takenInSQLite.
func (s *Store) takenIn(ctx context.Context, tx bun.IDB, wsID string, users []SCIMUser, out []SCIMCreated) (*takenSet, error) {
	pg := s.IsPostgres()
	// Sized for the chunk's users, which claim their values as they pass
	// its checks: growing three maps to 1,000 entries was 4.7 MB a /Bulk.
	n := len(users)
	t := &takenSet{userName: make(map[string]string, n), email: make(map[string]string, n), externalID: make(map[string]string, n)}
	var userNames, emails, externalIDs []string
	for i, u := range users {
		if out[i].Err != nil {
			continue
		}
		userNames = append(userNames, dbLower(pg, u.UserName))
		if u.Email != "" {
			emails = append(emails, u.Email)
		}
		if u.ExternalID != nil {
			externalIDs = append(externalIDs, *u.ExternalID)
		}
	}
	if len(userNames) == 0 {
		return t, nil
	}
	var found []Member
	var err error
	if pg {
		cols := "id, user_name, email, external_id"
		q := tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).Where("workspace_id = ? AND lower(user_name) IN (?)", wsID, bun.In(userNames))
		if len(emails) > 0 {
			q = q.UnionAll(tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).Where("workspace_id = ? AND email IN (?)", wsID, bun.In(emails)))
		}
		if len(externalIDs) > 0 {
			q = q.UnionAll(tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).Where("workspace_id = ? AND external_id IN (?)", wsID, bun.In(externalIDs)))
		}
		err = q.Scan(ctx, &found)
	} else {
		err = tx.NewRaw(takenInSQLite, jsonList(userNames), wsID, jsonList(emails), wsID, jsonList(externalIDs), wsID).Scan(ctx, &found)
	}
	if err != nil {
		return nil, err
	}
	for i := range found {
		t.claim(pg, &found[i])
	}
	return t, nil
}

// takenInSQLite is takenIn's lookup on SQLite: each list one JSON array
// (json_each), each value one lookup in its unique index. Written into
// the text as IN (…) lists, 1,000 users' 3,000 values were 3,000
// literals for SQLite to parse and code, and an ephemeral b-tree to
// build, whose large allocations the pure-Go allocator mapped and
// unmapped: in CPU profiles of a /Bulk of 10,000 users (10,000 members)
// the lookup took 0.16–0.20 s that way, 0.09–0.12 s this way (nearly all
// index lookups). The external_id term names the partial index's
// condition, so that index serves it. PostgreSQL keeps the IN lists.
const takenInSQLite = `SELECT m.id, m.user_name, m.email, m.external_id FROM json_each(?) AS j CROSS JOIN members AS m
		ON m.workspace_id = ? AND lower(m.user_name) = j.value
	UNION ALL SELECT m.id, m.user_name, m.email, m.external_id FROM json_each(?) AS j CROSS JOIN members AS m
		ON m.workspace_id = ? AND m.email = j.value
	UNION ALL SELECT m.id, m.user_name, m.email, m.external_id FROM json_each(?) AS j CROSS JOIN members AS m
		ON m.workspace_id = ? AND m.external_id = j.value AND m.external_id IS NOT NULL`

// claim notes m's values as taken (the first holder stays).
func (t *takenSet) claim(pg bool, m *Member) {
	put := func(set map[string]string, v string) {
		if _, ok := set[v]; !ok {
			set[v] = m.ID
		}
	}
	put(t.userName, dbLower(pg, m.UserName))
	if m.Email != "" {
		put(t.email, m.Email)
	}
	if m.ExternalID != nil {
		put(t.externalID, *m.ExternalID)
	}
}

// check answers the conflict checkUnique would: userName first, then
// email, then externalId.
func (t *takenSet) check(pg bool, u *SCIMUser) error {
	if id, ok := t.userName[dbLower(pg, u.UserName)]; ok {
		return &ConflictError{Field: "userName", Code: ConflictUniqueness, MemberID: id, Message: "userName " + u.UserName + " is already taken in this workspace."}
	}
	if id, ok := t.email[u.Email]; ok && u.Email != "" {
		return &ConflictError{Field: "emails", Code: ConflictUniqueness, MemberID: id, Message: "The email " + u.Email + " already belongs to another member of this workspace."}
	}
	if u.ExternalID != nil {
		if id, ok := t.externalID[*u.ExternalID]; ok {
			return &ConflictError{Field: "externalId", Code: ConflictUniqueness, MemberID: id, Message: "externalId " + *u.ExternalID + " already belongs to another member of this workspace."}
		}
	}
	return nil
}
