package handlers_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// selectRole chooses the role with this name in the Role dropdown inside
// scope, as a person picking it from the list would.
func (bt *browserTest) selectRole(scope, name string) {
	bt.t.Helper()
	if !browserEval[bool](bt, fmt.Sprintf(`(() => {
		const s = document.querySelector(%q + " select[name=role]");
		const o = s && [...s.options].find(o => o.textContent.trim() === %q && !o.disabled);
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, scope, name)) {
		bt.t.Fatalf("no role %q to choose in %s", name, scope)
	}
}

// selectedRole names the role the Role dropdown inside scope shows.
func (bt *browserTest) selectedRole(scope string) string {
	bt.t.Helper()
	return browserEval[string](bt, fmt.Sprintf(`document.querySelector(%q + " select[name=role]")?.selectedOptions[0]?.textContent.trim() ?? ""`, scope))
}

// TestBrowserMemberPage: from a filtered members table, open a member by
// clicking their name, change the role with the dropdown and Save, see it
// saved, switch to several roles and back, and go Back to the same view.
// Revoking an invitation on a member's page leads back to the table. The
// page fits and passes axe at 1280×800 and 390×844.
func TestBrowserMemberPage(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			bt := newBrowserTest(t, onDatabase(dialect))
			ctx := context.Background()
			acc, ws := modelstest.SetUp(t, bt.store)
			ada, _, err := bt.store.Membership(ctx, ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bt.store.CreateRole(ctx, models.MemberActor(ada), ws, models.RoleInput{Name: "Support", Description: "Fixes people's details.",
				Permissions: []models.Permission{models.PermViewMembers, models.PermEditMembers}}); err != nil {
				t.Fatal(err)
			}
			grace := joinedMember(t, bt.store, ws, ada, "Grace Hopper", "grace@example.com", "Member")
			joinedMember(t, bt.store, ws, ada, "Alan Turing", "alan@example.com", "Member")
			if _, err := bt.store.CreateSCIMUser(ctx, models.MemberActor(ada), ws, models.SCIMUser{UserName: "linus", Email: "linus@example.com",
				DisplayName: "Linus Torvalds", Title: "Kernel Maintainer", Department: "Kernel", EmployeeNumber: "42", ManagerID: grace, Active: true,
				Attributes: map[string]any{"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}}}}); err != nil {
				t.Fatal(err)
			}
			ivy, _, err := bt.store.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: "Ivy Invited", Email: "ivy@example.com", RoleID: memberRoleID(t, bt.store, ws.ID, "Member")})
			if err != nil {
				t.Fatal(err)
			}
			bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

			// A filtered, sorted view of the table; Grace's name leads to her page.
			view := "/w/acme/members?sort=email&status=active"
			bt.do("open the filtered table", chromedp.Navigate(bt.base+view))
			bt.waitPath("/w/acme/members")
			bt.watchPage()
			bt.click("#member-" + grace + " a.name")
			page := bt.waitPath("/w/acme/members/" + grace)
			if got := page.Query().Get("back"); got != view {
				t.Errorf("the page's back = %q, want %q", got, view)
			}
			bt.expectSamePage() // a boosted link: no reload of the window
			bt.watchPage()      // the body, and its toasts' box, are new
			if got := bt.text("#member-page h1"); got != "Grace Hopper" {
				t.Errorf("the page's heading = %q", got)
			}
			if got := bt.selectedRole("#member-roles"); got != "Member" {
				t.Errorf("the Role dropdown shows %q", got)
			}
			bt.expectFitsWidth("Grace's page")
			bt.expectAccessible("Grace's page")
			bt.screenshotForDocs("member-page.png")

			// The Role dropdown and Save (Seed 1).
			bt.selectRole("#member-roles", "Support")
			bt.click("#member-role-save")
			bt.waitToast("success", "Saved: Grace Hopper has the role Support.")
			bt.waitTrue("the page shows Support", `document.querySelector("#member-roles select[name=role]")?.selectedOptions[0]?.textContent.trim() === "Support"`)
			bt.waitTrue("the history shows the change", `document.querySelector("#member-activity")?.textContent.includes("Support")`)
			m, err := bt.store.MemberByID(ctx, ws.ID, grace)
			if err != nil || len(m.Roles) != 1 || m.Roles[0].Name != "Support" {
				t.Errorf("after Save: %+v, %v", m.Roles, err)
			}

			// Several roles, and back to one.
			bt.click("#member-several-roles")
			bt.waitTrue("checkboxes", `document.querySelectorAll("#member-roles input[type=checkbox][name=role]").length === 3`)
			bt.expectAccessible("Grace's roles as checkboxes")
			bt.click("#member-one-role")
			bt.waitTrue("the dropdown again", `!!document.querySelector("#member-roles select[name=role]")`)

			// The Edit dialog opened here: a dropdown, and several roles on request.
			bt.click(`.member-actions button[hx-get$="/edit"]`)
			bt.waitTrue("a modal Edit dialog", `document.querySelector("#edit-dialog")?.matches(":modal")`)
			if got := bt.selectedRole("#edit-dialog"); got != "Support" {
				t.Errorf("the Edit dialog's dropdown shows %q", got)
			}
			bt.fill("#edit-dialog #f-location", "Arlington")
			bt.click("#edit-several-roles")
			bt.waitTrue("checkboxes in the dialog", `document.querySelector("#edit-dialog")?.matches(":modal") && document.querySelectorAll("#edit-dialog input[type=checkbox][name=role]").length === 3`)
			if got := bt.value("#edit-dialog #f-location"); got != "Arlington" {
				t.Errorf("switching to several roles lost the location: %q", got)
			}
			bt.expectAccessible("the Edit dialog with several roles")
			bt.click(`#edit-dialog input[type=checkbox][value="` + memberRoleID(t, bt.store, ws.ID, "Member") + `"]`)
			bt.click("#edit-dialog button.save")
			bt.waitToast("success", "Saved Grace Hopper.")
			bt.waitTrue("the page shows both roles", `document.querySelectorAll("#member-roles input[type=checkbox][name=role]:checked").length === 2`)
			if got := bt.text("#member-profile"); !strings.Contains(got, "Arlington") {
				t.Errorf("the profile after the edit: %s", got)
			}

			// A phone's screen.
			bt.do("a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
			bt.expectFitsWidth("Grace's page at 390 px")
			bt.expectAccessible("Grace's page at 390 px")
			bt.screenshotForDocsAt("member-page-phone.png", 390, 844)
			bt.do("back to the desktop", chromedp.EmulateViewport(browserWidth, browserHeight))

			// Back to the same view of the table.
			bt.click("#back-to-members")
			back := bt.waitPath("/w/acme/members")
			if back.RawQuery != "sort=email&status=active" || bt.value("#filter-status") != "active" {
				t.Errorf("Back led to %s (status filter %q)", back, bt.value("#filter-status"))
			}

			// A SCIM member's page: the directory fields, the manager's link.
			bt.do("open the whole table", chromedp.Navigate(bt.base+"/w/acme/members?sort=email"))
			bt.waitPath("/w/acme/members")
			bt.click("#members-rows tr:has(.badge.scim) a.name")
			bt.waitTrue("Linus's page", `document.querySelector("#member-page h1")?.textContent === "Linus Torvalds"`)
			for _, s := range []string{"Kernel Maintainer", "Kernel", "42", "+1 555 0100"} {
				if got := bt.text("#member-profile"); !strings.Contains(got, s) {
					t.Errorf("Linus's profile lacks %q: %s", s, got)
				}
			}
			bt.expectAccessible("Linus's page")
			bt.watchPage()
			bt.click("#member-manager")
			bt.waitPath("/w/acme/members/" + grace)
			if got := bt.text("#back-to-members"); got == "" || browserEval[string](bt, `document.querySelector("#back-to-members").getAttribute("href")`) != "/w/acme/members?sort=email" {
				t.Errorf("the manager's page leads back to %q", browserEval[string](bt, `document.querySelector("#back-to-members").getAttribute("href")`))
			}

			// Revoking an invitation on the page leads back to the table.
			invited := "/w/acme/members?status=invited"
			bt.do("open Ivy's page", chromedp.Navigate(bt.base+"/w/acme/members/"+ivy.ID+"?back="+url.QueryEscape(invited)))
			bt.waitPath("/w/acme/members/" + ivy.ID)
			bt.watchPage()
			bt.expectAccessible("Ivy's page")
			bt.click(`#member-invitation button[hx-post$="/revoke"]`)
			bt.waitToast("success", "Revoked the invitation for ivy@example.com.")
			gone := bt.waitPath("/w/acme/members")
			if gone.RawQuery != "status=invited" || browserEval[int](bt, `document.querySelectorAll("main#main").length`) != 1 ||
				browserEval[int](bt, `document.querySelectorAll("header.topbar").length`) != 1 {
				t.Errorf("after revoking: %s, %s", gone, bt.text("#main"))
			}
			bt.waitTrue("Ivy gone from the table", `!document.querySelector("#member-`+ivy.ID+`")`)
			bt.expectCleanConsole()
		})
	}
}
