package handlers_test

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// scimApp is the app with the provisioning log on, the standard workspace,
// a SCIM token, and a client signed in as its admin.
func scimApp(t *testing.T, dialect string) (*fiber.App, *models.Store, *models.Workspace, *models.SCIMLog, string, *client) {
	t.Helper()
	store := modelstest.Open(t, dialect)
	log := store.StartSCIMLog(models.SCIMLogOptions{})
	t.Cleanup(log.Close)
	app := handlers.New(handlers.Options{Store: store, SCIMLog: log})
	_, ws := modelstest.SetUp(t, store)
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	token, _, err := store.CreateSCIMToken(context.Background(), models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	return app, store, ws, log, token, c
}

// scimCall sends one SCIM request and returns its status.
func scimCall(t *testing.T, app *fiber.App, token, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(b)
}

func flush(t *testing.T, log *models.SCIMLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

const userURN = "urn:ietf:params:scim:schemas:core:2.0:User"

// TestSCIMLogPage: the provisioning log page, its filters as htmx partials
// (each control an hx-get), an entry's detail, and a member's history from
// their row menu.
func TestSCIMLogPage(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store, ws, log, token, c := scimApp(t, d)
			st, body := scimCall(t, app, token, "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"grace@example.com","name":{"givenName":"Grace","familyName":"Hopper"}}`)
			if st != 201 {
				t.Fatalf("create: %d %s", st, body)
			}
			grace := body[strings.Index(body, `"id":"`)+6:]
			grace = grace[:strings.IndexByte(grace, '"')]
			scimCall(t, app, token, "GET", "/scim/v2/Users", "")
			if st, _ := scimCall(t, app, token, "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"grace@example.com","password":"open sesame"}`); st != 409 {
				t.Fatalf("duplicate: %d", st)
			}
			flush(t, log)

			page := c.get("/w/acme/scim/log")
			expectStatus(t, page, 200)
			rows := page.Doc.Find("#scim-log-rows tr")
			if rows.Length() != 3 {
				t.Fatalf("%d rows, want 3: %s", rows.Length(), page.Body)
			}
			if !strings.Contains(rows.First().Find(".request").Text(), "POST /Users") || rows.First().Find(".badge").Text() != "409" {
				t.Errorf("newest row: %s", rows.First().Text())
			}
			// Every filter is a control the form's hx-get sends.
			form := page.Doc.Find("form#scim-log-filters")
			if hx, _ := form.Attr("hx-get"); hx != "/w/acme/scim/log" {
				t.Errorf("filters form hx-get %q", hx)
			}
			for _, name := range []string{"status", "failures", "member", "token", "since", "until"} {
				if form.Find(`[name="`+name+`"]`).Length() != 1 {
					t.Errorf("no %s filter", name)
				}
			}
			if page.Doc.Find(`#scim-log-token option`).Length() != 2 {
				t.Errorf("token filter lists %d options", page.Doc.Find(`#scim-log-token option`).Length())
			}

			hx := []string{"HX-Request", "true", "HX-Target", "scim-log-results"}
			failures := c.get("/w/acme/scim/log?failures=1", hx...)
			expectStatus(t, failures, 200)
			if failures.Doc.Find("form").Length() != 0 || failures.Doc.Find("#scim-log-rows tr").Length() != 1 {
				t.Errorf("failures only: %s", failures.Body)
			}
			if n := c.get("/w/acme/scim/log?status=2xx", hx...).Doc.Find("#scim-log-rows tr").Length(); n != 2 {
				t.Errorf("2xx: %d rows", n)
			}
			tokens, _ := store.SCIMTokens(context.Background(), ws.ID)
			if n := c.get("/w/acme/scim/log?token="+tokens[0].ID, hx...).Doc.Find("#scim-log-rows tr").Length(); n != 3 {
				t.Errorf("token filter: %d rows", n)
			}
			if n := c.get("/w/acme/scim/log?since=2001-01-01T00:00&until=2001-01-02T00:00", hx...).Doc.Find("#scim-log-empty").Length(); n != 1 {
				t.Errorf("a time range with no requests shows no empty state")
			}
			history := c.get("/w/acme/scim/log?member="+grace, hx...)
			if n := history.Doc.Find("#scim-log-rows tr").Length(); n != 2 || !strings.Contains(history.Doc.Find("#scim-log-member-name").Text(), "Grace Hopper") {
				t.Errorf("Grace's history: %d rows: %s", n, history.Body)
			}

			// The entry's details: a dialog for htmx, a page otherwise.
			link := failures.Doc.Find("#scim-log-rows tr a.btn")
			href, _ := link.Attr("hx-get")
			if target, _ := link.Attr("hx-target"); target != "#dialog-slot" || href == "" {
				t.Fatalf("details control: hx-get %q hx-target %q", href, target)
			}
			dlg := c.get(href, "HX-Request", "true")
			expectStatus(t, dlg, 200)
			req := dlg.Doc.Find("dialog#scim-log-entry-dialog #scim-log-entry-body").Text()
			if !strings.Contains(req, `"password": "`+models.Masked+`"`) || strings.Contains(dlg.Body, "open sesame") {
				t.Errorf("request body in the dialog: %q", req)
			}
			if !strings.Contains(dlg.Doc.Find("#scim-log-entry-detail").Text(), "already taken") ||
				!strings.Contains(dlg.Doc.Find("#scim-log-entry-response").Text(), `"status": "409"`) {
				t.Errorf("detail dialog: %s", dlg.Body)
			}
			if full := c.get(href); full.Doc.Find("#scim-log-entry").Length() != 1 || full.Doc.Find("dialog").Length() != 0 {
				t.Errorf("entry page without htmx: %s", full.Body)
			}
			if res := c.get("/w/acme/scim/log/does-not-exist", "HX-Request", "true"); res.StatusCode != 404 {
				t.Errorf("unknown entry: %d", res.StatusCode)
			}

			// The member's row menu links to their history.
			members := c.get("/w/acme/members")
			a := members.Doc.Find("#member-" + grace + " .menu-list a")
			if h, _ := a.Attr("href"); h != "/w/acme/scim/log?member="+grace || !strings.Contains(a.Text(), "Provisioning history") {
				t.Errorf("row menu link %q %q", h, a.Text())
			}
			// The SCIM page links to the log.
			if h, _ := c.get("/w/acme/scim").Doc.Find("#scim-log-link").Attr("href"); h != "/w/acme/scim/log" {
				t.Errorf("SCIM page's log link %q", h)
			}
		})
	}
}

// TestTokenOwnerWarnings: the SCIM page names each token's owner; before
// an owner is deactivated or removed the confirmation says which tokens
// stop working; afterwards the SCIM page shows them disabled.
func TestTokenOwnerWarnings(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			ctx := context.Background()
			acc, ws := modelstest.SetUp(t, store)
			g, link := inviteGrace(t, store, acc, ws)
			if _, _, err := store.AcceptInvite(ctx, link, models.AcceptInput{Name: "Grace Hopper", Password: "a long enough password"}); err != nil {
				t.Fatal(err)
			}
			admin, _, _ := store.Membership(ctx, ws.ID, acc.ID)
			ada := models.MemberActor(admin)
			if _, err := store.UpdateMember(ctx, ada, ws, g.ID, models.UpdateInput{Name: "Grace Hopper", RoleIDs: []string{memberRoleID(t, store, ws.ID, "Admin")}}); err != nil {
				t.Fatal(err)
			}
			grace, perms, err := store.Membership(ctx, ws.ID, accountOf(t, store, ws.ID, g.ID))
			if err != nil {
				t.Fatal(err)
			}
			_, tok, err := store.CreateSCIMToken(ctx, models.MemberActor(grace).WithPerms(perms), ws, "Entra ID")
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			row := c.get("/w/acme/scim").Doc.Find("#scim-token-" + tok.ID)
			if !strings.Contains(row.Find(".owner").Text(), "Grace Hopper") || !strings.Contains(row.Find(".token-status").Text(), "Active") {
				t.Errorf("token row: %s", row.Text())
			}

			// Edit: her roles decide what her token may do.
			if note := c.get("/w/acme/members/"+grace.ID+"/edit", "HX-Request", "true").Doc.Find("#edit-token-note").Text(); !strings.Contains(note, "Entra ID") {
				t.Errorf("edit dialog note: %q", note)
			}
			// Remove: the dialog warns.
			rm := c.get("/w/acme/members/"+grace.ID+"/remove", "HX-Request", "true")
			if w := rm.Doc.Find("#remove-dialog #token-owner-warning").Text(); !strings.Contains(w, "Entra ID") {
				t.Errorf("remove dialog warning: %q", w)
			}
			// Deactivate: a confirmation with the warning first, nothing changed yet.
			c.get("/w/acme/members")
			first := c.post("/w/acme/members/"+grace.ID+"/deactivate", nil, "HX-Request", "true")
			expectStatus(t, first, 200)
			if first.Header.Get("HX-Retarget") != "#dialog-slot" || !strings.Contains(first.Doc.Find("#deactivate-dialog #token-owner-warning").Text(), "Entra ID") {
				t.Fatalf("deactivate without confirming: %v %s", first.Header, first.Body)
			}
			if m, _ := store.MemberByID(ctx, ws.ID, grace.ID); m.Status != models.StatusActive {
				t.Fatalf("deactivated before confirming: %s", m.Status)
			}
			confirm := first.Doc.Find("#deactivate-dialog form")
			if hx, _ := confirm.Attr("hx-post"); hx != "/w/acme/members/"+grace.ID+"/deactivate" {
				t.Errorf("confirm form hx-post %q", hx)
			}
			done := c.post("/w/acme/members/"+grace.ID+"/deactivate", url.Values{"confirm": {"1"}}, "HX-Request", "true")
			expectStatus(t, done, 200)
			if m, _ := store.MemberByID(ctx, ws.ID, grace.ID); m.Status != models.StatusDeactivated {
				t.Fatalf("not deactivated after confirming: %s", m.Status)
			}
			row = c.get("/w/acme/scim").Doc.Find("#scim-token-" + tok.ID)
			if st := row.Find(".token-status").Text(); !strings.Contains(st, "Disabled") || !strings.Contains(st, "deactivated") {
				t.Errorf("disabled token row: %s", st)
			}
			// A member without tokens is deactivated at once, as before.
			other, _ := inviteOther(t, store, admin, ws)
			if res := c.post("/w/acme/members/"+other.ID+"/deactivate", nil, "HX-Request", "true"); res.Header.Get("HX-Retarget") != "" {
				t.Errorf("a confirmation for a member without tokens")
			}
			if m, _ := store.MemberByID(ctx, ws.ID, other.ID); m.Status != models.StatusDeactivated {
				t.Errorf("member without tokens: %s", m.Status)
			}
		})
	}
}

func inviteOther(t *testing.T, store *models.Store, admin *models.Member, ws *models.Workspace) (*models.Member, string) {
	t.Helper()
	m, link, err := store.Invite(context.Background(), models.MemberActor(admin), ws, models.InviteInput{Name: "Alan", Email: "alan@example.com", RoleID: memberRoleID(t, store, ws.ID, "Member")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.AcceptInvite(context.Background(), link, models.AcceptInput{Name: "Alan", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	return m, link
}

func accountOf(t *testing.T, store *models.Store, wsID, memberID string) string {
	t.Helper()
	m, err := store.MemberByID(context.Background(), wsID, memberID)
	if err != nil || m.AccountID == nil {
		t.Fatalf("member %s has no account: %v", memberID, err)
	}
	return *m.AccountID
}

// TestSCIMLogPageOff: with the log turned off the page says so.
func TestSCIMLogPageOff(t *testing.T) {
	_, _, _, c := signedInAdmin(t, "sqlite")
	page := c.get("/w/acme/scim/log")
	expectStatus(t, page, 200)
	if page.Doc.Find("#scim-log-off").Length() != 1 || page.Doc.Find("#scim-log-empty").Length() != 1 {
		t.Errorf("log page with the log off: %s", page.Body)
	}
}
