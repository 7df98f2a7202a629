package handlers_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserRolesAndPermissions: an admin creates "Customer Success" with
// the view and invite permissions, invites Carla with it; Carla can invite
// but sees no Roles, Audit log or Settings, and the server refuses them too.
func TestBrowserRolesAndPermissions(t *testing.T) {
	bt := newBrowserTest(t, withMail())
	modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

	// Roles page → New role.
	bt.click(`.nav a[href="/w/acme/roles"]`)
	bt.waitPath("/w/acme/roles")
	bt.waitTrue("two built-in roles", `document.querySelectorAll(".role-card").length === 2`)
	bt.click("#new-role-button")
	bt.waitTrue("a modal role dialog", `document.querySelector("#role-dialog")?.matches(":modal")`)
	bt.fill("#role-dialog #f-name", "Customer Success")
	bt.fill("#role-dialog #f-description", "Helps customers and brings in their teams.")
	bt.click(`#role-dialog input[name=perm][value="members.invite"]`)
	bt.screenshotForDocs("role-dialog.png")
	bt.click("#role-dialog button.save")
	bt.waitTrue("the new role's card", `[...document.querySelectorAll(".role-card h2")].some(h => h.textContent.trim() === "Customer Success") && !document.querySelector("#dialog-slot dialog")`)
	card := browserEval[string](bt, `[...document.querySelectorAll(".role-card")].find(c => c.querySelector("h2").textContent.trim() === "Customer Success").textContent`)
	if !strings.Contains(card, "View members") || !strings.Contains(card, "Invite members") || strings.Contains(card, "Edit members") {
		t.Errorf("Customer Success card = %q", card)
	}

	// Invite Carla as Customer Success.
	bt.click(`.nav a[href="/w/acme/members"]`)
	bt.waitPath("/w/acme/members")
	bt.openInviteDialog()
	bt.fill("#f-name", "Carla Success")
	bt.fill("#f-email", "carla@example.com")
	bt.chooseRole("Customer Success")
	bt.click("#invite-dialog button.save")
	bt.waitRow("Carla's row", "carla@example.com", func(r rowState) bool { return r.Found })
	link := bt.mail.WaitFor(t, "carla@example.com", browserStepTimeout).Link(bt.base + "/invite/")

	// Carla joins and can invite, but nothing more.
	carla := bt.newPrivateTab("carla")
	carla.do("open the link", chromedp.Navigate(link))
	carla.waitTrue("the accept page", `document.readyState === "complete" && !!document.querySelector("#f-password")`)
	carla.fill("#f-password", "a long enough password")
	carla.click(`form[action^="/invite/"] button[type=submit]`)
	carla.waitPath("/w/acme/members")
	carla.waitTrue("the invite button", `!!document.querySelector("#invite-button")`)
	nav := carla.text(".nav")
	for _, hidden := range []string{"Roles", "Audit log", "Settings"} {
		if strings.Contains(nav, hidden) {
			t.Errorf("Carla's nav shows %s: %q", hidden, nav)
		}
	}
	// In the invite dialog Carla cannot give Admin.
	carla.openInviteDialog()
	if !browserEval[bool](carla, `[...document.querySelectorAll("#invite-dialog .role-option")].find(l => l.querySelector("strong").textContent.trim() === "Admin").querySelector("input").disabled`) {
		t.Error("Carla may choose Admin")
	}
	carla.fill("#f-name", "Dan Customer")
	carla.fill("#f-email", "dan@example.com")
	carla.click("#invite-dialog button.save")
	carla.waitRow("Dan's row", "dan@example.com", func(r rowState) bool { return r.Found })
	// The server refuses what the page does not offer.
	for _, path := range []string{"/w/acme/roles", "/w/acme/audit"} {
		carla.do("open "+path, chromedp.Navigate(carla.base+path))
		carla.waitTrue("the 403 page", `document.readyState === "complete" && !!document.querySelector(".error-code")`)
		if got := carla.text(".error-code"); got != "403" {
			t.Errorf("%s shows %q, want 403", path, got)
		}
	}
	bt.expectCleanConsole()
	carla.expectCleanConsole(403)
}
