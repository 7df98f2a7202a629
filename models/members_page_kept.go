package models

import "context"

// A members page view also reads the workspace's roles (the role filter,
// the rows' role lists) and its sole active Admin (whom a row's menu may
// not remove), each a statement on every view. Both change only with
// members, their roles or roles, which all move the change counter
// (workspace_changes), and the page has just read that counter
// (MemberPage.Changes): so they are kept under its value, like the page
// itself (members_page_cache.go), and read again once it moved. Values
// read after the counter are at least as new as it says, so keeping them
// under it can only make a page fresher, never staler. Only the members
// page uses these: the rules themselves (guardLastAdmin) always read.

// workspaceKeptMax bounds the workspaces kept (Store.kept, by workspace
// id); full, one at random makes room (bounded.Map).
const workspaceKeptMax = 1024

// workspaceKept is what is kept of one workspace under its change counter.
type workspaceKept struct {
	changes   int64
	roles     []Role
	haveRoles bool
	soleAdmin string
	haveSole  bool
}

// keptAt returns what is kept for wsID under changes (the zero value when
// nothing is).
func (s *Store) keptAt(wsID string, changes int64) workspaceKept {
	if e, ok := s.kept.Get(wsID); ok && e.changes == changes {
		return e
	}
	return workspaceKept{}
}

// updateKept changes what is kept for wsID under changes; an entry under
// another value starts over.
func (s *Store) updateKept(wsID string, changes int64, fn func(e *workspaceKept)) {
	s.kept.Update(wsID, func(e workspaceKept, _ bool) workspaceKept {
		if e.changes != changes {
			e = workspaceKept{changes: changes}
		}
		fn(&e)
		return e
	})
}

// RolesAt is Roles for a page that read the change counter as changes
// (MemberPage.Changes; negative when it did not): kept under it.
func (s *Store) RolesAt(ctx context.Context, wsID string, changes int64) ([]Role, error) {
	if changes < 0 || s.NoMemberPageCache {
		return s.Roles(ctx, wsID)
	}
	if e := s.keptAt(wsID, changes); e.haveRoles {
		return append([]Role(nil), e.roles...), nil
	}
	roles, err := s.Roles(ctx, wsID)
	if err != nil {
		return nil, err
	}
	kept := append([]Role(nil), roles...)
	s.updateKept(wsID, changes, func(e *workspaceKept) { e.roles, e.haveRoles = kept, true })
	return roles, nil
}

// SoleActiveAdminAt is SoleActiveAdmin for a page that read the change
// counter as changes (negative when it did not): kept under it. For what
// a page shows only; the last-admin rule reads afresh in its transaction.
func (s *Store) SoleActiveAdminAt(ctx context.Context, wsID string, changes int64) (string, error) {
	if changes < 0 || s.NoMemberPageCache {
		return s.SoleActiveAdmin(ctx, wsID)
	}
	if e := s.keptAt(wsID, changes); e.haveSole {
		return e.soleAdmin, nil
	}
	id, err := s.SoleActiveAdmin(ctx, wsID)
	if err != nil {
		return "", err
	}
	s.updateKept(wsID, changes, func(e *workspaceKept) { e.soleAdmin, e.haveSole = id, true })
	return id, nil
}
