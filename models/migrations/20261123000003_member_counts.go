package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// The members table shows "1–50 of 100,000". Counting 100,000 index entries
// on every page view costs more than the rest of the page together, so the
// number of members per workspace and status is kept in member_counts by
// triggers: every write to members keeps it right, whoever makes it.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		stmts := []string{
			`CREATE TABLE member_counts (
				workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
				status VARCHAR(16) NOT NULL,
				n BIGINT NOT NULL,
				PRIMARY KEY (workspace_id, status)
			)`,
			`INSERT INTO member_counts (workspace_id, status, n) SELECT workspace_id, status, count(*) FROM members GROUP BY workspace_id, status`,
		}
		if db.Dialect().Name() == dialect.PG {
			stmts = append(stmts,
				`CREATE FUNCTION member_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					IF TG_OP IN ('DELETE', 'UPDATE') THEN
						UPDATE member_counts SET n = n - 1 WHERE workspace_id = OLD.workspace_id AND status = OLD.status;
					END IF;
					IF TG_OP IN ('INSERT', 'UPDATE') THEN
						INSERT INTO member_counts (workspace_id, status, n) VALUES (NEW.workspace_id, NEW.status, 1)
						ON CONFLICT (workspace_id, status) DO UPDATE SET n = member_counts.n + 1;
					END IF;
					RETURN NULL;
				END $$`,
				`CREATE TRIGGER members_count_insert_delete AFTER INSERT OR DELETE ON members
				FOR EACH ROW EXECUTE FUNCTION member_counts_apply()`,
				`CREATE TRIGGER members_count_update AFTER UPDATE OF status, workspace_id ON members
				FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
				EXECUTE FUNCTION member_counts_apply()`)
		} else {
			const add = `INSERT INTO member_counts (workspace_id, status, n) VALUES (new.workspace_id, new.status, 1)
				ON CONFLICT (workspace_id, status) DO UPDATE SET n = n + 1;`
			const sub = `UPDATE member_counts SET n = n - 1 WHERE workspace_id = old.workspace_id AND status = old.status;`
			stmts = append(stmts,
				`CREATE TRIGGER members_count_insert AFTER INSERT ON members BEGIN `+add+` END`,
				`CREATE TRIGGER members_count_delete AFTER DELETE ON members BEGIN `+sub+` END`,
				`CREATE TRIGGER members_count_update AFTER UPDATE OF status, workspace_id ON members
				WHEN old.status IS NOT new.status OR old.workspace_id IS NOT new.workspace_id BEGIN `+sub+` `+add+` END`)
		}
		return execAll(ctx, db, stmts...)
	}, func(ctx context.Context, db *bun.DB) error {
		stmts := []string{`DROP TABLE IF EXISTS member_counts`}
		if db.Dialect().Name() == dialect.PG {
			stmts = append(stmts, `DROP FUNCTION IF EXISTS member_counts_apply() CASCADE`)
		}
		return execAll(ctx, db, stmts...)
	})
}
