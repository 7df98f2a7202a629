package handlers_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserFoundationFlow walks the foundation as a person would: first
// run, sign out and in, and the members table with paging, search, filters
// and the Back button.
func TestBrowserFoundationFlow(t *testing.T) {
	bt := newBrowserTest(t)
	ctx := context.Background()
	const (
		wsName   = "Acme Robotics"
		name     = "Grace Hopper"
		email    = "grace@acme.test"
		password = "correct horse battery staple"
		members  = "/w/acme-robotics/members"
	)

	// Step 1: a fresh installation sends the first visitor from / to /setup.
	bt.do("open /", chromedp.Navigate(bt.base+"/"))
	bt.waitPath("/setup")
	bt.do("wait for the setup form", chromedp.WaitVisible(chromedp.CSS(`form[action="/setup"]`)))

	// Step 2: fill in the form; this is the README's picture of setup.
	bt.fill("#f-workspace", wsName)
	bt.fill("#f-name", name)
	bt.fill("#f-email", email)
	bt.fill("#f-password", password)
	bt.screenshotForDocs("setup.png")

	// Step 3: submit once with a bad email. The form comes back (422) with
	// the error next to the field, and what was typed is still there.
	bt.fill("#f-email", "grace@")
	bt.click(`form[action="/setup"] button[type=submit]`)
	bt.waitTrue("the email error", `document.querySelector("#f-email-error")`)
	if got, want := bt.text("#f-email-error"), "Enter an email address like name@example.com."; got != want {
		t.Errorf("email error = %q, want %q", got, want)
	}
	if !browserEval[bool](bt, `document.querySelector("#f-email").getAttribute("aria-invalid") === "true"`) {
		t.Error("the email field is not marked aria-invalid")
	}
	for sel, want := range map[string]string{"#f-workspace": wsName, "#f-name": name, "#f-email": "grace@", "#f-password": ""} {
		if got := bt.value(sel); got != want {
			t.Errorf("after the failed setup %s = %q, want %q", sel, got, want)
		}
	}
	if n := browserEval[int](bt, `document.querySelectorAll(".field .error").length`); n != 1 {
		t.Errorf("%d field errors shown, want only the email's", n)
	}
	if p := bt.location().Path; p != "/setup" {
		t.Errorf("after the failed setup the page is %s, want /setup", p)
	}
	// app.js moves focus once the page has loaded; on a busy machine that
	// can come after the error is already in the DOM.
	bt.waitTrue("focus on the email field after the failed setup", `document.activeElement && document.activeElement.id === "f-email"`)

	// Step 4: correct the email, type the password again and submit: the
	// new admin lands on the workspace's members page and is in the table.
	bt.fill("#f-email", email)
	bt.fill("#f-password", password)
	bt.click(`form[action="/setup"] button[type=submit]`)
	bt.waitPath(members)
	admin := bt.waitMembers("the admin in the table", func(s membersState) bool { return len(s.Rows) == 1 })
	if admin.Count != "1 member" {
		t.Errorf("count = %q, want %q", admin.Count, "1 member")
	}
	for _, want := range []string{name, email, "Admin", "Active"} {
		if !strings.Contains(admin.Texts[0], strings.ToLower(want)) {
			t.Errorf("the admin's row %q lacks %q", admin.Texts[0], want)
		}
	}

	// Step 5: sign out through the account menu.
	bt.signOut()

	// Step 6: a wrong password gets a message that does not say whether the
	// email has an account, and the email stays in its field.
	bt.fill("#f-email", email)
	bt.fill("#f-password", "not my password")
	bt.submitSignIn()
	const generic = "That email and password don't match. Check both and try again."
	if got := bt.text("#form-error"); got != generic {
		t.Errorf("wrong password: error = %q, want %q", got, generic)
	}
	if got := bt.value("#f-email"); got != email {
		t.Errorf("wrong password: email field = %q, want %q", got, email)
	}
	if got := bt.value("#f-password"); got != "" {
		t.Errorf("wrong password: the password field kept %q", got)
	}
	wrongPassword := bt.text(".auth-card")
	// An email without an account reads exactly the same.
	bt.fill("#f-email", "nobody@acme.test")
	bt.fill("#f-password", "not my password")
	bt.submitSignIn()
	if got := bt.text(".auth-card"); got != wrongPassword {
		t.Errorf("an unknown email reads differently from a wrong password:\n%q\n%q", got, wrongPassword)
	}

	// Step 7: the right password signs in and opens the members page.
	bt.fill("#f-email", email)
	bt.fill("#f-password", password)
	bt.click(`form[action="/signin"] button[type=submit]`)
	bt.waitPath(members)

	// Step 8: 300 more members arrive (straight into the store) and the page
	// is reloaded: 301 in all, 50 to a page.
	ws, err := bt.store.WorkspaceBySlug(ctx, "acme-robotics")
	if err != nil {
		t.Fatal(err)
	}
	if err := bt.store.SeedDemo(ctx, ws.ID, 300, 1); err != nil {
		t.Fatal(err)
	}
	bt.do("reload", chromedp.Reload())
	bt.waitPath(members)
	page1 := bt.waitMembers("the first page of 301", func(s membersState) bool { return len(s.Rows) == 50 })
	if !strings.Contains(page1.Count, "301 members") || page1.Count != "1–50 of 301 members" {
		t.Errorf("count = %q, want %q", page1.Count, "1–50 of 301 members")
	}
	bt.screenshotForDocs("members.png")

	// Step 9: Next goes to page 2 (a cursor in the URL, other rows).
	bt.click(`a[rel=next]`)
	page2 := bt.waitMembers("page 2", func(s membersState) bool {
		return strings.Contains(s.URL, "after=") && s.Count == "51–100 of 301 members"
	})
	// The Next link sits below the table; page 2 is shown from its top.
	bt.waitTrue("page 2 scrolled to the top", `window.scrollY === 0`)
	if len(page2.Rows) != 50 {
		t.Errorf("page 2 has %d rows, want 50", len(page2.Rows))
	}
	for _, id := range page2.Rows {
		if slices.Contains(page1.Rows, id) {
			t.Errorf("row %s is on page 1 and page 2", id)
		}
	}

	// Step 10: search. The term is a seeded family name, picked from the
	// database so the test is deterministic: it matches a few people, some
	// of them deactivated.
	term, matches, deactivated := browserSearchTerm(t, bt.store, ws.ID)
	bt.countHTMXRequests()
	bt.do("type the search", chromedp.SendKeys(chromedp.CSS("#member-search"), term))
	lower := strings.ToLower(term)
	search := bt.waitMembers("the search results for "+term, func(s membersState) bool {
		return strings.Contains(s.URL, "q="+url.QueryEscape(term)) && len(s.Rows) > 0 && s.allContain(lower)
	})
	if want := fmt.Sprintf("%d members match · Clear filters", matches); search.Count != want {
		t.Errorf("search count = %q, want %q", search.Count, want)
	}
	if search.Count == page2.Count || len(search.Rows) != matches {
		t.Errorf("the search shows %d rows (%q), want %d", len(search.Rows), search.Count, matches)
	}
	if search.Q != term {
		t.Errorf("search box = %q, want %q", search.Q, term)
	}
	if n := bt.htmxRequests(); n != 1 {
		t.Errorf("typing %q sent %d requests, want 1 (debounced)", term, n)
	}

	// Step 11: filter by status Deactivated: every row says so.
	bt.do("choose Deactivated", chromedp.Evaluate[chromedp.Void](
		`(s => { s.value = "deactivated"; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.querySelector("#filter-status"))`))
	filtered := bt.waitMembers("only deactivated members", func(s membersState) bool {
		return strings.Contains(s.URL, "status=deactivated") && len(s.Rows) > 0 && s.allBadges("Deactivated")
	})
	if len(filtered.Rows) != deactivated || !filtered.allContain(lower) || filtered.Q != term {
		t.Errorf("filtered view: %d rows (want %d), all contain %q: %v, search box %q", len(filtered.Rows), deactivated, term, filtered.allContain(lower), filtered.Q)
	}

	// Step 12: Back restores the search-only view: URL, search box, filter
	// and rows as they were.
	bt.do("go back", chromedp.NavigateBack())
	bt.waitMembers("the search-only view again", search.same)
	// Step 13: Back again is the unfiltered page 2.
	bt.do("go back again", chromedp.NavigateBack())
	bt.waitMembers("the unfiltered page 2 again", page2.same)

	// Step 14: sign out; the members page now sends visitors to sign in.
	bt.signOut()
	bt.do("open the members page signed out", chromedp.Navigate(bt.base+members))
	if u := bt.waitPath("/signin"); u.Query().Get("next") != members {
		t.Errorf("signed out, %s redirects to %s; want /signin?next=%s", members, u, members)
	}
	bt.expectCleanConsole()
}

// TestBrowserNewWorkspaceDialog opens "New workspace" from the workspace
// switcher: a modal dialog, inline validation, Esc, and creating one.
func TestBrowserNewWorkspaceDialog(t *testing.T) {
	bt := newBrowserTest(t)
	modelstest.SetUp(t, bt.store) // "Acme", ada@example.com
	bt.do("open sign-in", chromedp.Navigate(bt.base+"/signin"))
	bt.fill("#f-email", "ada@example.com")
	bt.fill("#f-password", modelstest.AdminPassword)
	bt.click(`form[action="/signin"] button[type=submit]`)
	bt.waitPath("/w/acme/members")

	// The switcher's "+ New workspace" opens a modal dialog, focus in its field.
	bt.openNewWorkspaceDialog()

	// An empty name comes back as 422 with the error inside the dialog,
	// which stays open and modal.
	bt.markStale("#dialog-slot dialog")
	bt.click(`#dialog-slot dialog button[type=submit]`)
	// The swapped-in dialog opens as a modal once htmx has settled it.
	bt.waitTrue("the error in a fresh modal dialog", `document.querySelector("#dialog-slot dialog:not([data-stale]) #f-name-error")?.closest("dialog").matches(":modal") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
	if got, want := bt.text("#dialog-slot dialog #f-name-error"), "Enter a workspace name."; got != want {
		t.Errorf("dialog error = %q, want %q", got, want)
	}
	if n := browserEval[int](bt, `document.querySelectorAll("dialog").length`); n != 1 {
		t.Errorf("after the 422 the page has %d dialogs, want 1", n)
	}
	if !browserEval[bool](bt, `document.querySelector("#dialog-slot #f-name").getAttribute("aria-invalid") === "true"`) {
		t.Error("the name field is not marked aria-invalid")
	}
	if id := browserEval[string](bt, `document.activeElement?.id ?? ""`); id != "f-name" {
		t.Errorf("focus is on %q, want the invalid field f-name", id)
	}
	if p := bt.location().Path; p != "/w/acme/members" {
		t.Errorf("the failed create moved the page to %s", p)
	}

	// Esc closes the dialog and takes it out of the page.
	bt.do("press Esc", chromedp.KeyEvent(kb.Escape))
	bt.waitTrue("the dialog gone", `!document.querySelector("dialog")`)

	// Creating "Second Team" goes to its members page, and the switcher
	// lists both workspaces.
	bt.openNewWorkspaceDialog()
	if got := bt.value("#dialog-slot #f-name"); got != "" {
		t.Errorf("the reopened dialog still holds %q", got)
	}
	bt.fill("#dialog-slot #f-name", "Second Team")
	bt.click(`#dialog-slot dialog button[type=submit]`)
	bt.waitPath("/w/second-team/members")
	bt.waitMembers("Second Team's members", func(s membersState) bool { return len(s.Rows) == 1 })
	if got := bt.text("details.menu.switcher .ws-name"); got != "Second Team" {
		t.Errorf("switcher shows %q, want Second Team", got)
	}
	bt.click("details.menu.switcher summary")
	bt.do("open the switcher", chromedp.WaitVisible(chromedp.CSS(`details.menu.switcher a[href="/w/acme/members"]`)))
	listed := browserEval[[]string](bt, `[...document.querySelectorAll('details.menu.switcher a[href^="/w/"]')].map(a => a.textContent.trim() + (a.getAttribute("aria-current") === "true" ? " (current)" : ""))`)
	if want := []string{"Acme", "Second Team (current)"}; !slices.Equal(listed, want) {
		t.Errorf("switcher lists %q, want %q", listed, want)
	}
	bt.expectCleanConsole()
}

// membersState is what the members page shows.
type membersState struct {
	URL    string   `json:"url"` // path and query
	Q      string   `json:"q"`
	Status string   `json:"status"`
	Count  string   `json:"count"`
	Rows   []string `json:"rows"`   // the rows' ids
	Texts  []string `json:"texts"`  // the rows' text, lower-cased
	Badges []string `json:"badges"` // the rows' status badges
	Busy   bool     `json:"busy"`   // an htmx request or swap is under way
}

const membersStateJS = `(() => {
	const rows = [...document.querySelectorAll("#members-rows tr")];
	return {
		url: location.pathname + location.search,
		q: document.querySelector("#member-search")?.value ?? "",
		status: document.querySelector("#filter-status")?.value ?? "",
		count: (document.querySelector("#members-count")?.textContent ?? "").replace(/\s+/g, " ").trim(),
		rows: rows.map(r => r.id),
		texts: rows.map(r => r.textContent.replace(/\s+/g, " ").trim().toLowerCase()),
		badges: rows.map(r => r.querySelector(".badge")?.textContent.trim() ?? ""),
		busy: document.readyState !== "complete" || !!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling"),
	};
})()`

// waitMembers waits until the members page is settled and ok accepts it.
func (bt *browserTest) waitMembers(what string, ok func(membersState) bool) membersState {
	bt.t.Helper()
	return browserWait(bt, what, membersStateJS, func(s membersState) bool { return !s.Busy && ok(s) })
}

func (s membersState) allContain(term string) bool {
	for _, text := range s.Texts {
		if !strings.Contains(text, term) {
			return false
		}
	}
	return true
}

func (s membersState) allBadges(want string) bool {
	for _, b := range s.Badges {
		if b != want {
			return false
		}
	}
	return true
}

// same reports whether o shows the same view as s.
func (s membersState) same(o membersState) bool {
	return o.URL == s.URL && o.Q == s.Q && o.Status == s.Status && o.Count == s.Count && slices.Equal(o.Rows, s.Rows)
}

// browserSearchTerm picks a seeded family name that matches at most a page
// of people, some deactivated and some not, and returns it with both counts.
func browserSearchTerm(t *testing.T, store *models.Store, wsID string) (term string, matches, deactivated int) {
	t.Helper()
	ctx := context.Background()
	pg, err := store.ListMembers(ctx, wsID, models.MemberQuery{Status: models.StatusDeactivated, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	letters := regexp.MustCompile(`^[A-Za-z]{4,}$`)
	for _, m := range pg.Members {
		if !letters.MatchString(m.FamilyName) {
			continue
		}
		all, err := store.ListMembers(ctx, wsID, models.MemberQuery{Search: m.FamilyName, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		deact, err := store.ListMembers(ctx, wsID, models.MemberQuery{Search: m.FamilyName, Status: models.StatusDeactivated, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total <= 50 && all.Total > deact.Total && deact.Total > 0 {
			return m.FamilyName, all.Total, deact.Total
		}
	}
	t.Fatal("no seeded family name matches both deactivated and other members")
	return "", 0, 0
}

func (bt *browserTest) signOut() {
	bt.t.Helper()
	bt.click("details.menu.account summary")
	bt.click("#signout")
	bt.waitPath("/signin")
	bt.do("wait for the sign-in form", chromedp.WaitVisible(chromedp.CSS(`form[action="/signin"]`)))
}

// submitSignIn submits the sign-in form and waits for it to come back with
// a form error (the old page is marked, so its error does not count).
func (bt *browserTest) submitSignIn() {
	bt.t.Helper()
	bt.markStale(".auth-card")
	bt.click(`form[action="/signin"] button[type=submit]`)
	bt.waitTrue("the sign-in error", `document.querySelector(".auth-card:not([data-stale]) #form-error")`)
}

// markStale tags the elements matching sel, so a wait can tell them from
// the ones a swap brings.
func (bt *browserTest) markStale(sel string) {
	bt.t.Helper()
	bt.do("mark "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`document.querySelectorAll(%q).forEach(e => e.dataset.stale = "1")`, sel)))
}

func (bt *browserTest) openNewWorkspaceDialog() {
	bt.t.Helper()
	bt.click("details.menu.switcher summary")
	bt.click(`details.menu.switcher a[href="/workspaces/new"]`)
	bt.waitTrue("a modal New workspace dialog", `document.querySelector("#dialog-slot dialog")?.matches(":modal")`)
	if got := bt.text("#dialog-slot dialog h2"); got != "New workspace" {
		bt.t.Errorf("dialog title = %q", got)
	}
	bt.waitTrue("focus in the name field", `document.activeElement?.id === "f-name"`)
	if browserEval[bool](bt, `!!document.querySelector("details.menu[open]")`) {
		bt.t.Error("the switcher menu stays open behind the dialog")
	}
}

// countHTMXRequests starts counting the page's htmx requests afresh (not
// the change poll's, which runs on its own clock).
func (bt *browserTest) countHTMXRequests() {
	bt.t.Helper()
	bt.do("count htmx requests", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__musterRequests = [];
		if (!window.__musterCounting) {
			window.__musterCounting = true;
			document.addEventListener("htmx:beforeRequest", e => e.detail.elt.matches("[data-poll]") || window.__musterRequests.push(e.detail.requestConfig.path));
		}
	})()`))
}

func (bt *browserTest) htmxRequests() int {
	bt.t.Helper()
	return browserEval[int](bt, `window.__musterRequests.length`)
}

// expectCleanConsole fails on uncaught exceptions and on errors other than
// the log lines Chromium writes for the 4xx answers the tests provoke: 422
// always, and the other statuses given (htmx logs those too).
func (bt *browserTest) expectCleanConsole(alsoStatuses ...int) {
	bt.t.Helper()
next:
	for _, line := range bt.consoleErrors() {
		for _, code := range append([]int{422}, alsoStatuses...) {
			if strings.Contains(line, fmt.Sprintf("the server responded with a status of %d", code)) ||
				strings.Contains(line, fmt.Sprintf("Response Status Error Code %d ", code)) {
				continue next
			}
		}
		bt.t.Errorf("browser console: %s", line)
	}
}
