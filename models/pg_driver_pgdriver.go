//go:build !pg_pgx

package models

import (
	"database/sql"

	"github.com/uptrace/bun/driver/pgdriver"
)

// PostgresDriver names the PostgreSQL driver this build links: bun's
// pgdriver by default; -tags pg_pgx links pgx/v5 to compare them (see
// docs/architecture.md, "SQLite drivers").
const PostgresDriver = "pgdriver"

// openPostgres: pgdriver sends Bun's queries (values already written into
// the text) in the simple protocol; prepared statements (pgInserts,
// pgMemberRole) go as Parse once per connection, then Bind/Execute/Sync,
// one round trip each.
func openPostgres(dbURL string) (*sql.DB, error) {
	return sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dbURL), func(c *pgdriver.Config) {
		if c.ConnParams == nil {
			c.ConnParams = map[string]any{}
		}
		c.ConnParams["standard_conforming_strings"] = conformingStrings
	})), nil
}
