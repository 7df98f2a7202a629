package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On SQLite the provisioning log's GETs leave scim_log_by_target. An
// identity provider looks a user up before nearly every write, and each
// lookup's entry names its member: a random place in that index, so a
// batch of the log's writer rewrote about a page of it per entry (60 % of
// the writer's CPU a lookup, BenchmarkSCIMLogWrite). scim_log_by_time
// takes target_id as its last column instead, where entries arrive in
// time order: a member's history (the log filtered by member) walks it,
// reading target_id from the index and a row only for that member's
// entries. PostgreSQL keeps both indexes as they were: it cannot test a
// column of an index before reading the row there, and its B-tree
// inserts do not rewrite whole pages at each commit.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`DROP INDEX scim_log_by_target`,
			`DROP INDEX scim_log_by_time`,
			`CREATE INDEX scim_log_by_time ON scim_log (workspace_id, at, id, target_id)`)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return nil
		}
		return execAll(ctx, db,
			`DROP INDEX scim_log_by_time`,
			`CREATE INDEX scim_log_by_time ON scim_log (workspace_id, at, id)`,
			`CREATE INDEX scim_log_by_target ON scim_log (workspace_id, target_id, at, id)`)
	})
}
