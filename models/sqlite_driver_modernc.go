//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"database/sql"

	_ "modernc.org/sqlite" // pure-Go SQLite: one static binary, no cgo
)

// SQLiteDriver names the SQLite driver this build links. The default is
// modernc.org/sqlite; -tags sqlite_ncruces or -tags sqlite_mattn,sqlite_fts5
// link another, only to compare them on the same benchmarks (see
// docs/architecture.md, "SQLite drivers"). sqlite_config.go tunes modernc.
const SQLiteDriver = "modernc"

// openSQLite opens dsn (file:…?_pragma=name(value)&_txlock=…), the syntax
// modernc reads as it is.
func openSQLite(dsn string) (*sql.DB, error) {
	return sql.Open("sqlite", dsn)
}
