package handlers_test

// The browser crawl: signed in as someone, visit every page of the
// navigation and click every control that asks the server for a partial,
// each from a freshly loaded page, and check that it did what such a
// control is for. The controls are found in the page, never listed here,
// so a new button or route is crawled without editing this file.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserCrawl crawls a workspace with members in every status, two
// custom roles, an import, a SCIM token and audit events: as its Admin, and
// as a member whose role may only view and invite (who must meet no 403
// and no empty "…" menu). Each runs on every database.
func TestBrowserCrawl(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run("admin/"+dialect, func(t *testing.T) {
			bt := newBrowserTest(t, onDatabase(dialect))
			crawlFixture(t, bt.store)
			bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
			n := bt.crawl()
			if n < 40 {
				t.Errorf("the crawl clicked only %d controls", n)
			}
			bt.expectCleanConsole()
		})
		t.Run("inviter/"+dialect, func(t *testing.T) {
			bt := newBrowserTest(t, onDatabase(dialect))
			crawlFixture(t, bt.store)
			bt.signInAs("carla@example.com", "a long enough password", "/w/acme/members")
			if nav := bt.text(".nav"); nav != "Members" {
				t.Errorf("Carla's navigation = %q, want Members alone", nav)
			}
			n := bt.crawl()
			if n < 8 {
				t.Errorf("the crawl clicked only %d controls", n)
			}
			bt.expectCleanConsole()
		})
	}
}

// crawlFixture fills Acme: Ada (Admin) and Grace (Admin, so Ada is not the
// last), Carla and Dan (Customer Success: view and invite), Erin
// (Support, deactivated), invited members with live and expired links, fifty
// invited people from an import (so the table has a second page), a SCIM
// token, and a member without an email. Every step writes its audit event.
func crawlFixture(t *testing.T, s *models.Store) {
	t.Helper()
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, s)
	ada, _, err := s.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []models.RoleInput{
		{Name: "Customer Success", Description: "Helps customers and brings in their teams.", Permissions: []models.Permission{models.PermViewMembers, models.PermInviteMembers}},
		{Name: "Support", Description: "Fixes people's details.", Permissions: []models.Permission{models.PermViewMembers, models.PermEditMembers}},
	} {
		if _, err := s.CreateRole(ctx, models.MemberActor(ada), ws, r); err != nil {
			t.Fatal(err)
		}
	}
	joinedMember(t, s, ws, ada, "Grace Hopper", "grace@example.com", "Admin")
	joinedMember(t, s, ws, ada, "Carla Success", "carla@example.com", "Customer Success")
	joinedMember(t, s, ws, ada, "Dan Customer", "dan@example.com", "Customer Success")
	erin := joinedMember(t, s, ws, ada, "Erin Support", "erin@example.com", "Support")
	if _, err := s.Deactivate(ctx, models.MemberActor(ada), ws, erin); err != nil {
		t.Fatal(err)
	}
	invite := func(name, email, role string) {
		if _, _, err := s.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: name, Email: email, RoleID: memberRoleID(t, s, ws.ID, role)}); err != nil {
			t.Fatal(err)
		}
	}
	// Expired links, three of them: copying a link or resending renews
	// it, and the crawl should still find an expired row for each item.
	for _, name := range []string{"Early", "Earlier", "Earliest"} {
		invite(name+" Invitee", strings.ToLower(name)+"@example.com", "Member")
	}
	modelstest.ClockOf(s).Add(8 * 24 * time.Hour)
	invite("Fresh Invitee", "fresh@example.com", "Support")
	// Revoked invitations, two: the crawl invites one again and removes
	// the other (under the Revoked filter, see crawl).
	for _, email := range []string{"withdrawn@example.com", "withdrawn.too@example.com"} {
		m, _, err := s.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Email: email, RoleID: memberRoleID(t, s, ws.ID, "Member")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeInvite(ctx, models.MemberActor(ada), ws, m.ID); err != nil {
			t.Fatal(err)
		}
	}

	var rows []models.ImportInput
	for i := range 50 {
		rows = append(rows, models.ImportInput{Line: i + 2, Email: fmt.Sprintf("zz.filler%02d@example.com", i), Name: fmt.Sprintf("Zz Filler %02d", i)})
	}
	p, err := s.PreviewImport(ctx, models.MemberActor(ada), ws, "filler.csv", rows, memberRoleID(t, s, ws.ID, "Member"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartImport(ctx, models.MemberActor(ada), ws, p.Import.ID, false, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSCIMToken(ctx, models.MemberActor(ada), ws, "Okta"); err != nil {
		t.Fatal(err)
	}
	// Someone an identity provider sent without an email: not invited,
	// with a disabled invitation in their menu and Remove beside it.
	if _, err := s.CreateSCIMUser(ctx, models.MemberActor(ada), ws, models.SCIMUser{UserName: "no.mail", Active: true}); err != nil {
		t.Fatal(err)
	}
}

// crawlHooksJS records, for the page it runs in, every htmx request other
// than the change poll's (sent, done, and those that failed), uncaught
// errors, toasts and changes to the page's content.
const crawlHooksJS = `(() => {
	if (window.__crawl) return;
	const c = window.__crawl = {sent: 0, done: 0, bad: [], errors: [], toasts: 0, changes: 0};
	const poll = e => e.detail.elt?.matches?.("[data-poll]");
	document.addEventListener("htmx:beforeRequest", e => { if (!poll(e)) c.sent++; });
	document.addEventListener("htmx:afterRequest", e => {
		if (poll(e)) return;
		c.done++;
		const st = e.detail.xhr?.status ?? 0;
		if (st === 0 || (st >= 400 && st !== 422)) c.bad.push(st + " " + (e.detail.requestConfig?.verb ?? "") + " " + (e.detail.pathInfo?.requestPath ?? ""));
	});
	window.addEventListener("error", e => c.errors.push(String(e.message)));
	new MutationObserver(rs => { for (const r of rs) for (const n of r.addedNodes) if (n.nodeType === 1 && n.classList.contains("toast")) c.toasts++; })
		.observe(document.getElementById("toasts"), {childList: true});
	new MutationObserver(() => c.changes++).observe(document.getElementById("main"), {childList: true, subtree: true, characterData: true});
})()`

// crawlControlsJS lists the page's controls that ask the server for
// something: buttons and links with hx-get/hx-post/…, and the fields of a
// filter form (a form with hx-get). Each is tagged with data-crawl for
// the click. Rows of a table with a "…" menu are crawled once per kind of
// row (status, badges and menu items alike), so fifty invited people cost
// as much as one. Keys name a control across reloads.
const crawlControlsJS = `(() => {
	const text = e => (e?.textContent ?? "").replace(/\s+/g, " ").trim();
	const path = u => (u ?? "").split("?")[0];
	const verbOf = e => ["get", "post", "put", "patch", "delete"].find(v => e.hasAttribute("hx-" + v));
	const out = [];
	const seenRows = new Set();
	let i = 0;
	const add = (e, kind, key, extra) => {
		e.setAttribute("data-crawl", String(i));
		out.push(Object.assign({i: i++, kind, key, verb: verbOf(e) ?? "get", opensDialog: (e.getAttribute("hx-target") ?? "") === "#dialog-slot"}, extra));
	};
	for (const e of document.querySelectorAll("[hx-get],[hx-post],[hx-put],[hx-patch],[hx-delete]")) {
		if (e.closest("template, [data-poll]") || e.matches("[aria-disabled=true]")) continue;
		const verb = verbOf(e), url = path(e.getAttribute("hx-" + verb));
		if (e.matches("form")) {
			if (verb !== "get") continue; // a dialog's form: submitted after its dialog opens
			for (const f of e.querySelectorAll("select, input[type=search], input[type=number], input[type=date]")) {
				add(f, f.matches("select") ? "select" : f.type, "filter " + (e.id || url) + " " + f.name);
			}
			continue;
		}
		if (!e.matches("a, button")) continue; // containers that reload themselves on an event
		let key = verb + " " + url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}") + " " + text(e);
		const row = e.closest("tbody tr");
		if (row && e.closest("details.menu")) {
			const kind = row.className + "|" + [...row.querySelectorAll(".badge")].map(text).join(",") + "|" +
				[...row.querySelectorAll("[role=menuitem]")].map(m => text(m) + (m.matches("[aria-disabled=true]") ? "(off)" : "")).join(",");
			key = "row " + kind + " " + verb + " " + text(e);
			if (seenRows.has(key)) continue;
			seenRows.add(key);
		} else if (e.closest(".role-card")) {
			key = "card " + text(e.closest(".role-card").querySelector("h2")) + " " + text(e);
		}
		add(e, "click", key, {inMenu: !!e.closest("details.menu"), bulk: !!e.closest("#bulk-bar")});
	}
	return out;
})()`

// crawlOutcomeJS tells, after an action, whether it is over and what it
// did. before is window.__crawl as it was before the action.
const crawlOutcomeJS = `((before, href) => {
	const c = window.__crawl;
	if (!c) return {loaded: false};
	const busy = document.readyState !== "complete" || c.done < c.sent || !!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling");
	const dlg = document.querySelector("#dialog-slot dialog");
	return {
		loaded: true, busy, sent: c.sent - before.sent,
		dialog: !!dlg && dlg.matches(":modal"), dialogID: dlg?.id ?? "",
		dialogError: !!dlg?.querySelector("[role=alert], .error, [aria-invalid=true]"),
		toast: c.toasts > before.toasts, changed: c.changes > before.changes, moved: location.href !== href,
		slots: document.querySelectorAll("#dialog-slot").length, mains: document.querySelectorAll("#main").length,
		headers: document.querySelectorAll("header.topbar").length,
		bad: c.bad, errors: c.errors,
	};
})(%s, %q)`

type crawlControl struct {
	I           int    `json:"i"`
	Kind        string `json:"kind"` // click, select, search, number, date, submit
	Key         string `json:"key"`
	Verb        string `json:"verb"`
	OpensDialog bool   `json:"opensDialog"`
	InMenu      bool   `json:"inMenu"`
	Bulk        bool   `json:"bulk"` // in the bulk bar, shown once a row is selected
	// For a submit: the control that opens the dialog whose form it sends.
	Opener *crawlControl `json:"-"`
}

func (c *crawlControl) order() int {
	switch {
	case c.Verb == "get":
		return 0
	case c.OpensDialog:
		return 1
	}
	return 2
}

type crawlOutcome struct {
	Loaded      bool     `json:"loaded"`
	Busy        bool     `json:"busy"`
	Sent        int      `json:"sent"`
	Dialog      bool     `json:"dialog"`
	DialogID    string   `json:"dialogID"`
	DialogError bool     `json:"dialogError"`
	Toast       bool     `json:"toast"`
	Changed     bool     `json:"changed"`
	Moved       bool     `json:"moved"`
	Slots       int      `json:"slots"`
	Mains       int      `json:"mains"`
	Headers     int      `json:"headers"`
	Bad         []string `json:"bad"`
	Errors      []string `json:"errors"`
}

// crawl visits every page of the navigation and clicks each control found
// there (and submits each dialog they open), every one from a freshly
// loaded page. It returns how many controls it clicked.
func (bt *browserTest) crawl() int {
	bt.t.Helper()
	bt.waitTrue("the navigation", `!!document.querySelector(".nav a")`)
	pages := browserEval[[]string](bt, `[...document.querySelectorAll(".nav a[href]")].map(a => a.getAttribute("href"))`)
	// Revoked invitations show only under their filter; their rows' menus
	// (Invite again) are crawled there.
	if slices.Contains(pages, "/w/acme/members") {
		pages = append(pages, "/w/acme/members?status=revoked")
	}
	clicked := 0
	done := map[string]bool{}    // by key: the header's controls are crawled on the first page only
	checked := map[string]bool{} // pages and dialogs axe has checked
	for _, page := range pages {
		bt.crawlLoad(page)
		bt.expectAccessible(page)
		var submits []*crawlControl
		for {
			controls := bt.crawlLoad(page)
			// What only reads first, then what opens a dialog, then the
			// rest: an action can change a row so that its other items
			// are no longer offered (a resent invitation is no longer
			// expired).
			var next *crawlControl
			for i := range controls {
				if !done[controls[i].Key] && (next == nil || controls[i].order() < next.order()) {
					next = &controls[i]
				}
			}
			if next == nil {
				if len(submits) == 0 {
					break
				}
				next, submits = submits[0], submits[1:]
				if done[next.Key] {
					continue
				}
			}
			done[next.Key] = true
			clicked++
			if testing.Verbose() {
				bt.t.Logf("%s: %s", page, next.Key)
			}
			if next.Kind == "submit" {
				bt.crawlSubmit(page, next)
				continue
			}
			out := bt.crawlAct(page, next)
			if out.Dialog && !checked[out.DialogID] {
				checked[out.DialogID] = true
				bt.expectAccessible(page + " " + out.DialogID)
			}
			if out.Dialog {
				if forms := browserEval[int](bt, `document.querySelectorAll("#dialog-slot dialog form[hx-post]").length`); forms > 0 {
					submits = append(submits, &crawlControl{Kind: "submit", Key: "submit " + out.DialogID + " from " + next.Key, Opener: next})
				}
				bt.crawlCloseDialog(page, next.Key)
			}
		}
		if page == "/w/acme/members" {
			bt.crawlLoad(page)
			if empty := browserEval[[]string](bt, `[...document.querySelectorAll("#members-rows details.menu")]
				.filter(m => !m.querySelector("[role=menuitem]:not([aria-disabled=true])")).map(m => m.closest("tr").id)`); len(empty) > 0 {
				bt.t.Errorf("rows whose \"…\" menu offers nothing: %v", empty)
			}
		}
	}
	bt.t.Logf("the crawl clicked %d controls on %d pages", clicked, len(pages))
	clicked += bt.crawlMemberPages(done, checked) // browser_crawl_member_test.go
	bt.phonePass(pages)
	bt.darkPass(pages)
	return clicked
}

// darkPass loads every page with the system asking for dark colours: axe
// must pass there too (contrast above all).
func (bt *browserTest) darkPass(pages []string) {
	bt.t.Helper()
	media := func(features ...*emulation.MediaFeature) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features})
			return err
		})
	}
	bt.do("dark colours", media(&emulation.MediaFeature{Name: "prefers-color-scheme", Value: "dark"}))
	defer bt.do("light colours", media())
	for _, page := range pages {
		bt.crawlLoad(page)
		if bg := browserEval[string](bt, `getComputedStyle(document.body).backgroundColor`); bg == "rgb(246, 247, 249)" {
			bt.t.Fatalf("%s: the page stays light when the system asks for dark", page)
		}
		bt.expectAccessible(page + " in dark colours")
	}
}

// phonePass loads every page, and opens every dialog of its own (not the
// rows'), at 390×844: nothing may be wider than the screen, the
// navigation must reach every page through its menu, and axe must pass.
func (bt *browserTest) phonePass(pages []string) {
	bt.t.Helper()
	bt.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	defer bt.do("back to the desktop", chromedp.EmulateViewport(browserWidth, browserHeight))
	for _, page := range pages {
		controls := bt.crawlLoad(page)
		what := page + " at 390 px"
		bt.expectFitsWidth(what)
		bt.expectAccessible(what)
		if strings.HasSuffix(page, "/members") {
			bt.screenshotForDocsAt("members-phone.png", 390, 844)
		}
		// Every page and Sign out are within reach: visible, or in an open menu.
		bt.click("#nav-toggle")
		bt.waitTrue(what+": every page and Sign out in the open menu", `document.querySelector("#nav-toggle").getAttribute("aria-expanded") === "true" &&
			[...document.querySelectorAll(".nav a, .menu-account form[action='/signout'] button")].every(a => a.getClientRects().length > 0 && a.getBoundingClientRect().right <= innerWidth)`)
		bt.expectFitsWidth(what + " with the menu open")
		bt.expectAccessible(what + " with the menu open")
		bt.do("press Escape", chromedp.KeyEvent("\x1b"))
		bt.waitTrue(what+": the menu closed by Esc, focus on its button", `document.activeElement?.id === "nav-toggle" && !document.querySelector(".topbar.open")`)
		for _, c := range controls {
			if !c.OpensDialog || c.InMenu {
				continue
			}
			out := bt.crawlAct(page, &c)
			if !out.Dialog {
				continue
			}
			bt.expectFitsWidth(what + " " + out.DialogID)
			if r := browserEval[[4]float64](bt, `(() => { const r = document.querySelector("#dialog-slot dialog").getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()`); r[0] < 0 || r[1] < 0 || r[2] > 390 || r[3] > 844 {
				bt.t.Errorf("%s: the dialog %s is off the screen at %v", what, out.DialogID, r)
			}
			bt.expectAccessible(what + " " + out.DialogID)
			if out.DialogID == "invite-dialog" {
				bt.screenshotForDocsAt("invite-dialog-phone.png", 390, 844)
			}
			bt.crawlCloseDialog(page, c.Key)
		}
	}
}

// crawlLoad loads page afresh and returns its controls.
func (bt *browserTest) crawlLoad(page string) []crawlControl {
	bt.t.Helper()
	bt.do("open "+page, chromedp.Navigate(bt.base+page))
	bt.waitPath(strings.SplitN(page, "?", 2)[0]) // the Revoked filter carries a query
	if code := bt.text(".error-code"); code != "" {
		bt.t.Fatalf("%s shows the error page %s", page, code)
	}
	bt.do("watch "+page, chromedp.Evaluate[chromedp.Void](crawlHooksJS))
	return browserEval[[]crawlControl](bt, crawlControlsJS)
}

// crawlAct finds the control with c's key on a fresh page, acts on it and
// checks what followed.
func (bt *browserTest) crawlAct(page string, c *crawlControl) crawlOutcome {
	bt.t.Helper()
	for try := 0; ; try++ {
		var found *crawlControl
		for _, x := range bt.crawlLoad(page) {
			if x.Key == c.Key {
				found = &x
				break
			}
		}
		if found == nil {
			// Something the crawl did earlier (a removal, say) took it away.
			bt.t.Logf("%s: %q is gone", page, c.Key)
			return crawlOutcome{}
		}
		before := browserEval[string](bt, `JSON.stringify(window.__crawl)`)
		href := browserEval[string](bt, `location.href`)
		if !bt.crawlTrigger(found) {
			if try < 3 {
				continue // the page reloaded a part of itself under us
			}
			bt.t.Fatalf("%s: cannot act on %q", page, c.Key)
		}
		return bt.crawlExpect(page, c.Key, before, href, func(o crawlOutcome) string {
			switch {
			case c.OpensDialog && !o.Dialog:
				return "no dialog opened in #dialog-slot"
			case c.OpensDialog:
				return ""
			case !o.Dialog && !o.Toast && !o.Changed && !o.Moved:
				return "nothing on the page changed"
			}
			return ""
		})
	}
}

// crawlTrigger clicks, chooses or types as a person would; false if the
// control vanished before it could.
func (bt *browserTest) crawlTrigger(c *crawlControl) bool {
	bt.t.Helper()
	sel := fmt.Sprintf(`[data-crawl="%d"]`, c.I)
	ctx, cancel := context.WithTimeout(bt.ctx, 5*time.Second)
	defer cancel()
	var err error
	switch c.Kind {
	case "select":
		// The first option that is not chosen now.
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const s = document.querySelector(%q);
			const o = [...s.options].find(o => !o.selected);
			s.value = o.value;
			s.dispatchEvent(new Event("change", {bubbles: true}));
		})()`, sel)))
	case "search":
		_, err = chromedp.Run(ctx, chromedp.SendKeys(chromedp.CSS(sel), "ad"))
	case "number", "date":
		// "Go to page": the last page there is; a date: the clock's first day.
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const f = document.querySelector(%q);
			f.value = f.type === "date" ? %q : (f.max || "2");
			if (f.type === "date") f.dispatchEvent(new Event("change", {bubbles: true}));
			else f.form.requestSubmit();
		})()`, sel, modelstest.Epoch.UTC().Format("2006-01-02"))))
	default:
		if c.Bulk { // as a person would: select a row first
			if _, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](
				`(() => { const b = document.querySelector("#members-rows .row-select"); if (b && !b.checked) b.click(); })()`)); err != nil {
				return false
			}
		}
		if c.InMenu {
			if _, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
				`document.querySelector(%q).closest("details").querySelector("summary").click()`, sel))); err != nil {
				return false
			}
		}
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	}
	return err == nil
}

// crawlExpect waits until the action is over and checks it: no failed
// request, no uncaught error, the page whole (one main, one header, one
// dialog slot), and whatever check says.
func (bt *browserTest) crawlExpect(page, key, before, href string, check func(crawlOutcome) string) crawlOutcome {
	bt.t.Helper()
	expr := fmt.Sprintf(crawlOutcomeJS, before, href)
	o := browserWait(bt, fmt.Sprintf("%s: %q to finish", page, key), expr, func(o crawlOutcome) bool {
		return o.Loaded && !o.Busy && (o.Sent > 0 || o.Moved)
	})
	// A dialog opens and a toast shows just after the swap settles.
	why := check(o)
	for deadline := time.Now().Add(5 * time.Second); why != "" && time.Now().Before(deadline); why = check(o) {
		time.Sleep(25 * time.Millisecond)
		o = browserEval[crawlOutcome](bt, expr)
	}
	if why != "" {
		bt.t.Errorf("%s: %q: %s", page, key, why)
	}
	switch {
	case len(o.Bad) > 0:
		bt.t.Errorf("%s: %q: requests failed: %v", page, key, o.Bad)
	case len(o.Errors) > 0:
		bt.t.Errorf("%s: %q: script errors: %v", page, key, o.Errors)
	case o.Mains != 1 || o.Headers != 1 || o.Slots != 1:
		bt.t.Errorf("%s: %q: the page lost its shape: %d main, %d header, %d dialog slot", page, key, o.Mains, o.Headers, o.Slots)
	}
	return o
}

// crawlCloseDialog closes the open dialog with its Cancel (or Close)
// button, or Escape where it has none, and checks that it is gone.
func (bt *browserTest) crawlCloseDialog(page, key string) {
	bt.t.Helper()
	if browserEval[bool](bt, `!!document.querySelector("#dialog-slot dialog [data-close-dialog]")`) {
		bt.click("#dialog-slot dialog [data-close-dialog]")
	} else {
		bt.do("press Escape", chromedp.KeyEvent("\x1b"))
	}
	bt.waitTrue(fmt.Sprintf("%s: the dialog from %q to close", page, key), `!document.querySelector("#dialog-slot dialog")`)
}

// crawlSubmit opens a dialog again and sends its form as it comes (empty
// fields and all): it must close with a toast, or stay open and say
// what is wrong (422), and then still close.
func (bt *browserTest) crawlSubmit(page string, c *crawlControl) {
	bt.t.Helper()
	if out := bt.crawlAct(page, c.Opener); !out.Dialog {
		return // gone meanwhile, reported by crawlAct
	}
	before := browserEval[string](bt, `JSON.stringify(window.__crawl)`)
	href := browserEval[string](bt, `location.href`)
	bt.click(`#dialog-slot dialog form[hx-post] :is(button[type=submit], button:not([type]))`)
	o := bt.crawlExpect(page, c.Key, before, href, func(o crawlOutcome) string {
		switch {
		case o.Dialog && !o.DialogError && !o.Changed:
			return "the dialog stayed as it was"
		case !o.Dialog && !o.Toast && !o.Changed && !o.Moved:
			return "the dialog closed and nothing else happened"
		}
		return ""
	})
	if o.Dialog {
		bt.crawlCloseDialog(page, c.Key)
	}
}
