package models

import (
	"context"
	"database/sql"
	"sync"

	"github.com/uptrace/bun"
)

// Bun writes argument values into the SQL text, so SQLite parses every
// query anew; for the lookups an identity provider sends before nearly
// every write (token, userName or externalId, the member's roles) parsing
// was half the time of the request. queryPrepared runs such fixed queries
// as prepared statements, parsed once per connection.

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// queryPrepared scans the rows of query (with ? placeholders) into dest,
// a pointer to a slice: unlike Bun's Scan, an empty result is no error.
// On PostgreSQL, or inside a batch's transaction, it goes through Bun.
func (s *Store) queryPrepared(ctx context.Context, dest any, query string, args ...any) error {
	if s.IsPostgres() || s.conn(ctx) != bun.IDB(s.db) {
		return s.conn(ctx).NewRaw(query, args...).Scan(ctx, dest)
	}
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	return s.db.ScanRows(ctx, rows, dest)
}

func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.stmts.stmts == nil {
		s.stmts.stmts = map[string]*sql.Stmt{}
	}
	s.stmts.stmts[query] = st
	return st, nil
}
