package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserSCIMProvisioning: an admin has the members table open (sorted
// by email, newest view in the address bar) while an identity provider
// provisions over SCIM, through the same server: the new member's row
// appears without a reload, with the SCIM badge and Invited, in the view
// the admin chose. Deprovisioning (Okta's PATCH active:false) waits while
// the admin has a dialog open, then turns the row Deactivated. On the
// roles page the admin's own new role does not reload the list, and a
// group pushed over SCIM appears as a role.
func TestBrowserSCIMProvisioning(t *testing.T) {
	bt := newBrowserTest(t)
	_, ws := modelstest.SetUp(t, bt.store)
	ctx := context.Background()
	token, _, err := bt.store.CreateSCIMToken(ctx, models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()
	bt.watchPolls()

	// The admin sorts by email, Z to A: the view the table must keep.
	bt.click(`#members-table th a.sort[href*="sort=email"]`)
	bt.waitMembers("sorted by email", func(s membersState) bool {
		return strings.Contains(s.URL, "sort=email") && !strings.Contains(s.URL, "dir=desc")
	})
	bt.click(`#members-table th a.sort[href*="sort=email"]`)
	view := bt.waitMembers("sorted by email, descending", func(s membersState) bool {
		return strings.Contains(s.URL, "sort=email") && strings.Contains(s.URL, "dir=desc")
	})
	if len(view.Rows) != 1 {
		t.Fatalf("rows before provisioning: %q", view.Texts)
	}

	// Okta creates Grace.
	created := bt.scim(token, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`+
		`"userName":"grace@example.com","externalId":"00u1grace","name":{"givenName":"Grace","familyName":"Hopper"},`+
		`"emails":[{"value":"grace@example.com","type":"work","primary":true}],"active":true}`, http.StatusCreated)
	id, _ := created["id"].(string)
	grace := bt.waitRow("Grace's provisioned row", "grace@example.com", func(r rowState) bool { return r.Found })
	if want := (rowState{Found: true, ID: id, Index: 0, Name: "Grace Hopper", Roles: grace.Roles, Badges: []string{"SCIM", "Invited"}}); !grace.sameAs(want) {
		t.Errorf("Grace's row = %+v, want %+v", grace, want)
	}
	after := bt.waitMembers("the table after provisioning", func(s membersState) bool { return len(s.Rows) == 2 })
	if after.URL != view.URL || !strings.HasPrefix(after.Count, "2 members") || after.Rows[1] != view.Rows[0] {
		t.Errorf("after provisioning the page shows %s, %q, rows %q; want %s, 2 members, Grace above Ada", after.URL, after.Count, after.Rows, view.URL)
	}
	bt.screenshotForDocs("scim-provisioned-member.png")
	bt.waitQuietPoll()

	// While a dialog is open the poll holds: Okta deactivates Grace, and
	// the table (and the dialog, with what the admin typed) stays as it is.
	bt.openInviteDialog()
	bt.fill("#f-name", "Alan Turing")
	bt.markStale("#members-rows tr")
	held := bt.polls().Held
	bt.scim(token, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
		`"Operations":[{"op":"replace","value":{"active":false}}]}`, http.StatusOK, http.StatusNoContent)
	browserWait(bt, "a poll held by the dialog", `window.__musterPolls.held`, func(n int) bool { return n > held })
	if r := bt.waitRow("Grace's row behind the dialog", "grace@example.com", func(r rowState) bool { return r.Found }); !r.Stale || !slices.Equal(r.Badges, []string{"SCIM", "Invited"}) {
		t.Errorf("with the dialog open Grace's row changed: %+v", r)
	}
	if !browserEval[bool](bt, `document.querySelector("#invite-dialog")?.matches(":modal") && document.activeElement?.id === "f-name" && document.querySelector("#f-name").value === "Alan Turing"`) {
		t.Error("the open dialog was disturbed")
	}
	bt.do("close the dialog", chromedp.KeyEvent(kb.Escape))
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	deact := bt.waitRow("Grace deactivated", "grace@example.com", func(r rowState) bool { return r.Found && !r.Stale })
	if !slices.Equal(deact.Badges, []string{"SCIM", "Deactivated"}) || deact.Index != 0 {
		t.Errorf("after Okta's PATCH Grace's row is %+v", deact)
	}
	if s := bt.waitMembers("the view kept", func(s membersState) bool { return len(s.Rows) == 2 }); s.URL != view.URL {
		t.Errorf("the reload changed the view to %s, want %s", s.URL, view.URL)
	}
	bt.expectSamePage()

	// The roles page. The admin's own new role arrives with its answer;
	// the poll then finds nothing new, so the list is not loaded again.
	bt.click(`.nav a[href="/w/acme/roles"]`)
	bt.waitPath("/w/acme/roles")
	bt.click("#new-role-button")
	bt.waitTrue("a modal role dialog", `document.querySelector("#role-dialog")?.matches(":modal")`)
	bt.fill("#role-dialog #f-name", "Support")
	bt.click("#role-dialog button.save")
	bt.waitTrue("the new role's card", `[...document.querySelectorAll(".role-card h2")].some(h => h.textContent.trim() === "Support") && !document.querySelector("#dialog-slot dialog")`)
	bt.markStale("#roles-list")
	tok, err := bt.store.ChangeToken(ctx, ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	bt.waitTrue("the poller at the token after the admin's change", fmt.Sprintf(`document.querySelector("#changes-poll")?.value === %q`, tok))
	bt.waitQuietPoll()
	if !browserEval[bool](bt, `!!document.querySelector("#roles-list[data-stale]")`) {
		t.Error("the admin's own change reloaded the roles list")
	}

	// Okta pushes a group: it appears as a role.
	bt.scim(token, "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Customer Success"}`, http.StatusCreated)
	bt.waitTrue("the Customer Success card", `!document.querySelector("#roles-list[data-stale]") && [...document.querySelectorAll(".role-card h2")].some(h => h.textContent.trim() === "Customer Success")`)
	if n := browserEval[int](bt, `document.querySelectorAll(".role-card").length`); n != 4 {
		t.Errorf("%d role cards, want Admin, Member, Support and Customer Success", n)
	}
	bt.expectSamePage()
	bt.expectCleanConsole()
}

// watchPolls records the change poll's attempts: those app.js held (a
// dialog open, the tab hidden…) and the statuses of those answered.
func (bt *browserTest) watchPolls() {
	bt.t.Helper()
	bt.do("watch the polls", chromedp.Evaluate[chromedp.Void](`(() => {
		const p = window.__musterPolls = {held: 0, answered: []};
		document.addEventListener("htmx:beforeRequest", e => { if (e.detail.elt.matches("[data-poll]") && e.defaultPrevented) p.held++; });
		document.addEventListener("htmx:afterRequest", e => { if (e.detail.elt.matches("[data-poll]")) p.answered.push(e.detail.xhr.status); });
	})()`))
}

// waitQuietPoll waits for the next poll to be answered, and fails unless
// it found nothing new (204).
func (bt *browserTest) waitQuietPoll() {
	bt.t.Helper()
	n := len(bt.polls().Answered)
	status := browserWait(bt, "the next poll's answer", fmt.Sprintf(`window.__musterPolls.answered[%d] ?? 0`, n), func(s int) bool { return s != 0 })
	if status != http.StatusNoContent {
		bt.t.Errorf("the poll answered %d, want 204: something changed again", status)
	}
}

type pollsState struct {
	Held     int   `json:"held"`
	Answered []int `json:"answered"`
}

func (bt *browserTest) polls() pollsState {
	bt.t.Helper()
	return browserEval[pollsState](bt, `window.__musterPolls`)
}

// scim sends a SCIM request to the running server, as an identity provider
// would, and returns its JSON body; its status must be one of want.
func (bt *browserTest) scim(token, method, path, body string, want ...int) map[string]any {
	bt.t.Helper()
	req, err := http.NewRequest(method, bt.base+path, strings.NewReader(body))
	if err != nil {
		bt.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		bt.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !slices.Contains(want, res.StatusCode) {
		bt.t.Fatalf("%s %s: status %d, want %v: %s", method, path, res.StatusCode, want, b)
	}
	var out map[string]any
	if len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			bt.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return out
}
