package handlers_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserTokenOwnerAndLog: deactivating the owner of a SCIM token asks
// first, naming the token; the SCIM page then shows it disabled. The
// provisioning log opens from the SCIM page, filters to failures, shows an
// entry's request (password masked) in a dialog, and a member's history
// opens from their row menu.
func TestBrowserTokenOwnerAndLog(t *testing.T) {
	bt := newBrowserTest(t)
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, bt.store)
	g, link := inviteGrace(t, bt.store, acc, ws)
	if _, _, err := bt.store.AcceptInvite(ctx, link, models.AcceptInput{Name: "Grace Hopper", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	grace, perms, err := bt.store.Membership(ctx, ws.ID, accountOf(t, bt.store, ws.ID, g.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bt.store.CreateSCIMToken(ctx, models.MemberActor(grace).WithPerms(perms), ws, "Grace's Okta"); err != nil {
		t.Fatal(err)
	}
	okta, _, err := bt.store.CreateSCIMToken(ctx, models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body string) int {
		req, _ := http.NewRequest(method, bt.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+okta)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alan@example.com","name":{"givenName":"Alan","familyName":"Turing"},"password":"enigma"}`
	if st := send("POST", "/scim/v2/Users", user); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st := send("POST", "/scim/v2/Users", user); st != 409 {
		t.Fatalf("duplicate: %d", st)
	}
	flushCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := bt.scimLog.Flush(flushCtx); err != nil {
		t.Fatal(err)
	}

	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()
	// Deactivate Grace: a confirmation names her token first.
	bt.rowAction(grace.ID, "deactivate")
	bt.waitTrue("the deactivate confirmation", `document.querySelector("#deactivate-dialog")?.matches(":modal")`)
	if w := bt.text("#deactivate-dialog #token-owner-warning"); !strings.Contains(w, "Grace's Okta") {
		t.Errorf("warning = %q", w)
	}
	if m, _ := bt.store.MemberByID(ctx, ws.ID, grace.ID); m.Status != models.StatusActive {
		t.Fatalf("deactivated before confirming")
	}
	bt.click("#deactivate-confirm")
	bt.waitToast("success", "Deactivated Grace Hopper. Their access ended at once.")
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.expectSamePage()

	// The SCIM page shows her token disabled, and leads to the log.
	bt.click(`.nav a[href="/w/acme/scim"]`)
	bt.waitPath("/w/acme/scim")
	bt.waitTrue("the disabled token", `[...document.querySelectorAll("#scim-token-rows tr")].some(r => r.textContent.includes("Grace's Okta") && r.querySelector(".token-status").textContent.includes("Disabled"))`)
	bt.click("#scim-log-link")
	bt.waitPath("/w/acme/scim/log")
	bt.waitTrue("two requests", `document.querySelectorAll("#scim-log-rows tr").length === 2`)
	bt.watchPage()
	bt.click("#scim-log-failures")
	bt.waitTrue("only the failure", `location.search.includes("failures=1") && document.querySelectorAll("#scim-log-rows tr").length === 1`)
	bt.click("#scim-log-rows tr a.btn")
	bt.waitTrue("the entry's dialog", `document.querySelector("#scim-log-entry-dialog")?.matches(":modal")`)
	body := bt.text("#scim-log-entry-body")
	if !strings.Contains(body, models.Masked) || strings.Contains(body, "enigma") {
		t.Errorf("request body shown: %q", body)
	}
	bt.click("#scim-log-entry-dialog [data-close-dialog]")
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.expectSamePage()

	// Alan's history, from his row's menu.
	alan, err := bt.store.ListSCIMLog(ctx, ws.ID, models.SCIMLogQuery{Status: "201"})
	if err != nil || len(alan.Entries) != 1 {
		t.Fatalf("the create's entry: %+v %v", alan, err)
	}
	bt.click(`.nav a[href="/w/acme/members"]`)
	bt.waitPath("/w/acme/members")
	row := "#member-" + alan.Entries[0].TargetID
	bt.click(row + " .row-menu summary")
	bt.click(row + ` .row-menu a[role=menuitem]`)
	bt.waitPath("/w/acme/scim/log")
	bt.waitTrue("Alan's history", `document.querySelector("#scim-log-member-name")?.textContent.includes("Alan Turing") && document.querySelectorAll("#scim-log-rows tr").length === 2`)
}
