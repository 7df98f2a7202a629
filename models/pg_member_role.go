package models

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"sync"
)

// pgMemberRoleStmt is the read of a workspace's Member role, prepared once
// on PostgreSQL: a SCIM create that names no role reads it before its
// INSERTs, and through Bun the server parsed and planned the SELECT anew
// each time. known keeps each workspace's Member role as last read
// (workspace id → Role), so that such a create needs no read at all: its
// statement checks the role is still that one (pgInsertsQuery, stale).
type pgMemberRoleStmt struct {
	once  sync.Once
	stmt  *sql.Stmt
	err   error
	known sync.Map
}

// pgMemberRole is memberRole on the writer's pool, as a prepared statement.
func (s *Store) pgMemberRole(ctx context.Context, wsID string) ([]Role, error) {
	p := &s.stmts.pgMemberRole
	p.once.Do(func() {
		var cols []string
		for _, f := range s.db.Table(reflect.TypeOf(Role{})).Fields {
			cols = append(cols, string(f.SQLName))
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM roles WHERE " + pgPlaceholders(memberRoleWhere)
		p.stmt, p.err = s.db.DB.PrepareContext(context.WithoutCancel(ctx), q)
	})
	if p.err != nil { // not prepared (the server refused it): through Bun
		return memberRole(ctx, s.db, wsID)
	}
	if s.PreparedHook != nil {
		s.PreparedHook("memberRole")
	}
	rows, err := p.stmt.QueryContext(ctx, wsID)
	if err != nil {
		return nil, err
	}
	var roles []Role
	err = s.db.ScanRows(ctx, rows, &roles)
	return roles, err
}

// pgKnownMemberRole is the workspace's Member role without a round trip,
// as last read (held true: the create's statement must check it is still
// that role), or read now when none is known; a read that finds exactly
// one is kept for the next. Its read was a sixth of a create's CPU in Go
// (a round trip of its own) and a SELECT more for the server.
func (s *Store) pgKnownMemberRole(ctx context.Context, wsID string) (roles []Role, held bool, err error) {
	known := &s.stmts.pgMemberRole.known
	if r, ok := known.Load(wsID); ok {
		return []Role{r.(Role)}, true, nil // a copy: the caller's Member keeps it
	}
	roles, err = s.pgMemberRole(ctx, wsID)
	if err == nil && len(roles) == 1 {
		known.Store(wsID, roles[0])
	}
	return roles, false, err
}

// forgetMemberRole drops the Member role kept for the workspace when it
// is still role: a create's statement found it changed.
func (s *Store) forgetMemberRole(wsID string, role Role) {
	s.stmts.pgMemberRole.known.CompareAndDelete(wsID, role)
}
