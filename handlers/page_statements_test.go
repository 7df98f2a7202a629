package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMembersPageStatements bounds the statements a members page view
// runs, prepared ones included: every one is a trip to the database on
// each view: 15 before the session's account and the SSO gate became one
// statement each, the workspace came from the header's list and the
// two-factor check ran only where the workspace requires it; 11 for a
// kept first page before its last-seen times, roles and sole Admin were
// kept too and its change token came from the page's own counter read;
// 6 before its statements were prepared, the member's roles were kept
// under the change counter read with the member row, and the page was
// read under that counter (models/membership_roles.go).
func TestMembersPageStatements(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			modelstest.FakeClock(store)
			modelstest.SetUp(t, store)
			counter := countStatements(store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			c.get("/w/acme/members") // the first view notes the member as seen
			// A search's first view reads the change counter and counts;
			// the next (another page, another sort) takes the kept count.
			for _, view := range []struct {
				target string
				most   int
			}{{"/w/acme/members", 4}, {"/w/acme/members?q=lovelace", 8}, {"/w/acme/members?q=lovelace&sort=email", 7}} {
				target, most := view.target, view.most
				counter.reset()
				expectStatus(t, c.get(target), http.StatusOK)
				reads, writes, texts := counter.reset()
				if reads+writes > most {
					t.Errorf("GET %s: %d statements, want at most %d:\n%s", target, reads+writes, most, strings.Join(texts, "\n"))
				}
			}
		})
	}
}

// TestMembersUnknownRoleListsOnce: a ?role= that is no role of the
// workspace shows the view without it, and lists that page once: no
// statement is run with the unknown role, and a kept page is served as
// for the view without it; with the "expired" filter (nothing kept) too.
func TestMembersUnknownRoleListsOnce(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			clock := modelstest.FakeClock(store)
			acc, ws := modelstest.SetUp(t, store)
			ada, _, _, err := store.MembershipAt(context.Background(), ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			adaRow := `id="member-` + ada.ID + `"`
			counter := countStatements(store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			c.get("/w/acme/members") // the first view notes the member as seen
			for _, status := range []string{"", "expired"} {
				plain := "/w/acme/members?status=" + status
				expectStatus(t, c.get(plain), http.StatusOK)
				counter.reset()
				expectStatus(t, c.get(plain), http.StatusOK)
				want, _, _ := counter.reset()
				res := c.get(plain + "&role=no-such-role")
				expectStatus(t, res, http.StatusOK)
				reads, writes, texts := counter.reset()
				if status == "" && !strings.Contains(res.Body, adaRow) {
					t.Errorf("an unknown role: the view without it does not list Ada:\n%.1500s", res.Body)
				}
				for _, q := range texts {
					if strings.Contains(q, "no-such-role") {
						t.Errorf("status %q: a statement with the unknown role: %s", status, q)
					}
				}
				if reads+writes > want {
					t.Errorf("status %q: %d statements with an unknown role, %d without:\n%s", status, reads+writes, want, strings.Join(texts, "\n"))
				}
			}
			// The member's "last seen" written, the counters loadWorkspace
			// read no longer hold: the page reads them itself.
			clock.Add(time.Hour)
			res := c.get("/w/acme/members?role=no-such-role")
			expectStatus(t, res, http.StatusOK)
			if !strings.Contains(res.Body, adaRow) {
				t.Errorf("an unknown role, last seen written: the view without it does not list Ada:\n%.1500s", res.Body)
			}
			_, _, texts := counter.reset()
			for _, q := range texts {
				if strings.Contains(q, "no-such-role") {
					t.Errorf("last seen written: a statement with the unknown role: %s", q)
				}
			}
			// A role of the workspace still filters: Ada is an Admin, not a
			// Member.
			var roles []models.Role
			roles, err = store.Roles(context.Background(), ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range roles {
				res := c.get("/w/acme/members?role=" + r.ID)
				expectStatus(t, res, http.StatusOK)
				if listed := strings.Contains(res.Body, adaRow); listed != r.IsAdmin() {
					t.Errorf("?role= %s: Ada listed %v", r.Name, listed)
				}
			}
		})
	}
}
