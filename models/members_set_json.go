package models

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
// the INSERTs. The parameter is JSONB (appendJSONRows); jsonb_each hands
// each row over as a JSONB array, not as text to parse again (json_each
// would), and ->> reads its items in place.
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

// jsonWritable: appendJSONValue writes every field's type.
func jsonWritable(fields []*schema.Field) bool {
	for _, f := range fields {
		t := f.IndirectType
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
	// The driver copies the blob when it binds it: the buffer is free
	// again once the statement has run.
	set.runs.Add(1)
	_, err = tx.Tx.StmtContext(ctx, set.stmt).ExecContext(ctx, buf)
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

// appendJSONRows appends the rows of slice as a JSONB array of arrays
// (SQLite's binary JSON, https://sqlite.org/jsonb.html), bound as a BLOB:
// SQLite reads it as it is, where JSON text it first translated into
// JSONB (a fifth of the statement's JSON work in profiles), and ->> hands
// out each string's bytes without unescaping them.
func appendJSONRows(b []byte, fields []*schema.Field, slice reflect.Value) ([]byte, error) {
	outer := len(b)
	b = appendJSONBContainer(b)
	for i := range slice.Len() {
		if i == 1 {
			// Sized from the first row, an eighth more for longer rows, as
			// setQuery does: growing by doubling copies it all again.
			row := len(b)
			if size := min(row*slice.Len()+row*slice.Len()/8, setBufKeep); cap(b) < size {
				b = append(make([]byte, 0, size), b...)
			}
		}
		row := reflect.Indirect(slice.Index(i))
		at := len(b)
		b = appendJSONBContainer(b)
		for _, f := range fields {
			var err error
			if b, err = appendJSONValue(b, f.Value(row)); err != nil {
				return nil, err
			}
		}
		endJSONBContainer(b, at)
	}
	endJSONBContainer(b, outer)
	return b, nil
}

// JSONB element types (the low four bits of an element's first byte).
const (
	jsonbNull    = 0
	jsonbInt     = 3  // an integer as ASCII digits
	jsonbText    = 7  // text that needs no escaping in JSON
	jsonbTextRaw = 10 // text as it is, escaped only when written as JSON
	jsonbArray   = 11
)

// appendJSONBContainer appends the header of an array whose payload size
// is written once known (endJSONBContainer): always a four-byte size, which
// JSONB allows for any size.
func appendJSONBContainer(b []byte) []byte {
	return append(b, 14<<4|jsonbArray, 0, 0, 0, 0)
}

// endJSONBContainer writes the size of the array whose header is at at.
func endJSONBContainer(b []byte, at int) {
	binary.BigEndian.PutUint32(b[at+1:], uint32(len(b)-at-5))
}

// appendJSONBHeader appends an element's header: its type, and its
// payload's size n in the fewest bytes.
func appendJSONBHeader(b []byte, typ byte, n int) []byte {
	switch {
	case n <= 11:
		return append(b, byte(n)<<4|typ)
	case n <= 0xff:
		return append(b, 12<<4|typ, byte(n))
	case n <= 0xffff:
		return append(b, 13<<4|typ, byte(n>>8), byte(n))
	}
	return append(b, 14<<4|typ, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

var errJSONValue = errors.New("models: a set row's field has no JSON form")

// appendJSONValue appends a field's value as the JSONB element whose ->>
// is what Bun writes to SQLite (sqliteValue): nil as null, times as UTC
// text in Bun's layout, booleans as 1 or 0.
func appendJSONValue(b []byte, v reflect.Value) ([]byte, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return append(b, jsonbNull), nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return appendJSONString(b, v.String())
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1<<4|jsonbInt, '1'), nil
		}
		return append(b, 1<<4|jsonbInt, '0'), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var digits [20]byte
		d := strconv.AppendInt(digits[:0], v.Int(), 10)
		return append(appendJSONBHeader(b, jsonbInt, len(d)), d...), nil
	case reflect.Struct:
		if v.Type() == timeType {
			var t time.Time
			if v.CanAddr() { // read in place: Interface copies it to the heap
				t = *(*time.Time)(v.Addr().UnsafePointer())
			} else {
				t = v.Interface().(time.Time)
			}
			var text [48]byte
			d := t.UTC().AppendFormat(text[:0], sqliteTime)
			return append(appendJSONBHeader(b, jsonbText, len(d)), d...), nil
		}
	}
	return nil, errJSONValue
}

// appendJSONString appends s as a JSONB text element holding what Bun's
// literal would store: bytes that are not UTF-8 each become U+FFFD (Bun
// writes the string rune by rune), a NUL is an error (Bun refuses it too).
func appendJSONString(b []byte, s string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errStringNul
	}
	if !utf8.ValidString(s) {
		fixed := make([]byte, 0, len(s)+8)
		for _, r := range s { // an invalid byte comes as RuneError, one at a time
			fixed = utf8.AppendRune(fixed, r)
		}
		s = string(fixed)
	}
	return append(appendJSONBHeader(b, jsonbTextRaw, len(s)), s...), nil
}

var errStringNul = errors.New("models: a string holds a NUL byte")
