package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserMemberWithoutEmail: a user an identity provider creates with
// only a userName appears in the open members table with "No email" and
// "Not invited"; its menu offers no invitation, but says why, and the
// invitation follows once the identity provider sends an address.
func TestBrowserMemberWithoutEmail(t *testing.T) {
	bt := newBrowserTest(t)
	_, ws := modelstest.SetUp(t, bt.store)
	token, _, err := bt.store.CreateSCIMToken(context.Background(), models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	created := bt.scim(token, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"kim.lee"}`, http.StatusCreated)
	id, _ := created["id"].(string)
	row := bt.waitRow("the row without an email", "No email", func(r rowState) bool { return r.Found })
	if row.ID != id || row.Name != "kim.lee" || !slices.Equal(row.Badges, []string{"SCIM", "Not invited"}) {
		t.Errorf("row = %+v", row)
	}
	bt.screenshotForDocs("scim-member-without-email.png")
	sel := "#member-" + id
	bt.click(sel + " .row-menu summary")
	bt.waitTrue("the row menu open", `!!document.querySelector("`+sel+` .row-menu details[open]")`)
	if !browserEval[bool](bt, `(() => { const b = document.querySelector("`+sel+` .row-menu button[aria-disabled=true]");
		const note = b && document.getElementById(b.getAttribute("aria-describedby"));
		return !!note && note.checkVisibility() && b.checkVisibility() && b.textContent === "Send invite" })()`) {
		t.Error("the menu does not show the disabled invitation with its reason")
	}
	if browserEval[bool](bt, `!!document.querySelector("`+sel+` [hx-post$='/resend'], `+sel+` [hx-post$='/link'], `+sel+` [hx-get$='/revoke']")`) {
		t.Error("the menu offers an invitation action")
	}
	bt.click(sel + " .row-menu summary")

	// The identity provider sends an address: the row shows it, invited.
	bt.scim(token, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
		`"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"kim.lee@example.com"}]}`, http.StatusOK)
	row = bt.waitRow("the row with its new email", "kim.lee@example.com", func(r rowState) bool { return r.Found })
	if !slices.Equal(row.Badges, []string{"SCIM", "Invited"}) {
		t.Errorf("row after the email = %+v", row)
	}
}
