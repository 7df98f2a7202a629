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
//
// ASCII text, nearly every name and address an identity provider sends,
// takes a shortcut: NFC leaves it as it is and folding only lowers A–Z
// (TestFoldCaseASCII checks every byte against the full path), which
// strings.ToLower does without a copy when nothing is upper-case. The
// full path allocated a transformer and a copy for each of the five
// values a new member folds: 12.8 of the 168 MB a /Bulk of 10,000 users
// allocated.
func foldCase(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return folder.String(norm.NFC.String(s))
		}
	}
	return strings.ToLower(s) // ASCII: s itself when nothing is upper-case
}

// NormalizeEmail trims, lower-cases and NFC-normalises an address: emails
// are compared case-insensitively everywhere, and "josé" typed with a
// composed é or with e and a combining accent is one address.
// Invalid UTF-8 is left as it is (ToLower would turn it into U+FFFD), for
// checkEmail to refuse.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFC.String(strings.ToLower(s))
}

// NormalizeIdentifier is NFC for what identifies a person (a SCIM
// userName): the same text sent composed or decomposed is one person.
func NormalizeIdentifier(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// checkEmail reports what is wrong with an address, or "".
func checkEmail(email string) string {
	if email == "" {
		return "Enter an email address."
	}
	if len(email) > 254 {
		return "That email address is too long."
	}
	if msg := checkText(email, false); msg != "" {
		return "The email address " + msg
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

// maxNameRunes is how long a member's name may be (display_name).
const maxNameRunes = 200

// derivedName cuts a name Muster made up (from an address, a userName, a
// given and family name) to maxNameRunes, without a space at the end: an
// address may be 254 characters long, and a name nobody typed must not be
// refused as too long.
func derivedName(s string) string {
	if utf8.RuneCountInString(s) <= maxNameRunes {
		return s
	}
	return strings.TrimRight(string([]rune(s)[:maxNameRunes]), " ")
}

// cleanName trims a person's or workspace's name, folds inner runs of
// white space, so "  Ada   Lovelace " is stored as "Ada Lovelace", and
// normalises it to NFC, so one name is stored one way however it was typed.
// Invalid UTF-8 is left as it is, for checkName to refuse.
func cleanName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.ValidString(s) {
		s = norm.NFC.String(s)
	}
	return s
}

func checkName(v validator, field, name, what string, max int) {
	switch {
	case name == "":
		v.add(field, "Enter "+what+".")
	case utf8.RuneCountInString(name) > max:
		v.add(field, "Keep "+what+" under "+strconv.Itoa(max)+" characters.")
	default:
		if msg := checkText(name, true); msg != "" {
			v.add(field, capitalise(what)+" "+msg)
		}
	}
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// checkText is the rule for text people read and compare (names, emails,
// user names, locations), wherever it comes from (a form, a CSV file, an
// identity provider). It reports what is wrong, or "":
//
//   - invalid UTF-8 and control characters (a NUL would not even reach
//     PostgreSQL: Bun and the server refuse it);
//   - characters that are invisible or reorder text (zero-width spaces, the
//     BOM, word joiners, bidi marks, embeddings, overrides and isolates):
//     "ada\u200b@example.com" would look like a taken address but not be
//     one, and a right-to-left override makes a name display as another.
//
// The zero-width joiner and non-joiner are part of how some scripts and
// emoji are written (Persian "می‌خواهم", Devanagari conjuncts, 👩‍💻), so in
// a name (inName) they may follow a non-ASCII letter or symbol; between
// ASCII letters, at the start or next to a space they only hide a
// difference, and in identifiers they are always refused.
func checkText(s string, inName bool) string {
	if !utf8.ValidString(s) {
		return "is not valid text (UTF-8)."
	}
	prev := ' '
	for i, r := range s {
		switch {
		case unicode.IsControl(r):
			return "contains control characters."
		case r == '\u200c' || r == '\u200d':
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if !inName || prev < utf8.RuneSelf || unicode.IsSpace(prev) || i+utf8.RuneLen(r) == len(s) || unicode.IsSpace(next) {
				return "contains an invisible character (a zero-width joiner or non-joiner)."
			}
		case invisible(r):
			return "contains invisible characters (zero-width or text-direction marks)."
		}
		prev = r
	}
	return ""
}

// invisible: format characters that show nothing or only change the
// direction of the text around them.
func invisible(r rune) bool {
	switch {
	case r == '\u00ad', // soft hyphen
		r == '\u061c',                  // Arabic letter mark
		r == '\u180e',                  // Mongolian vowel separator
		r >= '\u200b' && r <= '\u200f', // zero-width space, joiners, LRM, RLM
		r == '\u2028' || r == '\u2029', // line and paragraph separators
		r >= '\u202a' && r <= '\u202e', // bidi embeddings and overrides
		r >= '\u2060' && r <= '\u2064', // word joiner, invisible operators
		r >= '\u2066' && r <= '\u2069', // bidi isolates
		r == '\ufeff':                  // BOM, zero-width no-break space
		return true
	}
	return false
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
