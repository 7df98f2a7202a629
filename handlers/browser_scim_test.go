package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserSCIMTokens: an admin opens SCIM provisioning from the nav,
// creates a token for Okta in the dialog and sees it once, closes the
// dialog and finds the token's row (its prefix only), then revokes it
// through the confirmation dialog; the row changes in place.
func TestBrowserSCIMTokens(t *testing.T) {
	bt := newBrowserTest(t)
	_, ws := modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

	bt.click(`.nav a[href="/w/acme/scim"]`)
	bt.waitPath("/w/acme/scim")
	if got := bt.value("#scim-base-url"); got != bt.base+"/scim/v2" {
		t.Errorf("base URL = %q, want %q", got, bt.base+"/scim/v2")
	}
	bt.watchPage()

	// New token: a mistake is explained next to the field.
	bt.click("#new-scim-token-button")
	bt.waitTrue("a modal token dialog", `document.querySelector("#scim-new-dialog")?.matches(":modal") && document.activeElement?.id === "f-name"`)
	bt.click("#scim-new-dialog button.save")
	bt.waitTrue("the name's error", `document.querySelector("#scim-new-dialog #f-name[aria-invalid=true]") && document.querySelector("#f-name-error")`)
	bt.fill("#scim-new-dialog #f-name", "Okta")
	bt.click("#scim-new-dialog button.save")

	// The token, shown this once, in a dialog of its own.
	bt.waitTrue("the new token", `document.querySelector("#scim-token-dialog")?.matches(":modal") && document.querySelector("#scim-token-value")?.value.startsWith("muster_scim_")`)
	token := bt.value("#scim-token-value")
	if !strings.Contains(bt.text("#scim-token-once"), "won't see it again") {
		t.Errorf("the dialog says %q", bt.text("#scim-token-once"))
	}
	if bt.value("#scim-token-base-url") != bt.base+"/scim/v2" {
		t.Errorf("the dialog's base URL = %q", bt.value("#scim-token-base-url"))
	}
	// Behind the dialog the list already has the row.
	tokens, err := bt.store.SCIMTokens(context.Background(), ws.ID)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens = %+v %v", tokens, err)
	}
	row := "#scim-token-" + tokens[0].ID
	bt.waitTrue("the row behind the dialog", `!!document.querySelector("`+row+`")`)
	bt.click(`#scim-token-dialog [data-close-dialog]`)
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	if strings.Contains(browserEval[string](bt, `document.documentElement.outerHTML`), token) {
		t.Error("the token is still in the page after the dialog closed")
	}
	if got := bt.text(row + " code"); got != token[:16]+"…" {
		t.Errorf("prefix = %q, want %q", got, token[:16]+"…")
	}
	if got := bt.text(row + " .last-used"); got != "Never" {
		t.Errorf("last used = %q", got)
	}
	if got := bt.text(row + " .token-status"); got != "Active" {
		t.Errorf("status = %q", got)
	}
	bt.click("#guide-okta summary")
	bt.screenshotForDocs("scim-settings.png")

	// Revoke, after confirming.
	bt.click(row + " button")
	bt.waitTrue("the revoke dialog", `document.querySelector("#scim-revoke-dialog")?.matches(":modal")`)
	bt.click("#scim-revoke-dialog button.save")
	bt.waitToast("success", "Revoked the token Okta. Requests with it now fail.")
	bt.waitTrue("the revoked row", `!document.querySelector("#dialog-slot dialog") && document.querySelector("`+row+`").classList.contains("status-revoked")`)
	if got := bt.text(row + " .token-status"); !strings.HasPrefix(got, "Revoked") {
		t.Errorf("status after revoking = %q", got)
	}
	if n := browserEval[int](bt, `document.querySelectorAll("`+row+` button").length`); n != 0 {
		t.Errorf("a revoked token still offers %d buttons", n)
	}
	bt.expectSamePage()
	bt.expectCleanConsole()
}
