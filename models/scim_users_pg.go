package models

import (
	"context"
)

// On PostgreSQL a create was four round trips with the transaction open
// (BEGIN, the roles it names, its INSERTs in one text, COMMIT). When the
// roles already exist it is two: the roles are read first, outside any
// transaction, and the INSERTs go as one prepared statement with no
// BEGIN (pgInserts: the others are CTEs of the member's INSERT, which also
// counts the member and moves the change token), one implicit transaction
// (all of it or none), or one shared with the creates that arrived beside
// it (pg_create_batch.go). Both are prepared once per connection (the Member
// role's read: pgMemberRole), and the Member role, once read, is kept
// (pgKnownMemberRole): a create that names no role is then one round
// trip, whose statement fails and writes nothing if that role changed
// meanwhile (its name, permissions, version or place), and the create goes
// the usual way. Reading the roles first changes nothing
// under READ COMMITTED, where the transaction's SELECT did not lock them
// either: a role deleted meanwhile fails the member_roles insert (foreign
// key), and the whole statement with it.

// beforeCreateExec, for tests, runs between createSCIMUserAtOnce's read
// of the roles and its INSERTs.
var beforeCreateExec func(ctx context.Context)

// createSCIMUserAtOnce creates u as createSCIMUser does (unchecked), on
// PostgreSQL, when no role has to be created and no group looked up;
// done is false when it did not run (SQLite, inside a batch, under a
// ChangeWatch, a role to create, groups to join).
func (s *Store) createSCIMUserAtOnce(ctx context.Context, actor Actor, ws *Workspace, u SCIMUser) (m *Member, done bool, err error) {
	if plain, _ := s.plainTx(ctx); !plain || len(u.GroupIDs) > 0 {
		return nil, false, nil
	}
	roles, known, held, err := s.existingRolesForUser(ctx, ws.ID, u.Roles)
	if err != nil || !known {
		return nil, err != nil, err
	}
	if len(roles) > pgInsertsMaxRoles { // not one more prepared statement (pgInsertsMaxRows)
		return nil, false, nil
	}
	if err := checkGrantable(actor, roles); err != nil {
		if held { // perhaps no longer so: the usual way reads the role anew
			s.forgetMemberRole(ws.ID, roles[0])
			return nil, false, nil
		}
		return nil, true, err
	}
	defer s.tokens.settle(s.tokens.gen.Load()) // as Store.tx
	m, rows, err := s.newSCIMUserRows(actor, ws, u, roles)
	if err != nil {
		return nil, true, err
	}
	if beforeCreateExec != nil {
		beforeCreateExec(ctx)
	}
	// One prepared statement, one round trip (pgInserts).
	var heldRole *Role
	if held {
		heldRole = &roles[0]
	}
	if err := s.pgInserts(ctx, nil, rows, true, heldRole); err != nil {
		if heldRole != nil && isStaleRole(err) {
			// The Member role changed since it was kept: nothing was
			// written; the usual way reads it anew (and the next create
			// here keeps it again).
			s.forgetMemberRole(ws.ID, *heldRole)
			return nil, false, nil
		}
		return nil, true, createError(err, false)
	}
	return m, true, nil
}

// existingRolesForUser is rolesForUser for roles that all exist, read on
// the writer's pool; known is false when a name has no role yet. held:
// the Member role as kept from an earlier read, not read now
// (pgKnownMemberRole), which the create's statement has to check.
func (s *Store) existingRolesForUser(ctx context.Context, wsID string, names []string) (roles []Role, known, held bool, err error) {
	if names == nil {
		roles, held, err := s.pgKnownMemberRole(ctx, wsID)
		return roles, err == nil, held, err
	}
	byName, names, unknown, err := rolesNamed(ctx, s.db, true, wsID, names)
	if err != nil || len(unknown) > 0 {
		return nil, false, false, err
	}
	return rolesInOrder(byName, names), true, false, nil
}
