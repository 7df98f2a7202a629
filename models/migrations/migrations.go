// Package migrations holds Muster's schema changes, embedded into the
// binary. Most are one SQL file for both databases; where SQLite and
// PostgreSQL need different statements (search indexes), a Go migration
// picks by dialect.
package migrations

import (
	"context"
	"embed"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var sqlFiles embed.FS

// Migrations is every schema change, in order of their names.
var Migrations = migrate.NewMigrations()

func init() {
	if err := Migrations.Discover(sqlFiles); err != nil {
		panic(err)
	}
}

// sqliteOnly is a migration step that runs stmts on SQLite and leaves
// PostgreSQL as it is.
func sqliteOnly(stmts ...string) migrate.MigrationFunc {
	return func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() == dialect.PG {
			return nil
		}
		return execAll(ctx, db, stmts...)
	}
}
