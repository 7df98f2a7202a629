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
