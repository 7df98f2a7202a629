package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// On SQLite, insertSet's rows go to one statement per table prepared once
// on the writer, that reads them from a JSON parameter:
//
//	INSERT INTO members (id, …) SELECT value->>0, value->>1, … FROM jsonb_each(?)
//
// Written into the text by Bun, each chunk of 1,000 members was a new
// statement for SQLite to parse and code: in CPU profiles of /Bulk of
// 10,000 users at 100,000 members that compiling was 0.48 s of 1.1 s in
// the INSERTs. jsonb_each hands each row over as a JSONB array, not as
// text to parse again (json_each would), and ->> reads its items in place.
// Every column is written, the defaulted ones (setDefaulted) as their zero
// value, which is their default: one statement per table.

// setStmt is a table's prepared set INSERT and the fields it reads, in
// order.
type setStmt struct {
	stmt   *sql.Stmt
	fields []*schema.Field
	runs   atomic.Int64 // statements run, for tests (Bun's hooks do not see them)
}

// setRowTypes are the entities insertMembersBy writes set-based.
var setRowTypes = []any{Member{}, MemberRole{}, Invite{}, OutboxMessage{}, AuditEvent{}}

// prepareSetInserts prepares the set INSERTs on the writer (called from
// prepareInserts, before any transaction takes the connection). A table
// with a field jsonRow cannot write keeps the text path.
func (s *Store) prepareSetInserts(ctx context.Context) {
	s.stmts.sets = map[reflect.Type]*setStmt{}
	for _, row := range setRowTypes {
		table := s.db.Table(reflect.TypeOf(row))
		if !jsonWritable(table.Fields) {
			continue
		}
		if stmt, err := s.db.DB.PrepareContext(ctx, setInsertQuery(table)); err == nil {
			s.stmts.sets[table.Type] = &setStmt{stmt: stmt, fields: table.Fields}
		}
	}
}

// setInsertQuery is table's INSERT … SELECT from a JSON array of rows,
// each an array of its columns' values in the table's field order.
func setInsertQuery(table *schema.Table) string {
	var cols, vals strings.Builder
	for i, f := range table.Fields {
		if i > 0 {
			cols.WriteString(", ")
			vals.WriteString(", ")
		}
		cols.WriteString(string(f.SQLName))
		vals.WriteString("value->>" + strconv.Itoa(i))
	}
	return "INSERT INTO " + string(table.SQLName) + " (" + cols.String() + ") SELECT " + vals.String() + " FROM jsonb_each(?)"
}

var timeType = reflect.TypeOf(time.Time{})

// selfWritten: t (or a pointer to it) gives Bun its own value.
func selfWritten(t reflect.Type) bool {
	for _, i := range []reflect.Type{reflect.TypeFor[driver.Valuer](), reflect.TypeFor[schema.QueryAppender]()} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// jsonWritable: appendJSONValue writes every field as Bun would. Bun
// writes a zero nullzero field as NULL, a zero field with a default as
// DEFAULT, skips a zero auto-increment one, and asks a type that values
// or appends itself (driver.Valuer, schema.QueryAppender) for its value:
// appendJSONValue knows none of that, so such a table keeps the text.
func jsonWritable(fields []*schema.Field) bool {
	for _, f := range fields {
		t := f.IndirectType
		if f.NullZero || f.SQLDefault != "" || f.AutoIncrement || f.Identity || selfWritten(t) {
			return false
		}
		switch {
		case t == timeType, t.Kind() == reflect.String, t.Kind() == reflect.Bool,
			t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		default:
			return false
		}
	}
	return true
}

// insertSetJSON writes rows (a pointer to a slice of structs or pointers
// to them) through the table's prepared statement; ok is false when there
// is none (PostgreSQL, not prepared, not in a transaction) and insertSet
// writes the text instead.
func (s *Store) insertSetJSON(ctx context.Context, db bun.IDB, rows any) (ok bool, err error) {
	tx, isTx := db.(bun.Tx)
	if !isTx || s.stmts.sets == nil {
		return false, nil
	}
	slice := reflect.ValueOf(rows).Elem()
	typ := slice.Type().Elem()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	set := s.stmts.sets[typ]
	if set == nil {
		return false, nil
	}
	if slice.Len() == 0 {
		return true, nil
	}
	pb := setBufs.Get().(*[]byte)
	buf, err := appendJSONRows((*pb)[:0], set.fields, slice)
	if err != nil {
		return true, err
	}
	// The driver copies the text when it binds it: the buffer is free
	// again once the statement has run.
	set.runs.Add(1)
	_, err = tx.Tx.StmtContext(ctx, set.stmt).ExecContext(ctx, unsafe.String(unsafe.SliceData(buf), len(buf)))
	if cap(buf) <= setBufKeep {
		*pb = buf
		setBufs.Put(pb)
	}
	return true, err
}

// setBufs are insertSetJSON's buffers: a chunk of 1,000 members is about
// 0.7 MB of JSON, grown by doubling from nothing for each chunk and table
// that was half of what /Bulk of 10,000 users allocated.
var setBufs = sync.Pool{New: func() any { return new([]byte) }}

// setBufKeep bounds a buffer setBufs keeps (rows of large attributes).
const setBufKeep = 4 << 20

// appendJSONRows appends the rows of slice as a JSON array of arrays.
func appendJSONRows(b []byte, fields []*schema.Field, slice reflect.Value) ([]byte, error) {
	b = append(b, '[')
	for i := range slice.Len() {
		if i == 1 {
			// Sized from the first row, an eighth more for longer rows, as
			// setQuery does: growing by doubling copies it all again.
			row := len(b)
			if size := min(row*slice.Len()+row*slice.Len()/8, setBufKeep); cap(b) < size {
				b = append(make([]byte, 0, size), b...)
			}
		}
		if i > 0 {
			b = append(b, ',')
		}
		row := reflect.Indirect(slice.Index(i))
		b = append(b, '[')
		for j, f := range fields {
			if j > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONValue(b, f.Value(row)); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

var errJSONValue = errors.New("models: a set row's field has no JSON form")

// appendJSONValue appends a field's value as the JSON item whose ->>
// is what Bun writes to SQLite (sqliteValue): nil as null, times as UTC
// text in Bun's layout, booleans as 1 or 0.
func appendJSONValue(b []byte, v reflect.Value) ([]byte, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return appendJSONString(b, v.String())
	case reflect.Bool:
		if v.Bool() {
			return append(b, '1'), nil
		}
		return append(b, '0'), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Struct:
		if v.Type() == timeType {
			var t time.Time
			if v.CanAddr() { // read in place: Interface copies it to the heap
				t = *(*time.Time)(v.Addr().UnsafePointer())
			} else {
				t = v.Interface().(time.Time)
			}
			b = append(b, '"')
			b = t.UTC().AppendFormat(b, sqliteTime)
			return append(b, '"'), nil
		}
	}
	return nil, errJSONValue
}

// appendJSONString appends s as a JSON string for SQLite's parser, with
// the text Bun's literal would store: bytes that are not UTF-8 each
// become U+FFFD (Bun writes the string rune by rune), a NUL is an error
// (Bun refuses it too). Only quotes, backslashes and control characters
// are escaped.
func appendJSONString(b []byte, s string) ([]byte, error) {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = utf8.AppendRune(b, utf8.RuneError)
				start = i + 1
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case 0:
			return nil, errStringNul
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

var errStringNul = errors.New("models: a string holds a NUL byte")
