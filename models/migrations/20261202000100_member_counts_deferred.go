package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On PostgreSQL the per-status count row of a workspace was updated by a
// trigger right at each INSERT into members, so every transaction creating
// a member held that one row's lock for the rest of its work and its
// COMMIT: all provisioning into a workspace ran one at a time. The same
// function now runs as a deferred constraint trigger, at COMMIT, as the
// change token's does: the row is locked only while a transaction commits.
// SQLite, with its single writer, keeps its triggers.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`DROP TRIGGER members_count_insert_delete ON members`,
			`DROP TRIGGER members_count_update ON members`,
			`CREATE CONSTRAINT TRIGGER members_count_insert_delete AFTER INSERT OR DELETE ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_counts_apply()`,
			`CREATE CONSTRAINT TRIGGER members_count_update AFTER UPDATE OF status, workspace_id ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
			WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
			EXECUTE FUNCTION member_counts_apply()`)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`DROP TRIGGER members_count_insert_delete ON members`,
			`DROP TRIGGER members_count_update ON members`,
			`CREATE TRIGGER members_count_insert_delete AFTER INSERT OR DELETE ON members
			FOR EACH ROW EXECUTE FUNCTION member_counts_apply()`,
			`CREATE TRIGGER members_count_update AFTER UPDATE OF status, workspace_id ON members
			FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
			EXECUTE FUNCTION member_counts_apply()`)
	})
}
