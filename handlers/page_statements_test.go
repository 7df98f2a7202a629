package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/uptrace/bun"

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
			counter := &statementCounter{}
			store.AddQueryHook(counter)
			store.PreparedHook = func(q string) { counter.AfterQuery(context.Background(), &bun.QueryEvent{Query: q}) }
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
