package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func memberRoleID(t *testing.T, s *models.Store, wsID, name string) string {
	t.Helper()
	roles, err := s.Roles(context.Background(), wsID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %s", name)
	return ""
}

func TestInviteDialogFlow(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true"}
			member := memberRoleID(t, store, ws.ID, "Member")

			dlg := c.get("/w/acme/members/invite", hx...)
			expectStatus(t, dlg, 200)
			if dlg.Doc.Find("dialog#invite-dialog").Length() != 1 || dlg.Doc.Find(`input[name=role][value="`+member+`"][checked]`).Length() != 1 {
				t.Fatalf("invite dialog: %s", dlg.Body)
			}
			// Errors come back in the form with what was typed.
			bad := c.post("/w/acme/members/invite", url.Values{"name": {"Grace"}, "email": {"grace@"}, "role": {member}, "location": {"Oslo"}}, hx...)
			expectStatus(t, bad, http.StatusUnprocessableEntity)
			if bad.Doc.Find("#f-email-error").Length() != 1 || bad.Doc.Find("#f-name").AttrOr("value", "") != "Grace" || bad.Doc.Find("#f-location").AttrOr("value", "") != "Oslo" {
				t.Errorf("422 form: %s", bad.Body)
			}
			// Save: the dialog closes with a toast and the row arrives out of band.
			ok := c.post("/w/acme/members/invite", url.Values{"name": {"Grace Hopper"}, "email": {"grace@example.com"}, "role": {member}, "action": {"save"}}, hx...)
			expectStatus(t, ok, 200)
			if trig := ok.Header.Get("HX-Trigger"); !strings.Contains(trig, "closeDialog") || !strings.Contains(trig, "Invited Grace Hopper") || ok.Header.Get("HX-Reswap") != "none" {
				t.Errorf("save headers: %v", ok.Header)
			}
			if !strings.Contains(ok.Body, `hx-swap-oob="afterbegin:#members-rows"`) || !strings.Contains(ok.Body, "grace@example.com") || !strings.Contains(ok.Body, "<template>") {
				t.Errorf("no out-of-band row: %s", ok.Body)
			}
			// Save and Add Another: a fresh form, role and location kept.
			another := c.post("/w/acme/members/invite", url.Values{"name": {"Alan Turing"}, "email": {"alan@example.com"}, "role": {member}, "location": {"Manchester"}, "action": {"another"}}, hx...)
			expectStatus(t, another, 200)
			if another.Doc.Find("#invite-notice").Text() == "" || another.Doc.Find("#f-name").AttrOr("value", "x") != "" || another.Doc.Find("#f-email").Text() != "" ||
				another.Doc.Find("#f-location").AttrOr("value", "") != "Manchester" || another.Doc.Find(`input[name=role][value="`+member+`"][checked]`).Length() != 1 {
				t.Errorf("add another form: %s", another.Body)
			}
			if strings.Contains(another.Header.Get("HX-Trigger"), "closeDialog") {
				t.Error("add another closed the dialog")
			}
			// Inviting Grace again offers to resend.
			again := c.post("/w/acme/members/invite", url.Values{"name": {"Grace"}, "email": {"GRACE@example.com"}, "role": {member}}, hx...)
			expectStatus(t, again, http.StatusUnprocessableEntity)
			if again.Doc.Find("#invite-conflict button").Text() != "Resend invite" {
				t.Errorf("no resend offer: %s", again.Body)
			}
			// The table shows both as invited, with their menus.
			page := c.get("/w/acme/members?status=invited")
			if page.Doc.Find("#members-rows tr").Length() != 2 || page.Doc.Find(`#members-rows [hx-post$="/resend"]`).Length() != 2 {
				t.Errorf("invited rows: %d", page.Doc.Find("#members-rows tr").Length())
			}
		})
	}
}

func TestAcceptInviteByLink(t *testing.T) {
	app, store := newApp(t, "sqlite")
	acc, ws := modelstest.SetUp(t, store)
	m, token := inviteGrace(t, store, acc, ws)
	c := newClient(t, app)
	page := c.get("/invite/" + token)
	expectStatus(t, page, 200)
	if !strings.Contains(page.Doc.Find("h1").Text(), "Join Acme") || !strings.Contains(page.Body, "Ada Lovelace invited you") {
		t.Errorf("accept page: %s", page.Body)
	}
	// Opening the page twice (a mail scanner, then the person) uses nothing.
	expectStatus(t, c.get("/invite/"+token), 200)
	bad := c.post("/invite/"+token, url.Values{"name": {"Grace Hopper"}, "password": {"short"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	res := c.post("/invite/"+token, url.Values{"name": {"Grace Hopper"}, "password": {"a long enough password"}})
	if res.StatusCode != http.StatusSeeOther || location(res) != "/w/acme/members" {
		t.Fatalf("accept: %d %q %s", res.StatusCode, location(res), res.Body)
	}
	members := c.get("/w/acme/members")
	expectStatus(t, members, 200)
	if members.Doc.Find("#member-"+m.ID+" .badge").Text() != "Active" {
		t.Error("Grace is not active")
	}
	// Grace holds Member: no invite button, no row menus.
	if members.Doc.Find("#invite-button").Length() != 0 || members.Doc.Find(".row-menu details").Length() != 0 {
		t.Error("a Member sees admin controls")
	}
	expectStatus(t, c.get("/w/acme/members/invite", "HX-Request", "true"), http.StatusForbidden)
	// The used link says so.
	used := newClient(t, app).get("/invite/" + token)
	expectStatus(t, used, http.StatusGone)
	if !strings.Contains(used.Body, "already been used") || used.Doc.Find(`#invite-invalid a[href="/signin"]`).Length() != 1 {
		t.Errorf("used link: %s", used.Body)
	}
	// Grace, signed in, is sent to the workspace, not to sign in.
	mine := c.get("/invite/" + token)
	expectStatus(t, mine, http.StatusGone)
	if mine.Doc.Find(`#invite-invalid a[href="/w/acme/members"]`).Length() != 1 || !strings.Contains(mine.Body, "one of your workspaces") {
		t.Errorf("the used link, to the one who used it: %s", mine.Body)
	}
	unknown := newClient(t, app).get("/invite/nonsense")
	expectStatus(t, unknown, http.StatusNotFound)
}

func TestMemberActionsThroughHandlers(t *testing.T) {
	app, store := newApp(t, "sqlite")
	acc, ws := modelstest.SetUp(t, store)
	ctx := context.Background()
	admin, _, _ := store.Membership(ctx, ws.ID, acc.ID)
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	c.get("/w/acme/members")
	hx := []string{"HX-Request", "true"}
	// The last admin cannot deactivate herself: a toast says why.
	res := c.post("/w/acme/members/"+admin.ID+"/deactivate", nil, hx...)
	expectStatus(t, res, http.StatusConflict)
	if !strings.Contains(res.Header.Get("HX-Trigger"), "only active Admin") {
		t.Errorf("last admin toast: %q", res.Header.Get("HX-Trigger"))
	}
	// Edit: demoting the last admin is refused inside the dialog.
	edit := c.get("/w/acme/members/"+admin.ID+"/edit", hx...)
	if edit.Doc.Find("#f-name").AttrOr("value", "") != "Ada Lovelace" {
		t.Fatalf("edit dialog: %s", edit.Body)
	}
	demote := c.post("/w/acme/members/"+admin.ID+"/edit", url.Values{"name": {"Ada"}, "role": {memberRoleID(t, store, ws.ID, "Member")}}, hx...)
	expectStatus(t, demote, http.StatusUnprocessableEntity)
	if !strings.Contains(demote.Doc.Find("#f-role-error").Text(), "only active Admin") {
		t.Errorf("demote error: %s", demote.Body)
	}
	save := c.post("/w/acme/members/"+admin.ID+"/edit", url.Values{"name": {"Ada King"}, "role": {memberRoleID(t, store, ws.ID, "Admin")}, "location": {"London"}}, hx...)
	expectStatus(t, save, 200)
	if !strings.Contains(save.Body, `hx-swap-oob="true"`) || !strings.Contains(save.Body, "Ada King") || !strings.Contains(save.Body, "London") {
		t.Errorf("edited row: %s", save.Body)
	}
	// Invite, copy a link, revoke.
	m, _ := inviteGrace(t, store, acc, ws)
	link := c.post("/w/acme/members/"+m.ID+"/link", nil, hx...)
	href := link.Doc.Find("#invite-link").AttrOr("value", "")
	if !strings.HasPrefix(href, "http://localhost:8080/invite/") {
		t.Fatalf("link dialog: %s", link.Body)
	}
	u, _ := url.Parse(href)
	expectStatus(t, newClient(t, app).get(u.Path), 200)
	revoke := c.post("/w/acme/members/"+m.ID+"/revoke", nil, hx...)
	expectStatus(t, revoke, 200)
	if !strings.Contains(revoke.Body, `hx-swap-oob="delete"`) {
		t.Errorf("revoke: %s", revoke.Body)
	}
	gone := newClient(t, app).get(u.Path)
	expectStatus(t, gone, http.StatusGone)
	if !strings.Contains(gone.Body, "withdrawn") {
		t.Errorf("revoked link: %s", gone.Body)
	}
	// Another workspace's member id is not found here.
	expectStatus(t, c.post("/w/acme/members/not-an-id/deactivate", nil, hx...), http.StatusNotFound)
}

// An invitation email that could not be delivered is flagged in its row,
// where the admin can copy the link instead.
func TestFailedEmailShowsInTheRow(t *testing.T) {
	app, store := newApp(t, "sqlite")
	acc, ws := modelstest.SetUp(t, store)
	ctx := context.Background()
	m, _ := inviteGrace(t, store, acc, ws)
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	row := func() string { return c.get("/w/acme/members").Doc.Find("#member-" + m.ID).Text() }
	if strings.Contains(row(), "Email failed") {
		t.Fatal("flagged before any failure")
	}
	msgs, err := store.ClaimOutbox(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("claim: %v %d", err, len(msgs))
	}
	if err := store.MarkOutboxFailed(ctx, msgs[0].ID, "550 mailbox unavailable", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row(), "Email failed") {
		t.Errorf("row after a permanent failure: %q", row())
	}
}

// Toast texts travel in a header, which browsers read as Latin-1: every
// non-ASCII letter must arrive escaped.
func TestToastsKeepAccents(t *testing.T) {
	_, store, ws, c := signedInAdmin(t, "sqlite")
	res := c.post("/w/acme/members/invite", url.Values{"name": {"José Núñez 🚀"}, "email": {"jose@example.com"}, "role": {memberRoleID(t, store, ws.ID, "Member")}}, "HX-Request", "true")
	h := res.Header.Get("HX-Trigger")
	for _, b := range []byte(h) {
		if b >= 0x80 {
			t.Fatalf("HX-Trigger has raw non-ASCII bytes: %q", h)
		}
	}
	var events struct {
		ShowToast struct{ Message string } `json:"showToast"`
	}
	if err := json.Unmarshal([]byte(h), &events); err != nil || !strings.Contains(events.ShowToast.Message, "José Núñez 🚀") {
		t.Errorf("toast = %v (%v)", events, err)
	}
}
