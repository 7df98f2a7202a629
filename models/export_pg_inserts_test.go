package models

import "context"

// PGInserts runs rows as the PostgreSQL create does (pgInserts), on their own.
func (s *Store) PGInserts(ctx context.Context, rows ...any) error {
	return s.pgInserts(ctx, nil, rows, false, nil)
}

// IsUniqueViolation is isUniqueViolation.
func IsUniqueViolation(err error) bool { return isUniqueViolation(err) }
