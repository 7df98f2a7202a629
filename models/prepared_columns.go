package models

import (
	"reflect"
	"strings"
	"sync"
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
