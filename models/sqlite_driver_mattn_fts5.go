//go:build sqlite_mattn && !(sqlite_fts5 || fts5)

package models

// mattn/go-sqlite3 compiles SQLite without FTS5 (the members' search index)
// unless told: build with -tags sqlite_mattn,sqlite_fts5.
var _ = build_with_tags_sqlite_mattn_and_sqlite_fts5
