package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// scimRequest sends one SCIM request with token through the app, as an
// identity provider would, and returns its status.
func scimRequest(t *testing.T, app *fiber.App, token, method, path, body string) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode
}

// pollerOf returns the change poller a page (or a poll's answer) holds:
// where it asks and its token.
func pollerOf(t *testing.T, res *response) (get, since string) {
	t.Helper()
	p := res.Doc.Find("#changes-poll")
	if p.Length() != 1 {
		t.Fatalf("%s: no change poller in\n%.1500s", res.Request.URL, res.Body)
	}
	if trig := p.AttrOr("hx-trigger", ""); !strings.Contains(trig, "every 3s") {
		t.Errorf("the poller's hx-trigger is %q", trig)
	}
	if p.AttrOr("name", "") != "since" || p.AttrOr("hx-swap", "") != "outerHTML" {
		t.Errorf("the poller is %s", p.Nodes[0].Attr)
	}
	return p.AttrOr("hx-get", ""), p.AttrOr("value", "")
}

// TestChangesPoll: the members and roles pages poll their workspace's
// change token: 204 while nothing changed, and after a change made
// through the store, over SCIM or by another admin, 200 with the poller's
// new token and the event that reloads the table (or the roles list).
func TestChangesPoll(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, store, ws, c := signedInAdmin(t, dialect)
			ctx := context.Background()
			get, since := pollerOf(t, c.get("/w/acme/members"))
			if get != "/w/acme/members/changes" || since == "" {
				t.Fatalf("members page poller: %q since %q", get, since)
			}
			poll := func(path, since string) *response {
				t.Helper()
				return c.get(path+"?since="+url.QueryEscape(since), "HX-Request", "true")
			}
			// changed expects news: the event, the poller with a new token.
			changed := func(what, path, since, event string) string {
				t.Helper()
				res := poll(path, since)
				expectStatus(t, res, http.StatusOK)
				if got := res.Header.Get("HX-Trigger"); !strings.Contains(got, `"`+event+`"`) {
					t.Errorf("%s: HX-Trigger %q, want %s", what, got, event)
				}
				if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("%s: Cache-Control %q", what, cc)
				}
				get, now := pollerOf(t, res)
				if get != path || now == since || now != res.Header.Get("X-Muster-Since") {
					t.Errorf("%s: poller %q with token %q (header %q), was %q", what, get, now, res.Header.Get("X-Muster-Since"), since)
				}
				expectStatus(t, poll(path, now), http.StatusNoContent)
				return now
			}

			// Nothing changed, however often the page asks (its own requests
			// move the admin's last-seen time, which does not count).
			for range 3 {
				res := poll(get, since)
				expectStatus(t, res, http.StatusNoContent)
				if res.Body != "" || res.Header.Get("HX-Trigger") != "" {
					t.Errorf("204 with body %q, HX-Trigger %q", res.Body, res.Header.Get("HX-Trigger"))
				}
				for _, ck := range res.Cookies() {
					if ck.Name == "muster_csrf" {
						t.Error("the poll refreshes the CSRF cookie (and its stored token)")
					}
				}
			}

			// A change through the store (another admin's invitation).
			if _, _, err := store.Invite(ctx, models.SystemActor, ws, models.InviteInput{Name: "Grace Hopper", Email: "grace@example.com", RoleID: memberRoleID(t, store, ws.ID, "Member")}); err != nil {
				t.Fatal(err)
			}
			since = changed("after an invitation", get, since, "membersRefresh")

			// An identity provider creates a user over SCIM.
			token, _, err := store.CreateSCIMToken(ctx, models.SystemActor, ws, "Okta")
			if err != nil {
				t.Fatal(err)
			}
			if st := scimRequest(t, app, token, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alan@example.com",`+
				`"name":{"givenName":"Alan","familyName":"Turing"},"emails":[{"value":"alan@example.com","type":"work","primary":true}],"active":true}`); st != http.StatusCreated {
				t.Fatalf("SCIM POST /Users: %d", st)
			}
			since = changed("after a SCIM user", get, since, "membersRefresh")
			// The table's reload then shows them.
			if res := c.get("/w/acme/members", "HX-Request", "true", "HX-Target", "members-results"); !strings.Contains(res.Body, "alan@example.com") {
				t.Errorf("the reloaded table lacks the SCIM user:\n%.2000s", res.Body)
			}

			// The roles page: a group created over SCIM is a new role.
			rget, rsince := pollerOf(t, c.get("/w/acme/roles"))
			if rget != "/w/acme/roles/changes" || rsince != since {
				t.Errorf("roles page poller: %q since %q, want the members page's token %q", rget, rsince, since)
			}
			expectStatus(t, poll(rget, rsince), http.StatusNoContent)
			if st := scimRequest(t, app, token, "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Customer Success"}`); st != http.StatusCreated {
				t.Fatalf("SCIM POST /Groups: %d", st)
			}
			changed("after a SCIM group", rget, rsince, "rolesRefresh")
			list := c.get("/w/acme/roles", "HX-Request", "true", "HX-Target", "roles-list")
			expectStatus(t, list, http.StatusOK)
			if list.Doc.Find("#roles-list").Length() != 1 || list.Doc.Find("header.topbar").Length() != 0 ||
				!strings.Contains(list.Doc.Find("#roles-list").Text(), "Customer Success") {
				t.Errorf("the roles list's reload:\n%.2000s", list.Body)
			}
			if trig := list.Doc.Find("#roles-list").AttrOr("hx-trigger", ""); trig != "rolesRefresh from:body" {
				t.Errorf("the reloaded list listens for %q", trig)
			}

			// A garbled or missing token is news: the page gets a good one.
			changed("with a malformed token", get, "x", "membersRefresh")
		})
	}
}

// TestOwnChangesMoveThePageToken: a change the page makes itself, with its
// token in X-Muster-Since, answers with the token after it, so the page's
// next poll finds nothing new; if anything else changed the workspace
// since the page's token, no token comes back and the poll reloads.
func TestOwnChangesMoveThePageToken(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, dialect)
			_, since := pollerOf(t, c.get("/w/acme/roles"))
			newRole := func(name, since string) *response {
				t.Helper()
				res := c.post("/w/acme/roles", url.Values{"name": {name}, "perm": {"members.view"}}, "HX-Request", "true", "X-Muster-Since", since)
				expectStatus(t, res, http.StatusOK)
				return res
			}
			now := newRole("Support", since).Header.Get("X-Muster-Since")
			if now == "" || now == since {
				t.Fatalf("own change: X-Muster-Since %q (was %q)", now, since)
			}
			expectStatus(t, c.get("/w/acme/roles/changes?since="+now, "HX-Request", "true"), http.StatusNoContent)

			// Someone else changes the workspace; the page's next change
			// must not hide that.
			if _, err := store.CreateRole(context.Background(), models.SystemActor, ws, models.RoleInput{Name: "Sales", Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
				t.Fatal(err)
			}
			if got := newRole("Finance", now).Header.Get("X-Muster-Since"); got != "" {
				t.Errorf("after another writer the answer offers token %q", got)
			}
			expectStatus(t, c.get("/w/acme/roles/changes?since="+now, "HX-Request", "true"), http.StatusOK)

			// A refused change moves nothing and offers nothing.
			_, now = pollerOf(t, c.get("/w/acme/roles/changes?since=", "HX-Request", "true"))
			res := c.post("/w/acme/roles", url.Values{"name": {"Support"}, "perm": {"members.view"}}, "HX-Request", "true", "X-Muster-Since", now)
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if got := res.Header.Get("X-Muster-Since"); got != "" {
				t.Errorf("a refused change offers token %q", got)
			}
		})
	}
}
