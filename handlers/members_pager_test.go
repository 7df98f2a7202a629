package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/muster-app/muster/models/modelstest"
)

func countText(r *response) string {
	return strings.Join(strings.Fields(r.Doc.Find("#members-count").Text()), " ")
}

func pagerLabels(r *response) []string {
	var out []string
	r.Doc.Find(".page-list li").Each(func(_ int, s *goquery.Selection) {
		l := strings.Join(strings.Fields(s.Text()), " ")
		if s.Find("[aria-current=page]").Length() > 0 {
			l = "[" + l + "]"
		}
		out = append(out, l)
	})
	return out
}

// ?page=N reaches any page; page numbers around the current one, the first
// and the last are links that carry the view; a page that is not there
// gets the nearest one and says so, never an error.
func TestMembersPageNumbers(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			_, ws := modelstest.SetUp(t, store)
			if err := store.SeedDemo(context.Background(), ws.ID, 420, 5); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)

			first := c.get("/w/acme/members")
			if got := strings.Join(pagerLabels(first), " "); got != "[Page 1] Page 2 Page 3 … Page 9" {
				t.Errorf("page 1's pager = %q", got)
			}
			if first.Doc.Find("nav.pager[aria-label=Pages] #page-jump[max='9']").Length() != 1 {
				t.Error("no Go to page field up to page 9")
			}

			// Page 5 by number is the page Next reaches after four steps.
			walked := first
			for range 4 {
				next, _ := walked.Doc.Find("a[rel=next]").Attr("href")
				walked = c.get(next)
			}
			p5 := c.get("/w/acme/members?page=5", "HX-Request", "true", "HX-Target", "members-results")
			expectStatus(t, p5, 200)
			if countText(p5) != countText(walked) || !strings.HasPrefix(countText(p5), "201–250 of 421") {
				t.Errorf("page 5 count %q, walked %q", countText(p5), countText(walked))
			}
			if p5.Doc.Find("#members-rows tr").First().AttrOr("id", "") != walked.Doc.Find("#members-rows tr").First().AttrOr("id", "") {
				t.Error("page 5 by number differs from page 5 by Next")
			}
			if got := strings.Join(pagerLabels(p5), " "); got != "Page 1 … Page 3 Page 4 [Page 5] Page 6 Page 7 … Page 9" {
				t.Errorf("page 5's pager = %q", got)
			}
			link := p5.Doc.Find(".page-list a").Last()
			if href := link.AttrOr("href", ""); href != "/w/acme/members?page=9" || link.AttrOr("hx-get", "") != href || link.AttrOr("hx-push-url", "") != "true" {
				t.Errorf("last page link %q", href)
			}
			// Previous from a numbered page goes one page back.
			prev, _ := p5.Doc.Find("a[rel=prev]").Attr("href")
			if p4 := c.get(prev); !strings.HasPrefix(countText(p4), "151–200 of 421") {
				t.Errorf("Previous from page 5: %q", countText(p4))
			}

			// The last page, and pages past it or before the first.
			last := c.get("/w/acme/members?page=9")
			if !strings.HasPrefix(countText(last), "401–421 of 421") || last.Doc.Find("a[rel=next]").Length() != 0 || last.Doc.Find("#page-notice").Length() != 0 {
				t.Errorf("page 9: %q", countText(last))
			}
			for raw, notice := range map[string]string{
				"1000":                    "There is no page 1,000: this is the last one.",
				"0":                       "Pages start at 1: this is the first page.",
				"-1":                      "Pages start at 1: this is the first page.",
				"abc":                     "“abc” is not a page number: this is the first page.",
				"99999999999999999999999": "is not a page number",
			} {
				res := c.get("/w/acme/members?page="+raw, "HX-Request", "true", "HX-Target", "members-results")
				expectStatus(t, res, 200)
				if got := res.Doc.Find("#page-notice").Text(); !strings.Contains(got, notice) {
					t.Errorf("page=%s: notice %q", raw, got)
				}
				want := "1–50 of 421"
				if raw == "1000" {
					want = "401–421 of 421"
				}
				if !strings.HasPrefix(countText(res), want) {
					t.Errorf("page=%s: %q, want %q", raw, countText(res), want)
				}
			}

			// Filters and sort stay in the page links and the jump form.
			f := c.get("/w/acme/members?status=active&sort=email&dir=desc&page=2")
			href := f.Doc.Find(".page-list a").First().AttrOr("href", "")
			if !strings.Contains(href, "status=active") || !strings.Contains(href, "sort=email") || !strings.Contains(href, "dir=desc") {
				t.Errorf("page link lost the view: %q", href)
			}
			fields := map[string]string{}
			f.Doc.Find("form.page-jump input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
				fields[s.AttrOr("name", "")] = s.AttrOr("value", "")
			})
			if fields["status"] != "active" || fields["sort"] != "email" || fields["dir"] != "desc" {
				t.Errorf("jump form fields %v", fields)
			}
			// Sorting starts again at page 1.
			f.Doc.Find("th a.sort").Each(func(_ int, a *goquery.Selection) {
				if href := a.AttrOr("href", ""); strings.Contains(href, "page=") || !strings.Contains(href, "status=active") {
					t.Errorf("sort link %q", href)
				}
			})
			if f.Doc.Find(".page-list [aria-current=page]").Text() != "Page 2" {
				t.Errorf("current page is %q", f.Doc.Find(".page-list [aria-current=page]").Text())
			}
			// A search with one page has no page numbers.
			if s := c.get("/w/acme/members?q=ada%40example"); s.Doc.Find(".page-list, .page-jump").Length() != 0 {
				t.Error("a one-page view shows page numbers")
			}
		})
	}
}

// A row an invitation adds goes on top of the table, out of the sort, and
// says so with a "New" mark; the same member in a reloaded view has none.
func TestInvitedRowMarkedNew(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			_, ws := modelstest.SetUp(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			c.get("/w/acme/members")
			hx := []string{"HX-Request", "true", "HX-Current-URL", "http://localhost/w/acme/members?page=3"}
			res := c.post("/w/acme/members/invite", url.Values{"name": {"Zed Zimmer"}, "email": {"zed@example.com"},
				"role": {memberRoleID(t, store, ws.ID, "Member")}, "action": {"save"}}, hx...)
			expectStatus(t, res, 200)
			if !strings.Contains(res.Body, `hx-swap-oob="afterbegin:#members-rows"`) || res.Doc.Find("template").Length() == 0 ||
				!strings.Contains(res.Body, `class="new-mark"`) {
				t.Errorf("the invited row is not marked New: %s", res.Body)
			}
			if strings.Contains(c.get("/w/acme/members").Body, "new-mark") {
				t.Error("a reloaded view still marks the row New")
			}
		})
	}
}
