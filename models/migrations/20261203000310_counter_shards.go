package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// counterShards is how many rows a workspace's per-status counts and its
// change token are spread over on PostgreSQL.
//
// Each was one row per workspace (and status), updated by every
// transaction that writes a member, at COMMIT (deferred triggers). The row
// stays locked until the COMMIT's WAL flush is done, so concurrent creates
// into one workspace committed one at a time, each waiting for the one
// before it to reach the disk: 57 users/s with 8 clients. Now each
// transaction adds to the shard of its transaction id (txid % 16):
// consecutive transactions land on different rows, and their flushes are
// shared. Readers add the shards up (a primary-key range of ≤ 16 rows).
// Counts stay exact: each shard row is still updated under its row lock,
// and a decrement is an upsert too (a shard may go negative; the sum may
// not). SQLite, with one writer, keeps one row: its readers' SUM finds one.
const counterShards = 16

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`ALTER TABLE member_counts ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0`,
			`ALTER TABLE member_counts DROP CONSTRAINT member_counts_pkey`,
			`ALTER TABLE member_counts ADD PRIMARY KEY (workspace_id, status, shard)`,
			`CREATE OR REPLACE FUNCTION member_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
			DECLARE
				sh SMALLINT := txid_current() % 16;
			BEGIN
				-- A workspace deleted in this transaction took its counts
				-- with it (ON DELETE CASCADE): an upsert would refuse the
				-- foreign key at COMMIT.
				PERFORM 1 FROM workspaces WHERE id = COALESCE(NEW.workspace_id, OLD.workspace_id);
				IF NOT FOUND THEN
					RETURN NULL;
				END IF;
				IF TG_OP IN ('DELETE', 'UPDATE') THEN
					INSERT INTO member_counts (workspace_id, status, shard, n) VALUES (OLD.workspace_id, OLD.status, sh, -1)
					ON CONFLICT (workspace_id, status, shard) DO UPDATE SET n = member_counts.n - 1;
				END IF;
				IF TG_OP IN ('INSERT', 'UPDATE') THEN
					INSERT INTO member_counts (workspace_id, status, shard, n) VALUES (NEW.workspace_id, NEW.status, sh, 1)
					ON CONFLICT (workspace_id, status, shard) DO UPDATE SET n = member_counts.n + 1;
				END IF;
				RETURN NULL;
			END $$`,
			`ALTER TABLE workspace_changes ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0`,
			`ALTER TABLE workspace_changes DROP CONSTRAINT workspace_changes_pkey`,
			`ALTER TABLE workspace_changes ADD PRIMARY KEY (workspace_id, shard)`,
			`CREATE OR REPLACE FUNCTION workspace_changes_bump() RETURNS trigger LANGUAGE plpgsql AS $$
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
				-- Bumped already by this transaction (a transaction-local setting).
				IF ws IS NULL OR current_setting('muster.changed', true) = ws THEN
					RETURN NULL;
				END IF;
				-- The workspace is gone (deleted in this transaction): nothing to bump.
				PERFORM 1 FROM workspaces WHERE id = ws;
				IF NOT FOUND THEN
					RETURN NULL;
				END IF;
				INSERT INTO workspace_changes (workspace_id, shard, n, last_tx) VALUES (ws, txid_current() % 16, 1, txid_current())
				ON CONFLICT (workspace_id, shard) DO UPDATE SET n = workspace_changes.n + 1, last_tx = EXCLUDED.last_tx
				WHERE workspace_changes.last_tx <> EXCLUDED.last_tx;
				PERFORM set_config('muster.changed', ws, true);
				RETURN NULL;
			END $$`)
	}, func(ctx context.Context, db *bun.DB) error {
		return nil // the shards stay; a down migration of the schema is not kept
	})
}
