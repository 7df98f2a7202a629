package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// SQLite's FTS5 index of member search text was written by a trigger per
// row of member_search_rows. FTS5 keeps what a transaction adds in memory
// and writes it out as a new segment whenever a savepoint or a statement
// journal opens, which the group commit (one savepoint per operation) and
// every INSERT into members (triggers) both do: each created member made a
// segment of its own, and the index spent its time merging them. The
// triggers now only note which rows changed (and the text the index had)
// in member_search_queue, a plain table; the store moves a group's changes
// into the index with three statements just before the group's COMMIT
// (models/search_index.go), one segment per transaction.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`CREATE TABLE member_search_queue (
				id INTEGER PRIMARY KEY,
				row_id INTEGER NOT NULL,
				old_text TEXT
			)`,
			`DROP TRIGGER member_search_rows_ai`,
			`DROP TRIGGER member_search_rows_ad`,
			`DROP TRIGGER member_search_rows_au`,
			// old_text NULL: the index did not hold the row before.
			`CREATE TRIGGER member_search_rows_ai AFTER INSERT ON member_search_rows BEGIN
				INSERT INTO member_search_queue (row_id, old_text) VALUES (new.id, NULL);
			END`,
			`CREATE TRIGGER member_search_rows_ad AFTER DELETE ON member_search_rows BEGIN
				INSERT INTO member_search_queue (row_id, old_text) VALUES (old.id, old.search_text);
			END`,
			`CREATE TRIGGER member_search_rows_au AFTER UPDATE ON member_search_rows BEGIN
				INSERT INTO member_search_queue (row_id, old_text) VALUES (old.id, old.search_text);
			END`)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`DROP TRIGGER member_search_rows_ai`,
			`DROP TRIGGER member_search_rows_ad`,
			`DROP TRIGGER member_search_rows_au`,
			`DROP TABLE member_search_queue`,
			`CREATE TRIGGER member_search_rows_ai AFTER INSERT ON member_search_rows BEGIN
				INSERT INTO member_search (rowid, search_text) VALUES (new.id, new.search_text);
			END`,
			`CREATE TRIGGER member_search_rows_ad AFTER DELETE ON member_search_rows BEGIN
				INSERT INTO member_search (member_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
			END`,
			`CREATE TRIGGER member_search_rows_au AFTER UPDATE ON member_search_rows BEGIN
				INSERT INTO member_search (member_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
				INSERT INTO member_search (rowid, search_text) VALUES (new.id, new.search_text);
			END`)
	})
}
