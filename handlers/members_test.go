package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/muster-app/muster/models/modelstest"
)

func TestMembersPageAndPartial(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			_, ws := modelstest.SetUp(t, store)
			if err := store.SeedDemo(context.Background(), ws.ID, 120, 5); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)

			full := c.get("/w/acme/members")
			expectStatus(t, full, 200)
			if full.Doc.Find("html").Length() != 1 || full.Doc.Find("#member-filters").Length() != 1 {
				t.Fatal("the members page is not a whole page")
			}
			if got := full.Doc.Find("#members-rows tr").Length(); got != 50 {
				t.Errorf("first page has %d rows, want 50", got)
			}
			if got := strings.Join(strings.Fields(full.Doc.Find("#members-count").Text()), " "); !strings.HasPrefix(got, "1–50 of 121 members") {
				t.Errorf("count = %q", got)
			}
			if full.Doc.Find("body").AttrOr("hx-headers", "") == "" {
				t.Error("no CSRF header for htmx on <body>")
			}

			// htmx asking for the results gets the partial alone.
			part := c.get("/w/acme/members?status=invited", "HX-Request", "true", "HX-Target", "members-results")
			expectStatus(t, part, 200)
			if strings.Contains(part.Body, "<html") || strings.Contains(part.Body, "member-filters") {
				t.Error("the partial contains the whole page")
			}
			if part.Doc.Find("#members-rows tr").Length() == 0 {
				t.Fatal("the partial has no rows")
			}
			part.Doc.Find("#members-rows .badge").Each(func(_ int, s *goquery.Selection) {
				if s.Text() != "Invited" {
					t.Errorf("status filter shows a %q member", s.Text())
				}
			})
			// A boosted navigation or a history restore gets the whole page.
			for _, h := range [][]string{{"HX-Request", "true", "HX-Boosted", "true"}, {"HX-Request", "true", "HX-History-Restore-Request", "true"}} {
				if res := c.get("/w/acme/members?status=invited", h...); !strings.Contains(res.Body, "<html") {
					t.Errorf("%v got a partial", h)
				}
			}

			// Next page: the link carries the cursor and the row numbers.
			next, ok := full.Doc.Find(`a[rel=next]`).Attr("href")
			if !ok || !strings.Contains(next, "after=") {
				t.Fatalf("next link = %q", next)
			}
			p2 := c.get(next, "HX-Request", "true", "HX-Target", "members-results")
			if got := strings.Join(strings.Fields(p2.Doc.Find("#members-count").Text()), " "); !strings.HasPrefix(got, "51–100 of 121") {
				t.Errorf("page 2 count = %q", got)
			}
			firstOnPage1 := full.Doc.Find("#members-rows tr").First().AttrOr("id", "")
			if p2.Doc.Find("#"+firstOnPage1).Length() != 0 {
				t.Error("page 2 repeats page 1")
			}
			prev, _ := p2.Doc.Find(`a[rel=prev]`).Attr("href")
			back := c.get(prev, "HX-Request", "true", "HX-Target", "members-results")
			if back.Doc.Find("#members-rows tr").First().AttrOr("id", "") != firstOnPage1 {
				t.Error("Previous does not return to page 1")
			}

			// Sorting: the header link flips the direction and the URL keeps it.
			sortLink, _ := full.Doc.Find(`th a.sort`).Eq(1).Attr("href") // Email
			if sortLink != "/w/acme/members?sort=email" {
				t.Errorf("email sort link = %q", sortLink)
			}
			desc := c.get("/w/acme/members?sort=email&dir=desc", "HX-Request", "true", "HX-Target", "members-results")
			if a := desc.Doc.Find(`th[aria-sort=descending]`).Text(); a != "Email" {
				t.Errorf("sorted column = %q", a)
			}
			if desc.Doc.Find(`#sort-fields[hx-swap-oob] input[name=dir][value=desc]`).Length() != 1 {
				t.Error("the sort is not handed back to the filter form")
			}

			// Search with no match: a helpful empty state, not an empty table.
			none := c.get("/w/acme/members?q=zzzzqqq")
			if none.Doc.Find("#members-empty").Length() != 1 || !strings.Contains(none.Doc.Find("#members-empty").Text(), "zzzzqqq") {
				t.Error("no empty state for a search without results")
			}
			if v, _ := none.Doc.Find("#member-search").Attr("value"); v != "zzzzqqq" {
				t.Errorf("search box = %q, want the URL's query", v)
			}
			// Junk in the URL is ignored, never an error.
			expectStatus(t, c.get("/w/acme/members?sort=password&dir=up&status=boss&role=x&after=%%%"), 200)
		})
	}
}

func TestWorkspacesAreIsolated(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			ctx := context.Background()
			modelstest.SetUp(t, store) // Ada in Acme
			bob, err := store.CreateAccount(ctx, "Bob Builder", "bob@example.com", "bob's long password")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.CreateWorkspace(ctx, bob, "Beta"); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, app)
			c.signIn("bob@example.com", "bob's long password")
			expectStatus(t, c.get("/w/beta/members"), 200)
			for _, path := range []string{"/w/acme/members", "/w/acme/members?q=ada", "/w/acme/", "/w/nope/members"} {
				res := c.get(path)
				expectStatus(t, res, http.StatusNotFound)
				if strings.Contains(res.Body, "Ada") || strings.Contains(res.Body, "ada@example.com") {
					t.Errorf("%s leaks Acme's data", path)
				}
			}
			res := c.get("/w/acme/members", "HX-Request", "true", "HX-Target", "members-results")
			if res.StatusCode != http.StatusNotFound || !strings.Contains(res.Header.Get("HX-Trigger"), "showToast") {
				t.Errorf("htmx 404: %d, HX-Trigger %q", res.StatusCode, res.Header.Get("HX-Trigger"))
			}
			// Bob's switcher lists Beta alone.
			page := c.get("/w/beta/members")
			if got := page.Doc.Find(".switcher [role=menuitem]").Length(); got != 2 { // Beta + "New workspace"
				t.Errorf("switcher has %d items", got)
			}
		})
	}
}

func TestNewWorkspaceDialog(t *testing.T) {
	app, store := newApp(t, "sqlite")
	modelstest.SetUp(t, store)
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	c.get("/w/acme/members")
	dlg := c.get("/workspaces/new", "HX-Request", "true")
	expectStatus(t, dlg, 200)
	if dlg.Doc.Find("dialog form[hx-post='/workspaces']").Length() != 1 {
		t.Fatalf("no dialog: %s", dlg.Body)
	}
	bad := c.post("/workspaces", url.Values{"name": {"   "}}, "HX-Request", "true")
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.Doc.Find("dialog #f-name-error").Length() != 1 {
		t.Error("no inline error in the dialog")
	}
	ok := c.post("/workspaces", url.Values{"name": {"Second Team"}}, "HX-Request", "true")
	if ok.Header.Get("HX-Redirect") != "/w/second-team/members" {
		t.Fatalf("create: %d HX-Redirect %q", ok.StatusCode, ok.Header.Get("HX-Redirect"))
	}
	page := c.get("/w/second-team/members")
	expectStatus(t, page, 200)
	if !strings.Contains(page.Doc.Find(".switcher").Text(), "Acme") {
		t.Error("the switcher does not list Acme")
	}
	// Without JavaScript the same works as a page.
	expectStatus(t, c.get("/workspaces/new"), 200)
	if res := c.post("/workspaces", url.Values{"name": {"Third"}}); location(res) != "/w/third/members" {
		t.Errorf("plain create: %d %q", res.StatusCode, location(res))
	}
}

func TestFriendlyErrorsAndHeaders(t *testing.T) {
	app, store := newApp(t, "sqlite")
	modelstest.SetUp(t, store)
	c := newClient(t, app)
	res := c.get("/no/such/page")
	expectStatus(t, res, http.StatusNotFound)
	if !strings.Contains(res.Body, "There is nothing at this address") || res.Doc.Find(".error-page").Length() != 1 {
		t.Errorf("404 page: %.300s", res.Body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if res := c.get("/static/htmx.min.js"); res.StatusCode != 200 || !strings.Contains(res.Body, "htmx") {
		t.Errorf("htmx not served: %d", res.StatusCode)
	}
	if res := c.get("/healthz"); res.Body != "ok" {
		t.Errorf("healthz = %q", res.Body)
	}
}
