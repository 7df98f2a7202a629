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

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// On SQLite, insertSet's rows go to one statement per table prepared once
// on the writer, that reads them from a JSONB parameter (below):
//
//	INSERT INTO members (id, workspace_id, …)
//	SELECT iif(?2, ?3, value->>0), iif(?4, ?5, value->>1), … FROM jsonb_each(?1)
//
// Written into the text by Bun, each chunk of 1,000 members was a new
// statement for SQLite to parse and code: in CPU profiles of /Bulk of
// 10,000 users at 100,000 members that compiling was 0.48 s of 1.1 s in
// the INSERTs. jsonb_each hands each row over as a JSONB array, not as
// text to parse again (json_each would), and ->> reads its items in place.
// Every column is written, the defaulted ones (setDefaulted) as their zero
// value, which is their default: one statement per table.
//
// A column whose value every row of the chunk shares (the workspace, the
// status, the time, the inviter, an audit event's action, NULLs) is bound
// once as a parameter with its flag set, and its rows hold a JSONB null
// instead: iif takes the parameter and never reads the row. Each ->> copies
// the whole row out of jsonb_each and walks it: in the load tool's /Bulk,
// 36 of the 64 columns of a user's five rows are the chunk's, and a /Bulk
// of 10,000 took a tenth less time (docs/architecture.md).

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
		// The column's flag and value are parameters 2+2i and 3+2i, the
		// rows the first (insertSetJSON binds them).
		vals.WriteString("iif(?" + strconv.Itoa(2+2*i) + ", ?" + strconv.Itoa(3+2*i) + ", value->>" + strconv.Itoa(i) + ")")
	}
	return "INSERT INTO " + string(table.SQLName) + " (" + cols.String() + ") SELECT " + vals.String() + " FROM jsonb_each(?1)"
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
	shared := sharedFields(set.fields, slice)
	args := make([]any, 1, 1+2*len(set.fields))
	for i, f := range set.fields {
		if !shared[i] {
			args = append(args, false, nil)
			continue
		}
		v, err := setArg(f.Value(reflect.Indirect(slice.Index(0))))
		if err != nil {
			return true, err
		}
		args = append(args, true, v)
	}
	pb := setBufs.Get().(*[]byte)
	buf, err := appendJSONBRows((*pb)[:0], set.fields, shared, slice)
	if err != nil {
		return true, err
	}
	args[0] = buf
	// The driver copies the JSONB when it binds it: the buffer is free
	// again once the statement has run.
	set.runs.Add(1)
	_, err = tx.Tx.StmtContext(ctx, set.stmt).ExecContext(ctx, args...)
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

// The rows go to SQLite as one JSONB value (https://sqlite.org/jsonb.html)
// rather than as JSON text: jsonb_each reads a BLOB in place, where text
// is first translated to JSONB, and strings are copied as they are
// instead of escaped here and scanned there. In CPU profiles of /Bulk of
// 10,000 users at 100,000 members the translation and the escaping were
// a tenth of the INSERTs; alternated chunks of 1,000 SCIM creates took
// 13 % less CPU with JSONB. SQLite calls JSONB its internal format, but
// it is documented and stored in databases, so SQLite reads it as long as
// it reads those; TestSetJSONStoresAsText compares what each way stores
// and would fail on an SQLite that read it otherwise.
//
// An element is a header, its type in the low four bits and its payload's
// size in the high four, then the payload. Sizes up to 11 are in the
// header itself; 12, 13 and 14 say the size follows in 1, 2 or 4 bytes
// (big-endian), a longer header than needed being allowed, which lets an
// array's header be written before its size is known.
const (
	jsonbNull    = 0x0
	jsonbInt     = 0x3 // an integer as ASCII digits
	jsonbTextRaw = 0xa // text as it is, escaped only when turned into JSON text
	jsonbArray   = 0xb
	jsonbSized1  = 0xc0 // the size follows in 1 byte
	jsonbSized2  = 0xd0 // in 2 bytes
	jsonbSized4  = 0xe0 // in 4 bytes
)

// appendJSONBHeader appends the header of an element of type typ and a
// payload of n bytes.
func appendJSONBHeader(b []byte, typ byte, n int) []byte {
	switch {
	case n <= 11:
		return append(b, byte(n)<<4|typ)
	case n <= 0xff:
		return append(b, jsonbSized1|typ, byte(n))
	case n <= 0xffff:
		return append(b, jsonbSized2|typ, byte(n>>8), byte(n))
	}
	return append(b, jsonbSized4|typ, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// openJSONBArray appends an array's header with room for its size, which
// closeJSONBArray (given the header's offset) fills in.
func openJSONBArray(b []byte) []byte { return append(b, jsonbSized4|jsonbArray, 0, 0, 0, 0) }

func closeJSONBArray(b []byte, at int) []byte {
	n := len(b) - at - 5
	b[at+1], b[at+2], b[at+3], b[at+4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

// appendJSONBRows appends the rows of slice as a JSONB array of arrays,
// with a null for each shared field (sharedFields; nil: none).
func appendJSONBRows(b []byte, fields []*schema.Field, shared []bool, slice reflect.Value) ([]byte, error) {
	outer := len(b)
	b = openJSONBArray(b)
	for i := range slice.Len() {
		if i == 1 {
			// Sized from the first row, an eighth more for longer rows, as
			// setQuery does: growing by doubling copies it all again.
			row := len(b) - outer
			if size := min(row*slice.Len()+row*slice.Len()/8, setBufKeep); cap(b) < size {
				b = append(make([]byte, 0, size), b...)
			}
		}
		row := reflect.Indirect(slice.Index(i))
		at := len(b)
		b = openJSONBArray(b)
		for k, f := range fields {
			if shared != nil && shared[k] {
				b = append(b, jsonbNull)
				continue
			}
			var err error
			if b, err = appendJSONBValue(b, f.Value(row)); err != nil {
				return nil, err
			}
		}
		b = closeJSONBArray(b, at)
	}
	// No size overflows its 4 bytes: SQLite refuses a BLOB over 1 GB
	// (SQLITE_MAX_LENGTH) before reading it.
	return closeJSONBArray(b, outer), nil
}

var errJSONValue = errors.New("models: a set row's field has no JSON form")

// appendJSONBValue appends a field's value as the JSONB element whose ->>
// is what Bun writes to SQLite (sqliteValue): nil as null, times as UTC
// text in Bun's layout, booleans as 1 or 0.
func appendJSONBValue(b []byte, v reflect.Value) ([]byte, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return append(b, jsonbNull), nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return appendJSONBText(b, v.String())
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
			var text [40]byte
			d := t.UTC().AppendFormat(text[:0], sqliteTime)
			return append(appendJSONBHeader(b, jsonbTextRaw, len(d)), d...), nil
		}
	}
	return nil, errJSONValue
}

// appendJSONBText appends s as a JSONB text element holding the text
// Bun's literal would store (setText).
func appendJSONBText(b []byte, s string) ([]byte, error) {
	s, err := setText(s)
	if err != nil {
		return nil, err
	}
	return append(appendJSONBHeader(b, jsonbTextRaw, len(s)), s...), nil
}

// setText is the text Bun's literal would store for s: bytes that are not
// UTF-8 each become U+FFFD (Bun writes the string rune by rune), a NUL is
// an error (Bun refuses it too).
func setText(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", errStringNul
	}
	if utf8.ValidString(s) {
		return s, nil
	}
	// Ranging over a string gives U+FFFD for each byte that is not UTF-8.
	fixed := make([]byte, 0, len(s)+len(s)/2)
	for _, r := range s {
		fixed = utf8.AppendRune(fixed, r)
	}
	return string(fixed), nil
}

// sharedFields tells, field by field, whether every row of slice (at
// least one) holds the same value, so that the set INSERT stores the same
// for each: equal text, numbers, booleans or NULLs, and times of the same
// instant to the nanosecond in any zone (stored in UTC). A chunk of one
// row shares every field.
func sharedFields(fields []*schema.Field, slice reflect.Value) []bool {
	shared := make([]bool, len(fields))
	first := reflect.Indirect(slice.Index(0))
	for k, f := range fields {
		v := f.Value(first)
		shared[k] = true
		for i := 1; i < slice.Len() && shared[k]; i++ {
			shared[k] = sameSetValue(v, f.Value(reflect.Indirect(slice.Index(i))))
		}
	}
	return shared
}

// sameSetValue: a and b (values of one field) store the same.
func sameSetValue(a, b reflect.Value) bool {
	if a.Kind() == reflect.Pointer {
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		a, b = a.Elem(), b.Elem()
	}
	switch a.Kind() {
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Struct:
		if a.Type() == timeType && a.CanAddr() && b.CanAddr() {
			// The same instant to the nanosecond (not Equal, which
			// compares monotonic readings where both have one).
			ta, tb := (*time.Time)(a.Addr().UnsafePointer()), (*time.Time)(b.Addr().UnsafePointer())
			return ta.Unix() == tb.Unix() && ta.Nanosecond() == tb.Nanosecond()
		}
	}
	return false
}

// setArg is a shared field's value bound as what its row's ->> would give
// (appendJSONBValue): text as setText makes it, anything else as Bun
// writes it to SQLite (sqliteValue: NULL, times as UTC text, booleans as
// 1 or 0, integers). jsonWritable has kept other kinds off this path.
func setArg(v reflect.Value) (any, error) {
	if e := reflect.Indirect(v); e.IsValid() && e.Kind() == reflect.String {
		return setText(e.String())
	}
	return sqliteValue(v), nil
}

var errStringNul = errors.New("models: a string holds a NUL byte")
