package models

import (
	"context"
	"database/sql"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// A multi-row INSERT as Bun writes it carries its values in the SQL text,
// and SQLite compiles each row into the statement's program: for /Bulk's
// 1,000-row chunks the parse and code generation were a third of the CPU
// of the request, and the 10,000-row statements of the demo fill far more.
// On SQLite, insertSet instead runs one fixed statement per table,
//
//	INSERT INTO t (c0, c1, …) SELECT value->>0, value->>1, … FROM json_each(?)
//
// with every row in one JSON array bound as its only argument: prepared
// once per connection, one program that loops, and no binding of tens of
// thousands of arguments (the driver finds each by a scan of all of them).
// The values are the ones insertRow binds (sqliteValue), so both paths
// store the same text; ->> gives JSON strings back as TEXT, integers as
// INTEGER and null as NULL.

// jsonInsertSQL is the statement for table.
func jsonInsertSQL(table string, cols []string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") SELECT ")
	for i := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("value->>" + strconv.Itoa(i))
	}
	b.WriteString(" FROM json_each(?)")
	return b.String()
}

// insertSetJSON writes rows (a slice of structs or pointers to them) with
// the table's JSON statement; ok is false when it cannot (PostgreSQL, no
// statement, or a value JSON would not carry as it is) and nothing ran.
func (s *Store) insertSetJSON(ctx context.Context, db bun.IDB, rows reflect.Value) (ok bool, err error) {
	tx, isTx := db.(bun.Tx)
	if !isTx || s.IsPostgres() {
		return false, nil
	}
	typ := rows.Type().Elem()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	stmt := s.stmts.jsonInserts[typ]
	if stmt == nil {
		return false, nil
	}
	arg, ok := s.rowsJSON(typ, rows)
	if !ok {
		return false, nil
	}
	if s.PreparedHook != nil {
		s.PreparedHook(s.stmts.jsonSQL[typ])
	}
	_, err = tx.Tx.StmtContext(ctx, stmt).ExecContext(ctx, arg)
	return true, err
}

// rowsJSON encodes rows as a JSON array of arrays of their fields' values
// in the table's column order.
func (s *Store) rowsJSON(typ reflect.Type, rows reflect.Value) (string, bool) {
	fields := s.db.Table(typ).Fields
	b := make([]byte, 0, rows.Len()*64*len(fields)/4)
	b = append(b, '[')
	for i := range rows.Len() {
		row := reflect.Indirect(rows.Index(i))
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for k, f := range fields {
			if k > 0 {
				b = append(b, ',')
			}
			switch x := sqliteValue(f.Value(row)).(type) {
			case nil:
				b = append(b, "null"...)
			case string:
				var ok bool
				if b, ok = appendJSONString(b, x); !ok {
					return "", false
				}
			case int:
				b = strconv.AppendInt(b, int64(x), 10)
			case int64:
				b = strconv.AppendInt(b, x, 10)
			default: // a type this table does not have today
				return "", false
			}
		}
		b = append(b, ']')
	}
	return string(append(b, ']')), true
}

// appendJSONString appends s as a JSON string that SQLite's ->> gives back
// as Bun would have written it: each byte of invalid UTF-8 as U+FFFD. Bun
// refuses a NUL; so that such a value fails as before, it is left to Bun's
// statement (false).
func appendJSONString(b []byte, s string) ([]byte, bool) {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // RuneError for a byte of no rune
			i += n
			continue
		}
		switch {
		case c == 0:
			return b, false
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"'), true
}

// prepareJSONInserts prepares insertSetJSON's statements (with
// prepareInserts, before the first transaction).
func (s *Store) prepareJSONInserts(ctx context.Context) {
	s.stmts.jsonInserts = map[reflect.Type]*sql.Stmt{}
	s.stmts.jsonSQL = map[reflect.Type]string{}
	for _, row := range []any{Member{}, MemberRole{}, Invite{}, OutboxMessage{}, AuditEvent{}} {
		table := s.db.Table(reflect.TypeOf(row))
		cols := make([]string, len(table.Fields))
		for i, f := range table.Fields {
			cols[i] = string(f.SQLName)
		}
		query := jsonInsertSQL(string(table.SQLName), cols)
		if stmt, err := s.db.DB.PrepareContext(ctx, query); err == nil {
			s.stmts.jsonInserts[table.Type], s.stmts.jsonSQL[table.Type] = stmt, query
		}
	}
}
