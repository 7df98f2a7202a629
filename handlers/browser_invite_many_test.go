package handlers_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserInviteSeveral pastes three addresses (one new, one already a
// member, one invalid) into the Invite dialog: Save shows each address's
// result in the open dialog, adds the new row behind it and leaves the
// invalid address in the field; Save and Add Another invites the corrected
// one and clears the field; Enter in the field submits as Save.
func TestBrowserInviteSeveral(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			bt := newBrowserTest(t, onDatabase(d))
			modelstest.SetUp(t, bt.store)
			bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
			bt.watchPage()
			bt.openInviteDialog()
			// A paste: the lines stay lines.
			bt.do("paste three addresses", chromedp.Evaluate[chromedp.Void](`(() => {
				const f = document.querySelector("#invite-dialog #f-email");
				f.focus();
				document.execCommand("insertText", false, "grace.hopper@example.com\nada@example.com\nnot-an-address");
			})()`))
			if got := bt.value("#invite-dialog #f-email"); got != "grace.hopper@example.com\nada@example.com\nnot-an-address" {
				t.Fatalf("the field holds %q", got)
			}
			bt.fill("#f-location", "Remote")
			bt.markStale("#invite-form")
			bt.click("#invite-dialog button.save")
			bt.waitTrue("the results in the open dialog", `document.querySelector("#invite-dialog #invite-form:not([data-stale]) #invite-results") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
			got := browserEval[[]string](bt, `[...document.querySelectorAll("#invite-results li")].map(li => li.querySelector(".addr").textContent + " " + li.querySelector(".badge").textContent)`)
			want := []string{"grace.hopper@example.com Invited", "ada@example.com Already a member", "not-an-address Invalid"}
			if len(got) != len(want) {
				t.Fatalf("results %q, want %q", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("result %d = %q, want %q", i, got[i], want[i])
				}
			}
			if !browserEval[bool](bt, `document.querySelector("#invite-dialog")?.matches(":modal")`) {
				t.Error("the dialog closed")
			}
			if v := bt.value("#invite-dialog #f-email"); v != "not-an-address" {
				t.Errorf("after Save the field holds %q, want the invalid address", v)
			}
			r := bt.waitRow("Grace's row behind the dialog", "grace.hopper@example.com", func(r rowState) bool { return r.Found })
			if r.Name != "Grace Hopper" || r.Location != "Remote" {
				t.Errorf("Grace's row = %+v", r)
			}
			bt.screenshotForDocs("invite-several.png")
			bt.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
			if w := browserEval[float64](bt, `document.querySelector("#invite-dialog").getBoundingClientRect().right`); w > 390 {
				t.Errorf("the dialog is %v px wide on a phone", w)
			}
			bt.screenshotForDocsAt("invite-several-phone.png", 390, 844)
			bt.do("a desktop screen", chromedp.EmulateViewport(1280, 800))

			// Correct the address, Save and Add Another.
			bt.fill("#invite-dialog #f-email", "alan.turing@example.com")
			bt.markStale("#invite-form")
			bt.click("#invite-dialog button.another")
			bt.waitTrue("the next form", `document.querySelector("#invite-dialog #invite-form:not([data-stale]) #invite-notice") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
			if got := bt.text("#invite-notice"); got != "Invited Alan Turing. Add the next person." {
				t.Errorf("notice = %q", got)
			}
			if v := bt.value("#invite-dialog #f-email"); v != "" || bt.value("#invite-dialog #f-location") != "Remote" {
				t.Errorf("after Save and Add Another: email %q, location %q", v, bt.value("#invite-dialog #f-location"))
			}
			bt.waitTrue("focus in Email", `document.activeElement?.id === "f-email"`)
			bt.waitRow("Alan's row", "alan.turing@example.com", func(r rowState) bool { return r.Found && r.Name == "Alan Turing" })

			// Two more, typed, and Enter: Save; all invited, so the dialog closes.
			bt.do("type two addresses", chromedp.SendKeys(chromedp.CSS("#invite-dialog #f-email"), "kj@example.com, dv@example.com"))
			bt.do("press Enter", chromedp.KeyEvent(kb.Enter))
			bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
			bt.waitToast("success", "Invited 2 people. They will get an email.")
			bt.waitRow("Dv's row", "dv@example.com", func(r rowState) bool { return r.Found })
			bt.expectSamePage()
			bt.expectCleanConsole()
		})
	}
}
