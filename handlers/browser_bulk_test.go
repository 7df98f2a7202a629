package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserBulkRoleChange filters the table to the invited members,
// selects the page, then all matching the view, changes their role to
// Sales through the confirmation, follows the job to its end, and
// downloads the view's export: every row in it has the new role.
func TestBrowserBulkRoleChange(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			bt := newBrowserTest(t, onDatabase(d))
			_, ws := modelstest.SetUp(t, bt.store)
			ctx := context.Background()
			if err := bt.store.SeedDemo(ctx, ws.ID, 600, 11); err != nil {
				t.Fatal(err)
			}
			invited, err := bt.store.ListMembers(ctx, ws.ID, models.MemberQuery{Status: models.StatusInvited})
			if err != nil || invited.Total <= 50 {
				t.Fatalf("%d invited members, want more than a page (%v)", invited.Total, err)
			}
			bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

			// Filter by status: the table reloads, the export link follows the view.
			bt.do("filter the invited", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#filter-status");
				s.value = "invited"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`))
			bt.waitTrue("the invited view", `location.search.includes("status=invited") && document.querySelectorAll("#members-rows .badge.invited").length === 50`)
			bt.waitTrue("the export link for the view", `document.querySelector("#members-export").getAttribute("href").includes("status=invited")`)
			if label := browserEval[string](bt, `document.querySelector("#members-rows .row-select").getAttribute("aria-label")`); !strings.HasPrefix(label, "Select ") {
				t.Errorf("row checkbox label %q", label)
			}

			// Select the page, then every member of the view.
			bt.click("#select-page")
			bt.waitTrue("the bulk bar", `!document.querySelector("#bulk-bar").hidden && document.querySelector("#bulk-count").textContent === "50 selected"`)
			bt.waitTrue("the bar announced", `document.querySelector("#bulk-announce").textContent.startsWith("50 selected")`)
			bt.click("#bulk-select-all")
			total := fmt.Sprint(invited.Total)
			bt.waitTrue("all matching selected", `document.querySelector("#bulk-count").textContent === "All `+total+` matching selected"`)
			bt.screenshotForDocs("members-bulk-bar.png")

			bt.click(`#bulk-bar button[hx-post$="/bulk/role/confirm"]`)
			bt.waitTrue("the confirmation", `document.querySelector("#bulk-dialog")?.matches(":modal")`)
			bt.do("choose Sales", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#bulk-role");
				s.value = [...s.options].find(o => o.text === "Sales").value; s.dispatchEvent(new Event("change", {bubbles: true})); })()`))
			bt.waitTrue("the counts for Sales", `document.querySelector("#bulk-summary")?.textContent.replace(/\s+/g, " ").includes("to Sales of `+total+` selected")`)
			apply := strings.Fields(bt.text("#bulk-summary"))[2] // "Change role N members to Sales of M selected."
			bt.expectAccessible("the bulk confirmation")
			bt.screenshotForDocs("members-bulk-confirm.png")
			bt.click(`#bulk-confirm button[type=submit]`)
			bt.waitTrue("the job done", `document.querySelector("#bulk-progress-title")?.textContent.includes("done")`)
			if got := strings.Join(strings.Fields(bt.text("#bulk-summary-counts")), " "); !strings.HasPrefix(got, apply+" changed "+fmt.Sprint(invited.Total-atoi(apply))+" skipped") {
				t.Errorf("counts = %q", got)
			}
			bt.click(`#bulk-progress [data-close-dialog]`)
			bt.waitTrue("the dialog closed and the selection cleared", `!document.querySelector("#dialog-slot dialog") && document.querySelector("#bulk-bar").hidden`)
			bt.waitTrue("the table shows Sales", `[...document.querySelectorAll("#members-rows td.roles")].every(td => td.textContent.trim() === "Sales")`)

			// The export of the view, fetched as the browser would (with its cookies).
			href := browserEval[string](bt, `document.querySelector("#members-export").href`)
			body := browserEval[string](bt, fmt.Sprintf(`(() => { const x = new XMLHttpRequest(); x.open("GET", %q, false); x.send(); return x.getResponseHeader("Content-Type") + "\n" + x.responseText; })()`, href))
			lines := strings.Split(strings.TrimSpace(body), "\n")
			if lines[0] != "text/csv; charset=utf-8" || lines[1] != "name,email,roles,location,status,source,invited_at,joined_at,last_seen" || len(lines) != invited.Total+2 {
				t.Fatalf("export: %d lines, starting %q", len(lines), strings.Join(lines[:min(3, len(lines))], " | "))
			}
			for _, l := range lines[2:] {
				if !strings.Contains(l, ",Sales,") || !strings.Contains(l, ",invited,") {
					t.Fatalf("export row %q", l)
				}
			}

			// On a phone: the bar above the stacked rows, nothing wider than the screen.
			bt.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
			bt.click("#members-rows .row-select")
			bt.waitTrue("the bulk bar on a phone", `!document.querySelector("#bulk-bar").hidden`)
			bt.expectFitsWidth("the bulk bar at 390 px")
			bt.expectAccessible("the bulk bar at 390 px")
			bt.screenshotForDocsAt("members-bulk-phone.png", 390, 844)
			bt.expectCleanConsole()
		})
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(strings.ReplaceAll(s, ",", ""), &n)
	return n
}
