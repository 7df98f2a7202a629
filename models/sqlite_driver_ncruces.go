//go:build sqlite_ncruces && !sqlite_mattn

package models

import (
	"database/sql"
	"net/url"
	"strings"

	"github.com/ncruces/go-sqlite3/driver" // SQLite translated from Wasm to Go: no cgo
	"github.com/ncruces/go-sqlite3/ext/fts5"
)

// SQLiteDriver: see sqlite_driver_modernc.go. Built with -tags sqlite_ncruces.
const SQLiteDriver = "ncruces"

// openSQLite opens dsn with github.com/ncruces/go-sqlite3, which reads
// _pragma=name(value) as modernc does. Its _txlock defaults to immediate
// where modernc's is deferred, so a DSN without one (the reader pool's)
// says deferred: a read transaction must take no write lock. FTS5 (the
// members' search index) is an extension there, loaded on each connection.
func openSQLite(dsn string) (*sql.DB, error) {
	path, query, _ := strings.Cut(dsn, "?")
	v, _ := url.ParseQuery(query)
	if v.Get("_txlock") == "" {
		v.Set("_txlock", "deferred")
	}
	return driver.Open(path+"?"+v.Encode(), fts5.Register)
}
