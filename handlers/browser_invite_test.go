package handlers_test

// Browser tests of inviting people, accepting an invitation from its email,
// and the members table's row actions: everything htmx swaps in without a
// page load, as a person sees it in Chromium.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserInviteWithSave invites one person with Enter and another with
// the Save button: the dialog closes, a toast says so and the new row is in
// the table, all without loading the page again. The invitation email goes
// out over SMTP.
func TestBrowserInviteWithSave(t *testing.T) {
	bt := newBrowserTest(t, withMail())
	_, ws := modelstest.SetUp(t, bt.store)
	addRole(t, bt.store, ws, "Support", "Answers customers; sees who is in the workspace.")
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()
	// The toasts' live region is in the page (shown) before any toast.
	bt.waitTrue("the toasts' box shown", `document.querySelector("#toasts").matches(":popover-open")`)

	// "Invite people" opens a modal dialog with the cursor in Email and the
	// Member role chosen.
	bt.openInviteDialog()
	if got := bt.checkedRoles(); !slices.Equal(got, []string{"Member"}) {
		t.Errorf("a fresh invite dialog has %q chosen, want Member", got)
	}
	bt.fill("#f-name", "Grace Hopper")
	bt.fill("#f-email", "grace@example.com")
	bt.chooseRole("Support")
	bt.fill("#f-location", "Arlington")
	bt.screenshotForDocs("invite-dialog.png")

	// Enter in a field submits the form as Save.
	bt.do("focus Location", chromedp.Focus(chromedp.CSS("#invite-dialog #f-location")))
	bt.expectRowTiming("grace@example.com")
	bt.do("press Enter", chromedp.KeyEvent(kb.Enter))
	grace := bt.waitRow("Grace's new row", "grace@example.com", func(r rowState) bool { return r.Found })
	bt.waitTrue("the dialog closed and gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.waitToast("success", "Invited Grace Hopper. They will get an email.")
	// The count above the table follows.
	bt.waitTrue("the count says 2 members", `document.querySelector("#members-count").textContent.trim().startsWith("2 members")`)
	if got := browserEval[string](bt, `window.__musterAction ?? ""`); got != "save" {
		t.Errorf("Enter sent action=%q, want save", got)
	}
	t.Logf("enter-to-row: %.0f ms", bt.rowTiming())
	want := rowState{Found: true, Index: 0, Name: "Grace Hopper", Roles: []string{"Support"}, Location: "Arlington", Badges: []string{"Invited"}}
	if !grace.sameAs(want) {
		t.Errorf("Grace's row = %+v, want %+v", grace, want)
	}
	bt.expectSamePage()

	// The email went out through the SMTP server, with a link to this app.
	msg := bt.mail.WaitFor(t, "grace@example.com", browserStepTimeout)
	if want := "Ada Lovelace invited you to join Acme on Muster"; msg.Subject != want {
		t.Errorf("subject = %q, want %q", msg.Subject, want)
	}
	if msg.Link(bt.base+"/invite/") == "" || !strings.Contains(msg.Text, "with the Support role") {
		t.Errorf("the invitation email lacks a link to %s/invite/ or the role:\n%s", bt.base, msg.Text)
	}

	// The Save button, timed from the click to the row in the table: the
	// figure the lead reports.
	bt.openInviteDialog()
	bt.fill("#f-name", "Alan Turing")
	bt.fill("#f-email", "alan@example.com")
	bt.expectRowTiming("alan@example.com")
	bt.click("#invite-dialog button.save")
	alan := bt.waitRow("Alan's new row", "alan@example.com", func(r rowState) bool { return r.Found })
	t.Logf("save-to-row: %.0f ms", bt.rowTiming())
	bt.waitTrue("the dialog closed and gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.waitToast("success", "Invited Alan Turing. They will get an email.")
	want = rowState{Found: true, Index: 0, Name: "Alan Turing", Roles: []string{"Member"}, Badges: []string{"Invited"}}
	if !alan.sameAs(want) {
		t.Errorf("Alan's row = %+v, want %+v", alan, want)
	}
	if s := bt.waitMembers("three rows", func(s membersState) bool { return len(s.Rows) == 3 }); !s.allBadgesIn("Active", "Invited") {
		t.Errorf("badges %q", s.Badges)
	}
	bt.expectSamePage()
	bt.mail.WaitFor(t, "alan@example.com", browserStepTimeout)

	// The menu of a row that arrived out of band works: Copy invite link
	// opens a dialog with a new link, and Copy says so in a toast that is
	// not hidden behind the dialog's backdrop.
	bt.rowAction(alan.ID, "link")
	bt.waitTrue("a modal link dialog", `document.querySelector("#link-dialog")?.matches(":modal")`)
	if link := bt.value("#invite-link"); !strings.HasPrefix(link, bt.base+"/invite/") {
		t.Errorf("the copied link is %q, want one under %s/invite/", link, bt.base)
	}
	bt.click("#link-dialog [data-copy]")
	bt.waitToast("success", "Link copied.")
	bt.expectToastOnTop("Link copied.", [3]uint8{0x1f, 0x6f, 0x35})
	bt.click("#link-dialog [data-close-dialog]")
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.expectSamePage()
	bt.expectCleanConsole()
}

// TestBrowserInviteSaveAndAddAnother invites three people in a row: the
// dialog stays open for the next one, keeping role and location.
func TestBrowserInviteSaveAndAddAnother(t *testing.T) {
	bt := newBrowserTest(t)
	_, ws := modelstest.SetUp(t, bt.store)
	addRole(t, bt.store, ws, "Support", "Answers customers; sees who is in the workspace.")
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()

	bt.openInviteDialog()
	bt.chooseRole("Support")
	bt.fill("#f-location", "Remote")
	people := [][2]string{{"Katherine Johnson", "katherine@example.com"}, {"Dorothy Vaughan", "dorothy@example.com"}, {"Mary Jackson", "mary@example.com"}}
	for i, p := range people {
		name, email := p[0], p[1]
		bt.fill("#invite-dialog #f-name", name)
		bt.fill("#invite-dialog #f-email", email)
		bt.markStale("#invite-form")
		bt.click("#invite-dialog button.another")
		bt.waitTrue("the next form after "+name, `document.querySelector("#invite-dialog #invite-form:not([data-stale]) #invite-notice") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
		if got, want := bt.text("#invite-notice"), "Invited "+name+". Add the next person."; got != want {
			t.Errorf("notice = %q, want %q", got, want)
		}
		if !browserEval[bool](bt, `document.querySelector("#invite-dialog")?.matches(":modal")`) {
			t.Errorf("after inviting %s the dialog is not open as a modal", name)
		}
		for sel, want := range map[string]string{"#f-name": "", "#f-email": "", "#f-location": "Remote"} {
			if got := bt.value("#invite-dialog " + sel); got != want {
				t.Errorf("after inviting %s %s = %q, want %q", name, sel, got, want)
			}
		}
		if got := bt.checkedRoles(); !slices.Equal(got, []string{"Support"}) {
			t.Errorf("after inviting %s the chosen role is %q, want Support", name, got)
		}
		bt.waitTrue("focus back in Email", `document.activeElement?.id === "f-email" && document.activeElement.closest("#invite-dialog")`)
		r := bt.waitRow(name+"'s row behind the dialog", email, func(r rowState) bool { return r.Found })
		want := rowState{Found: true, Index: 0, Name: name, Roles: []string{"Support"}, Location: "Remote", Badges: []string{"Invited"}}
		if !r.sameAs(want) {
			t.Errorf("row %d = %+v, want %+v", i, r, want)
		}
	}
	s := bt.waitMembers("four rows", func(s membersState) bool { return len(s.Rows) == 4 })
	if n := browserEval[int](bt, `document.querySelectorAll("#members-rows tr[id]").length`); n != 4 {
		t.Errorf("%d rows with ids, want 4", n)
	}
	// Esc closes the dialog; the rows stay.
	bt.do("press Esc", chromedp.KeyEvent(kb.Escape))
	bt.waitTrue("the dialog gone", `!document.querySelector("dialog")`)
	if after := bt.waitMembers("the rows", func(membersState) bool { return true }); !slices.Equal(after.Rows, s.Rows) {
		t.Errorf("Esc changed the rows: %q, then %q", s.Rows, after.Rows)
	}
	bt.expectSamePage()
	bt.expectCleanConsole()
}

// TestBrowserInviteErrors: a bad email comes back next to its field with
// everything typed kept; an email already invited offers to resend.
func TestBrowserInviteErrors(t *testing.T) {
	bt := newBrowserTest(t)
	_, ws := modelstest.SetUp(t, bt.store)
	addRole(t, bt.store, ws, "Support", "Answers customers; sees who is in the workspace.")
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()

	bt.openInviteDialog()
	bt.fill("#f-name", "Grace Hopper")
	bt.fill("#f-email", "grace@")
	bt.chooseRole("Support")
	bt.fill("#f-location", "Arlington")
	bt.markStale("#invite-form")
	bt.click("#invite-dialog button.save")
	bt.waitTrue("the email error in the open dialog", `document.querySelector("#invite-dialog #invite-form:not([data-stale]) #f-email-error") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
	if got, want := bt.text("#f-email-error"), "Enter an email address like name@example.com."; got != want {
		t.Errorf("email error = %q, want %q", got, want)
	}
	if !browserEval[bool](bt, `document.querySelector("#invite-dialog")?.matches(":modal")`) {
		t.Error("after the error the dialog is not open as a modal")
	}
	if !browserEval[bool](bt, `(f => f.getAttribute("aria-invalid") === "true" && f.getAttribute("aria-describedby") === "f-email-error")(document.querySelector("#f-email"))`) {
		t.Error("the email field is not marked aria-invalid and described by its error")
	}
	for sel, want := range map[string]string{"#f-name": "Grace Hopper", "#f-email": "grace@", "#f-location": "Arlington"} {
		if got := bt.value("#invite-dialog " + sel); got != want {
			t.Errorf("after the error %s = %q, want %q", sel, got, want)
		}
	}
	if got := bt.checkedRoles(); !slices.Equal(got, []string{"Support"}) {
		t.Errorf("after the error the chosen role is %q, want Support", got)
	}
	if n := browserEval[int](bt, `document.querySelectorAll("#invite-dialog .error").length`); n != 1 {
		t.Errorf("%d errors shown, want only the email's", n)
	}
	bt.waitTrue("focus on the email field", `document.activeElement?.id === "f-email"`)
	if n := browserEval[int](bt, `document.querySelectorAll("dialog").length`); n != 1 {
		t.Errorf("%d dialogs in the page, want 1", n)
	}
	if n := len(bt.waitMembers("the table", func(membersState) bool { return true }).Rows); n != 1 {
		t.Errorf("the failed invite left %d rows, want 1", n)
	}
	bt.screenshotForDocs("invite-error.png")

	// Fixed, it goes through.
	bt.fill("#invite-dialog #f-email", "grace@example.com")
	bt.click("#invite-dialog button.save")
	grace := bt.waitRow("Grace's row", "grace@example.com", func(r rowState) bool { return r.Found })
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)

	// Inviting her again (in other letter case) offers to resend instead.
	bt.openInviteDialog()
	bt.fill("#f-name", "Grace")
	bt.fill("#f-email", "GRACE@example.com")
	bt.markStale("#invite-form")
	bt.click("#invite-dialog button.save")
	bt.waitTrue("the resend offer", `document.querySelector("#invite-dialog #invite-form:not([data-stale]) #invite-conflict button") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
	if got, want := bt.text("#f-email-error"), "grace@example.com has already been invited and has not joined yet."; got != want {
		t.Errorf("email error = %q, want %q", got, want)
	}
	if got := bt.text("#invite-conflict button"); got != "Resend invite" {
		t.Errorf("the offer reads %q, want Resend invite", got)
	}
	if got := bt.value("#invite-dialog #f-name"); got != "Grace" {
		t.Errorf("name = %q after the conflict, want Grace", got)
	}
	// Taking the offer sends a new link, closes the dialog and says so.
	bt.markStale("#members-rows tr")
	bt.click("#invite-conflict button")
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.waitToast("success", "Sent a new invitation to grace@example.com. Earlier links no longer work.")
	resent := bt.waitRow("Grace's row again", "grace@example.com", func(r rowState) bool { return r.Found && !r.Stale })
	if resent.ID != grace.ID || !slices.Equal(resent.Badges, []string{"Invited"}) {
		t.Errorf("after the resend Grace's row is %+v (was %+v)", resent, grace)
	}
	if n := len(bt.waitMembers("the table", func(membersState) bool { return true }).Rows); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	bt.expectSamePage()
	bt.expectCleanConsole()
}

// TestBrowserInviteLifecycle follows an invitation from the dialog through
// the real email to a new member signed in to the workspace.
func TestBrowserInviteLifecycle(t *testing.T) {
	bt := newBrowserTest(t, withMail())
	modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

	bt.openInviteDialog()
	bt.fill("#f-name", "Grace Hopper")
	bt.fill("#f-email", "grace@example.com")
	bt.fill("#f-location", "Arlington")
	bt.click("#invite-dialog button.save")
	row := bt.waitRow("Grace's row", "grace@example.com", func(r rowState) bool { return r.Found })

	msg := bt.mail.WaitFor(t, "grace@example.com", browserStepTimeout)
	link := msg.Link(bt.base + "/invite/")
	if link == "" {
		t.Fatalf("no invitation link in the email:\n%s", msg.Text)
	}

	// Grace opens the link in her own browser.
	grace := bt.newPrivateTab("grace")
	grace.do("open the link", chromedp.Navigate(link))
	grace.waitTrue("the accept page", `document.readyState === "complete" && document.querySelector("h1")`)
	if got := grace.text("h1"); got != "Join Acme" {
		t.Errorf("accept page heading = %q", got)
	}
	if got, want := grace.text(".auth-card .lead"), "Ada Lovelace invited you to join Acme on Muster as Member."; got != want {
		t.Errorf("accept page says %q, want %q", got, want)
	}
	if got := grace.value("#f-invited-email"); got != "grace@example.com" {
		t.Errorf("invited email = %q", got)
	}
	if got := grace.value("#f-name"); got != "Grace Hopper" {
		t.Errorf("the name field starts as %q, want the name Ada typed", got)
	}
	grace.fill("#f-name", "Grace B. Hopper")
	grace.fill("#f-password", "a long enough password")
	grace.click(`form[action^="/invite/"] button[type=submit]`)
	grace.waitPath("/w/acme/members")
	if got := grace.text("details.menu.account .account-name"); got != "Grace B. Hopper" {
		t.Errorf("signed in as %q, want Grace B. Hopper", got)
	}
	if got := grace.text("details.menu.account .menu-note strong"); got != "grace@example.com" {
		t.Errorf("account email = %q", got)
	}
	mine := grace.waitRow("Grace's own row", "grace@example.com", func(r rowState) bool { return r.Found })
	if !slices.Equal(mine.Badges, []string{"Active"}) || mine.Name != "Grace B. Hopper" {
		t.Errorf("Grace sees her row as %+v", mine)
	}
	if browserEval[bool](grace, `!!document.querySelector("#invite-button, .row-menu details")`) {
		t.Error("a Member sees the invite button or row menus")
	}

	// Ada sees her active once the table is loaded again.
	bt.do("reload", chromedp.Reload())
	bt.waitPath("/w/acme/members")
	after := bt.waitRow("Grace active", "grace@example.com", func(r rowState) bool { return r.Found })
	if after.ID != row.ID || !slices.Equal(after.Badges, []string{"Active"}) || after.Name != "Grace B. Hopper" {
		t.Errorf("after the accept Ada sees %+v", after)
	}
	// The link has done its job.
	grace.do("open the used link", chromedp.Navigate(link))
	grace.waitTrue("the used-link page", `document.readyState === "complete" && document.querySelector("#invite-invalid h1")`)
	if got := grace.text("#invite-invalid h1"); got != "This invitation has already been used" {
		t.Errorf("the used link says %q", got)
	}
	bt.expectCleanConsole()
	grace.expectCleanConsole(410)
}

// TestBrowserMemberRowActions edits a member from the row menu, deactivates
// and reactivates them, and shows why the last admin cannot deactivate
// herself (Grace's new role is not Admin).
func TestBrowserMemberRowActions(t *testing.T) {
	bt := newBrowserTest(t)
	acc, ws := modelstest.SetUp(t, bt.store)
	addRole(t, bt.store, ws, "Support", "Answers customers; sees who is in the workspace.")
	ctx := context.Background()
	admin, _, err := bt.store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Grace joined as a Member; Alan is still invited.
	graceID := joinedMember(t, bt.store, ws, admin, "Grace Hopper", "grace@example.com", "Member")
	if _, _, err := bt.store.Invite(ctx, models.MemberActor(admin), ws, models.InviteInput{Name: "Alan Turing", Email: "alan@example.com", RoleID: memberRoleID(t, bt.store, ws.ID, "Member")}); err != nil {
		t.Fatal(err)
	}
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.watchPage()
	bt.waitMembers("three members", func(s membersState) bool { return len(s.Rows) == 3 })

	// Edit Grace from her row's menu.
	before := bt.waitRow("Grace's row", "grace@example.com", func(r rowState) bool { return r.Found })
	bt.rowAction(graceID, "edit")
	bt.waitTrue("a modal Edit dialog", `document.querySelector("#edit-dialog")?.matches(":modal")`)
	bt.waitTrue("focus in Name", `document.activeElement?.id === "f-name"`)
	if got := bt.text("#edit-title"); got != "Edit Grace Hopper" {
		t.Errorf("edit dialog title = %q", got)
	}
	if got := bt.selectedRole("#edit-dialog"); got != "Member" {
		t.Errorf("the edit dialog has %q chosen, want Member", got)
	}
	bt.selectRole("#edit-dialog", "Support") // the Role dropdown: Support replaces Member
	bt.fill("#edit-dialog #f-location", "Arlington")
	if got := bt.selectedRole("#edit-dialog"); got != "Support" {
		t.Errorf("the edit dialog has %q chosen, want Support", got)
	}
	bt.screenshotForDocs("edit-dialog.png")
	bt.markStale("#members-rows tr")
	bt.click("#edit-dialog button.save")
	edited := bt.waitRow("Grace's row swapped in", "grace@example.com", func(r rowState) bool { return r.Found && !r.Stale })
	bt.waitTrue("the dialog gone", `!document.querySelector("#dialog-slot dialog")`)
	bt.waitToast("success", "Saved Grace Hopper.")
	want := rowState{Found: true, ID: before.ID, Index: before.Index, Name: "Grace Hopper", Roles: []string{"Support"}, Location: "Arlington", Badges: []string{"Active"}}
	if !edited.sameAs(want) || edited.ID != want.ID {
		t.Errorf("edited row = %+v, want %+v", edited, want)
	}
	if n := browserEval[int](bt, `document.querySelectorAll("#members-rows tr").length`); n != 3 {
		t.Errorf("%d rows after the edit, want 3", n)
	}

	// Deactivate, then reactivate.
	bt.markStale("#members-rows tr")
	bt.rowAction(graceID, "deactivate")
	bt.waitToast("success", "Deactivated Grace Hopper. Their access ended at once.")
	r := bt.waitRow("Grace deactivated", "grace@example.com", func(r rowState) bool { return r.Found && !r.Stale })
	if !slices.Equal(r.Badges, []string{"Deactivated"}) || r.Index != before.Index {
		t.Errorf("after Deactivate Grace's row is %+v", r)
	}
	// Keyboard focus comes back to Grace's row menu, not the top of the page.
	bt.waitTrue("focus back on Grace's menu", `document.activeElement && document.activeElement.matches("#member-`+graceID+` .row-menu summary")`)
	bt.markStale("#members-rows tr")
	bt.rowAction(graceID, "reactivate")
	bt.waitToast("success", "Reactivated Grace Hopper.")
	r = bt.waitRow("Grace active again", "grace@example.com", func(r rowState) bool { return r.Found && !r.Stale })
	if !slices.Equal(r.Badges, []string{"Active"}) || !slices.Equal(r.Roles, []string{"Support"}) {
		t.Errorf("after Reactivate Grace's row is %+v", r)
	}

	// Ada cannot deactivate or remove herself (she is the only Admin,
	// too): her menu shows both disabled, with the reason next to them,
	// and choosing one does nothing.
	bt.markStale("#members-rows tr")
	bt.click("#member-" + admin.ID + " .row-menu summary")
	bt.waitTrue("Ada's menu open", `document.querySelector("#member-`+admin.ID+` details.menu").open`)
	disabled := browserEval[[]string](bt, `[...document.querySelectorAll("#member-`+admin.ID+` [role=menuitem][aria-disabled=true]")].map(b => b.textContent.trim())`)
	if !slices.Equal(disabled, []string{"Deactivate", "Remove from workspace"}) {
		t.Errorf("Ada's disabled items = %q", disabled)
	}
	if note := bt.text("#member-" + admin.ID + " .menu-reason"); !strings.Contains(note, "This is you") {
		t.Errorf("Ada's menu says %q", note)
	}
	bt.countHTMXRequests()
	bt.click("#member-" + admin.ID + ` [role=menuitem][aria-disabled=true]`)
	if n := bt.htmxRequests(); n != 0 {
		t.Errorf("a disabled item sent %d requests", n)
	}
	if r := bt.waitRow("Ada's row", "ada@example.com", func(r rowState) bool { return r.Found }); !slices.Equal(r.Badges, []string{"Active"}) || !r.Stale {
		t.Errorf("Ada's row is %+v, want it Active and untouched", r)
	}
	bt.expectSamePage()
	bt.expectCleanConsole()
}

// TestBrowserResendExpiredInvite lets an invitation expire (the clock moves
// 8 days), resends it, and checks that only the new link works.
func TestBrowserResendExpiredInvite(t *testing.T) {
	bt := newBrowserTest(t, withMail())
	modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.openInviteDialog()
	bt.fill("#f-name", "Grace Hopper")
	bt.fill("#f-email", "grace@example.com")
	bt.click("#invite-dialog button.save")
	row := bt.waitRow("Grace's row", "grace@example.com", func(r rowState) bool { return r.Found })
	first := bt.mail.WaitFor(t, "grace@example.com", browserStepTimeout)
	oldLink := first.Link(bt.base + "/invite/")
	if oldLink == "" {
		t.Fatalf("no link in the first email:\n%s", first.Text)
	}

	// Eight days later the link has expired, and the table says so.
	bt.advanceClock(8 * 24 * time.Hour)
	bt.do("reload", chromedp.Reload())
	bt.waitPath("/w/acme/members")
	expired := bt.waitRow("Grace's expired invite", "grace@example.com", func(r rowState) bool { return r.Found })
	if !slices.Equal(expired.Badges, []string{"Invite expired"}) {
		t.Errorf("after 8 days Grace's row is %+v, want the badge Invite expired", expired)
	}
	bt.watchPage()

	// Resend from the row's menu.
	bt.markStale("#members-rows tr")
	bt.rowAction(row.ID, "resend")
	bt.waitToast("success", "Sent a new invitation to grace@example.com. Earlier links no longer work.")
	resent := bt.waitRow("Grace's row after the resend", "grace@example.com", func(r rowState) bool { return r.Found && !r.Stale })
	if !slices.Equal(resent.Badges, []string{"Invited"}) {
		t.Errorf("after the resend Grace's row is %+v, want the badge Invited", resent)
	}
	second := bt.mail.WaitFor(t, "grace@example.com", browserStepTimeout)
	newLink := second.Link(bt.base + "/invite/")
	if newLink == "" || newLink == oldLink {
		t.Fatalf("the second email's link is %q (the first was %q)", newLink, oldLink)
	}

	// The old link says it was replaced; the new one works.
	grace := bt.newPrivateTab("grace")
	grace.do("open the old link", chromedp.Navigate(oldLink))
	grace.waitTrue("the old link's page", `document.readyState === "complete" && document.querySelector("#invite-invalid h1")`)
	if got := grace.text("#invite-invalid h1"); got != "This link has been replaced" {
		t.Errorf("the old link says %q", got)
	}
	grace.do("open the new link", chromedp.Navigate(newLink))
	grace.waitTrue("the accept page", `document.readyState === "complete" && document.querySelector("#f-password")`)
	if got := grace.text("h1"); got != "Join Acme" {
		t.Errorf("the new link's page heading = %q", got)
	}
	grace.fill("#f-password", "a long enough password")
	grace.click(`form[action^="/invite/"] button[type=submit]`)
	grace.waitPath("/w/acme/members")
	if r := grace.waitRow("Grace's own row", "grace@example.com", func(r rowState) bool { return r.Found }); !slices.Equal(r.Badges, []string{"Active"}) {
		t.Errorf("Grace sees her row as %+v", r)
	}
	bt.expectCleanConsole()
	grace.expectCleanConsole(410)
}

// addRole gives a workspace a custom role that can view members.
func addRole(t *testing.T, s *models.Store, ws *models.Workspace, name, description string) {
	t.Helper()
	if _, err := s.CreateRole(context.Background(), models.SystemActor, ws, models.RoleInput{Name: name, Description: description,
		Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
		t.Fatal(err)
	}
}

// joinedMember invites someone with one role and accepts for them,
// returning their member id.
func joinedMember(t *testing.T, s *models.Store, ws *models.Workspace, by *models.Member, name, email, role string) string {
	t.Helper()
	ctx := context.Background()
	m, token, err := s.Invite(ctx, models.MemberActor(by), ws, models.InviteInput{Name: name, Email: email, RoleID: memberRoleID(t, s, ws.ID, role)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AcceptInvite(ctx, token, models.AcceptInput{Name: name, Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// signInAs signs in through the form and waits for the page it leads to.
func (bt *browserTest) signInAs(email, password, landing string) {
	bt.t.Helper()
	bt.do("open sign-in", chromedp.Navigate(bt.base+"/signin"))
	bt.fill("#f-email", email)
	bt.fill("#f-password", password)
	bt.click(`form[action="/signin"] button[type=submit]`)
	bt.waitPath(landing)
}

// watchPage marks the window, so expectSamePage can tell that nothing
// loaded the page again, and records every toast and the action of every
// htmx request (toasts leave after a few seconds).
func (bt *browserTest) watchPage() {
	bt.t.Helper()
	bt.do("watch the page", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__musterMarker = "still here";
		window.__musterToasts = [];
		new MutationObserver(records => {
			for (const r of records) for (const n of r.addedNodes) {
				if (n.nodeType === 1 && n.classList.contains("toast")) {
					window.__musterToasts.push({kind: [...n.classList].find(c => c !== "toast") ?? "", text: (n.querySelector(".toast-message") ?? n).textContent, undo: !!n.querySelector(".toast-undo"), role: n.getAttribute("role") ?? ""});
				}
			}
		}).observe(document.querySelector("#toasts"), {childList: true});
		document.addEventListener("htmx:configRequest", e => {
			if (e.detail.verb !== "post") return; // the count's own reload is a GET
			const p = e.detail.formData ?? e.detail.parameters;
			window.__musterAction = (p && typeof p.get === "function") ? p.get("action") : p?.action;
		});
	})()`))
}

// expectSamePage fails if the page was loaded again since watchPage.
func (bt *browserTest) expectSamePage() {
	bt.t.Helper()
	if !browserEval[bool](bt, `window.__musterMarker === "still here"`) {
		bt.t.Error("the page was loaded again; the change should have been swapped in")
	}
}

// waitToast waits for a toast of kind with exactly text (recorded by
// watchPage), and takes it off the record.
func (bt *browserTest) waitToast(kind, text string) {
	bt.t.Helper()
	i := browserWait(bt, fmt.Sprintf("a %s toast %q", kind, text), fmt.Sprintf(
		`window.__musterToasts.findIndex(t => t.kind === %q && t.text === %q)`, kind, text), func(i int) bool { return i >= 0 })
	role := browserEval[string](bt, fmt.Sprintf(`window.__musterToasts.splice(%d, 1)[0].role`, i))
	if want := map[bool]string{true: "alert", false: "status"}[kind == "error"]; role != want {
		bt.t.Errorf("the %s toast %q has role %q, want %q", kind, text, role, want)
	}
}

// expectRowTiming starts timing, in the page, from the next click on the
// invite dialog's Save button or Enter key to the moment the row with
// email is in the table.
func (bt *browserTest) expectRowTiming(email string) {
	bt.t.Helper()
	bt.do("time the row", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const t = window.__musterRowTiming = {};
		const start = e => { if (t.start === undefined && (e.type === "click" ? e.target.closest("#invite-dialog button.save") : e.key === "Enter")) t.start = performance.now(); };
		document.addEventListener("click", start, true);
		document.addEventListener("keydown", start, true);
		const rows = document.querySelector("#members-rows");
		const obs = new MutationObserver(() => {
			if ([...rows.querySelectorAll("tr .email")].some(e => e.textContent.trim() === %q)) {
				t.end = performance.now();
				obs.disconnect();
			}
		});
		obs.observe(rows, {childList: true, subtree: true});
	})()`, email)))
}

// rowTiming returns the milliseconds expectRowTiming measured.
func (bt *browserTest) rowTiming() float64 {
	bt.t.Helper()
	ms := browserEval[float64](bt, `(t => t.start !== undefined && t.end !== undefined ? t.end - t.start : -1)(window.__musterRowTiming)`)
	if ms < 0 || math.IsNaN(ms) {
		bt.t.Error("the row's timing has no start or no end")
	}
	return ms
}

// openInviteDialog clicks "Invite people" and waits for a modal dialog with
// the cursor in Name.
func (bt *browserTest) openInviteDialog() {
	bt.t.Helper()
	bt.click("#invite-button")
	bt.waitTrue("a modal Invite dialog", `document.querySelector("#dialog-slot #invite-dialog")?.matches(":modal") && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
	if got := bt.text("#invite-title"); got != "Invite people" {
		bt.t.Errorf("dialog title = %q", got)
	}
	bt.waitTrue("focus in Email", `document.activeElement?.id === "f-email" && document.activeElement.closest("#invite-dialog")`)
	for _, sel := range []string{"#f-name", "#f-email", "#f-location"} {
		if got := bt.value("#invite-dialog " + sel); got != "" {
			bt.t.Errorf("a fresh invite dialog has %s = %q", sel, got)
		}
	}
}

// chooseRole clicks the role with this name in the open dialog (a radio
// chooses it, a checkbox toggles it).
func (bt *browserTest) chooseRole(name string) {
	bt.t.Helper()
	id := browserEval[int](bt, fmt.Sprintf(`[...document.querySelectorAll("dialog[open] .role-option")].findIndex(l => l.querySelector("strong").textContent.trim() === %q)`, name))
	if id < 0 {
		bt.t.Fatalf("no role %q in the dialog", name)
	}
	bt.click(fmt.Sprintf(`dialog[open] .role-option:nth-of-type(%d) input`, id+1))
}

// checkedRoles names the roles chosen in the open dialog.
func (bt *browserTest) checkedRoles() []string {
	bt.t.Helper()
	return browserEval[[]string](bt, `[...document.querySelectorAll("dialog[open] .role-option")].filter(l => l.querySelector("input").checked).map(l => l.querySelector("strong").textContent.trim())`)
}

// expectToastOnTop checks, in a screenshot, that the toast with text is
// painted in its own colour: not dimmed by a modal dialog's backdrop.
func (bt *browserTest) expectToastOnTop(text string, want [3]uint8) {
	bt.t.Helper()
	pt := browserEval[[]float64](bt, fmt.Sprintf(`(() => {
		const t = [...document.querySelectorAll("#toasts .toast")].find(t => t.textContent === %q);
		if (!t) return [];
		const b = t.getBoundingClientRect();
		return [b.left + 3, b.top + b.height / 2]; // in the padding, clear of the text
	})()`, text))
	if len(pt) != 2 {
		bt.t.Fatalf("the toast %q is gone before it could be checked", text)
	}
	ctx, cancel := context.WithTimeout(bt.ctx, browserStepTimeout)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		bt.t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		bt.t.Fatal(err)
	}
	// A slow run may catch the toast fading out (after 4 s): no verdict then.
	if browserEval[bool](bt, fmt.Sprintf(`![...document.querySelectorAll("#toasts .toast:not(.leaving)")].some(t => t.textContent === %q)`, text)) {
		bt.t.Logf("the toast %q was leaving when the screenshot was taken; its colour is not checked", text)
		return
	}
	r, g, b, _ := img.At(int(pt[0]), int(pt[1])).RGBA()
	got := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	for i := range got {
		if d := int(got[i]) - int(want[i]); d < -8 || d > 8 {
			bt.t.Errorf("the toast %q is painted #%02x%02x%02x, want #%02x%02x%02x: is it behind a dialog's backdrop?", text, got[0], got[1], got[2], want[0], want[1], want[2])
			return
		}
	}
}

// rowAction opens a member's "…" menu and chooses the item whose URL ends
// in /action.
func (bt *browserTest) rowAction(memberID, action string) {
	bt.t.Helper()
	row := "#member-" + memberID
	bt.click(row + " .row-menu summary")
	bt.click(fmt.Sprintf(`%s .row-menu [role=menuitem][hx-post$="/%s"], %s .row-menu [role=menuitem][hx-get$="/%s"]`, row, action, row, action))
}

// rowState is one row of the members table, found by its email.
type rowState struct {
	Found    bool     `json:"found"`
	ID       string   `json:"id"`
	Index    int      `json:"index"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Location string   `json:"location"`
	Badges   []string `json:"badges"`
	Stale    bool     `json:"stale"` // marked by markStale: not swapped in since
	Busy     bool     `json:"busy"`
}

// sameAs compares what a person sees (not the id, unless want has one).
func (r rowState) sameAs(want rowState) bool {
	return r.Found == want.Found && r.Index == want.Index && r.Name == want.Name && slices.Equal(r.Roles, want.Roles) &&
		r.Location == want.Location && slices.Equal(r.Badges, want.Badges) && (want.ID == "" || r.ID == want.ID)
}

const rowStateJS = `((email) => {
	const busy = document.readyState !== "complete" || !!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling");
	const rows = [...document.querySelectorAll("#members-rows tr")];
	const i = rows.findIndex(r => r.querySelector(".email")?.textContent.trim() === email);
	if (i < 0) return {found: false, busy};
	const r = rows[i], text = e => (e?.textContent ?? "").replace(/\s+/g, " ").trim();
	return {
		found: true, id: r.id.replace(/^member-/, ""), index: i, busy,
		name: text(r.querySelector(".name")),
		roles: [...r.querySelectorAll(".roles .chip")].map(text),
		location: text(r.querySelector(".location")),
		badges: [...r.querySelectorAll(".badge")].map(text),
		stale: !!r.dataset.stale,
	};
})(%q)`

// waitRow waits until no htmx request is under way and ok accepts the row
// with email.
func (bt *browserTest) waitRow(what, email string, ok func(rowState) bool) rowState {
	bt.t.Helper()
	return browserWait(bt, what, fmt.Sprintf(rowStateJS, email), func(r rowState) bool { return !r.Busy && ok(r) })
}

func (s membersState) allBadgesIn(allowed ...string) bool {
	for _, b := range s.Badges {
		if !slices.Contains(allowed, b) {
			return false
		}
	}
	return true
}
