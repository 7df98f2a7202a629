package csvimport

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// go test ./csvimport -run '^$' -fuzz FuzzParseCSV -fuzztime 60s
func FuzzParseCSV(f *testing.F) {
	for _, tc := range csvCases {
		f.Add([]byte(tc.in))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseCSV(bytes.NewReader(data))
		// Reading in small pieces (as from the network) changes nothing.
		rows2, err2 := ParseCSV(iotest.OneByteReader(bytes.NewReader(data)))
		if !reflect.DeepEqual(rows, rows2) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("read at once: %+v, %v\nread by byte: %+v, %v", rows, err, rows2, err2)
		}
		if err != nil {
			checkError(t, rows, err)
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		checkRows(t, rows)
		for i, r := range rows {
			if r.Line < 2 {
				t.Fatalf("row %d: line %d, want ≥ 2", i, r.Line)
			}
			if i > 0 && r.Line <= rows[i-1].Line {
				t.Fatalf("row %d: line %d after line %d", i, r.Line, rows[i-1].Line)
			}
		}
	})
}

// go test ./csvimport -run '^$' -fuzz FuzzParseList -fuzztime 60s
func FuzzParseList(f *testing.F) {
	for _, tc := range listCases {
		f.Add(tc.in)
	}
	for _, tc := range csvCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rows, err := ParseList(text)
		if err != nil {
			checkError(t, rows, err)
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		checkRows(t, rows)
		for i, r := range rows {
			if r.Line != i+1 {
				t.Fatalf("row %d: line %d, want %d", i, r.Line, i+1)
			}
			if r.Email == "" && r.Name == "" {
				t.Fatalf("row %d is empty", i)
			}
		}
	})
}

// checkError: the input is in memory, so every error is an *Error with a
// message fit to show.
func checkError(t *testing.T, rows []Row, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Msg == "" || !utf8.ValidString(e.Msg) || strings.IndexByte(e.Msg, 0) >= 0 {
		t.Fatalf("bad message %q", e.Msg)
	}
	if rows != nil {
		t.Fatalf("rows %v with error %v", rows, err)
	}
}

func checkRows(t *testing.T, rows []Row) {
	t.Helper()
	if len(rows) > MaxRows {
		t.Fatalf("%d rows, more than MaxRows", len(rows))
	}
	for i, r := range rows {
		for _, f := range []struct{ name, v string }{{"email", r.Email}, {"name", r.Name}, {"role", r.Role}, {"location", r.Location}} {
			if !utf8.ValidString(f.v) {
				t.Fatalf("row %d: %s %q is not UTF-8", i, f.name, f.v)
			}
			if n := utf8.RuneCountInString(f.v); n > MaxFieldLen {
				t.Fatalf("row %d: %s has %d runes", i, f.name, n)
			}
			if f.v != trim(f.v) {
				t.Fatalf("row %d: %s %q is not trimmed", i, f.name, f.v)
			}
			if strings.IndexByte(f.v, 0) >= 0 {
				t.Fatalf("row %d: %s %q contains NUL", i, f.name, f.v)
			}
		}
	}
}
