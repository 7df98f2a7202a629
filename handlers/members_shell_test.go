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

// TestMembersShellKept: the members page around its rows is kept
// (members_shell.go). A kept page is byte for byte the page rendered
// anew; it is never served to another session; and whatever it shows
// that changed (the account's name, the workspace's name, the header's
// workspaces, the viewer's permissions, members changed on another
// replica, a new session's CSRF token) shows on the next view.
func TestMembersShellKept(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			modelstest.FakeClock(store)
			ctx := context.Background()
			acc, ws := modelstest.SetUp(t, store)
			admin, _, err := store.Membership(ctx, ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			graceMember, token := inviteGrace(t, store, acc, ws)
			if _, _, err := store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err != nil {
				t.Fatal(err)
			}
			ada := newClient(t, app)
			ada.signIn("ada@example.com", modelstest.AdminPassword)
			grace := newClient(t, app)
			grace.signIn("grace@example.com", "a long enough password")

			// view loads target twice: the second view is the kept one,
			// and must be what was rendered the first time.
			view := func(c *client, target string, headers ...string) *response {
				t.Helper()
				first := c.get(target, headers...)
				expectStatus(t, first, http.StatusOK)
				kept := c.get(target, headers...)
				expectStatus(t, kept, http.StatusOK)
				if kept.Body != first.Body {
					t.Fatalf("%s %v: the kept page differs from the one rendered:\n%s\n----\n%s", target, headers, first.Body, kept.Body)
				}
				return kept
			}
			partial := []string{"HX-Request", "true", "HX-Target", "members-results"}
			for _, target := range []string{"/w/acme/members", "/w/acme/members?q=grace", "/w/acme/members?q=nobody-at-all", "/w/acme/members?sort=email&dir=desc"} {
				full := view(ada, target)
				part := view(ada, target, partial...)
				if !strings.Contains(full.Body, `id="topbar-menu"`) || strings.Contains(part.Body, `id="topbar-menu"`) {
					t.Errorf("%s: the whole page and the partial were mixed up", target)
				}
			}

			// Another session, another member: her own page, her own token.
			adaPage := view(ada, "/w/acme/members").Body
			gracePage := view(grace, "/w/acme/members").Body
			if !strings.Contains(adaPage, `id="invite-button"`) || strings.Contains(gracePage, `id="invite-button"`) {
				t.Errorf("the Admin's page and the Member's were mixed up")
			}
			if ada.csrf == "" || grace.csrf == "" || strings.Contains(gracePage, ada.csrf) || !strings.Contains(gracePage, grace.csrf) {
				t.Errorf("the Member's page does not carry her own CSRF token")
			}

			// The account's name (no change to the workspace).
			if _, err := store.RenameAccount(ctx, acc, "Ada King"); err != nil {
				t.Fatal(err)
			}
			if body := view(ada, "/w/acme/members").Body; !strings.Contains(body, "Ada King") {
				t.Errorf("after renaming the account, the header does not show the new name")
			}
			// The workspace's name.
			if _, err := store.UpdateWorkspace(ctx, models.MemberActor(admin), ws, models.SettingsInput{Name: "Acme Corp", Slug: ws.Slug,
				InviteExpiryHours: ws.InviteExpiryHours, InvitesPerHour: ws.InvitesPerHour}); err != nil {
				t.Fatal(err)
			}
			if body := view(ada, "/w/acme/members").Body; !strings.Contains(body, "Everyone in Acme Corp") {
				t.Errorf("after renaming the workspace, the page does not show the new name")
			}
			// A new workspace in the header's switcher.
			if _, err := store.CreateWorkspace(ctx, acc, "Beta Works"); err != nil {
				t.Fatal(err)
			}
			if body := view(ada, "/w/acme/members").Body; !strings.Contains(body, "Beta Works") {
				t.Errorf("after joining a workspace, the switcher does not list it")
			}
			// The Member made an Admin, and a member invited, on another
			// replica.
			other := modelstest.Replica(t, store)
			if _, err := other.UpdateMember(ctx, models.MemberActor(admin), ws, graceMember.ID, models.UpdateInput{
				RoleIDs: []string{memberRoleID(t, store, ws.ID, "Admin")}, RolesOnly: true}); err != nil {
				t.Fatal(err)
			}
			if body := view(grace, "/w/acme/members").Body; !strings.Contains(body, `id="invite-button"`) {
				t.Errorf("made an Admin on another replica, the Member's page does not offer to invite")
			}
			if _, _, err := other.Invite(ctx, models.MemberActor(admin), ws, models.InviteInput{Name: "Alan Turing", Email: "alan@example.com",
				RoleID: memberRoleID(t, store, ws.ID, "Member")}); err != nil {
				t.Fatal(err)
			}
			if res := view(ada, "/w/acme/members", partial...); !strings.Contains(res.Body, "Alan Turing") || !strings.Contains(res.Doc.Find("#members-count").Text(), "3") {
				t.Errorf("after an invitation on another replica: count %q", strings.TrimSpace(res.Doc.Find("#members-count").Text()))
			}

			// Signed out and in again: the new session's token.
			view(ada, "/w/acme/members")
			old := ada.csrf
			expectStatus(t, ada.post("/signout", nil), http.StatusSeeOther)
			ada.signIn("ada@example.com", modelstest.AdminPassword)
			if body := view(ada, "/w/acme/members").Body; ada.csrf == old || strings.Contains(body, old) || !strings.Contains(body, ada.csrf) {
				t.Errorf("after signing in again, the page carries the old session's CSRF token")
			}
		})
	}
}

// TestMembersPageOwnLastSeen: a view reads its page under the counters
// its membership was read with (models.MemberQuery.Counters) only when
// the request wrote nothing since; a view that notes the viewer as seen
// shows that, not the page kept before.
func TestMembersPageOwnLastSeen(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			clock := modelstest.FakeClock(store)
			acc, ws := modelstest.SetUp(t, store)
			admin, _, err := store.Membership(context.Background(), ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			ada := newClient(t, app)
			ada.signIn("ada@example.com", modelstest.AdminPassword)
			seen := func() string {
				t.Helper()
				res := ada.get("/w/acme/members")
				expectStatus(t, res, http.StatusOK)
				return strings.Join(strings.Fields(res.Doc.Find("#member-"+admin.ID+" td").Eq(-2).Text()), " ")
			}
			seen()
			if got := seen(); got != "Just now" {
				t.Fatalf("last seen %q, want Just now", got)
			}
			clock.Add(time.Hour)
			if got := seen(); got != "Just now" {
				t.Errorf("an hour later, the view that noted her as seen shows %q, want Just now", got)
			}
		})
	}
}
