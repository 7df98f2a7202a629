package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// members_account served only lookups by account (account_id = ?, and the
// foreign key's ON DELETE SET NULL, which looks the same), yet held an
// entry for every member without an account: every member an identity
// provider creates, until its person signs in. Partial, it leaves them
// out, and a SCIM create writes one index entry less; account_id = ?
// implies account_id IS NOT NULL, so both databases still use it there.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			`DROP INDEX members_account`,
			`CREATE INDEX members_account ON members (account_id) WHERE account_id IS NOT NULL`)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			`DROP INDEX members_account`,
			`CREATE INDEX members_account ON members (account_id)`)
	})
}
