package models

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On SQLite, writes to members note the rows whose search text changed in
// member_search_queue (migration 20261203000320); flushSearchIndex moves
// them into the FTS5 index. The group commit runs it once per transaction,
// just before COMMIT, so a transaction writes one index segment however
// many members it touched, and the index is never behind what is
// committed.
//
// The first queue entry of a row tells what the index holds for it: none
// (old_text NULL: the row was inserted since) or old_text. So the index
// drops that text and takes the row's text now, if the row still exists.
// An external-content FTS5 table must be told the exact text it holds to
// delete it, which is why the queue keeps it.
var searchFlush = []string{
	`INSERT INTO member_search (member_search, rowid, search_text)
	SELECT 'delete', q.row_id, q.old_text FROM member_search_queue AS q
	WHERE q.id IN (SELECT min(id) FROM member_search_queue GROUP BY row_id) AND q.old_text IS NOT NULL`,
	`INSERT INTO member_search (rowid, search_text)
	SELECT r.id, r.search_text FROM member_search_rows AS r WHERE r.id IN (SELECT row_id FROM member_search_queue)`,
	`DELETE FROM member_search_queue`,
}

// flushSearchIndex brings the search index up to date (SQLite; nothing on
// PostgreSQL, whose trigram index is an ordinary index). An empty queue
// costs one read of an empty table.
func flushSearchIndex(ctx context.Context, db bun.IDB) error {
	if db.Dialect().Name() == dialect.PG {
		return nil
	}
	var pending bool
	if err := db.QueryRowContext(ctx, searchPending).Scan(&pending); err != nil || !pending {
		return err
	}
	for _, q := range searchFlush {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// searchPending tells whether the search queue holds anything.
const searchPending = `SELECT EXISTS (SELECT 1 FROM member_search_queue)`

// flushSearchIndexTx is flushSearchIndex in a write group's transaction,
// with its statements prepared once on the writer: compiling them anew was
// half of the flush's CPU, which every group pays (4 % of a POST /Users).
func (s *Store) flushSearchIndexTx(ctx context.Context, tx bun.Tx) error {
	stmts := s.stmts.flush
	if len(stmts) == 0 { // not prepared
		return flushSearchIndex(ctx, tx)
	}
	var pending bool
	if err := tx.Tx.StmtContext(ctx, stmts[0]).QueryRowContext(ctx).Scan(&pending); err != nil || !pending {
		return err
	}
	for _, st := range stmts[1:] {
		if _, err := tx.Tx.StmtContext(ctx, st).ExecContext(ctx); err != nil {
			return err
		}
	}
	return nil
}
