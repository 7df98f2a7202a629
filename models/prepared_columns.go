package models

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// Bun's NewSelect().Model(…) names every column of the model in its SQL
// text, with the argument values written in: on SQLite each is parsed
// anew. Queries run on every page view (queryPrepared) name the same
// columns themselves, from the model, so they scan exactly as Bun's.

var modelColumnLists sync.Map // modelColumnsKey → string

type modelColumnsKey struct {
	typ   reflect.Type
	alias string
}

// modelColumns is "alias.col1, alias.col2, …" for every column of model
// (a struct value or pointer), as Bun's Model select lists them.
func (s *Store) modelColumns(model any, alias string) string {
	typ := reflect.TypeOf(model)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	key := modelColumnsKey{typ, alias}
	if v, ok := modelColumnLists.Load(key); ok {
		return v.(string)
	}
	fields := s.db.Table(typ).Fields
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = alias + "." + string(f.SQLName)
	}
	list := strings.Join(cols, ", ")
	modelColumnLists.Store(key, list)
	return list
}

// fromIDs is what follows FROM in a query for queryPrepared that reads
// the rows of table (as alias) whose column is one of ids, and its
// arguments; where (if not "") and whereArgs narrow it further. On SQLite
// the ids go as one JSON array, joined through json_each, instead of
// "IN (?, ?, …)": for an IN list of bound values SQLite builds an
// ephemeral b-tree on every run, whose page the pure-Go allocator maps and
// unmaps again: on a members page view that was 0.27 ms for the
// invitations of 50 rows, a table that may be empty. CROSS JOIN keeps the
// list the outer loop, so each id is one index lookup (the list is
// aliased as j). On PostgreSQL they go as "IN (…)", which Bun writes into
// the text.
func (s *Store) fromIDs(ids []string, table, alias, column, where string, whereArgs ...any) (string, []any) {
	args := make([]any, 1, 1+len(whereArgs))
	var from string
	// Each clause in one concatenation: one allocation (a page view runs
	// these).
	if s.IsPostgres() {
		sep := ""
		if where != "" {
			sep = " AND "
		}
		from, args[0] = table+" AS "+alias+" WHERE "+alias+"."+column+" IN (?)"+sep+where, bun.In(ids)
	} else {
		sep := ""
		if where != "" {
			sep = " WHERE "
		}
		from, args[0] = "json_each(?) AS j CROSS JOIN "+table+" AS "+alias+" ON "+alias+"."+column+" = j.value"+sep+where, jsonList(ids)
	}
	return from, append(args, whereArgs...)
}

// jsonList is values as a JSON array for json_each (SQLite decodes the
// escapes json.Marshal writes).
func jsonList(values []string) string {
	if len(values) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(values) // strings always encode
	return string(b)
}
