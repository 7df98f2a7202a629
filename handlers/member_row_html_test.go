package handlers

import (
	"bytes"
	"html/template"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/views"
)

// trickyValues are what a member's fields may hold: markup, quotes, URL
// schemes, NUL, invalid UTF-8, text html/template escapes or percent-encodes.
var trickyValues = []string{
	"", "Ada Lovelace", `"><script>alert(1)</script>`, "O'Brien & <Sons>", "José Ñúñez 日本語 😀", "a+b=c?d#e%zz%41",
	"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>", "mailto:a@b.c", "https://x.example/?q=1&r=2",
	"nul\x00byte", "bad \xff utf8", "tab\tnewline\n", "{{.ID}}", "\u2028\ufdd0\ufffe", "/w/acme/members?back=%2Fw%2F",
}

// TestEscapersMatchHTMLTemplate: the Go row writer escapes each value as
// html/template does in the same context (text, quoted attribute, URL).
func TestEscapersMatchHTMLTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`<p title="{{.}}" hx-get="{{.}}/edit">{{.}}</p><a href="{{.}}">`))
	for _, v := range trickyValues {
		var want bytes.Buffer
		if err := tmpl.Execute(&want, v); err != nil {
			t.Fatal(err)
		}
		w := htmlWriter{}
		w.s(`<p title="`)
		w.e(v)
		w.s(`" hx-get="`)
		w.e(v)
		w.s(`/edit">`)
		w.e(v)
		w.s(`</p><a href="`)
		w.url(v)
		w.s(`">`)
		if got := w.b.String(); got != want.String() {
			t.Errorf("%q:\n got %s\nwant %s", v, got, want.String())
		}
	}
}

// referenceRow parses the row templates alone, as the views set names them.
func referenceRow(t *testing.T) *template.Template {
	t.Helper()
	set := template.New("")
	for _, name := range []string{"members/_row", "members/_row_menu"} {
		b, err := views.FS.ReadFile(name + ".html")
		if err != nil {
			t.Fatal(err)
		}
		template.Must(set.New(name).Parse(string(b)))
	}
	return set
}

// TestRowHTMLMatchesTemplate renders rows with tricky values and every
// combination of what a row shows, through the templates and through
// rowHTML, and requires the same bytes.
func TestRowHTMLMatchesTemplate(t *testing.T) {
	set := referenceRow(t)
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	seen := now.Add(-3 * time.Hour)
	ws := &models.Workspace{Slug: "acme"}
	admin := models.Role{ID: "r1", Name: "Admin", Builtin: "admin"}
	rng := rand.New(rand.NewPCG(13, 1))
	pick := func() string { return trickyValues[rng.IntN(len(trickyValues))] }
	// The bool fields of memberRow and of the member that the row shows.
	rowType := reflect.TypeOf(memberRow{})
	var flags []int
	for i := range rowType.NumField() {
		if rowType.Field(i).Type.Kind() == reflect.Bool {
			flags = append(flags, i)
		}
	}
	rendered := 0
	for n := range 600 {
		m := &models.Member{ID: pick(), DisplayName: pick(), Email: pick(), Location: pick(), Status: pick(),
			SCIMManaged: rng.IntN(2) == 0, EmailFailed: rng.IntN(2) == 0, InviteExpired: rng.IntN(2) == 0}
		if rng.IntN(2) == 0 {
			m.LastSeenAt = &seen
		}
		for range rng.IntN(3) {
			m.Roles = append(m.Roles, models.Role{ID: pick(), Name: pick(), Builtin: pick()})
		}
		if n%5 == 0 {
			m.Roles = append(m.Roles, admin)
		}
		var r memberRow
		if n < 200 {
			// Rows as the page makes them, for each status and viewer.
			m.Status = []string{models.StatusActive, models.StatusInvited, models.StatusDeactivated, models.StatusRevoked}[n%4]
			perms := models.PermissionSet{}
			for _, p := range []models.Permission{models.PermEditMembers, models.PermInviteMembers, models.PermRemoveMembers, models.PermManageSCIM} {
				if rng.IntN(3) > 0 {
					perms[p] = true
				}
			}
			if n%7 == 0 {
				id := "acct"
				m.AccountID = &id
			}
			viewer, sole := "", ""
			switch n % 3 {
			case 1:
				viewer = m.ID
			case 2:
				sole = m.ID
			}
			r = newMemberRow(now, m, perms, ws, viewer, sole, n%2 == 0)
			r.PageURL = memberPageURL(r.Base, []string{"", "/w/acme/members", "/w/acme/members?q=" + pick()}[n%3], ws.Slug)
		} else {
			// Any combination, and any text where the row holds text.
			r = memberRow{M: m, Initials: pick(), StatusLabel: pick(), Seen: pick(), SeenTitle: pick(), Base: pick(),
				PageURL: pick(), LogURL: pick(), Blocked: pick()}
			v := reflect.ValueOf(&r).Elem()
			for _, i := range flags {
				v.Field(i).SetBool(rng.IntN(2) == 0)
			}
		}
		var want bytes.Buffer
		if err := set.ExecuteTemplate(&want, "members/_row", r); err != nil {
			t.Fatal(err)
		}
		if got := string(rowHTML(r)); got != want.String() {
			t.Fatalf("row %d differs from the template:\n got %q\nwant %q", n, got, want.String())
		}
		rendered++
	}
	if rendered != 600 {
		t.Fatalf("rendered %d rows", rendered)
	}
}

// TestRowHTMLEscapes: a row never carries a value's markup or a script URL.
func TestRowHTMLEscapes(t *testing.T) {
	m := &models.Member{ID: "id", DisplayName: `<script>alert(1)</script>`, Email: `x"onmouseover="alert(1)`, Location: "<img src=x>", Status: models.StatusActive,
		Roles: []models.Role{{Name: "<b>r</b>"}}}
	r := memberRow{M: m, Menu: true, Edit: true, PageURL: "javascript:alert(1)", LogURL: "JAVASCRIPT:alert(2)", Base: `"><x`, Initials: "<i>"}
	out := string(rowHTML(r))
	for _, bad := range []string{"<script", `"onmouseover`, "<img", "<b>", "javascript:", "JAVASCRIPT:", `"><x`, "<i>"} {
		if strings.Contains(out, bad) {
			t.Errorf("row holds %q unescaped:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `href="#ZgotmplZ"`) {
		t.Errorf("a script URL was not replaced:\n%s", out)
	}
}

// BenchmarkRows50 writes a page of 50 rows through the row templates (as
// before) and through rowHTML's writer, to compare their cost alone:
//
//	go test ./handlers -run '^$' -bench Rows50 -benchmem -count 3
func BenchmarkRows50(b *testing.B) {
	set := referenceRow(&testing.T{})
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	ws := &models.Workspace{Slug: "acme"}
	perms := models.PermissionSet{models.PermEditMembers: true, models.PermInviteMembers: true, models.PermRemoveMembers: true, models.PermManageSCIM: true}
	rows := make([]memberRow, 50)
	for i := range rows {
		m := &models.Member{ID: "0b6f1a52-3c2d-4e8f-9a1b-" + strings.Repeat("0", 10) + string(rune('a'+i%26)) + "1",
			DisplayName: "Ada Lovelace", Email: "ada.lovelace@example.com", Location: "London", Status: models.StatusActive,
			LastSeenAt: &now, Roles: []models.Role{{Name: "Member", Builtin: "member"}}}
		rows[i] = newMemberRow(now, m, perms, ws, "", "", false)
		rows[i].PageURL = memberPageURL(rows[i].Base, "/w/acme/members?q=lovelace", "acme")
	}
	b.Run("templates", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for range b.N {
			buf.Reset()
			for i := range rows {
				if err := set.ExecuteTemplate(&buf, "members/_row", rows[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var w htmlWriter
			w.b.Grow(rowSize * len(rows))
			for i := range rows {
				w.row(&rows[i])
			}
			_ = w.html()
		}
	})
}
