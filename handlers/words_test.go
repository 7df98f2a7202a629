package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBadQueryText: a NUL byte or broken UTF-8 in a query is a 400 with an
// explanation on both databases, wherever it goes (searches, filters, the
// CSV export), never a 500.
func TestBadQueryText(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, _, _, c := signedInAdmin(t, d)
			for _, target := range []string{"/w/acme/members?q=%00", "/w/acme/members?q=a%ffb", "/w/acme/audit?member=%00",
				"/w/acme/audit.csv?member=x%00", "/w/acme/audit?actor=%c3%28", "/w/acme/members?status=active&q%00=x"} {
				res := c.get(target)
				expectStatus(t, res, http.StatusBadRequest)
				if !strings.Contains(res.Body, "does not accept") {
					t.Errorf("%s: %.300s", target, res.Body)
				}
			}
			expectStatus(t, c.get("/w/acme/members?q=Jos%C3%A9"), http.StatusOK)
		})
	}
}

// TestUnknownWorkspaceIsNotFound: a workspace that does not exist (or that
// the account is not in) is a 404 page that says so.
func TestUnknownWorkspaceIsNotFound(t *testing.T) {
	_, _, _, c := signedInAdmin(t, "sqlite")
	res := c.get("/w/no-such-place/members")
	expectStatus(t, res, http.StatusNotFound)
	if strings.Contains(res.Body, "on our side") {
		t.Errorf("an unknown workspace reads as a server error:\n%.500s", res.Body)
	}
}

// TestNoSMTPPromisesNoEmail: where emails only go to the log, the invite
// dialog and the toasts say to pass the link on, not that an email went.
func TestNoSMTPPromisesNoEmail(t *testing.T) {
	store := modelstest.Open(t, "sqlite")
	_, ws := modelstest.SetUp(t, store)
	c := newClient(t, handlers.New(handlers.Options{Store: store, MailLogged: true}))
	c.signIn("ada@example.com", modelstest.AdminPassword)
	hx := []string{"HX-Request", "true"}
	dlg := c.get("/w/acme/members/invite", hx...)
	if lead := dlg.Doc.Find("#invite-dialog .lead").Text(); !strings.Contains(lead, "Email is not set up") || strings.Contains(lead, "They get an email") {
		t.Errorf("the invite dialog says %q", lead)
	}
	res := c.post("/w/acme/members/invite", url.Values{"name": {"Grace Hopper"}, "email": {"grace@example.com"}, "role": {memberRoleID(t, store, ws.ID, "Member")}}, hx...)
	expectStatus(t, res, http.StatusOK)
	if trig := res.Header.Get("HX-Trigger"); !strings.Contains(trig, "copy the invite link") || strings.Contains(trig, "will get an email") {
		t.Errorf("the invite toast: %s", trig)
	}
}

// TestSSOStartBadBytes: bad bytes in the SSO form are the form's error on
// both databases, never a 500.
func TestSSOStartBadBytes(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			modelstest.SetUp(t, store)
			c := newClient(t, app)
			c.get("/signin")
			for _, f := range []url.Values{{"email": {"ada\x00@example.com"}}, {"workspace": {"ac\xffme"}}} {
				expectStatus(t, c.post("/sso/start", f), http.StatusUnprocessableEntity)
			}
		})
	}
}

// TestStaleTokenWithoutSession: a visitor who was never signed in and sends
// a form with an expired CSRF token (an invitation page left open) gets the
// event to renew it, not "your session ended".
func TestStaleTokenWithoutSession(t *testing.T) {
	app, store := newApp(t, "sqlite")
	modelstest.SetUp(t, store)
	c := newClient(t, app)
	res := c.do("POST", "/signin", url.Values{"email": {"ada@example.com"}, "password": {"x"}}, "HX-Request", "true", "X-Csrf-Token", "stale")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Header.Get("HX-Trigger"), "csrfExpired") || strings.Contains(res.Header.Get("HX-Trigger"), "sessionEnded") {
		t.Errorf("%d %v", res.StatusCode, res.Header)
	}
}

// TestSSOIsForAdmins: managing settings is not enough to set up single
// sign-on, whose provider can sign in as anyone, Admins included.
func TestSSOIsForAdmins(t *testing.T) {
	app, store := newApp(t, "sqlite")
	acc, ws := modelstest.SetUp(t, store)
	ctx := context.Background()
	ada, _, err := store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: "Office manager",
		Permissions: []models.Permission{models.PermViewMembers, models.PermManageWorkspace}}); err != nil {
		t.Fatal(err)
	}
	joinedMember(t, store, ws, ada, "Olive Office", "olive@example.com", "Office manager")
	c := newClient(t, app)
	c.signIn("olive@example.com", "a long enough password")
	settings := c.get("/w/acme/settings")
	expectStatus(t, settings, http.StatusOK)
	if settings.Doc.Find(`.nav a[href="/w/acme/sso"]`).Length() != 0 {
		t.Error("the SSO link shows for a settings manager")
	}
	expectStatus(t, c.get("/w/acme/sso"), http.StatusForbidden)
	expectStatus(t, c.post("/w/acme/sso", url.Values{"issuer": {"https://idp.example.com"}}), http.StatusForbidden)
}
