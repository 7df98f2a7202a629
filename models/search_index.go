package models

import (
	"context"
	"strconv"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On SQLite, writes to members note the rows whose search text changed in
// member_search_queue (migration 20261203000320); flushSearchIndex moves
// them into the FTS5 index. The group commit runs it just before a COMMIT
// once the queue holds searchFlushAt rows (flushSearchIndexTx), so one
// index segment takes that many rows: flushing every group was about a
// sixth of a POST /Users' CPU (each segment's write and merges at COMMIT,
// the index's pages in the WAL). Searches read the queue too
// (searchMatches): a row still queued is tested by its text as it is now,
// the index's answer for it is left out, so what is committed is found at
// once.
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
// PostgreSQL, whose trigram index is an ordinary index): after Migrate,
// whatever the queue holds. An empty queue costs one read of an empty
// table.
func flushSearchIndex(ctx context.Context, db bun.IDB) error {
	return flushSearchQueue(ctx, db, searchPending)
}

// flushSearchQueue moves the queue into the index when the query due
// (searchPending, searchDue) says so.
func flushSearchQueue(ctx context.Context, db bun.IDB, due string) error {
	if db.Dialect().Name() == dialect.PG {
		return nil
	}
	var pending bool
	if err := db.QueryRowContext(ctx, due).Scan(&pending); err != nil || !pending {
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

// searchFlushAt is how many queue entries a group commit lets wait before
// it moves them into the index: enough that a busy identity provider's
// creates share one segment, few enough that a search tests the queued
// rows' text in well under a millisecond (searchMatches).
const searchFlushAt = 256

// searchDue tells whether the queue holds searchFlushAt entries. Its ids
// run without a gap: they are the rowid (new rows take the largest plus
// one) and entries leave only all at once (searchFlush) or as the newest
// (a rollback). So the queue's length is its last id less its first plus
// one, two lookups at the ends of the table; counting up to
// searchFlushAt entries read that many rows every group (about 1 % of a
// POST /Users' CPU in the store).
var searchDue = `SELECT coalesce((SELECT max(id) FROM member_search_queue) - (SELECT min(id) FROM member_search_queue) + 1, 0) >= ` +
	strconv.Itoa(searchFlushAt)

// searchMatches is the ids of member_search_rows whose text contains a term
// (SQLite, three characters or more), as a subquery with two arguments:
// ftsPhrase(term), then term. Rows the index is up to date on are its
// matches; a row still queued (not moved into the index yet, or changed
// since) is tested by its text as it is now, and whatever the index still
// holds for it is left out. Both sides hold folded text (foldCase), and a
// trigram phrase matches where it occurs as a substring, as instr does.
// The queued side is distinct, and no row is on both sides.
const searchMatches = `SELECT rowid AS id FROM member_search WHERE member_search MATCH ? AND rowid NOT IN (SELECT row_id FROM member_search_queue) ` +
	`UNION ALL SELECT qr.id FROM member_search_rows AS qr WHERE qr.id IN (SELECT row_id FROM member_search_queue) AND instr(qr.search_text, ?) > 0`

// flushSearchIndexTx moves the search queue into the index in a write
// group's transaction once it is due (searchDue), with its statements
// prepared once on the writer: compiling them anew was half of the
// flush's CPU.
func (s *Store) flushSearchIndexTx(ctx context.Context, tx bun.Tx) error {
	stmts := s.stmts.flush
	if len(stmts) == 0 { // not prepared
		return flushSearchQueue(ctx, tx, searchDue)
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
