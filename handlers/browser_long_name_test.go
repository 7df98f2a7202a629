package handlers_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserInviteLongAddressWithoutName: an address may be 254
// characters long. Invited with the Name field left empty, its person is
// named after it, cut to the 200 characters a name may have (the form
// refused the name nobody typed before). That name, its address and a long
// place fit the screen, on a desktop and on a phone: in the members table
// (where the unbroken name had squeezed the email column to one letter and
// its toast ran off the page), on the member's page (where it ran under the
// Edit button, and its Activity link off the card) and in the audit log (where it pushed the changes out of
// sight).
func TestBrowserInviteLongAddressWithoutName(t *testing.T) {
	bt := newBrowserTest(t)
	modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()
	bt.openInviteDialog()
	email := strings.Repeat("a", 200) + ".b@example.com"
	bt.fill("#invite-dialog #f-email", email)
	bt.fill("#f-location", "Somewhere "+strings.Repeat("Longplacename", 12))
	bt.click("#invite-dialog button.save")
	r := bt.waitRow("the new row", email, func(r rowState) bool { return r.Found })
	if want := "A" + strings.Repeat("a", 199); r.Name != want {
		t.Errorf("the row's name is %q (%d characters), want %q", r.Name, len(r.Name), want)
	}
	bt.waitTrue("the dialog closed", `!document.querySelector("#invite-dialog")?.matches(":modal") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
	fits := func(what string) {
		t.Helper()
		bt.expectFitsWidth(what + ", 1280 px")
		bt.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		bt.expectFitsWidth(what + ", 390 px")
		bt.do("a desktop screen", chromedp.EmulateViewport(1280, 800))
	}
	fits("the members table and its toast")
	if w := browserEval[float64](bt, `document.querySelector("#members-table td.email").getBoundingClientRect().width`); w < 150 {
		t.Errorf("the email column is %v px wide beside the long name", w)
	}
	bt.click("#member-" + r.ID + " a.name")
	bt.waitTrue("the member's page", `!!document.querySelector(".member-head h1")`)
	fits("the member's page")
	if browserEval[bool](bt, `(() => {
		const h = document.querySelector(".member-head h1").getBoundingClientRect();
		const b = document.querySelector(".member-head .head-actions").getBoundingClientRect();
		return h.right > b.left && h.left < b.right && h.bottom > b.top && h.top < b.bottom;
	})()`) {
		t.Error("the name runs under the page's buttons")
	}
	bt.do("the audit log", chromedp.Navigate(bt.base+"/w/acme/audit"))
	bt.waitTrue("the audit log", `!!document.querySelector(".audit td.what")`)
	fits("the audit log")
}
