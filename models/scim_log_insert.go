package models

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/uptrace/bun"
)

// insertSCIMLogRows writes a batch of the provisioning log on SQLite with
// insertRow's prepared INSERT, bound to tx once for the whole batch and fed
// the fields directly. insertRow binds the statement to the transaction
// and reads each field by reflection (boxing it) for every row; under
// userName eq lookups, one entry each, that was a tenth of the log's
// writing. The values are those sqliteValue gives, in the table's column
// order (TestSCIMLogInsertMatchesBun).
func (s *Store) insertSCIMLogRows(ctx context.Context, tx bun.Tx, rows []SCIMLogEntry) error {
	stmt := s.stmts.inserts[reflect.TypeOf(SCIMLogEntry{})]
	if stmt == nil {
		for i := range rows {
			if err := s.insertRow(ctx, tx, &rows[i]); err != nil {
				return err
			}
		}
		return nil
	}
	args := make([]any, 0, scimLogRowsPerInsert*scimLogColumns)
	bind := func(e *SCIMLogEntry) {
		var parent any
		if e.ParentID != nil {
			parent = *e.ParentID
		}
		args = append(args, e.ID, e.WorkspaceID, parent, e.TokenID, e.TokenName,
			e.At.UTC().Format(sqliteTime), e.Method, e.Path, e.Status, e.DurationUS,
			e.TargetKind, e.TargetID, e.TargetName, e.Detail, e.Request, e.Response)
	}
	// Full chunks as one INSERT of scimLogRowsPerInsert rows, compiled
	// once a batch on its connection: a call through database/sql and
	// the driver a row was about a quarter of the row's insert
	// (BenchmarkSCIMLogWrite 43 to 36 cpu-us/entry, 25 to 11 allocs).
	if len(rows) >= scimLogRowsPerInsert {
		multi, err := tx.Tx.PrepareContext(ctx, s.scimLogInsert(scimLogRowsPerInsert))
		if err != nil {
			return err
		}
		defer multi.Close()
		for len(rows) >= scimLogRowsPerInsert {
			args = args[:0]
			for i := range scimLogRowsPerInsert {
				bind(&rows[i])
			}
			res, err := multi.ExecContext(ctx, args...)
			if err != nil {
				return err
			}
			// OR IGNORE skips a row a constraint refuses without a word:
			// a chunk short of a row fails the batch, which the writer
			// then writes row by row with the plain INSERT, so the row is
			// refused aloud and counted as dropped (the database's
			// count, free to read: the driver took it with the result).
			if n, err := res.RowsAffected(); err != nil || n != scimLogRowsPerInsert {
				return fmt.Errorf("scim log: %d of %d rows of a chunk written (%v)", n, scimLogRowsPerInsert, err)
			}
			rows = rows[scimLogRowsPerInsert:]
		}
	}
	if len(rows) == 0 {
		return nil
	}
	st := tx.Tx.StmtContext(ctx, stmt)
	defer st.Close()
	for i := range rows {
		args = args[:0]
		bind(&rows[i])
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

const (
	scimLogColumns       = 16
	scimLogRowsPerInsert = 32
)

// scimLogInsert is the INSERT of n log rows, in the table's column order
// (insertRow's). OR IGNORE: a statement of many rows that a constraint
// could abort half way makes SQLite keep a statement journal, every page
// the chunk changes copied into memory and freed at its end, about a
// quarter of the writer's CPU (TestSCIMLogChunkInsertNeedsNoStatementJournal).
// Every entry has a new id, so what it ignores is an entry written twice;
// no column can be NULL that must not be. Should a row be ignored all the
// same, insertSCIMLogRows sees the chunk's count fall short.
func (s *Store) scimLogInsert(n int) string {
	table := s.db.Table(reflect.TypeOf(SCIMLogEntry{}))
	cols := make([]string, len(table.Fields))
	for i, f := range table.Fields {
		cols[i] = string(f.SQLName)
	}
	row := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
	return "INSERT OR IGNORE INTO " + string(table.SQLName) + " (" + strings.Join(cols, ", ") + ") VALUES " +
		row + strings.Repeat(", "+row, n-1)
}
