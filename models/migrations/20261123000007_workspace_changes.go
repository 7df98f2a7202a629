package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// An open members or roles page shows what an identity provider (or another
// admin) changes without a reload: it polls a per-workspace change token,
// workspace_changes.n, and reloads its table when the token moved. Triggers
// move it on every write to members, member_roles and roles, whoever makes
// it, so a poll costs one primary-key read.
//
// What a write costs: one single-row UPDATE of the workspace's counter row
// (members and roles carry workspace_id; member_roles finds it through its
// role, by primary key). Not counted: an update that only moves a member's
// last_seen_at (TouchMember, on every page view), which would otherwise
// make every open page reload every few minutes.
//
//   - SQLite: per-row triggers. Writers are serialised by the database (one
//     write transaction at a time), so the counter adds no waiting, and a
//     bulk insert (CSV import, SCIM /Bulk) adds one UPDATE of a row in the
//     same page per row written; last_tx stays 0.
//   - PostgreSQL: deferred constraint triggers, which run at COMMIT, and
//     bump n at most once per transaction (last_tx remembers which
//     transaction bumped it last; later rows of the same transaction find
//     it stamped, or a transaction-local setting saying so, and write
//     nothing). So a bulk insert creates one new
//     version of the counter row, not one per row, and the token moves by
//     exactly one per committed transaction, which Store.tx's change watch
//     relies on. Concurrent writers to one workspace serialise on its
//     counter row from their COMMIT on; writes to a workspace are already
//     serialised by lockWorkspace, so this costs nothing new, and since the
//     lock is taken last (after every other row lock of the transaction)
//     it adds no deadlock. Do not SET CONSTRAINTS ALL IMMEDIATE around
//     member writes: that would take this lock in the middle of a
//     transaction.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		stmts := []string{
			`CREATE TABLE workspace_changes (
				workspace_id VARCHAR(36) PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
				n BIGINT NOT NULL DEFAULT 0,
				last_tx BIGINT NOT NULL DEFAULT 0
			)`,
			`INSERT INTO workspace_changes (workspace_id) SELECT id FROM workspaces`,
		}
		if db.Dialect().Name() == dialect.PG {
			stmts = append(stmts,
				`CREATE FUNCTION workspace_changes_add() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					INSERT INTO workspace_changes (workspace_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
					RETURN NULL;
				END $$`,
				`CREATE TRIGGER workspaces_changes_add AFTER INSERT ON workspaces
				FOR EACH ROW EXECUTE FUNCTION workspace_changes_add()`,
				`CREATE FUNCTION workspace_changes_bump() RETURNS trigger LANGUAGE plpgsql AS $$
				DECLARE
					ws VARCHAR(36);
				BEGIN
					IF TG_TABLE_NAME = 'member_roles' THEN
						IF TG_OP = 'DELETE' THEN
							SELECT r.workspace_id INTO ws FROM roles AS r WHERE r.id = OLD.role_id;
						ELSE
							SELECT r.workspace_id INTO ws FROM roles AS r WHERE r.id = NEW.role_id;
						END IF;
					ELSIF TG_OP = 'DELETE' THEN
						ws := OLD.workspace_id;
					ELSE
						ws := NEW.workspace_id;
					END IF;
					-- Bumped already by this transaction: skip even the UPDATE
					-- that would find it stamped (a bulk insert queues one call
					-- per row). A transaction-local setting.
					IF current_setting('muster.changed', true) = ws THEN
						RETURN NULL;
					END IF;
					UPDATE workspace_changes SET n = n + 1, last_tx = txid_current()
					WHERE workspace_id = ws AND last_tx <> txid_current();
					PERFORM set_config('muster.changed', ws, true);
					RETURN NULL;
				END $$`,
				`CREATE CONSTRAINT TRIGGER members_changes AFTER INSERT OR DELETE ON members
				DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`,
				`CREATE CONSTRAINT TRIGGER members_changes_update AFTER UPDATE ON members
				DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
				WHEN (OLD.last_seen_at IS NOT DISTINCT FROM NEW.last_seen_at OR OLD.version <> NEW.version OR OLD.updated_at <> NEW.updated_at)
				EXECUTE FUNCTION workspace_changes_bump()`,
				`CREATE CONSTRAINT TRIGGER member_roles_changes AFTER INSERT OR UPDATE OR DELETE ON member_roles
				DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`,
				`CREATE CONSTRAINT TRIGGER roles_changes AFTER INSERT OR UPDATE OR DELETE ON roles
				DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION workspace_changes_bump()`)
		} else {
			bump := func(ws string) string {
				return `UPDATE workspace_changes SET n = n + 1 WHERE workspace_id = ` + ws + `;`
			}
			viaRole := func(role string) string {
				return bump(`(SELECT r.workspace_id FROM roles AS r WHERE r.id = ` + role + `)`)
			}
			stmts = append(stmts,
				`CREATE TRIGGER workspaces_changes_add AFTER INSERT ON workspaces BEGIN
					INSERT OR IGNORE INTO workspace_changes (workspace_id) VALUES (new.id);
				END`,
				`CREATE TRIGGER members_changes_insert AFTER INSERT ON members BEGIN `+bump("new.workspace_id")+` END`,
				`CREATE TRIGGER members_changes_delete AFTER DELETE ON members BEGIN `+bump("old.workspace_id")+` END`,
				`CREATE TRIGGER members_changes_update AFTER UPDATE ON members
				WHEN old.last_seen_at IS new.last_seen_at OR old.version IS NOT new.version OR old.updated_at IS NOT new.updated_at
				BEGIN `+bump("new.workspace_id")+` END`,
				`CREATE TRIGGER member_roles_changes_insert AFTER INSERT ON member_roles BEGIN `+viaRole("new.role_id")+` END`,
				`CREATE TRIGGER member_roles_changes_update AFTER UPDATE ON member_roles BEGIN `+viaRole("new.role_id")+` END`,
				`CREATE TRIGGER member_roles_changes_delete AFTER DELETE ON member_roles BEGIN `+viaRole("old.role_id")+` END`,
				`CREATE TRIGGER roles_changes_insert AFTER INSERT ON roles BEGIN `+bump("new.workspace_id")+` END`,
				`CREATE TRIGGER roles_changes_update AFTER UPDATE ON roles BEGIN `+bump("new.workspace_id")+` END`,
				`CREATE TRIGGER roles_changes_delete AFTER DELETE ON roles BEGIN `+bump("old.workspace_id")+` END`)
		}
		return execAll(ctx, db, stmts...)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return execAll(ctx, db,
				`DROP FUNCTION IF EXISTS workspace_changes_bump() CASCADE`,
				`DROP FUNCTION IF EXISTS workspace_changes_add() CASCADE`,
				`DROP TABLE IF EXISTS workspace_changes`)
		}
		stmts := []string{}
		for _, tr := range []string{"workspaces_changes_add", "members_changes_insert", "members_changes_delete", "members_changes_update",
			"member_roles_changes_insert", "member_roles_changes_update", "member_roles_changes_delete",
			"roles_changes_insert", "roles_changes_update", "roles_changes_delete"} {
			stmts = append(stmts, `DROP TRIGGER IF EXISTS `+tr)
		}
		return execAll(ctx, db, append(stmts, `DROP TABLE IF EXISTS workspace_changes`)...)
	})
}
