package models

import (
	"context"
	"database/sql"
)

// PGPlaceholders is pgPlaceholders.
func PGPlaceholders(query string) string { return pgPlaceholders(query) }

// RowsPrepared is s.rowsPrepared.
func RowsPrepared(ctx context.Context, s *Store, query string, args ...any) (*sql.Rows, error) {
	return s.rowsPrepared(ctx, query, args...)
}

// PGRefused is pgRefused.
func PGRefused(err error) bool { return pgRefused(err) }

// PrepareRefused tells whether s keeps query as one PostgreSQL refused to
// prepare.
func PrepareRefused(s *Store, query string) bool {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	st, ok := s.stmts.stmts[query]
	return ok && st == nil
}
