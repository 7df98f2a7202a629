package models

import (
	"strings"
	"testing"

	"github.com/scim2/filter-parser/v2"
)

// TestSCIMNarrowedAttributes: co, sw and ew on every attribute
// members.search_text holds go through the trigram index on both
// databases; TestSCIMSubstringThroughIndex checks they find the same.
func TestSCIMNarrowedAttributes(t *testing.T) {
	always := func(string) bool { return true }
	for _, f := range []string{
		`userName co "knuth"`, `userName sw "knuth"`, `userName ew "knuth"`,
		`name.givenName co "donald"`, `name.familyName ew "nuth"`, `name.formatted co "don"`,
		`displayName co "don"`, `emails.value co "tex.example"`, `emails co "tex"`, `addresses.locality co "stanbul"`,
	} {
		expr, err := filter.ParseFilter([]byte(f))
		if err != nil {
			t.Fatal(err)
		}
		for _, pg := range []bool{false, true} {
			where, _, _, err := scimWhere(expr, SCIMUsers, pg, always)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			want := "member_search MATCH"
			if pg {
				want = "m.search_text LIKE"
			}
			if !strings.Contains(where, want) {
				t.Errorf("%s (pg %v) does not use the trigram index: %s", f, pg, where)
			}
		}
	}
}

// TestSearchTextParts: the userName and name parts are added only where
// the display name, email and location do not hold them already.
func TestSearchTextParts(t *testing.T) {
	for _, c := range []struct {
		m    Member
		want string
	}{
		{Member{DisplayName: "Ada Lovelace", Email: "ada@example.com", UserName: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace"},
			"ada lovelace ada@example.com "},
		{Member{DisplayName: "Don", Email: "don@tex.example", UserName: "KNUTH.D", GivenName: "Donald", FamilyName: "Knuth", Location: "Stanford"},
			"don don@tex.example stanford knuth.d donald"}, // knuth is in knuth.d
		{Member{DisplayName: "A. Ş.", UserName: "ŞAHİN", FamilyName: "Şahin"},
			"a. ş.   " + foldCase("ŞAHİN") + " şahin"},
	} {
		if got := searchText(&c.m); got != c.want {
			t.Errorf("%+v: %q, want %q", c.m, got, c.want)
		}
	}
}
