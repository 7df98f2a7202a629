package models

import (
	"errors"
	"strconv"
	"strings"
)

// On PostgreSQL too the lookups run on every SCIM request and page view
// (queryPrepared, rowsPrepared) go as prepared statements: Bun writes the
// values into the text, so the server parsed and planned each one anew,
// most of its CPU for a `userName eq` lookup (planning 0.2–1.2 ms against
// 0.3 ms to run it). Each looks rows up by a key (unique, or a member's
// few roles or workspaces) or sums a workspace's few shard rows, so the
// generic plan PostgreSQL may settle on after five runs is the same index
// lookup. Those with a list of ids (fromIDs' bun.In) stay Bun's.

// pgPlaceholders is query with its ? placeholders numbered as PostgreSQL
// wants them ($1, $2, …); a ? inside a quoted literal or identifier stays.
// Queries for queryPrepared use ? as plain placeholders only: none holds a
// ? in a literal or comment (Bun would put a value there), Bun's ?0 or
// ?name, dollar quoting or PostgreSQL's JSON operators ?, ?| and ?&.
func pgPlaceholders(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: the same
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// pgBindable tells whether every argument goes to the server as it would
// in Bun's text: strings and integers (a list such as bun.In, a time or a
// bool is written by Bun its own way, so such a query goes through Bun).
func pgBindable(args []any) bool {
	for _, a := range args {
		switch a.(type) {
		case string, int, int64:
		default:
			return false
		}
	}
	return true
}

// errPrepareRefused: PostgreSQL refused to prepare the query before, so
// it goes through Bun (rowsPrepared).
var errPrepareRefused = errors.New("the server refused to prepare this query")

// pgRefused tells the server's refusal of a statement's text (SQLSTATE
// class 42: a syntax error, a type it cannot tell, a missing column, as
// either driver words it), which preparing again would meet again, from an
// error that may pass: no connection, too many, a lock timeout or a
// cancelled request, a server shutting down in a failover.
func pgRefused(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE=42") || strings.Contains(msg, "SQLSTATE 42")
}
