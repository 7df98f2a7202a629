package models

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var folder = cases.Fold()

// foldCase is what search and sorting compare: Unicode case folding, so
// "ÄNNE" finds "änne" the same way on SQLite and PostgreSQL.
func foldCase(s string) string { return folder.String(norm.NFC.String(s)) }

// NormalizeEmail trims and lower-cases an address: emails are compared
// case-insensitively everywhere.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkEmail reports what is wrong with an address, or "".
func checkEmail(email string) string {
	if email == "" {
		return "Enter an email address."
	}
	if len(email) > 254 {
		return "That email address is too long."
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return "Enter an email address like name@example.com."
	}
	return ""
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// cleanName trims a person's or workspace's name and folds inner runs of
// white space, so "  Ada   Lovelace " is stored as "Ada Lovelace".
func cleanName(s string) string { return strings.Join(strings.Fields(s), " ") }

func checkName(v validator, field, name, what string, max int) {
	switch {
	case name == "":
		v.add(field, "Enter "+what+".")
	case utf8.RuneCountInString(name) > max:
		v.add(field, "Keep "+what+" under "+strconv.Itoa(max)+" characters.")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.add(field, "Remove the control characters from "+what+".")
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// asciiFold drops accents: "García" → "Garcia".
func asciiFold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFKD.String(s))
}

// slugify turns a workspace name into its URL part: "Acme, Inc." → "acme-inc".
func slugify(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(asciiFold(strings.ToLower(name)), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	if s == "" {
		s = "workspace"
	}
	return s
}

// dbLower lower-cases a value the way the database's lower() does to a
// column, so lower(col) = ? can use an index: SQLite's built-in lower()
// only knows ASCII.
func dbLower(pg bool, s string) string {
	if pg {
		return strings.ToLower(s)
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
