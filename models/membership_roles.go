package models

import "context"

// Membership runs on every request in a workspace; its member's roles (and
// so their permissions) were a second statement each time. They change
// only with member_roles or roles, and both move the workspace's change
// counter (workspace_changes, by trigger, in the writing transaction, on
// any replica). Membership reads that counter in the same statement as the
// member row, so the roles are kept under its value and read again once it
// moved: roles read after the counter are at least as new as it, so a
// role taken away shows on the member's next request, here or on another
// replica, as before.

// membershipRolesMax bounds the members kept (memberRoles, by member id).
const membershipRolesMax = 4096

type keptMemberRoles struct {
	changes int64
	roles   []Role
}

// membershipRoles fills m.Roles, kept under changes, the workspace's
// change counter read with m (negative: not read, not kept).
func (s *Store) membershipRoles(ctx context.Context, m *Member, changes int64) error {
	if changes >= 0 && !s.NoMemberPageCache {
		if e, ok := s.memberRoles.Get(m.ID); ok && e.changes == changes {
			m.Roles = append([]Role(nil), e.roles...)
			return nil
		}
	}
	if err := s.loadRoles(ctx, s.rdb, []*Member{m}); err != nil {
		return err
	}
	if changes < 0 || s.NoMemberPageCache {
		return nil
	}
	// Full, one member at random makes room (bounded.Map): starting over
	// would drop every member's roles each time once more members than
	// that are busy.
	s.memberRoles.Put(m.ID, keptMemberRoles{changes, append([]Role(nil), m.Roles...)})
	return nil
}
