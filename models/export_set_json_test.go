package models

import (
	"context"
	"errors"
	"reflect"

	"github.com/uptrace/bun"
)

// InsertSetVia inserts rows (a pointer to a slice) in one transaction as
// insertSet would: through the prepared JSON statement (viaJSON), or as
// the text Bun writes.
func InsertSetVia(ctx context.Context, s *Store, rows any, viaJSON bool) error {
	return s.tx(ctx, func(tx bun.Tx) error {
		if viaJSON {
			ok, err := s.insertSetJSON(ctx, tx, rows)
			if !ok && err == nil {
				return errors.New("no prepared set INSERT for these rows")
			}
			return err
		}
		query, err := setQuery(tx, rows)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, query)
		return err
	})
}

// SetJSONRuns is how many set INSERTs into the table of row (an entity)
// ran through the prepared JSON statement.
func SetJSONRuns(s *Store, row any) int64 {
	if set := s.stmts.sets[reflect.TypeOf(row)]; set != nil {
		return set.runs.Load()
	}
	return 0
}
