// Package csvimport reads the people an admin wants to invite: a CSV file
// exported from a spreadsheet (Excel, Numbers, LibreOffice, Google Sheets,
// Outlook, ...) or a pasted list of addresses.
//
// It only splits and cleans the input. Values are kept as written (trimmed);
// validating and classifying emails, roles and so on is the domain layer's job.
// Problems with the input as a whole are reported as *Error, whose message is
// meant to be shown to the admin as is.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Row is one person from the file. Line is the 1-based line number in the file
// where the record starts (for error messages: "line 7"); for a pasted list it
// is the 1-based position of the entry in the list. Fields are trimmed.
type Row struct {
	Line     int
	Email    string
	Name     string
	Role     string // role name as written; "" when the file has no role column or the cell is empty
	Location string
	// TooLong reports that at least one of the fields above was longer than
	// MaxFieldLen runes and has been cut to that length.
	TooLong bool
}

// Error is a problem with the whole file (or list), with a message an admin
// can act on.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

const (
	// MaxRows is the most people one file or list may hold.
	MaxRows = 10000
	// MaxFieldLen is the most runes kept of a cell; longer cells are cut and
	// the row is marked TooLong.
	MaxFieldLen = 1000
)

const (
	peekSize  = 64 << 10 // how much of the file is looked at before parsing
	sniffSize = 8 << 10  // how much of it must be NUL-free UTF-8
	notCSV    = "This doesn't look like a CSV file"
	saveAsCSV = "Save it from your spreadsheet as CSV (UTF-8) and try again."
)

var (
	msgNoRows       = "The file has no rows to import."
	msgTooManyRows  = "This file has more than " + thousands(MaxRows) + " rows; split it into smaller files."
	msgListEmpty    = "There are no email addresses to import."
	msgListTooLong  = "This list has more than " + thousands(MaxRows) + " addresses; split it into smaller lists."
	msgListEncoding = "The pasted text contains characters that aren't valid text (UTF-8). Copy the addresses again and paste them as plain text."
	utf8BOM         = []byte{0xEF, 0xBB, 0xBF}
)

// ParseCSV reads a CSV file: UTF-8 with or without BOM; delimited by comma,
// semicolon or tab (sniffed from the header line, or taken from an Excel
// "sep=;" first line); CRLF, LF or CR line ends; quoted fields with embedded
// delimiters, quotes ("") and newlines. Empty lines and rows whose cells are
// all empty are skipped, as are repetitions of the header row. Rows with fewer
// or more cells than the header are accepted.
//
// The first non-empty row is the header. Its names are matched ignoring case,
// spaces, punctuation, BOMs and quotes ("E-Mail Address" is "email address"):
//
//	email:    email, e-mail, email address, mail, work email
//	name:     name, full name, display name, fullname; without a name column
//	          (or when its cell is empty) first name/given name and
//	          last name/family name/surname are joined with a space
//	role:     role, roles, group
//	location: location, city, office
//
// Other columns are ignored; when a name occurs twice the first column wins.
// A cell longer than MaxFieldLen runes is cut and its row marked TooLong.
//
// Problems with the file as a whole (not text, no email column, no rows, more
// than MaxRows rows) are returned as *Error. Errors reading r are returned
// wrapped, not as *Error.
func ParseCSV(r io.Reader) ([]Row, error) {
	br := bufio.NewReaderSize(r, peekSize)
	head, err := br.Peek(peekSize)
	complete := false
	if errors.Is(err, io.EOF) {
		complete = true
	} else if err != nil {
		return nil, fmt.Errorf("csvimport: reading file: %w", err)
	}
	if len(head) == 0 {
		return nil, &Error{msgNoRows}
	}
	if msg := sniffFormat(head); msg != "" {
		return nil, &Error{msg}
	}
	if bytes.HasPrefix(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		head = head[len(utf8BOM):]
	}
	if msg := checkText(head, complete); msg != "" {
		return nil, &Error{msg}
	}
	delim, sepLine := sniffDelimiter(head)

	cr := csv.NewReader(&lineEndReader{br: br})
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	// Lets `a@example.com, "Lovelace, Ada"` work; with a tab delimiter it
	// would swallow empty cells.
	cr.TrimLeadingSpace = delim != '\t'

	var (
		cols   *columns
		rows   []Row
		first  = true
		header []string
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &Error{fmt.Sprintf("Line %d can't be read: %v. Check the file and try again.", pe.StartLine, pe.Err)}
			}
			return nil, fmt.Errorf("csvimport: reading file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if sepLine && isSepLine(rec[0]) {
				continue
			}
		}
		for _, cell := range rec {
			if strings.IndexByte(cell, 0) >= 0 {
				return nil, &Error{fmt.Sprintf("%s: line %d contains binary data. %s", notCSV, line, saveAsCSV)}
			}
			if !utf8.ValidString(cell) {
				return nil, &Error{fmt.Sprintf("%s: line %d contains text that isn't UTF-8 (the file may have been saved as plain \"CSV\" instead of \"CSV UTF-8\"). %s", notCSV, line, saveAsCSV)}
			}
		}
		if allEmpty(rec) {
			continue
		}
		if cols == nil {
			c := mapHeader(rec)
			if c.email < 0 {
				return nil, noEmailColumn(rec, delim)
			}
			cols = &c
			header = make([]string, len(rec))
			for i, cell := range rec {
				header[i] = headerKey(cell)
			}
			continue
		}
		if sameHeader(header, rec) {
			continue // files concatenated with their headers
		}
		if len(rows) == MaxRows {
			return nil, &Error{msgTooManyRows}
		}
		rows = append(rows, cols.row(line, rec))
	}
	if len(rows) == 0 {
		return nil, &Error{msgNoRows}
	}
	return rows, nil
}

// sniffFormat recognises files that are not text at all by their first bytes.
func sniffFormat(head []byte) string {
	what := ""
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		what = "it seems to be an Excel workbook (.xlsx) or another zipped document"
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		what = "it seems to be an older Excel workbook (.xls)"
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		what = `it is saved as UTF-16 ("Unicode Text")`
	case bytes.HasPrefix(head, []byte("%PDF")):
		what = "it seems to be a PDF document"
	case bytes.HasPrefix(head, []byte("\x1F\x8B")):
		what = "it seems to be a compressed (gzip) file"
	case bytes.HasPrefix(head, []byte("\x89PNG")), bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")),
		bytes.HasPrefix(head, []byte("GIF8")):
		what = "it seems to be an image"
	}
	if what == "" {
		t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
		t = bytes.ToLower(t[:min(len(t), 16)])
		for _, p := range []string{"<?xml", "<!doctype html", "<html", "<table"} {
			if bytes.HasPrefix(t, []byte(p)) {
				what = "it seems to be a web page or an XML document"
			}
		}
		if bytes.HasPrefix(t, []byte(`{\rtf`)) {
			what = "it seems to be a rich text (RTF) document"
		}
	}
	if what == "" {
		return ""
	}
	return notCSV + ": " + what + ". " + saveAsCSV
}

// checkText requires the first sniffSize bytes of head (after the BOM) to be
// UTF-8 without NUL bytes. complete says whether head is the whole file.
func checkText(head []byte, complete bool) string {
	sample := head
	if len(sample) > sniffSize {
		sample, complete = sample[:sniffSize], false
	}
	if bytes.IndexByte(sample, 0) >= 0 {
		return notCSV + ": it contains binary data. " + saveAsCSV
	}
	if !complete {
		// Don't blame a character that the cut splits.
		for i := 1; i < utf8.UTFMax && i <= len(sample); i++ {
			if utf8.RuneStart(sample[len(sample)-i]) {
				if !utf8.FullRune(sample[len(sample)-i:]) {
					sample = sample[:len(sample)-i]
				}
				break
			}
		}
	}
	if !utf8.Valid(sample) {
		return notCSV + ": its text isn't UTF-8 (it may have been saved as plain \"CSV\" instead of \"CSV UTF-8\"). " + saveAsCSV
	}
	return ""
}

var sniffDelims = [...]rune{',', ';', '\t'}

// sniffDelimiter picks the delimiter: the one from an Excel "sep=;" first
// line (sepLine is then true), else whichever of comma, semicolon and tab
// occurs most outside quotes in the header line (the first line with more
// than delimiters and spaces); comma wins ties. When the header line has
// none of them (a single column), the lines after it decide.
func sniffDelimiter(head []byte) (delim rune, sepLine bool) {
	first := head
	if i := bytes.IndexAny(first, "\r\n"); i >= 0 {
		first = first[:i]
	}
	if d, ok := sepHint(string(first)); ok {
		return d, true
	}
	var counts [len(sniffDelims)]int
	rest := head
	for len(rest) > 0 {
		c, content, next := scanLine(rest)
		rest = next
		if content {
			counts = c
			break
		}
	}
	if counts == [len(sniffDelims)]int{} {
		for len(rest) > 0 {
			c, _, next := scanLine(rest)
			rest = next
			for i := range c {
				counts[i] += c[i]
			}
		}
	}
	best := 0
	for i := range counts {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return sniffDelims[best], false
}

// scanLine counts the delimiters outside quotes in the line b starts with,
// reports whether it has anything but delimiters, quotes and spaces, and
// returns what follows it.
func scanLine(b []byte) (counts [len(sniffDelims)]int, content bool, rest []byte) {
	inQuote := false
	for i, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				content = true
			}
		case c == '\n' || c == '\r':
			return counts, content, b[i+1:]
		case c == ',':
			counts[0]++
		case c == ';':
			counts[1]++
		case c == '\t':
			counts[2]++
		case c != ' ':
			content = true
		}
	}
	return counts, content, nil
}

// sepHint reads Excel's "sep=;" line.
func sepHint(line string) (rune, bool) {
	s := strings.Trim(strings.TrimSpace(line), `"`)
	if len(s) < 5 || !strings.EqualFold(s[:4], "sep=") {
		return 0, false
	}
	d, _ := utf8.DecodeRuneInString(s[4:])
	if d == '\t' || d != '"' && d != utf8.RuneError && (unicode.IsPunct(d) || unicode.IsSymbol(d)) {
		return d, true
	}
	return 0, false
}

func isSepLine(cell string) bool {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(cell), `"`))
	return strings.HasPrefix(s, "sep=")
}

// lineEndReader turns lone CRs (old Mac line ends) into LFs so that
// encoding/csv sees the lines, and counts them, as a spreadsheet would.
type lineEndReader struct{ br *bufio.Reader }

func (r *lineEndReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.br.Buffered() == 0 {
		if _, err := r.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := r.br.Peek(r.br.Buffered())
	n := copy(p, buf)
	if i := bytes.IndexByte(p[:n], '\r'); i > 0 {
		n = i
	} else if i == 0 {
		r.br.Discard(1)
		if next, err := r.br.Peek(1); err == nil && next[0] == '\n' {
			p[0] = '\r'
		} else {
			p[0] = '\n'
		}
		return 1, nil
	}
	r.br.Discard(n)
	return n, nil
}

// columns are the indexes of the columns used, -1 when absent.
type columns struct{ email, name, first, last, role, location int }

func mapHeader(rec []string) columns {
	c := columns{-1, -1, -1, -1, -1, -1}
	for i, cell := range rec {
		var p *int
		switch headerKey(cell) {
		case "email", "emailaddress", "mail", "workemail":
			p = &c.email
		case "name", "fullname", "displayname":
			p = &c.name
		case "firstname", "givenname":
			p = &c.first
		case "lastname", "familyname", "surname":
			p = &c.last
		case "role", "roles", "group":
			p = &c.role
		case "location", "city", "office":
			p = &c.location
		}
		if p != nil && *p < 0 {
			*p = i
		}
	}
	return c
}

// headerKey is a header cell lowercased with everything but letters and
// digits (spaces, "-", "_", quotes, BOMs, ...) removed.
func headerKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

func sameHeader(header, rec []string) bool {
	for i := range max(len(header), len(rec)) {
		var h, c string
		if i < len(header) {
			h = header[i]
		}
		if i < len(rec) {
			c = headerKey(rec[i])
		}
		if h != c {
			return false
		}
	}
	return true
}

func (c *columns) row(line int, rec []string) Row {
	row := Row{Line: line}
	set := func(dst *string, s string) {
		var cut bool
		*dst, cut = truncate(s)
		row.TooLong = row.TooLong || cut
	}
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return trim(rec[i])
	}
	set(&row.Email, cell(c.email))
	name := cell(c.name)
	if name == "" {
		name = strings.TrimSpace(cell(c.first) + " " + cell(c.last))
	}
	set(&row.Name, name)
	set(&row.Role, cell(c.role))
	set(&row.Location, cell(c.location))
	return row
}

const maxHeaderShown = 20

func noEmailColumn(rec []string, delim rune) *Error {
	sep := ","
	if delim == ';' {
		sep = ";"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `No email column found. The first row should name the columns, e.g. "email%[1]sname%[1]srole%[1]slocation"; this file's first row has: `, sep)
	data := false
	for i, cell := range rec {
		if strings.Contains(cell, "@") {
			data = true
		}
		if i == maxHeaderShown {
			fmt.Fprintf(&b, " and %d more", len(rec)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		s := strings.Trim(trim(cell), `"'`)
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:40]) + "…"
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteString(".")
	if data {
		b.WriteString(` It looks like the file has no header row: add a first row with the column names (at least "email").`)
	}
	return &Error{b.String()}
}

// ParseList reads pasted email addresses, separated by newlines, commas,
// semicolons or whitespace. It accepts the forms mail programs copy:
// "Ada Lovelace <ada@example.com>", `"Lovelace, Ada" <ada@example.com>`,
// Outlook's unquoted "Lovelace, Ada <ada@example.com>", "mailto:" links, and
// two spreadsheet columns pasted together ("Ada Lovelace<TAB>ada@example.com"):
// words next to a bare address become its Name. Text that contains no address
// at all is kept as the Email of its own entry, for the domain layer to
// reject. Line is the 1-based position among the non-empty entries. An empty
// list, or one with more than MaxRows entries, is an *Error.
func ParseList(text string) ([]Row, error) {
	if !utf8.ValidString(text) {
		return nil, &Error{msgListEncoding}
	}
	var rows []Row
	for _, seg := range joinOutlookNames(splitList(text)) {
		for _, it := range seg.items() {
			it.email, it.name = trim(it.email), trim(it.name)
			if it.email == "" && it.name == "" {
				continue
			}
			if strings.EqualFold(it.name, it.email) {
				it.name = "" // `"ada@example.com" <ada@example.com>`
			}
			if len(rows) == MaxRows {
				return nil, &Error{msgListTooLong}
			}
			row := Row{Line: len(rows) + 1}
			var cut1, cut2 bool
			row.Email, cut1 = truncate(it.email)
			row.Name, cut2 = truncate(it.name)
			row.TooLong = cut1 || cut2
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, &Error{msgListEmpty}
	}
	return rows, nil
}

// segment is the words between two of the separators newline, comma and
// semicolon.
type segment struct {
	words []string
	sep   rune // the separator that ended it; 0 at the end of the text
}

// splitList cuts text into segments of words. Quoted names (starting a word)
// and <addresses> may contain separators and spaces; a newline ends them
// anyway, so a stray quote cannot swallow the rest of the list.
func splitList(text string) []segment {
	var (
		segs             []segment
		cur              segment
		word             strings.Builder
		inQuote, inAngle bool
		escaped          bool
	)
	endWord := func() {
		if word.Len() > 0 {
			cur.words = append(cur.words, word.String())
			word.Reset()
		}
	}
	endSeg := func(sep rune) {
		endWord()
		inQuote, inAngle, escaped = false, false, false
		if len(cur.words) > 0 {
			cur.sep = sep
			segs = append(segs, cur)
		}
		cur = segment{}
	}
	for _, r := range text {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			endSeg('\n')
		case r == 0:
			if !inQuote && !inAngle {
				endWord()
			} // NULs are never kept: databases reject them
		case inQuote:
			word.WriteRune(r)
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inQuote = false
			}
		case inAngle:
			if r == '>' {
				inAngle = false
			}
			if !isSpace(r) {
				word.WriteRune(r)
			}
		case r == ',' || r == ';':
			endSeg(r)
		case isSpace(r):
			endWord()
		case r == '"' && word.Len() == 0:
			inQuote = true
			word.WriteRune(r)
		case r == '<':
			inAngle = true
			word.WriteRune(r)
		default:
			word.WriteRune(r)
		}
	}
	endSeg(0)
	return segs
}

// joinOutlookNames puts Outlook's "Lovelace, Ada <ada@example.com>" back
// together: a segment without an address that a comma ends is the start of
// the name of the next one when that starts with a name and an <address>.
func joinOutlookNames(segs []segment) []segment {
	out := segs[:0:0]
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		if s.sep == ',' && !s.hasAddress() && i+1 < len(segs) && segs[i+1].startsWithNameAddr() {
			words := append([]string(nil), s.words...)
			words[len(words)-1] += ","
			s = segment{words: append(words, segs[i+1].words...), sep: segs[i+1].sep}
			i++
		}
		out = append(out, s)
	}
	return out
}

func (s segment) hasAddress() bool {
	for _, w := range s.words {
		if strings.ContainsAny(w, "@<") {
			return true
		}
	}
	return false
}

func (s segment) startsWithNameAddr() bool {
	for _, w := range s.words {
		if strings.Contains(w, "<") {
			return true
		}
		if strings.Contains(w, "@") {
			return false
		}
	}
	return false
}

type item struct{ email, name string }

// items groups a segment's words into entries: an <address> takes the words
// before it as the name; so does a bare address, and words left at the end
// name the last address if it has no name yet. Words without any address
// become an entry of their own.
func (s segment) items() []item {
	var (
		items   []item
		pending []string
	)
	for i, w := range s.words {
		angle := strings.Contains(w, "<")
		nextAngle := i+1 < len(s.words) && strings.Contains(s.words[i+1], "<")
		switch {
		case angle:
			items = append(items, nameAddr(pending, w))
			pending = nil
		case strings.Contains(w, "@") && !nextAngle:
			items = append(items, item{email: stripMailto(unquote(w)), name: unquote(strings.Join(pending, " "))})
			pending = nil
		default:
			pending = append(pending, w)
		}
	}
	if len(pending) > 0 {
		if len(items) > 0 && items[len(items)-1].name == "" {
			items[len(items)-1].name = unquote(strings.Join(pending, " "))
		} else {
			items = append(items, item{email: strings.Join(pending, " ")})
		}
	}
	return items
}

// nameAddr reads `name <address>` with net/mail, and by hand when that fails
// (unquoted commas, "mailto:", text after the ">", ...).
func nameAddr(nameWords []string, w string) item {
	full := strings.Join(append(nameWords[:len(nameWords):len(nameWords)], w), " ")
	if a, err := mail.ParseAddress(full); err == nil && valid(a.Name) && valid(a.Address) {
		return item{email: a.Address, name: a.Name}
	}
	lt := strings.IndexByte(w, '<')
	addr := w[lt+1:]
	if gt := strings.IndexByte(addr, '>'); gt >= 0 {
		addr = addr[:gt]
	}
	name := strings.Join(append(nameWords[:len(nameWords):len(nameWords)], w[:lt]), " ")
	return item{email: stripMailto(addr), name: unquote(trim(name))}
}

func valid(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// unquote removes the quotes around a quoted name or address.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		q := s[0]
		s = s[1 : len(s)-1]
		if q == '"' {
			s = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
		}
	}
	return s
}

func stripMailto(s string) string {
	s = trim(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = trim(s[7:])
	}
	return s
}

// isSpace reports white space, including the zero-width characters that
// copying from web pages and spreadsheets leaves behind.
func isSpace(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return unicode.IsSpace(r)
}

func trim(s string) string { return strings.TrimFunc(s, isSpace) }

func allEmpty(rec []string) bool {
	for _, c := range rec {
		if trim(c) != "" {
			return false
		}
	}
	return true
}

// truncate cuts s to MaxFieldLen runes and reports whether it did.
func truncate(s string) (string, bool) {
	if len(s) <= MaxFieldLen {
		return s, false
	}
	n := 0
	for i := range s {
		if n == MaxFieldLen {
			return strings.TrimRightFunc(s[:i], isSpace), true
		}
		n++
	}
	return s, false
}

// thousands formats n with comma separators: 10000 → "10,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
