package models

import (
	"context"
	"sync"
)

// Membership runs on every request in a workspace; its member's roles (and
// so their permissions) were a second statement each time. They change
// only with member_roles or roles, and both move the workspace's change
// counter (workspace_changes, by trigger, in the writing transaction, on
// any replica). Membership reads that counter in the same statement as the
// member row, so the roles are kept under its value and read again once it
// moved: roles read after the counter are at least as new as it, so a
// role taken away shows on the member's next request, here or on another
// replica, as before.

// membershipRolesMax bounds the members kept.
const membershipRolesMax = 4096

type membershipRolesCache struct {
	mu      sync.Mutex
	entries map[string]keptMemberRoles // by member id
}

type keptMemberRoles struct {
	changes int64
	roles   []Role
}

// membershipRoles fills m.Roles, kept under changes, the workspace's
// change counter read with m (negative: not read, not kept).
func (s *Store) membershipRoles(ctx context.Context, m *Member, changes int64) error {
	c := &s.memberRoles
	if changes >= 0 && !s.NoMemberPageCache {
		c.mu.Lock()
		e, ok := c.entries[m.ID]
		c.mu.Unlock()
		if ok && e.changes == changes {
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
	kept := append([]Role(nil), m.Roles...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]keptMemberRoles{}
	}
	// Full, one member at random makes room (Go's map order is random):
	// starting over would drop every member's roles each time once more
	// members than that are busy.
	for id := range c.entries {
		if len(c.entries) < membershipRolesMax {
			break
		}
		delete(c.entries, id)
	}
	c.entries[m.ID] = keptMemberRoles{changes, kept}
	return nil
}
