// Package migrations holds Muster's schema changes, embedded into the
// binary. Most are one SQL file for both databases; where SQLite and
// PostgreSQL need different statements (search indexes), a Go migration
// picks by dialect.
package migrations

import (
	"embed"

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
