//go:build pg_pgx

package models

import (
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgresDriver: see pg_driver_pgdriver.go. Built with -tags pg_pgx.
const PostgresDriver = "pgx"

// openPostgres opens dbURL with pgx/v5 through database/sql, in the simple
// protocol: Bun writes values into the SQL text, so pgx's default (prepare
// and cache each distinct text) would add a round trip per query. The
// statements Muster prepares itself (pgInserts, pgMemberRole) are
// prepared on the server all the same.
func openPostgres(dbURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.RuntimeParams["standard_conforming_strings"] = conformingStrings
	return stdlib.OpenDB(*cfg), nil
}
