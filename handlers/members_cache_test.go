package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMembersPageNeverStale: the members page keeps what it read under the
// workspace's change counter (models/members_page_cache.go); a view after
// a change, made on this server or by SCIM on another replica, shows it.
func TestMembersPageNeverStale(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			ctx := context.Background()
			acc, ws := modelstest.SetUp(t, store)
			admin, _, err := store.Membership(ctx, ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			roles, err := store.Roles(ctx, ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			grace, _, err := store.Invite(ctx, models.MemberActor(admin), ws, models.InviteInput{Name: "Grace Hopper", Email: "grace@example.com", RoleID: roles[len(roles)-1].ID})
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			row := func(target string) string {
				t.Helper()
				var text string
				for range 2 { // the second view is the kept one
					res := c.get(target, "HX-Request", "true", "HX-Target", "members-results")
					expectStatus(t, res, http.StatusOK)
					text = strings.Join(strings.Fields(res.Doc.Find("#member-"+grace.ID).Text()), " ")
				}
				return text
			}
			if got := row("/w/acme/members?q=hopper"); !strings.Contains(got, "Grace Hopper") {
				t.Fatalf("before: row %q", got)
			}
			// Another replica renames her over SCIM.
			other := modelstest.Replica(t, store)
			if _, err := other.ChangeSCIMUser(ctx, models.MemberActor(admin), ws, grace.ID, 0, func(u *models.SCIMUser) error {
				u.DisplayName, u.GivenName, u.FamilyName = "Grace Brewster Hopper", "Grace", "Hopper"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got := row("/w/acme/members?q=hopper"); !strings.Contains(got, "Grace Brewster Hopper") {
				t.Errorf("after a SCIM change on another replica: row %q", got)
			}
			if got := row("/w/acme/members"); !strings.Contains(got, "Grace Brewster Hopper") {
				t.Errorf("first page after a SCIM change on another replica: row %q", got)
			}
			// This server revokes her invitation: she leaves the All view.
			expectStatus(t, c.post("/w/acme/members/"+grace.ID+"/revoke", nil, "HX-Request", "true"), http.StatusOK)
			if got := row("/w/acme/members?q=hopper"); got != "" {
				t.Errorf("after revoking: row %q, want none", got)
			}
		})
	}
}
