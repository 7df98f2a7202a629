//go:build sqlite_mattn && !sqlite_ncruces && cgo

package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net/url"
	"strings"

	"github.com/mattn/go-sqlite3" // SQLite in C: needs cgo and a C compiler
)

// SQLiteDriver: see sqlite_driver_modernc.go. Built with
// -tags sqlite_mattn,sqlite_fts5 and CGO_ENABLED=1.
const SQLiteDriver = "mattn"

// openSQLite opens dsn with github.com/mattn/go-sqlite3, which knows only
// its own _name=value parameters: the _pragma=name(value) ones are taken
// out and run on each new connection, in order, before it is used.
func openSQLite(dsn string) (*sql.DB, error) {
	path, query, _ := strings.Cut(dsn, "?")
	v, _ := url.ParseQuery(query)
	var pragmas []string
	for _, p := range v["_pragma"] {
		name, value, _ := strings.Cut(p, "(")
		pragmas = append(pragmas, "PRAGMA "+name+" = "+strings.TrimSuffix(value, ")"))
	}
	v.Del("_pragma")
	return sql.OpenDB(mattnConnector{dsn: path + "?" + v.Encode(), pragmas: pragmas}), nil
}

type mattnConnector struct {
	dsn     string
	pragmas []string
}

var mattnDriver = &sqlite3.SQLiteDriver{}

func (c mattnConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := mattnDriver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	for _, p := range c.pragmas {
		if _, err := conn.(*sqlite3.SQLiteConn).ExecContext(ctx, p, nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

func (c mattnConnector) Driver() driver.Driver { return mattnDriver }
