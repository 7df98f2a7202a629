package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMembersPageKeptToken: the members page's change token is the change
// counter its data was read under (no read of its own), on every view:
// the first, a kept one, one with the "expired" filter (which reads the
// token itself) and one naming a role that is not the workspace's (the
// view without it, every member); and the poll with it answers 204 until
// a change, made on another replica here, moves it.
func TestMembersPageKeptToken(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			ctx := context.Background()
			_, ws := modelstest.SetUp(t, store)
			if err := store.SeedDemo(ctx, ws.ID, 30, 1); err != nil {
				t.Fatal(err)
			}
			other := modelstest.Replica(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			all := c.get("/w/acme/members")
			expectStatus(t, all, http.StatusOK)
			for _, target := range []string{"/w/acme/members", "/w/acme/members", "/w/acme/members?status=expired", "/w/acme/members?role=no-such-role"} {
				res := c.get(target)
				expectStatus(t, res, http.StatusOK)
				tok, err := store.ChangeToken(ctx, ws.ID)
				if err != nil {
					t.Fatal(err)
				}
				get, since := pollerOf(t, res)
				if since != tok {
					t.Errorf("GET %s: token %s, want %s", target, since, tok)
				}
				if got := c.get(get+"?since="+since, "HX-Request", "true"); got.StatusCode != http.StatusNoContent {
					t.Errorf("GET %s: the poll with its token answered %d", target, got.StatusCode)
				}
			}
			unknown := c.get("/w/acme/members?role=no-such-role")
			if g, w := unknown.Doc.Find("#members-rows tr").Length(), all.Doc.Find("#members-rows tr").Length(); g != w || g == 0 {
				t.Errorf("an unknown role shows %d rows, everyone is %d", g, w)
			}
			_, since := pollerOf(t, c.get("/w/acme/members"))
			actorPage, err := other.ListMembers(ctx, ws.ID, models.MemberQuery{Status: models.StatusActive})
			if err != nil || len(actorPage.Members) == 0 {
				t.Fatal(err)
			}
			if _, err := other.CreateRole(ctx, models.MemberActor(actorPage.Members[0]), ws, models.RoleInput{Name: "Auditor", Permissions: []models.Permission{}}); err != nil {
				t.Fatal(err)
			}
			res := c.get("/w/acme/members/changes?since="+since, "HX-Request", "true")
			expectStatus(t, res, http.StatusOK)
			page := c.get("/w/acme/members")
			if page.Doc.Find(`#filter-role option:contains("Auditor")`).Length() != 1 {
				t.Error("the role made on the other replica is not in the role filter")
			}
			if _, after := pollerOf(t, page); after == since {
				t.Errorf("the token stayed %s after a change", since)
			}
		})
	}
}
