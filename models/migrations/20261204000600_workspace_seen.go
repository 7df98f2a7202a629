package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// workspace_seen counts, per workspace, the updates that move only a
// member's last_seen_at (TouchMember): exactly the updates the change
// counter (workspace_changes) leaves out on purpose, so that signing in
// does not reload every open members table. A kept members page
// (models/members_page_cache.go) remembers this counter too, and reads its
// members' last-seen times again only when it moved, instead of on every
// view. The open pages' polls read workspace_changes alone, so this moves
// no table.
//
// The trigger's WHEN is the complement of members_changes_update's: an
// update that bumps the change counter drops the kept page anyway.
//   - SQLite: a per-row trigger; one row per workspace (shard 0).
//   - PostgreSQL: a deferred constraint trigger like the change counter's
//     (its row lock is taken at COMMIT, last), upserting into the shard of
//     the transaction id, so concurrent sign-ins do not queue on one row.
//     Readers add the shards up.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		stmts := []string{
			`CREATE TABLE workspace_seen (
				workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
				shard SMALLINT NOT NULL DEFAULT 0,
				n BIGINT NOT NULL DEFAULT 0,
				PRIMARY KEY (workspace_id, shard)
			)`,
		}
		if db.Dialect().Name() == dialect.PG {
			stmts = append(stmts,
				`CREATE FUNCTION workspace_seen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					-- The workspace is gone (deleted in this transaction): nothing to count.
					PERFORM 1 FROM workspaces WHERE id = NEW.workspace_id;
					IF NOT FOUND THEN
						RETURN NULL;
					END IF;
					INSERT INTO workspace_seen (workspace_id, shard, n) VALUES (NEW.workspace_id, txid_current() % 16, 1)
					ON CONFLICT (workspace_id, shard) DO UPDATE SET n = workspace_seen.n + 1;
					RETURN NULL;
				END $$`,
				`CREATE CONSTRAINT TRIGGER members_seen AFTER UPDATE ON members
				DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
				WHEN (OLD.last_seen_at IS DISTINCT FROM NEW.last_seen_at AND OLD.version IS NOT DISTINCT FROM NEW.version AND OLD.updated_at IS NOT DISTINCT FROM NEW.updated_at)
				EXECUTE FUNCTION workspace_seen_bump()`)
		} else {
			stmts = append(stmts,
				`CREATE TRIGGER members_seen AFTER UPDATE OF last_seen_at ON members
				WHEN old.last_seen_at IS NOT new.last_seen_at AND old.version IS new.version AND old.updated_at IS new.updated_at
				BEGIN
					INSERT INTO workspace_seen (workspace_id, shard, n) VALUES (new.workspace_id, 0, 1)
					ON CONFLICT (workspace_id, shard) DO UPDATE SET n = n + 1;
				END`)
		}
		return execAll(ctx, db, stmts...)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return execAll(ctx, db,
				`DROP FUNCTION IF EXISTS workspace_seen_bump() CASCADE`,
				`DROP TABLE IF EXISTS workspace_seen`)
		}
		return execAll(ctx, db, `DROP TRIGGER IF EXISTS members_seen`, `DROP TABLE IF EXISTS workspace_seen`)
	})
}
