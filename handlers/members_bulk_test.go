package handlers_test

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// bulkSetUp: Ada (Admin) signed in, with Grace invited and a member
// named "=cmd" whose cells would run as a formula in a spreadsheet.
func bulkSetUp(t *testing.T, d string) (*models.Store, *models.Workspace, *client, *models.Member, *models.Member) {
	t.Helper()
	app, store := newApp(t, d)
	acc, ws := modelstest.SetUp(t, store)
	grace, _ := inviteGrace(t, store, acc, ws)
	admin, _, _ := store.Membership(context.Background(), ws.ID, acc.ID)
	evil, _, err := store.Invite(context.Background(), models.MemberActor(admin), ws, models.InviteInput{Name: "=HYPERLINK(1)", Email: "evil@example.com",
		RoleID: memberRoleID(t, store, ws.ID, "Member"), Location: "@London"})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	c.get("/w/acme/members")
	return store, ws, c, grace, evil
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return rows
}

// TestMembersExportCSV: the export of a view is CSV with a header row,
// the view's filters and order, and cells made safe for spreadsheets.
func TestMembersExportCSV(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			store, ws, c, _, _ := bulkSetUp(t, d)
			page := c.get("/w/acme/members?status=invited&sort=email&dir=desc")
			href := page.Doc.Find("#members-export").AttrOr("href", "")
			if href != "/w/acme/members/export.csv?dir=desc&sort=email&status=invited" {
				t.Fatalf("export link = %q", href)
			}
			res := c.get(href)
			expectStatus(t, res, 200)
			if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="acme-members-`) {
				t.Errorf("content disposition %q", cd)
			}
			rows := readCSV(t, res.Body)
			if strings.Join(rows[0], ",") != "name,email,roles,location,status,source,invited_at,joined_at,last_seen" {
				t.Errorf("header = %v", rows[0])
			}
			if len(rows) != 3 || rows[1][1] != "grace@example.com" || rows[2][1] != "evil@example.com" {
				t.Fatalf("rows = %v", rows)
			}
			if rows[2][0] != "'=HYPERLINK(1)" || rows[2][3] != "'@London" || rows[2][4] != "invited" || rows[2][5] != "invited" || rows[2][6] == "" {
				t.Errorf("evil's row = %v", rows[2])
			}
			// A search; and every member without filters.
			if rows := readCSV(t, c.get("/w/acme/members/export.csv?q=grace").Body); len(rows) != 2 || rows[1][0] != "Grace" {
				t.Errorf("search: %v", rows)
			}
			if rows := readCSV(t, c.get("/w/acme/members/export.csv?role=nonsense&sort=bogus").Body); len(rows) != 4 {
				t.Errorf("everyone: %v", rows)
			}
			evs, _ := store.ListAudit(context.Background(), ws.ID, models.AuditQuery{Action: "members.exported"})
			if len(evs.Events) != 3 {
				t.Errorf("%d export events, want 3", len(evs.Events))
			}
		})
	}
}

// TestBulkConfirmAndRun: the confirmation counts, the run changes and
// reloads; bad input is a 422 in the dialog; no permission is a 403.
func TestBulkConfirmAndRun(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			store, ws, c, grace, evil := bulkSetUp(t, d)
			ctx := context.Background()
			ada := c.get("/w/acme/members").Doc.Find("#members-rows .row-select[aria-label='Select Ada Lovelace']").AttrOr("value", "")
			if ada == "" {
				t.Fatal("no labelled checkbox for Ada's row")
			}
			htmx := []string{"HX-Request", "true"}
			// Deactivate all three: Ada is herself, the others are invited.
			res := c.post("/w/acme/members/bulk/deactivate/confirm", url.Values{"id": {ada, grace.ID, evil.ID}}, htmx...)
			expectStatus(t, res, 200)
			if got := strings.Join(strings.Fields(res.Doc.Find("#bulk-summary").Text()), " "); got != "Nothing to do of 3 selected. 3 will be skipped:" {
				t.Errorf("summary = %q", got)
			}
			if n := res.Doc.Find("#bulk-skips li").Length(); n != 2 {
				t.Errorf("%d skip groups, want 2 (yourself, not active)", n)
			}
			res = c.post("/w/acme/members/bulk/deactivate", url.Values{"id": {ada, grace.ID, evil.ID}}, htmx...)
			expectStatus(t, res, 422)

			// Change the role of everyone invited (all matching the view) to Admin.
			admin := memberRoleID(t, store, ws.ID, "Admin")
			view := url.Values{"all": {"1"}, "status": {"invited"}, "to_role": {admin}}
			res = c.post("/w/acme/members/bulk/role/confirm", view, htmx...)
			expectStatus(t, res, 200)
			if got := strings.Join(strings.Fields(res.Doc.Find("#bulk-summary").Text()), " "); got != "Change role 2 members to Admin of 2 selected." {
				t.Errorf("summary = %q", got)
			}
			if res.Doc.Find("input[name=all][value='1']").Length() != 1 || res.Doc.Find("input[name=status][value=invited]").Length() != 1 {
				t.Error("the confirmation does not carry the view")
			}
			res = c.post("/w/acme/members/bulk/role", view, htmx...)
			expectStatus(t, res, 200) // "all matching" runs as a job: its progress
			if res.Doc.Find("#bulk-progress").Length() != 1 || !strings.Contains(res.Header.Get("HX-Trigger"), "bulkDone") {
				t.Fatalf("no progress: %s", res.Body)
			}
			for i := 0; i < 10; i++ {
				if worked, err := store.ProcessImports(ctx, 500); err != nil || !worked {
					break
				}
			}
			id := res.Doc.Find("#bulk-progress").AttrOr("hx-get", "")
			done := c.get(id, htmx...)
			if got := strings.Join(strings.Fields(done.Doc.Find("#bulk-summary-counts").Text()), " "); got != "2 changed 0 skipped" {
				t.Errorf("progress = %q", got)
			}
			if m, _ := store.MemberByID(ctx, ws.ID, grace.ID); m.Roles[0].Name != "Admin" {
				t.Errorf("grace has %v", m.Roles)
			}

			// A small selection runs at once: the dialog closes, the table reloads.
			res = c.post("/w/acme/members/bulk/role", url.Values{"id": {grace.ID}, "to_role": {memberRoleID(t, store, ws.ID, "Member")}}, htmx...)
			expectStatus(t, res, 204)
			if tr := res.Header.Get("HX-Trigger"); !strings.Contains(tr, "membersRefresh") || !strings.Contains(tr, "closeDialog") || !strings.Contains(tr, "Changed the role of 1 member.") {
				t.Errorf("HX-Trigger = %s", tr)
			}

			// Bad input: 422 with the reason, never a 500.
			for _, form := range []url.Values{
				{},                                   // nothing selected
				{"id": {grace.ID}},                   // no role
				{"id": {grace.ID}, "to_role": {"x"}}, // not a role here
				{"id": {strings.Repeat("x", 10001)}}, // junk id
			} {
				res := c.post("/w/acme/members/bulk/role", form, htmx...)
				if res.StatusCode != 422 || res.Doc.Find("[role=alert], .error").Length() == 0 {
					t.Errorf("%v: status %d, want 422 with a message", form, res.StatusCode)
				}
			}
			if res := c.post("/w/acme/members/bulk/deactivate/confirm", url.Values{}, htmx...); res.StatusCode != 422 {
				t.Errorf("nothing selected: %d", res.StatusCode)
			}
		})
	}
}

// TestBulkWithoutPermission: a member who may only view gets 403 from
// every bulk action, and no checkboxes or bulk bar.
func TestBulkWithoutPermission(t *testing.T) {
	app, store := newApp(t, "sqlite")
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, store)
	admin, _, _ := store.Membership(ctx, ws.ID, acc.ID)
	_, token := inviteGrace(t, store, acc, ws)
	if _, _, err := store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, app)
	c.signIn("grace@example.com", "a long enough password")
	page := c.get("/w/acme/members")
	if page.Doc.Find("#bulk-bar, .row-select, #select-page").Length() != 0 {
		t.Error("a member who may only view is offered bulk actions")
	}
	if page.Doc.Find("#members-export").Length() != 1 {
		t.Error("no export for a member who may view")
	}
	for _, a := range []string{"role", "resend", "deactivate", "reactivate", "remove"} {
		for _, p := range []string{"/confirm", ""} {
			res := c.post("/w/acme/members/bulk/"+a+p, url.Values{"id": {admin.ID}, "to_role": {memberRoleID(t, store, ws.ID, "Member")}}, "HX-Request", "true")
			if res.StatusCode != 403 {
				t.Errorf("%s%s: %d, want 403", a, p, res.StatusCode)
			}
		}
	}
	if m, _ := store.MemberByID(ctx, ws.ID, admin.ID); m.Status != models.StatusActive || m.Roles[0].Name != "Admin" {
		t.Errorf("admin = %+v", m)
	}
}
