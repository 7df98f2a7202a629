//go:build sqlite_mattn && !(cgo && (sqlite_fts5 || fts5))

package models

// mattn/go-sqlite3 is C: it needs cgo (CGO_ENABLED=1 and a C compiler),
// and it compiles SQLite without FTS5 (the members' search index) unless
// told: build with CGO_ENABLED=1 and -tags sqlite_mattn,sqlite_fts5.
var _ = mattn_needs_CGO_ENABLED_1_and_tags_sqlite_mattn_sqlite_fts5
