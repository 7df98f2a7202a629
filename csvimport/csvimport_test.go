package csvimport

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

type csvCase struct {
	name string
	in   string
	want []Row
	err  string // the *Error message, or a part of it; "" when parsing succeeds
}

var csvCases = []csvCase{
	{
		name: "basic",
		in:   "email,name,role,location\nada@example.com,Ada Lovelace,Admin,London\ngrace@example.com,Grace Hopper,,Arlington\n",
		want: []Row{
			{Line: 2, Email: "ada@example.com", Name: "Ada Lovelace", Role: "Admin", Location: "London"},
			{Line: 3, Email: "grace@example.com", Name: "Grace Hopper", Location: "Arlington"},
		},
	},
	{
		name: "BOM and CRLF",
		in:   "\ufeffemail,name\r\nada@example.com,Ada\r\nbob@example.com,Bob\r\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada"}, {Line: 3, Email: "bob@example.com", Name: "Bob"}},
	},
	{
		name: "no final newline",
		in:   "email,name\nada@example.com,Ada",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada"}},
	},
	{
		name: "semicolons from European Excel",
		in:   "\ufeffE-Mail;Name;Role;Office\r\nmueller@example.de;Jürgen Müller;Admin;München\r\n\"weber@example.de\";\"Weber; Anna\";Member;Berlin, Mitte\r\n",
		want: []Row{
			{Line: 2, Email: "mueller@example.de", Name: "Jürgen Müller", Role: "Admin", Location: "München"},
			{Line: 3, Email: "weber@example.de", Name: "Weber; Anna", Role: "Member", Location: "Berlin, Mitte"},
		},
	},
	{
		name: "Excel sep= line",
		in:   "sep=;\r\nemail;name\r\nada@example.com;Lovelace, Ada, Countess\r\n",
		want: []Row{{Line: 3, Email: "ada@example.com", Name: "Lovelace, Ada, Countess"}},
	},
	{
		name: "tabs",
		in:   "email\tname\trole\nada@example.com\t\tAdmin\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Role: "Admin"}},
	},
	{
		name: "quoted commas and quotes",
		in:   "email,name,location\nada@example.com,\"Lovelace, Ada\",\"London, UK\"\nbob@example.com,\"Robert \"\"Bob\"\" Tables\",\n",
		want: []Row{
			{Line: 2, Email: "ada@example.com", Name: "Lovelace, Ada", Location: "London, UK"},
			{Line: 3, Email: "bob@example.com", Name: `Robert "Bob" Tables`},
		},
	},
	{
		name: "spaces after the delimiter before a quoted field",
		in:   "email, name\nada@example.com, \"Lovelace, Ada\"\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Lovelace, Ada"}},
	},
	{
		name: "bare quotes inside a field",
		in:   "email,name\nada@example.com,Ada \"The Countess\" Lovelace\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: `Ada "The Countess" Lovelace`}},
	},
	{
		name: "empty lines and all-empty rows in between",
		in:   "email,name\n\nada@example.com,Ada\n,,\n  ,  \n\"\",\"\"\n\r\nbob@example.com,Bob\n\n",
		want: []Row{{Line: 3, Email: "ada@example.com", Name: "Ada"}, {Line: 8, Email: "bob@example.com", Name: "Bob"}},
	},
	{
		name: "empty rows before the header",
		in:   "\n\n,,\nemail\nada@example.com\n",
		want: []Row{{Line: 5, Email: "ada@example.com"}},
	},
	{
		name: "CR line ends (old Mac Excel)",
		in:   "email,name\rada@example.com,Ada\rbob@example.com,Bob\r",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada"}, {Line: 3, Email: "bob@example.com", Name: "Bob"}},
	},
	{
		name: "multi-line quoted fields keep later line numbers right",
		in:   "email,name,location\nada@example.com,\"Ada\nLovelace\",\"12 Main St\r\nLondon\"\nbob@example.com,Bob,Paris\n\ncarol@example.com,Carol,\n",
		want: []Row{
			{Line: 2, Email: "ada@example.com", Name: "Ada\nLovelace", Location: "12 Main St\nLondon"},
			{Line: 5, Email: "bob@example.com", Name: "Bob", Location: "Paris"},
			{Line: 7, Email: "carol@example.com", Name: "Carol"},
		},
	},
	{
		name: "header in another case and order, with extra columns",
		in:   "Phone,OFFICE, Full Name ,Roles,Work Email,Notes\n555,Berlin,Ada Lovelace,Admin,ada@example.com,likes maths\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada Lovelace", Role: "Admin", Location: "Berlin"}},
	},
	{
		name: "quoted header names with punctuation",
		in:   "\"E-mail Address\",\"Display_Name\",\"Group\",\"City\"\nada@example.com,Ada,Admin,London\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada", Role: "Admin", Location: "London"}},
	},
	{
		name: "first match wins",
		in:   "mail,email,name,display name\nfirst@example.com,second@example.com,Ada,Countess\n",
		want: []Row{{Line: 2, Email: "first@example.com", Name: "Ada"}},
	},
	{
		name: "first and last name columns",
		in:   "First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n,Hopper,grace@example.com\nAlan,,alan@example.com\n,,nobody@example.com\n",
		want: []Row{
			{Line: 2, Email: "ada@example.com", Name: "Ada Lovelace"},
			{Line: 3, Email: "grace@example.com", Name: "Hopper"},
			{Line: 4, Email: "alan@example.com", Name: "Alan"},
			{Line: 5, Email: "nobody@example.com"},
		},
	},
	{
		name: "given and family name",
		in:   "given name;family name;e-mail\nAda;Lovelace;ada@example.com\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada Lovelace"}},
	},
	{
		name: "name column wins over first and last, which fill an empty name",
		in:   "name,first name,surname,email\nThe Countess,Ada,Lovelace,ada@example.com\n,Grace,Hopper,grace@example.com\n",
		want: []Row{
			{Line: 2, Email: "ada@example.com", Name: "The Countess"},
			{Line: 3, Email: "grace@example.com", Name: "Grace Hopper"},
		},
	},
	{
		name: "rows with fewer and more cells than the header",
		in:   "email,name,role,location\nada@example.com\nbob@example.com,Bob,Member,Paris,extra,cells\n",
		want: []Row{
			{Line: 2, Email: "ada@example.com"},
			{Line: 3, Email: "bob@example.com", Name: "Bob", Role: "Member", Location: "Paris"},
		},
	},
	{
		name: "a row without an email is kept for the domain to reject",
		in:   "email,name\n,Ada\nnot an email,Bob\n",
		want: []Row{{Line: 2, Name: "Ada"}, {Line: 3, Email: "not an email", Name: "Bob"}},
	},
	{
		name: "repeated header rows are skipped",
		in:   "email,name\nada@example.com,Ada\nEmail,Name\nbob@example.com,Bob\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada"}, {Line: 4, Email: "bob@example.com", Name: "Bob"}},
	},
	{
		name: "single column; the data decides the delimiter",
		in:   "email\nada@example.com;Ada\nbob@example.com;Bob\n",
		want: []Row{{Line: 2, Email: "ada@example.com"}, {Line: 3, Email: "bob@example.com"}},
	},
	{
		name: "no-break and zero-width spaces are trimmed",
		in:   "\ufeff\ufeffemail,name\n\u00a0ada@example.com\u200b , Ada\u00a0\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada"}},
	},
	{
		name: "an unterminated quote runs to the end of the file",
		in:   "email,name\nada@example.com,\"Ada\nbob@example.com,Bob\n",
		want: []Row{{Line: 2, Email: "ada@example.com", Name: "Ada\nbob@example.com,Bob"}},
	},

	// Problems with the whole file.
	{
		name: "no email column",
		in:   "foo,bar\n1,2\n",
		err:  `No email column found. The first row should name the columns, e.g. "email,name,role,location"; this file's first row has: "foo", "bar".`,
	},
	{
		name: "no email column, semicolons",
		in:   "\ufeff\"Vorname\";\"Nachname\"\r\nAda;Lovelace\r\n",
		err:  `No email column found. The first row should name the columns, e.g. "email;name;role;location"; this file's first row has: "Vorname", "Nachname".`,
	},
	{
		name: "no header row",
		in:   "ada@example.com,Ada Lovelace\n",
		err:  `this file's first row has: "ada@example.com", "Ada Lovelace". It looks like the file has no header row: add a first row with the column names (at least "email").`,
	},
	{
		name: "xlsx",
		in:   "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
		err:  "This doesn't look like a CSV file: it seems to be an Excel workbook (.xlsx) or another zipped document. Save it from your spreadsheet as CSV (UTF-8) and try again.",
	},
	{
		name: "xls",
		in:   "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00",
		err:  "This doesn't look like a CSV file: it seems to be an older Excel workbook (.xls). Save it from your spreadsheet as CSV (UTF-8) and try again.",
	},
	{
		name: "UTF-16",
		in:   "\xFF\xFEe\x00m\x00a\x00i\x00l\x00\r\x00\n\x00",
		err:  "This doesn't look like a CSV file: it is saved as UTF-16",
	},
	{
		name: "HTML saved as .csv",
		in:   "\n<!DOCTYPE html><html><table><tr><td>email</td></tr></table></html>",
		err:  "This doesn't look like a CSV file: it seems to be a web page or an XML document.",
	},
	{
		name: "NUL bytes",
		in:   "email,name\nada@example.com,Ada\x00\x00\x00\n",
		err:  "This doesn't look like a CSV file: it contains binary data. Save it from your spreadsheet as CSV (UTF-8) and try again.",
	},
	{
		name: "Latin-1 instead of UTF-8",
		in:   "email,name\nmueller@example.de,J\xfcrgen M\xfcller\n",
		err:  "This doesn't look like a CSV file: its text isn't UTF-8",
	},
	{name: "empty file", in: "", err: "The file has no rows to import."},
	{name: "BOM only", in: "\ufeff", err: "The file has no rows to import."},
	{name: "blank lines only", in: "\n\r\n  \n,,\n", err: "The file has no rows to import."},
	{name: "header only", in: "email,name,role\n", err: "The file has no rows to import."},
	{name: "header and empty rows", in: "email,name\r\n,\r\n\r\n\" \",\r\n", err: "The file has no rows to import."},
}

func TestParseCSV(t *testing.T) {
	for _, tc := range csvCases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseCSV(strings.NewReader(tc.in))
			checkResult(t, rows, err, tc.want, tc.err)
		})
	}
}

func checkResult(t *testing.T, rows []Row, err error, want []Row, wantErr string) {
	t.Helper()
	if wantErr != "" {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("got rows %+v, err %v; want *Error %q", rows, err, wantErr)
		}
		if !strings.Contains(e.Msg, wantErr) {
			t.Fatalf("got error\n\t%s\nwant it to contain\n\t%s", e.Msg, wantErr)
		}
		if rows != nil {
			t.Errorf("got rows %+v with the error", rows)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got  %+v\nwant %+v", rows, want)
	}
}

func TestParseCSVTestdata(t *testing.T) {
	tests := map[string][]Row{
		"excel-de-semicolon.csv": {
			{Line: 2, Email: "mueller@example.de", Name: "Jürgen Müller", Role: "Admin", Location: "München"},
			{Line: 3, Email: "weber@example.de", Name: "Weber; Anna", Role: "Member", Location: "Berlin, Mitte"},
			{Line: 5, Email: "schmidt@example.de", Name: `Klaus "KS" Schmidt`, Location: "Hamburg"},
		},
		"outlook-contacts.csv": {
			{Line: 2, Email: "ada@example.com", Name: "Ada Lovelace"},
			{Line: 4, Email: "grace@example.com", Name: "Grace Hopper"},
		},
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := ParseCSV(f)
			checkResult(t, rows, err, want, "")
		})
	}
}

func TestParseCSVRealXLSX(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	io.WriteString(w, "<worksheet/>")
	zw.Close()
	_, err := ParseCSV(&buf)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "Excel workbook (.xlsx)") || !strings.Contains(e.Msg, saveAsCSV) {
		t.Fatalf("got %v", err)
	}
}

func TestParseCSVLongFields(t *testing.T) {
	long := strings.Repeat("é", 1500)
	exact := strings.Repeat("x", MaxFieldLen)
	half := strings.Repeat("ü", 600)
	in := "email,name,first name,last name,location\n" +
		"ada@example.com," + long + ",,,London\n" +
		"bob@example.com," + exact + ",,," + exact + "\n" +
		"carol@example.com,," + half + "," + half + ",\n" +
		"dan@example.com,Dan,,," + strings.Repeat("a", MaxFieldLen-1) + strings.Repeat(" ", 5) + "bcd\n"
	rows, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, Email: "ada@example.com", Name: strings.Repeat("é", MaxFieldLen), Location: "London", TooLong: true},
		{Line: 3, Email: "bob@example.com", Name: exact, Location: exact},
		{Line: 4, Email: "carol@example.com", Name: half + " " + strings.Repeat("ü", MaxFieldLen-601), TooLong: true},
		// A cut that ends in spaces is trimmed.
		{Line: 5, Email: "dan@example.com", Name: "Dan", Location: strings.Repeat("a", MaxFieldLen-1), TooLong: true},
	}
	if !reflect.DeepEqual(rows, want) {
		for i := range rows {
			t.Logf("row %d: line %d name %d runes location %d runes, too long %v", i, rows[i].Line,
				utf8.RuneCountInString(rows[i].Name), utf8.RuneCountInString(rows[i].Location), rows[i].TooLong)
		}
		t.Fatal("rows differ")
	}
}

func TestParseCSVMaxRows(t *testing.T) {
	file := func(n int) string {
		var b strings.Builder
		b.WriteString("email,name\n")
		for i := range n {
			fmt.Fprintf(&b, "user%d@example.com,User %d\n", i, i)
			if i%1000 == 0 {
				b.WriteString(",\n\n") // skipped rows don't count
			}
		}
		return b.String()
	}
	rows, err := ParseCSV(strings.NewReader(file(MaxRows)))
	if err != nil || len(rows) != MaxRows {
		t.Fatalf("%d rows: got %d rows, err %v", MaxRows, len(rows), err)
	}
	if last := rows[len(rows)-1]; last.Line != 1+MaxRows+2*10 || last.Email != "user9999@example.com" {
		t.Errorf("last row %+v", last)
	}
	_, err = ParseCSV(strings.NewReader(file(MaxRows + 1)))
	var e *Error
	if !errors.As(err, &e) || e.Msg != "This file has more than 10,000 rows; split it into smaller files." {
		t.Fatalf("%d rows: got %v", MaxRows+1, err)
	}
}

// Past the first 8 KiB the text is still checked, and the line is named.
func TestParseCSVLateProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,name\n")
	for i := range 500 {
		fmt.Fprintf(&b, "user%d@example.com,User %d\n", i, i) // lines 2..501
	}
	good := b.String()
	if len(good) <= sniffSize {
		t.Fatalf("prefix too short: %d", len(good))
	}
	for _, tc := range []struct{ bad, want string }{
		{"x@example.com,X\x00\n", "This doesn't look like a CSV file: line 502 contains binary data."},
		{"x@example.com,M\xfcller\n", "This doesn't look like a CSV file: line 502 contains text that isn't UTF-8"},
	} {
		_, err := ParseCSV(strings.NewReader(good + tc.bad))
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Msg, tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// The 8 KiB sample may end in the middle of a character.
func TestParseCSVSampleCutsARune(t *testing.T) {
	for shift := range 4 {
		in := "email,name\n" + strings.Repeat(" ", shift) + "ada@example.com," + strings.Repeat("€", 3*sniffSize) + "\n"
		rows, err := ParseCSV(strings.NewReader(in))
		if err != nil || len(rows) != 1 || !rows[0].TooLong {
			t.Fatalf("shift %d: got %d rows, err %v", shift, len(rows), err)
		}
	}
}

func TestParseCSVReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, r := range []io.Reader{
		iotest.ErrReader(boom),
		io.MultiReader(strings.NewReader("email\nada@example.com\n"), iotest.ErrReader(boom)),
		io.MultiReader(strings.NewReader("email\n"+strings.Repeat("ada@example.com\n", 10000)), iotest.ErrReader(boom)),
	} {
		_, err := ParseCSV(r)
		var e *Error
		if !errors.Is(err, boom) || errors.As(err, &e) {
			t.Errorf("got %v, want the read error", err)
		}
	}
}

// Readers that return little at a time (network, iotest) give the same rows.
func TestParseCSVSmallReads(t *testing.T) {
	for _, tc := range csvCases {
		want, wantErr := ParseCSV(strings.NewReader(tc.in))
		got, err := ParseCSV(iotest.OneByteReader(strings.NewReader(tc.in)))
		if !reflect.DeepEqual(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%s: one byte at a time: got %+v, %v; want %+v, %v", tc.name, got, err, want, wantErr)
		}
	}
}

type listCase struct {
	name string
	in   string
	want []Row
	err  string
}

var listCases = []listCase{
	{
		name: "one per line",
		in:   "ada@example.com\nbob@example.com\r\n\n  carol@example.com  \n",
		want: []Row{{Line: 1, Email: "ada@example.com"}, {Line: 2, Email: "bob@example.com"}, {Line: 3, Email: "carol@example.com"}},
	},
	{
		name: "mixed separators",
		in:   "a@example.com, b@example.com; c@example.com d@example.com\te@example.com\n\nf@example.com,,;",
		want: []Row{
			{Line: 1, Email: "a@example.com"}, {Line: 2, Email: "b@example.com"}, {Line: 3, Email: "c@example.com"},
			{Line: 4, Email: "d@example.com"}, {Line: 5, Email: "e@example.com"}, {Line: 6, Email: "f@example.com"},
		},
	},
	{
		name: "name <email>",
		in:   "Ada Lovelace <ada@example.com>, \"Hopper, Grace\" <grace@example.com>; <alan@example.com>\nBob <bob@example.com> Carol <carol@example.com>",
		want: []Row{
			{Line: 1, Email: "ada@example.com", Name: "Ada Lovelace"},
			{Line: 2, Email: "grace@example.com", Name: "Hopper, Grace"},
			{Line: 3, Email: "alan@example.com"},
			{Line: 4, Email: "bob@example.com", Name: "Bob"},
			{Line: 5, Email: "carol@example.com", Name: "Carol"},
		},
	},
	{
		name: "Outlook's Last, First <email>",
		in:   "Lovelace, Ada <ada@example.com>; Hopper, Grace <grace@example.com>",
		want: []Row{
			{Line: 1, Email: "ada@example.com", Name: "Lovelace, Ada"},
			{Line: 2, Email: "grace@example.com", Name: "Hopper, Grace"},
		},
	},
	{
		name: "the address as its own name",
		in:   "\"ada@example.com\" <ada@example.com>, 'bob@example.com' <bob@example.com>",
		want: []Row{{Line: 1, Email: "ada@example.com"}, {Line: 2, Email: "bob@example.com"}},
	},
	{
		name: "quirks of name <email>",
		in:   "Ada<ada@example.com>\nBob <bob@example.com>.\nCarol < carol@example.com >\n=?utf-8?q?Dan_D=C3=BCrr?= <dan@example.com>\nEve <>",
		want: []Row{
			{Line: 1, Email: "ada@example.com", Name: "Ada"},
			{Line: 2, Email: "bob@example.com", Name: "Bob"},
			{Line: 3, Email: "carol@example.com", Name: "Carol"},
			{Line: 4, Email: "dan@example.com", Name: "Dan Dürr"},
			{Line: 5, Name: "Eve"},
		},
	},
	{
		name: "mailto links",
		in:   "mailto:ada@example.com, <MAILTO:bob@example.com>",
		want: []Row{{Line: 1, Email: "ada@example.com"}, {Line: 2, Email: "bob@example.com"}},
	},
	{
		name: "two spreadsheet columns",
		in:   "Ada Lovelace\tada@example.com\ngrace@example.com\tGrace Hopper\n",
		want: []Row{
			{Line: 1, Email: "ada@example.com", Name: "Ada Lovelace"},
			{Line: 2, Email: "grace@example.com", Name: "Grace Hopper"},
		},
	},
	{
		name: "text without an address is kept for the domain to reject",
		in:   "Ada Lovelace\nbob@example.com",
		want: []Row{{Line: 1, Email: "Ada Lovelace"}, {Line: 2, Email: "bob@example.com"}},
	},
	{
		name: "zero-width spaces and NULs separate",
		in:   "\ufeffada@example.com\u200b\u200bbob@example.com\x00carol@example.com\u00a0",
		want: []Row{{Line: 1, Email: "ada@example.com"}, {Line: 2, Email: "bob@example.com"}, {Line: 3, Email: "carol@example.com"}},
	},
	{
		name: "NULs inside quotes and <> are dropped",
		in:   "\"A\x00da\" <ada@exa\x00mple.com>\n0<\x00",
		want: []Row{{Line: 1, Email: "ada@example.com", Name: "Ada"}, {Line: 2, Name: "0"}},
	},
	{
		name: "an unterminated quote ends at the line end",
		in:   "\"Ada, ada@example.com\nbob@example.com",
		want: []Row{{Line: 1, Email: `"Ada, ada@example.com`}, {Line: 2, Email: "bob@example.com"}},
	},
	{name: "empty", in: "", err: "There are no email addresses to import."},
	{name: "only separators", in: " ,;\n\t\r\n", err: "There are no email addresses to import."},
	{name: "not UTF-8", in: "ada@example.com\nm\xfcller@example.de", err: "The pasted text contains characters that aren't valid text"},
}

func TestParseList(t *testing.T) {
	for _, tc := range listCases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseList(tc.in)
			checkResult(t, rows, err, tc.want, tc.err)
		})
	}
}

func TestParseListLimits(t *testing.T) {
	list := strings.Repeat("a@example.com\n", MaxRows)
	rows, err := ParseList(list)
	if err != nil || len(rows) != MaxRows || rows[MaxRows-1].Line != MaxRows {
		t.Fatalf("got %d rows, err %v", len(rows), err)
	}
	_, err = ParseList(list + "b@example.com")
	var e *Error
	if !errors.As(err, &e) || e.Msg != "This list has more than 10,000 addresses; split it into smaller lists." {
		t.Fatalf("got %v", err)
	}

	long := strings.Repeat("ß", MaxFieldLen+1)
	rows, err = ParseList(long + " <x@example.com>, y@example.com")
	want := []Row{
		{Line: 1, Email: "x@example.com", Name: long[:2*MaxFieldLen], TooLong: true},
		{Line: 2, Email: "y@example.com"},
	}
	checkResult(t, rows, err, want, "")
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
