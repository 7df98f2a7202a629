package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Role names grow from 64 to 256 characters (models.MaxRoleName): Entra
// pushes groups with names up to 256 characters, and a role named in a
// SCIM user's roles is created under that name. SQLite does not enforce a
// VARCHAR's length, so only PostgreSQL changes; widening a VARCHAR rewrites
// neither the table nor its indexes.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return execAll(ctx, db, `ALTER TABLE roles ALTER COLUMN name TYPE VARCHAR(256)`)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return execAll(ctx, db, `ALTER TABLE roles ALTER COLUMN name TYPE VARCHAR(64)`)
	})
}
