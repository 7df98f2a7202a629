package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On PostgreSQL a member's insert ran two deferred row triggers at COMMIT
// (the change token, the per-status count) and its role link a third,
// each a PL/pgSQL call that looks its workspace up before its upsert: a
// fifth of a SCIM create's backend CPU. A SCIM create now does both
// upserts itself, in its one statement (pgInserts with counted), and names
// the member it counted in the transaction-local setting muster.counted;
// the insert triggers skip that member and its role links (their WHEN is
// checked as the row is inserted). Every other write is counted by the
// triggers as before. The insert triggers are split from the delete ones
// because a WHEN that reads NEW cannot be on a DELETE trigger; their names
// keep the order they fire in (the change token's shard row locked before
// the count's, as every other transaction does).
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		const skip = `WHEN (current_setting('muster.counted', true) IS DISTINCT FROM NEW.`
		return execInTx(ctx, db,
			`DROP TRIGGER members_changes ON members`,
			`CREATE CONSTRAINT TRIGGER members_changes AFTER DELETE ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`,
			`CREATE CONSTRAINT TRIGGER members_changes_insert AFTER INSERT ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW `+skip+`id) EXECUTE FUNCTION workspace_changes_bump()`,
			`DROP TRIGGER members_count_insert_delete ON members`,
			`CREATE CONSTRAINT TRIGGER members_count_delete AFTER DELETE ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_counts_apply()`,
			`CREATE CONSTRAINT TRIGGER members_count_insert AFTER INSERT ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW `+skip+`id) EXECUTE FUNCTION member_counts_apply()`,
			`DROP TRIGGER member_roles_changes ON member_roles`,
			`CREATE CONSTRAINT TRIGGER member_roles_changes AFTER UPDATE OR DELETE ON member_roles
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`,
			`CREATE CONSTRAINT TRIGGER member_roles_changes_insert AFTER INSERT ON member_roles
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW `+skip+`member_id) EXECUTE FUNCTION workspace_changes_bump()`)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return execInTx(ctx, db,
			`DROP TRIGGER members_changes ON members`,
			`DROP TRIGGER members_changes_insert ON members`,
			`CREATE CONSTRAINT TRIGGER members_changes AFTER INSERT OR DELETE ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`,
			`DROP TRIGGER members_count_delete ON members`,
			`DROP TRIGGER members_count_insert ON members`,
			`CREATE CONSTRAINT TRIGGER members_count_insert_delete AFTER INSERT OR DELETE ON members
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_counts_apply()`,
			`DROP TRIGGER member_roles_changes ON member_roles`,
			`DROP TRIGGER member_roles_changes_insert ON member_roles`,
			`CREATE CONSTRAINT TRIGGER member_roles_changes AFTER INSERT OR UPDATE OR DELETE ON member_roles
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`)
	})
}

// execInTx runs stmts in one transaction (PostgreSQL changes triggers
// transactionally): between a DROP TRIGGER and its CREATE no insert goes
// uncounted, and a failure halfway leaves the triggers as they were rather
// than some of them missing while the migration is marked applied.
func execInTx(ctx context.Context, db *bun.DB, stmts ...string) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}
