package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Searching members for any part of a name, email or location ("velac"
// finds Lovelace) must stay fast at 100,000 members, which a LIKE '%…%'
// scan does not. Both databases get a trigram index over search_text:
//
//   - SQLite: an FTS5 table with the trigram tokenizer. It is an
//     external-content table over member_search_rows, whose INTEGER PRIMARY
//     KEY is stable (members' own rowid is not: VACUUM may renumber it) and
//     which carries workspace_id, so a search's matches are counted without
//     touching members. Triggers keep both in step with members, whoever
//     writes to it.
//   - PostgreSQL: pg_trgm's GIN index, which LIKE '%…%' uses by itself.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return execAll(ctx, db,
				`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
				`CREATE INDEX members_search_trgm ON members USING gin (search_text gin_trgm_ops)`)
		}
		return execAll(ctx, db,
			`CREATE TABLE member_search_rows (
				id INTEGER PRIMARY KEY,
				member_id VARCHAR(36) NOT NULL UNIQUE,
				workspace_id VARCHAR(36) NOT NULL,
				search_text TEXT NOT NULL
			)`,
			`CREATE VIRTUAL TABLE member_search USING fts5(
				search_text, content='member_search_rows', content_rowid='id', tokenize='trigram'
			)`,
			`CREATE TRIGGER member_search_rows_ai AFTER INSERT ON member_search_rows BEGIN
				INSERT INTO member_search (rowid, search_text) VALUES (new.id, new.search_text);
			END`,
			`CREATE TRIGGER member_search_rows_ad AFTER DELETE ON member_search_rows BEGIN
				INSERT INTO member_search (member_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
			END`,
			`CREATE TRIGGER member_search_rows_au AFTER UPDATE ON member_search_rows BEGIN
				INSERT INTO member_search (member_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
				INSERT INTO member_search (rowid, search_text) VALUES (new.id, new.search_text);
			END`,
			`CREATE TRIGGER members_search_ai AFTER INSERT ON members BEGIN
				INSERT INTO member_search_rows (member_id, workspace_id, search_text) VALUES (new.id, new.workspace_id, new.search_text);
			END`,
			`CREATE TRIGGER members_search_au AFTER UPDATE OF search_text ON members BEGIN
				UPDATE member_search_rows SET search_text = new.search_text WHERE member_id = new.id;
			END`,
			`CREATE TRIGGER members_search_ad AFTER DELETE ON members BEGIN
				DELETE FROM member_search_rows WHERE member_id = old.id;
			END`,
			`INSERT INTO member_search_rows (member_id, workspace_id, search_text) SELECT id, workspace_id, search_text FROM members`)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return execAll(ctx, db, `DROP INDEX IF EXISTS members_search_trgm`)
		}
		return execAll(ctx, db, `DROP TABLE IF EXISTS member_search`, `DROP TABLE IF EXISTS member_search_rows`)
	})
}

func execAll(ctx context.Context, db *bun.DB, stmts ...string) error {
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
