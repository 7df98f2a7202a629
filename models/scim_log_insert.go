package models

import (
	"context"
	"reflect"

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
	st := tx.Tx.StmtContext(ctx, stmt)
	defer st.Close()
	args := make([]any, 16)
	for i := range rows {
		e := &rows[i]
		var parent any
		if e.ParentID != nil {
			parent = *e.ParentID
		}
		args[0], args[1], args[2], args[3], args[4] = e.ID, e.WorkspaceID, parent, e.TokenID, e.TokenName
		args[5], args[6], args[7], args[8], args[9] = e.At.UTC().Format(sqliteTime), e.Method, e.Path, e.Status, e.DurationUS
		args[10], args[11], args[12] = e.TargetKind, e.TargetID, e.TargetName
		args[13], args[14], args[15] = e.Detail, e.Request, e.Response
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
