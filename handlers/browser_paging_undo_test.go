package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// shotAsIs writes a screenshot into docs/screenshots when
// MUSTER_UPDATE_SCREENSHOTS=1, keeping focus and the pointer where they
// are (screenshotForDocs blurs, which would let a held toast go).
func (bt *browserTest) shotAsIs(name string) {
	bt.t.Helper()
	if os.Getenv("MUSTER_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(bt.ctx, browserStepTimeout)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		bt.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", "screenshots", name), shot, 0o644); err != nil {
		bt.t.Fatal(err)
	}
}

// TestBrowserPagingUndoAudit: jump to a page with the pager (a number, then
// "Go to page"); deactivate a member and Undo it from the toast, by
// keyboard; filter the audit log by dates. Axe runs on each, the toast
// with Undo shown.
func TestBrowserPagingUndoAudit(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) { browserPagingUndoAudit(t, d) })
	}
}

func browserPagingUndoAudit(t *testing.T, dialect string) {
	bt := newBrowserTest(t, onDatabase(dialect))
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, bt.store)
	if err := bt.store.SeedDemo(ctx, ws.ID, 320, 11); err != nil {
		t.Fatal(err)
	}
	m, token := inviteGrace(t, bt.store, acc, ws)
	if _, _, err := bt.store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace Hopper", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	shots := dialect == "sqlite"

	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()
	count := func(want string) {
		t.Helper()
		bt.waitTrue("the count "+want, fmt.Sprintf(`!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") && (document.querySelector("#members-count")?.textContent ?? "").replace(/\s+/g, " ").trim().startsWith(%q)`, want))
	}
	count("1–50 of 322")
	pager := func() string {
		return browserEval[string](bt, `[...document.querySelectorAll(".page-list li")].map(li => li.textContent.trim()).join(" ")`)
	}
	if got := pager(); got != "Page 1 Page 2 Page 3 … Page 7" {
		t.Errorf("the pager reads %q", got)
	}
	// The last page, by its number.
	bt.click(`.page-list a[href$="page=7"]`)
	count("301–322 of 322")
	if got := bt.location().RawQuery; got != "page=7" {
		t.Errorf("after page 7 the URL's query is %q", got)
	}
	if got := bt.text(".page-list [aria-current=page]"); got != "Page 7" {
		t.Errorf("current page %q", got)
	}
	// "Go to page" 4, with the keyboard.
	bt.fill("#page-jump", "4")
	bt.do("press Enter", chromedp.KeyEvent(kb.Enter))
	count("151–200 of 322")
	if got := bt.location().RawQuery; got != "page=4" {
		t.Errorf("after Go to page 4 the URL's query is %q", got)
	}
	if got := pager(); got != "Page 1 Page 2 Page 3 Page 4 Page 5 Page 6 Page 7" {
		t.Errorf("page 4's pager reads %q", got)
	}
	bt.expectAccessible("the members table at page 4")
	if shots {
		bt.do("scroll to the pager", chromedp.Evaluate[chromedp.Void](`document.querySelector("nav.pager").scrollIntoView({block: "end"})`))
		bt.screenshotForDocs("members-pager.png")
	}
	// Back returns to page 7.
	bt.do("go back", chromedp.NavigateBack())
	count("301–322 of 322")
	// A page that is not there: the last one, and a notice.
	bt.do("open page 90", chromedp.Navigate(bt.base+"/w/acme/members?page=90"))
	count("301–322 of 322")
	if got := bt.text("#page-notice"); got != "There is no page 90: this is the last one." {
		t.Errorf("notice %q", got)
	}
	if shots {
		bt.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		bt.do("scroll to the pager", chromedp.Evaluate[chromedp.Void](`document.querySelector("nav.pager").scrollIntoView({block: "end"})`))
		bt.expectFitsWidth("the pager on a phone")
		bt.screenshotForDocsAt("members-pager-phone.png", 390, 844)
		bt.do("back to the desktop", chromedp.EmulateViewport(browserWidth, browserHeight))
	}

	// Deactivate Grace, then Undo from the toast.
	bt.do("search Hopper", chromedp.Navigate(bt.base+"/w/acme/members?q=hopper")) // several rows: room for the menu
	bt.waitPath("/w/acme/members")
	bt.watchPage()
	bt.rowAction(m.ID, "deactivate")
	bt.waitToast("success", "Deactivated Grace Hopper. Their access ended at once.")
	bt.waitRow("Grace deactivated", "grace@example.com", func(r rowState) bool { return r.Found && len(r.Badges) == 1 && r.Badges[0] == "Deactivated" })
	bt.waitTrue("the toast's Undo", `document.querySelector("#toasts .toast-undo")`)
	// Alt+Z reaches Undo; focus holds the toast.
	bt.do("press Alt+Z", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierAlt)))
	bt.waitTrue("focus on Undo", `document.activeElement && document.activeElement.matches("#toasts .toast-undo")`)
	if shots {
		bt.shotAsIs("undo-toast.png")
	}
	bt.expectAccessible("the members page with the Undo toast")
	bt.clock.Add(10 * time.Second) // the store's clock: well within the Undo window
	bt.do("press Enter on Undo", chromedp.KeyEvent(kb.Enter))
	bt.waitToast("success", "Undone: Grace Hopper is active again. They sign in again to get back in.")
	bt.waitRow("Grace active again", "grace@example.com", func(r rowState) bool { return r.Found && len(r.Badges) == 1 && r.Badges[0] == "Active" })
	bt.waitTrue("the Undo toast gone", `!document.querySelector("#toasts .toast-undo")`)
	if got, _ := bt.store.MemberByID(ctx, ws.ID, m.ID); got.Status != models.StatusActive {
		t.Errorf("Grace is %s in the database", got.Status)
	}

	// The audit log, filtered by dates (the store's clock's day).
	day := modelstest.Epoch.UTC().Format(time.DateOnly)
	next := modelstest.Epoch.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	bt.do("open the audit log", chromedp.Navigate(bt.base+"/w/acme/audit"))
	bt.waitPath("/w/acme/audit")
	setDate := func(sel, v string) {
		bt.do("set "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, v)))
	}
	setDate("#audit-from", day)
	bt.waitTrue("the from date in the URL", fmt.Sprintf(`location.search.includes("from=%s") && !document.querySelector(".htmx-request")`, day))
	if got := bt.text("#audit-rows tr:first-child"); !strings.Contains(got, "Reactivated (undid the deactivation)") {
		t.Errorf("newest event on %s: %q", day, got)
	}
	setDate("#audit-from", next)
	bt.waitTrue("nothing from the next day", `document.querySelector("#audit-empty")`)
	setDate("#audit-to", day)
	bt.waitTrue("the range error", `document.querySelector("#audit-date-error")`)
	if got := bt.text("#audit-date-error"); !strings.Contains(got, "is before the from date") {
		t.Errorf("range error %q", got)
	}
	bt.expectAccessible("the audit log with a range error")
	setDate("#audit-from", day)
	bt.waitTrue("the range's events", `document.querySelector("#audit-rows tr")`)
	if csv := browserEval[string](bt, `document.querySelector("#audit-csv").getAttribute("href")`); !strings.Contains(csv, "from="+day) || !strings.Contains(csv, "to="+day) {
		t.Errorf("the CSV link %q lacks the range", csv)
	}
	if shots {
		bt.screenshotForDocs("audit-date-range.png")
		bt.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		bt.expectFitsWidth("the audit log on a phone")
		bt.screenshotForDocsAt("audit-date-range-phone.png", 390, 844)
		bt.do("back to the desktop", chromedp.EmulateViewport(browserWidth, browserHeight))
	}
}
