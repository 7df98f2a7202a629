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
// each time.
type pgMemberRoleStmt struct {
	once sync.Once
	stmt *sql.Stmt
	err  error
}

// pgMemberRole is memberRole on the writer's pool, as a prepared statement.
func (s *Store) pgMemberRole(ctx context.Context, wsID string) ([]Role, error) {
	p := &s.stmts.pgMemberRole
	p.once.Do(func() {
		var cols []string
		for _, f := range s.db.Table(reflect.TypeOf(Role{})).Fields {
			cols = append(cols, string(f.SQLName))
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM roles WHERE " + strings.Replace(memberRoleWhere, "?", "$1", 1)
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
