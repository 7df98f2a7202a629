package models

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// insertSCIMLogRows writes a batch of the provisioning log on SQLite with
// prepared INSERTs bound to tx once for the whole batch and fed the fields
// directly. insertRow binds the statement to the transaction and reads
// each field by reflection (boxing it) for every row; under userName eq
// lookups, one entry each, that was a tenth of the log's writing. The
// values are those sqliteValue gives, in the table's column order
// (TestSCIMLogInsertMatchesBun).
//
// Light entries (light: no parent, detail or bodies, as nearly every
// successful request's) go in chunks that leave those four columns to
// their defaults; the others in chunks of every column. modernc's driver
// looks each parameter's value up among the statement's arguments from
// the first, so binding a statement of n parameters costs about n²/2
// steps: 32 rows of 16 columns (512 parameters) took about 4,000 steps a
// row, 16 rows of 12 columns take about 1,150.
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
	// The entries by shape, light first; what fills no chunk is written
	// a row at a time below, light or not.
	var lightRows, fullRows []int
	for i := range rows {
		if rows[i].light() {
			lightRows = append(lightRows, i)
		} else {
			fullRows = append(fullRows, i)
		}
	}
	var rest []int
	for _, shape := range []struct {
		light bool
		rows  []int
	}{{true, lightRows}, {false, fullRows}} {
		full := len(shape.rows) / scimLogRowsPerInsert * scimLogRowsPerInsert
		rest = append(rest, shape.rows[full:]...)
		if full == 0 {
			continue
		}
		// Full chunks as one INSERT of scimLogRowsPerInsert rows,
		// compiled once a batch on its connection: a call through
		// database/sql and the driver a row was about a quarter of the
		// row's insert (BenchmarkSCIMLogWrite 43 to 36 cpu-us/entry, 25
		// to 11 allocs).
		multi, err := tx.Tx.PrepareContext(ctx, s.scimLogInsert(scimLogRowsPerInsert, shape.light))
		if err != nil {
			return err
		}
		for c := 0; c < full; c += scimLogRowsPerInsert {
			args = args[:0]
			for _, i := range shape.rows[c : c+scimLogRowsPerInsert] {
				args = rows[i].appendArgs(args, shape.light)
			}
			if err = execSCIMLogChunk(ctx, multi, args, scimLogRowsPerInsert); err != nil {
				break
			}
		}
		multi.Close()
		if err != nil {
			return err
		}
	}
	if len(rest) == 0 {
		return nil
	}
	// In the order they came.
	slices.Sort(rest)
	st := tx.Tx.StmtContext(ctx, stmt)
	defer st.Close()
	for _, i := range rest {
		args = rows[i].appendArgs(args[:0], false)
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// execSCIMLogChunk runs one chunk of n rows. OR IGNORE skips a row a
// constraint refuses without a word: a chunk short of a row fails the
// batch, which the writer then writes row by row with the plain INSERT,
// so the row is refused aloud and counted as dropped (the database's
// count, free to read: the driver took it with the result).
func execSCIMLogChunk(ctx context.Context, multi *sql.Stmt, args []any, n int) error {
	res, err := multi.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	if got, err := res.RowsAffected(); err != nil || got != int64(n) {
		return fmt.Errorf("scim log: %d of %d rows of a chunk written (%v)", got, n, err)
	}
	return nil
}

// light tells an entry whose parent, detail, request and response are
// empty: the light chunk's INSERT leaves them to the table's defaults
// (NULL and empty text), which are what the full INSERT binds for them.
func (e *SCIMLogEntry) light() bool {
	return e.ParentID == nil && e.Detail == "" && e.Request == "" && e.Response == ""
}

// appendArgs appends the entry's values in the table's column order as
// sqliteValue gives them; light leaves out scimLogHeavyColumns.
func (e *SCIMLogEntry) appendArgs(args []any, light bool) []any {
	at := e.At.UTC().Format(sqliteTime)
	if light {
		return append(args, e.ID, e.WorkspaceID, e.TokenID, e.TokenName, at, e.Method, e.Path,
			e.Status, e.DurationUS, e.TargetKind, e.TargetID, e.TargetName)
	}
	var parent any
	if e.ParentID != nil {
		parent = *e.ParentID
	}
	return append(args, e.ID, e.WorkspaceID, parent, e.TokenID, e.TokenName, at, e.Method, e.Path,
		e.Status, e.DurationUS, e.TargetKind, e.TargetID, e.TargetName, e.Detail, e.Request, e.Response)
}

// A chunk's rows, light or not. Fewer rows bind faster (the driver's
// n²/2) but call through database/sql and the driver more often: writing
// 4,000 entries in one transaction, 16 rows took 6.7 us a light row where
// 8 took 7.1, 32 took 7.5 and 64 took 9.8, and 7.1 a full row where 32
// took 7.8 (loaded machine, medians of 5; 12 and 20 were within noise).
const (
	scimLogColumns       = 16
	scimLogRowsPerInsert = 16
)

// scimLogHeavyColumns are the columns a light entry leaves to their
// defaults (SCIMLogEntry.light).
var scimLogHeavyColumns = []string{"parent_id", "detail", "request", "response"}

// scimLogInsert is the INSERT of n log rows, in the table's column order
// (insertRow's), light ones without scimLogHeavyColumns. OR IGNORE: a
// statement of many rows that a constraint could abort half way makes
// SQLite keep a statement journal, every page the chunk changes copied
// into memory and freed at its end, about a quarter of the writer's CPU
// (TestSCIMLogChunkInsertNeedsNoStatementJournal). Every entry has a new
// id, so what it ignores is an entry written twice; no column can be NULL
// that must not be. Should a row be ignored all the same,
// insertSCIMLogRows sees the chunk's count fall short.
func (s *Store) scimLogInsert(n int, light bool) string {
	table := s.db.Table(reflect.TypeOf(SCIMLogEntry{}))
	var cols []string
	for _, f := range table.Fields {
		if !light || !slices.Contains(scimLogHeavyColumns, f.Name) {
			cols = append(cols, string(f.SQLName))
		}
	}
	row := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
	return "INSERT OR IGNORE INTO " + string(table.SQLName) + " (" + strings.Join(cols, ", ") + ") VALUES " +
		row + strings.Repeat(", "+row, n-1)
}
