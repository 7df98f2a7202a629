package handlers_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserPagesOutsideTheNavigation: the pages the crawl does not reach
// through the workspace navigation (setup, sign-in, an invitation, the
// account page, an error page) fit a phone's screen and a desktop's, and
// pass axe at both.
func TestBrowserPagesOutsideTheNavigation(t *testing.T) {
	bt := newBrowserTest(t)
	sizes := []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"1280x800", browserWidth, browserHeight, nil},
		{"390x844", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}},
	}
	check := func(path, ready string) {
		t.Helper()
		for _, s := range sizes {
			bt.do("size "+s.name, chromedp.EmulateViewport(s.w, s.h, s.opts...))
			bt.do("open "+path, chromedp.Navigate(bt.base+path))
			bt.waitTrue(path+" loaded", `document.readyState === "complete" && !!document.querySelector(`+"`"+ready+"`"+`)`)
			what := path + " at " + s.name
			bt.expectFitsWidth(what)
			bt.expectAccessible(what)
		}
		bt.do("back to the desktop", chromedp.EmulateViewport(browserWidth, browserHeight))
	}

	check("/setup", "form[action='/setup']")
	acc, ws := modelstest.SetUp(t, bt.store)
	check("/signin", "form[action='/signin']")
	ctx := context.Background()
	ada, _, err := bt.store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := bt.store.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: "Grace Hopper", Email: "grace@example.com", RoleID: memberRoleID(t, bt.store, ws.ID, "Member")})
	if err != nil {
		t.Fatal(err)
	}
	check("/invite/"+token, "form[action^='/invite/']")
	check("/invite/no-such-link", "#invite-invalid")
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	check("/w/acme/no-such-page", ".error-code")
	check("/workspaces/new", "form[action='/workspaces']")
	check("/account", "main h1")
}
