package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserSessionEndsInADialog: the session ends (it was idle for two
// weeks, so its CSRF token has gone too) while the Invite dialog is open
// and filled in. Save keeps everything typed and says the session ended;
// signing in again in another tab and pressing Try again saves it.
func TestBrowserSessionEndsInADialog(t *testing.T) {
	bt := newBrowserTest(t)
	modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.openInviteDialog()
	bt.fill("#f-name", "Grace Hopper")
	bt.fill("#f-email", "grace@example.com")
	bt.advanceClock(15 * 24 * time.Hour)
	bt.click("#invite-dialog button.save")
	bt.waitTrue("the dialog says the session ended", `!!document.querySelector("#invite-dialog .session-ended") && document.querySelector("#invite-dialog").open`)
	if got := bt.text("#invite-dialog .session-ended p"); got == "" {
		t.Error("the notice is empty")
	}
	if bt.value("#f-name") != "Grace Hopper" || bt.value("#f-email") != "grace@example.com" {
		t.Error("what was typed is gone")
	}

	// Another tab of the same browser: sign in again there.
	tab, cancel := chromedp.NewContext(bt.ctx)
	defer cancel()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a second tab: %v", err)
	}
	other := &browserTest{t: t, ctx: tab, base: bt.base, store: bt.store, clock: bt.clock, label: "second-tab"}
	other.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

	bt.click("#invite-dialog .session-ended button")
	bt.waitRow("Grace's row", "grace@example.com", func(r rowState) bool { return r.Found })
	bt.waitTrue("the dialog closed", `!document.querySelector("#dialog-slot dialog")`)
	bt.expectCleanConsole(401, 403)
}

// TestBrowserDeactivatedIsToldWhy: someone whose only workspace turned
// their access off is signed out, and the sign-in page says why.
func TestBrowserDeactivatedIsToldWhy(t *testing.T) {
	bt := newBrowserTest(t)
	acc, ws := modelstest.SetUp(t, bt.store)
	ctx := context.Background()
	ada, _, err := bt.store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	grace := joinedMember(t, bt.store, ws, ada, "Grace Hopper", "grace@example.com", "Member")
	bt.signInAs("grace@example.com", "a long enough password", "/w/acme/members")
	if _, err := bt.store.Deactivate(ctx, models.MemberActor(ada), ws, grace); err != nil {
		t.Fatal(err)
	}
	bt.do("reload", chromedp.Reload())
	bt.waitPath("/signin")
	if got := bt.text("#signed-out-why"); got == "" || !containsAll(got, "signed out", "access was turned off") {
		t.Errorf("the sign-in page says %q", got)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
