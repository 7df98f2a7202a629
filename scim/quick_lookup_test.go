package scim

import (
	"regexp"
	"testing"
)

// quickLookupRegexp is what quickLookup was, and must stay equal to.
var quickLookupRegexp = regexp.MustCompile(`^(?i)(userName|externalId|displayName|id)\s+eq\s+"((?:[^"\\]|\\["\\/])*)"$`)

var quickLookupCases = []string{
	`userName eq "bjensen@example.com"`, `USERNAME EQ "x"`, `externalId eq "ext-1"`, `displayName eq "Sales"`, `id eq "1"`,
	`userName  eq	"x"`, "userName\neq\r\"x\"", "userName\feq \"x\"", "userName\veq \"x\"", `userName eq ""`,
	`userName eq "a\"b"`, `userName eq "a\\b"`, `userName eq "a\/b"`, `userName eq "a\nb"`, `userName eq "a\"`,
	`userName eq "a"b"`, `userName eq "a\"`, `userName eq "a\\"`, `userName eq "a`, `userName eq a"`, `userName eq "`,
	`userNameeq "x"`, `userName eq"x"`, `userNam eq "x"`, `userName2 eq "x"`, `emails eq "x"`, `userName ne "x"`,
	`userName eq "x" and id eq "y"`, `userName eq "x" `, ` userName eq "x"`, `name.givenName eq "x"`,
	`uſerName eq "x"`, `ıd eq "x"`, `İd eq "x"`, `userName eq "Zoë\u200b"`, `userName eq "\"\"\""`, `userName eq "\\\""`,
	`userName eq "é"`, `userName eq 1`, `userName pr`, ``, `"`, `id`, `id eq`, `id eq "`, `externalid EQ "A\/B\\C\"D"`,
}

func checkQuickLookup(t *testing.T, f string) {
	m := quickLookupRegexp.FindStringSubmatch(f)
	attr, value, ok := quickLookup(f)
	switch {
	case (m != nil) != ok:
		t.Errorf("%q: matched %v, the expression %v", f, ok, m != nil)
	case ok && (attr != m[1] || value != filterUnquote.Replace(m[2])):
		t.Errorf("%q: %q %q, the expression %q %q", f, attr, value, m[1], filterUnquote.Replace(m[2]))
	}
}

// TestQuickLookupAsRegexp: the hand-written matcher takes the filters the
// regular expression took, and reads the same attribute and value.
func TestQuickLookupAsRegexp(t *testing.T) {
	for _, f := range quickLookupCases {
		checkQuickLookup(t, f)
	}
}

func FuzzQuickLookup(f *testing.F) {
	for _, c := range quickLookupCases {
		f.Add(c)
	}
	f.Fuzz(checkQuickLookup)
}
