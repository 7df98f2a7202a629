package models

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// insertSCIMLogPG writes a batch of the provisioning log on PostgreSQL as
// one INSERT that reads each column from an array:
//
//	INSERT INTO scim_log (id, …) SELECT * FROM unnest($1::text::text[], …)
//
// Bun's INSERT wrote the batch as hundreds of row tuples of literals,
// which PostgreSQL parsed, analysed and planned anew each time: about
// 5 % of its CPU under POST /Users (perf record -a). Both drivers still
// write the arguments into the text (the simple protocol, see
// pg_driver_pgdriver.go), but as sixteen string constants, one array
// literal a column, which PostgreSQL reads far more cheaply than as many
// tuples: it spent 19 % less CPU a userName eq lookup and 6 % less a
// POST /Users (docs/architecture.md).
func (s *Store) insertSCIMLogPG(ctx context.Context, db bun.IDB, rows []SCIMLogEntry) error {
	table := s.db.Table(reflect.TypeOf(SCIMLogEntry{}))
	query, err := pgArraysInsertQuery(table)
	if err != nil {
		return err
	}
	slice := reflect.ValueOf(rows)
	args := make([]any, len(table.Fields))
	var b []byte
	for k, f := range table.Fields {
		b = append(b[:0], '{')
		for i := range slice.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendPGArrayElement(b, f.Value(slice.Index(i))); err != nil {
				return err
			}
		}
		args[k] = string(append(b, '}'))
	}
	switch db := db.(type) {
	case *bun.DB:
		_, err = db.DB.ExecContext(ctx, query, args...)
	case bun.Tx:
		_, err = db.Tx.ExecContext(ctx, query, args...)
	default:
		err = errors.New("insertSCIMLogPG: neither a database nor a transaction")
	}
	return err
}

// pgArraysInsertQuery is table's INSERT … SELECT * FROM unnest of one
// array a column, in field order. Each array is a text argument cast to
// its type ($n::text::type[]), which both PostgreSQL drivers write into
// the statement as a quoted string.
func pgArraysInsertQuery(table *schema.Table) (string, error) {
	var cols, arrays strings.Builder
	for i, f := range table.Fields {
		var typ string
		switch t := f.IndirectType; {
		case t == timeType:
			typ = "timestamptz"
		case t.Kind() == reflect.String:
			typ = "text"
		case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
			typ = "bigint"
		case t.Kind() == reflect.Bool:
			typ = "boolean"
		default:
			return "", errors.New("pgArraysInsertQuery: no array type for " + f.Name)
		}
		if i > 0 {
			cols.WriteString(", ")
			arrays.WriteString(", ")
		}
		cols.WriteString(string(f.SQLName))
		arrays.WriteString("$" + strconv.Itoa(i+1) + "::text::" + typ + "[]")
	}
	return "INSERT INTO " + string(table.SQLName) + " (" + cols.String() + ") SELECT * FROM unnest(" + arrays.String() + ")", nil
}

// appendPGArrayElement appends v as an element of a PostgreSQL array
// literal: NULL for a nil pointer, anything else quoted (so that the text
// NULL or an empty string stays text) with " and \ escaped; times as Bun
// writes them for PostgreSQL (pgValue).
func appendPGArrayElement(b []byte, v reflect.Value) ([]byte, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return append(b, "NULL"...), nil
		}
		v = v.Elem()
	}
	var text string
	switch v.Kind() {
	case reflect.String:
		text = v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Struct:
		t, ok := v.Interface().(time.Time)
		if !ok {
			return nil, errors.New("appendPGArrayElement: a struct that is not a time")
		}
		text = t.UTC().Format(pgTime)
	default:
		return nil, errors.New("appendPGArrayElement: no array form for " + v.Kind().String())
	}
	b = append(b, '"')
	for i := 0; i < len(text); i++ {
		if c := text[i]; c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, text[i])
	}
	return append(b, '"'), nil
}
