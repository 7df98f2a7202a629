package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// invites_workspace_created (workspace_id, created_at) served the first
// invite rate limit, which counted a workspace's recent invitations; the
// limit is a counter in request_counts now (invite_limit.go), and no query
// reads invites by workspace any more: they are found by id, token_hash
// and member_id (invites_member). Yet every invitation, and so every SCIM
// create of an invited member, wrote an entry into it. The foreign key to
// workspaces keeps its ON DELETE CASCADE; Muster deletes no workspace, and
// one deleted by hand scans invites once. IF EXISTS: a database whose
// administrator already dropped it migrates too.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, `DROP INDEX IF EXISTS invites_workspace_created`)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, `CREATE INDEX IF NOT EXISTS invites_workspace_created ON invites (workspace_id, created_at)`)
	})
}
