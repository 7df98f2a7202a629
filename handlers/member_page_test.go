package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// memberPageFixture: Ada (Admin) in Acme, Grace (Member, joined), Ivy
// (invited), Linus (from an identity provider, with directory fields and
// Grace as manager), and Bob's workspace Beta with Bob in it.
type memberPageFixture struct {
	store                    *models.Store
	ws                       *models.Workspace
	ada                      *models.Member
	grace, ivy, linus, bobID string
	roles                    map[string]string
}

func newMemberPageFixture(t *testing.T, store *models.Store) *memberPageFixture {
	t.Helper()
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, store)
	ada, _, err := store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: "Support", Description: "Fixes people's details.",
		Permissions: []models.Permission{models.PermViewMembers, models.PermEditMembers}}); err != nil {
		t.Fatal(err)
	}
	f := &memberPageFixture{store: store, ws: ws, ada: ada, roles: map[string]string{}}
	for _, r := range []string{"Admin", "Member", "Support"} {
		f.roles[r] = memberRoleID(t, store, ws.ID, r)
	}
	f.grace = joinedMember(t, store, ws, ada, "Grace Hopper", "grace@example.com", "Member")
	ivy, _, err := store.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: "Ivy Invited", Email: "ivy@example.com", RoleID: f.roles["Member"]})
	if err != nil {
		t.Fatal(err)
	}
	f.ivy = ivy.ID
	linus, err := store.CreateSCIMUser(ctx, models.MemberActor(ada), ws, models.SCIMUser{UserName: "linus", Email: "linus@example.com",
		DisplayName: "Linus Torvalds", Title: "Kernel Maintainer", Department: "Kernel", EmployeeNumber: "42", ManagerID: f.grace, Active: true,
		Attributes: map[string]any{"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}}}})
	if err != nil {
		t.Fatal(err)
	}
	f.linus = linus.ID
	bob, err := store.CreateAccount(ctx, "Bob Builder", "bob@example.com", "bob's long password")
	if err != nil {
		t.Fatal(err)
	}
	beta, err := store.CreateWorkspace(ctx, bob, "Beta")
	if err != nil {
		t.Fatal(err)
	}
	bobM, _, err := store.Membership(ctx, beta.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.bobID = bobM.ID
	return f
}

func (f *memberPageFixture) roleNames(t *testing.T, id string) string {
	t.Helper()
	m, err := f.store.MemberByID(context.Background(), f.ws.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range m.Roles {
		names = append(names, r.Name)
	}
	return strings.Join(names, ",")
}

// TestMemberPage: the table links each name to the member's page with the
// view it was shown in; the page shows the profile with the directory
// fields and a link to the manager, the status history and where the
// member came from; other workspaces' and removed members are 404; the
// way back is always to this workspace's members table.
func TestMemberPage(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			f := newMemberPageFixture(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)

			page := c.get("/w/acme/members")
			if href := page.Doc.Find("#member-"+f.grace+" a.name").AttrOr("href", ""); href != "/w/acme/members/"+f.grace {
				t.Errorf("Grace's name links to %q", href)
			}
			page = c.get("/w/acme/members?status=active&sort=email")
			want := "/w/acme/members/" + f.grace + "?back=" + url.QueryEscape("/w/acme/members?sort=email&status=active")
			if href := page.Doc.Find("#member-"+f.grace+" a.name").AttrOr("href", ""); href != want {
				t.Errorf("from a filtered view, Grace's name links to %q, want %q", href, want)
			}

			res := c.get("/w/acme/members/" + f.linus)
			expectStatus(t, res, 200)
			profile := res.Doc.Find("#member-profile").Text()
			for _, s := range []string{"Linus Torvalds", "linus@example.com", "Kernel Maintainer", "Kernel", "42", "+1 555 0100"} {
				if !strings.Contains(profile, s) {
					t.Errorf("the profile lacks %q: %s", s, profile)
				}
			}
			if href := res.Doc.Find("#member-manager").AttrOr("href", ""); href != "/w/acme/members/"+f.grace {
				t.Errorf("the manager links to %q", href)
			}
			if src := res.Doc.Find("#member-status").Text(); !strings.Contains(src, "Provisioned through SCIM by Ada Lovelace") {
				t.Errorf("Linus's status: %s", src)
			}
			res = c.get("/w/acme/members/" + f.grace)
			status := res.Doc.Find("#member-status").Text()
			for _, s := range []string{"Invited by Ada Lovelace", "Accepted the invitation", "Invited"} {
				if !strings.Contains(status, s) {
					t.Errorf("Grace's status lacks %q: %s", s, status)
				}
			}
			if strings.Contains(status, "Accepted the invitation by") {
				t.Errorf("Grace accepted herself, not someone else: %s", status)
			}
			if res.Doc.Find("#member-activity li").Length() < 2 || res.Doc.Find("#member-audit-link").AttrOr("href", "") != "/w/acme/audit?member=Grace+Hopper" {
				t.Errorf("Grace's activity: %d events, link %q", res.Doc.Find("#member-activity li").Length(), res.Doc.Find("#member-audit-link").AttrOr("href", ""))
			}
			res = c.get("/w/acme/members/" + f.ivy)
			if got := res.Doc.Find("#member-invitation button").Text(); got != "Resend inviteCopy invite linkRevoke invite" {
				t.Errorf("Ivy's invitation actions: %q", got)
			}

			// The way back: a members table of this workspace, never elsewhere.
			for back, want := range map[string]string{
				"/w/acme/members?status=active&sort=email": "/w/acme/members?sort=email&status=active",
				"https://evil.example/w/acme/members":      "/w/acme/members",
				"//evil.example/w/acme/members":            "/w/acme/members",
				"/\\evil.example/w/acme/members":           "/w/acme/members",
				"/w/beta/members":                          "/w/acme/members",
				"/w/acme/members/../../../evil":            "/w/acme/members",
				"javascript:alert(1)":                      "/w/acme/members",
				"/w/acme/audit":                            "/w/acme/members",
			} {
				res := c.get("/w/acme/members/" + f.grace + "?back=" + url.QueryEscape(back))
				if got := res.Doc.Find("#back-to-members").AttrOr("href", ""); got != want {
					t.Errorf("back=%s leads to %q, want %q", back, got, want)
				}
			}
			// Opened from the table by htmx without back: the view it came from.
			res = c.get("/w/acme/members/"+f.grace, "HX-Request", "true", "HX-Boosted", "true", "HX-Current-URL", "http://example.com/w/acme/members?q=gra")
			if got := res.Doc.Find("#back-to-members").AttrOr("href", ""); got != "/w/acme/members?q=gra" {
				t.Errorf("boosted from a search, back leads to %q", got)
			}

			// Not here: another workspace's member, a member removed, an id
			// nobody has, something that is no id.
			expectStatus(t, c.get("/w/acme/members/"+f.bobID), http.StatusNotFound)
			expectStatus(t, c.get("/w/acme/members/01234567-89ab-7def-8123-456789abcdef"), http.StatusNotFound)
			expectStatus(t, c.get("/w/acme/members/not-an-id"), http.StatusNotFound)
			if _, err := store.RemoveMember(context.Background(), models.MemberActor(f.ada), f.ws, f.grace); err != nil {
				t.Fatal(err)
			}
			expectStatus(t, c.get("/w/acme/members/"+f.grace), http.StatusNotFound)
			// Routes beside the page still reach their handlers.
			expectStatus(t, c.get("/w/acme/members/invite"), 200)
			expectStatus(t, c.get("/w/acme/members/import"), 200)
		})
	}
}

// TestMemberPageRoles: the Role dropdown and Save replace the member's
// roles; a member with several shows them and the dropdown says it
// replaces them; a bad role is 422, the last active Admin keeps the role,
// who may only view gets no form and a 403.
func TestMemberPageRoles(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			f := newMemberPageFixture(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			pageURL := "/w/acme/members/" + f.grace
			onPage := []string{"HX-Request", "true", "HX-Current-URL", "http://example.com" + pageURL}

			res := c.get(pageURL)
			if sel := res.Doc.Find("#member-roles select[name=role] option[selected]"); sel.AttrOr("value", "") != f.roles["Member"] {
				t.Errorf("the dropdown shows %q", sel.Text())
			}
			res = c.post(pageURL+"/roles", url.Values{"role": {f.roles["Support"]}}, onPage...)
			expectStatus(t, res, 200)
			if !strings.Contains(res.Header.Get("HX-Trigger"), "Grace Hopper has the role Support") || res.Doc.Find("#member-page[hx-swap-oob]").Length() != 1 {
				t.Errorf("saved: HX-Trigger %q, body %.300s", res.Header.Get("HX-Trigger"), res.Body)
			}
			if strings.Contains(res.Body, "<tr") {
				t.Error("the page got a table row")
			}
			if got := f.roleNames(t, f.grace); got != "Support" {
				t.Errorf("after Save: %s", got)
			}

			// Several roles: checkboxes; the dropdown says it replaces them.
			res = c.post(pageURL+"/roles", url.Values{"role": {f.roles["Member"], f.roles["Support"]}, "roles_mode": {"several"}}, onPage...)
			expectStatus(t, res, 200)
			if got := f.roleNames(t, f.grace); got != "Member,Support" && got != "Support,Member" {
				t.Errorf("several: %s", got)
			}
			res = c.get(pageURL)
			if res.Doc.Find("#member-roles input[type=checkbox][name=role][checked]").Length() != 2 || res.Doc.Find("#member-one-role").Length() != 1 {
				t.Errorf("several roles open as checkboxes: %s", res.Doc.Find("#member-roles").Text())
			}
			res = c.get(pageURL+"/roles?several=0", "HX-Request", "true")
			expectStatus(t, res, 200)
			if res.Doc.Find("select[name=role] option[selected]").AttrOr("value", "x") != "" || !strings.Contains(res.Doc.Find("#f-role-hint").Text(), "replaces all of them") {
				t.Errorf("the dropdown for several roles: %s", res.Body)
			}
			res = c.post(pageURL+"/roles", url.Values{"role": {f.roles["Member"]}}, onPage...)
			expectStatus(t, res, 200)
			if got := f.roleNames(t, f.grace); got != "Member" {
				t.Errorf("the dropdown replaced several roles with %s", got)
			}
			res = c.get(pageURL+"/roles?several=1", "HX-Request", "true")
			if res.Doc.Find("input[type=checkbox][name=role]").Length() != 3 {
				t.Errorf("Give several roles: %s", res.Body)
			}

			// Refusals: a role of no workspace, none, the last active Admin.
			for _, bad := range []url.Values{{"role": {"no-such-role"}}, {"role": {f.bobID}}, {"role": {""}}, {}} {
				res = c.post(pageURL+"/roles", bad, onPage...)
				expectStatus(t, res, http.StatusUnprocessableEntity)
				if res.Doc.Find("#member-roles .error").Length() == 0 {
					t.Errorf("%v: no error shown: %s", bad, res.Body)
				}
			}
			res = c.post("/w/acme/members/"+f.ada.ID+"/roles", url.Values{"role": {f.roles["Member"]}}, onPage...)
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if !strings.Contains(res.Doc.Find("#member-roles").Text(), "only active Admin") {
				t.Errorf("the last Admin: %s", res.Doc.Find("#member-roles").Text())
			}
			// Without JavaScript: a page after the form, 422 or 303.
			res = c.post(pageURL+"/roles?back="+url.QueryEscape("/w/acme/members?status=active"), url.Values{"role": {"nope"}})
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if res.Doc.Find("header.topbar").Length() != 1 || res.Doc.Find("#back-to-members").AttrOr("href", "") != "/w/acme/members?status=active" {
				t.Errorf("no-JS error page: %.300s", res.Body)
			}
			res = c.post(pageURL+"/roles?back="+url.QueryEscape("/w/acme/members?status=active"), url.Values{"role": {f.roles["Support"]}})
			if res.StatusCode != http.StatusSeeOther || location(res) != pageURL+"?back="+url.QueryEscape("/w/acme/members?status=active") {
				t.Errorf("no-JS save: %d to %q", res.StatusCode, location(res))
			}

			// Grace, a Support member now, may edit but not give Admin.
			g := newClient(t, app)
			g.signIn("grace@example.com", "a long enough password")
			res = g.get("/w/acme/members/" + f.linus)
			if res.Doc.Find("#member-roles option[disabled]").Text() != "Admin (has permissions you don't hold)" {
				t.Errorf("Grace's dropdown: %s", res.Doc.Find("#member-roles select").Text())
			}
			res = g.post("/w/acme/members/"+f.linus+"/roles", url.Values{"role": {f.roles["Admin"]}}, "HX-Request", "true")
			expectStatus(t, res, http.StatusUnprocessableEntity)
			// The Admin's own role is locked for her: shown, not changeable.
			res = g.get("/w/acme/members/" + f.ada.ID)
			if res.Doc.Find("#member-roles select[disabled]").Length() != 1 || res.Doc.Find("#member-roles input[type=hidden][name=role]").AttrOr("value", "") != f.roles["Admin"] {
				t.Errorf("Ada's locked role for Grace: %s", res.Doc.Find("#member-roles").Text())
			}

			// Ivy joins as a Member: she may view pages but change nothing.
			if _, err := store.RemoveMember(context.Background(), models.MemberActor(f.ada), f.ws, f.ivy); err != nil {
				t.Fatal(err)
			}
			joinedMember(t, store, f.ws, f.ada, "Vic Viewer", "vic@example.com", "Member")
			v := newClient(t, app)
			v.signIn("vic@example.com", "a long enough password")
			res = v.get(pageURL)
			expectStatus(t, res, 200)
			if res.Doc.Find("#member-roles form, .member-actions button, #member-activity").Length() != 0 {
				t.Errorf("a viewer sees forms or actions: %s", res.Doc.Find("#member-page").Text())
			}
			expectStatus(t, v.post(pageURL+"/roles", url.Values{"role": {f.roles["Admin"]}}, "HX-Request", "true"), http.StatusForbidden)
			expectStatus(t, v.get(pageURL+"/roles?several=1", "HX-Request", "true"), http.StatusForbidden)
		})
	}
}

// TestMemberPageActions: the "…" menu's actions on the page, under the
// same rules: Ada's own Deactivate and Remove disabled with the reason;
// an action answers with the page out of band, never a table row; a
// removal sends the viewer back to the table they came from.
func TestMemberPageActions(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			f := newMemberPageFixture(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			actions := func(id string) (on, off []string) {
				res := c.get("/w/acme/members/" + id)
				for _, n := range res.Doc.Find(".member-actions .btn").Nodes {
					disabled, text := false, ""
					for _, a := range n.Attr {
						disabled = disabled || (a.Key == "aria-disabled" && a.Val == "true")
					}
					if n.FirstChild != nil {
						text = n.FirstChild.Data
					}
					if disabled {
						off = append(off, text)
					} else {
						on = append(on, text)
					}
				}
				return on, off
			}
			on, off := actions(f.ada.ID)
			if strings.Join(on, ",") != "Edit,Password and two-factor…,Provisioning history" || strings.Join(off, ",") != "Deactivate,Remove from workspace" {
				t.Errorf("Ada's own page: on %v, off %v", on, off)
			}
			if res := c.get("/w/acme/members/" + f.ada.ID); !strings.Contains(res.Doc.Find("#member-blocked").Text(), "This is you") {
				t.Errorf("no reason on Ada's own page")
			}
			if on, off := actions(f.grace); strings.Join(on, ",") != "Edit,Password and two-factor…,Deactivate,Remove from workspace,Provisioning history" || off != nil {
				t.Errorf("Grace's page: on %v, off %v", on, off)
			}
			graceURL := "http://example.com/w/acme/members/" + f.grace + "?back=" + url.QueryEscape("/w/acme/members?status=active")
			res := c.post("/w/acme/members/"+f.grace+"/deactivate", nil, "HX-Request", "true", "HX-Current-URL", graceURL)
			expectStatus(t, res, 200)
			if res.Doc.Find("#member-page[hx-swap-oob] .badge.deactivated").Length() != 1 || strings.Contains(res.Body, "<tr") {
				t.Errorf("deactivate from the page: %.500s", res.Body)
			}
			if on, _ := actions(f.grace); !strings.Contains(strings.Join(on, ","), "Reactivate") {
				t.Errorf("after deactivating, Grace's page offers %v", on)
			}
			res = c.post("/w/acme/members/"+f.ivy+"/link", nil, "HX-Request", "true", "HX-Current-URL", "http://example.com/w/acme/members/"+f.ivy)
			expectStatus(t, res, 200)
			if res.Doc.Find("#link-dialog").Length() != 1 || res.Doc.Find("#member-page[hx-swap-oob]").Length() != 1 || strings.Contains(res.Body, "<tr") {
				t.Errorf("copy link from the page: %.500s", res.Body)
			}
			// From the table, still rows.
			res = c.post("/w/acme/members/"+f.grace+"/reactivate", nil, "HX-Request", "true", "HX-Current-URL", "http://example.com/w/acme/members")
			if !strings.Contains(res.Body, `id="member-`+f.grace+`"`) || strings.Contains(res.Body, `id="member-page"`) {
				t.Errorf("reactivate from the table: %.300s", res.Body)
			}
			// Editing in the dialog opened on the page: the page follows.
			res = c.post("/w/acme/members/"+f.grace+"/edit", url.Values{"name": {"Grace B. Hopper"}, "role": {f.roles["Support"]}}, "HX-Request", "true", "HX-Current-URL", graceURL)
			if !strings.Contains(res.Doc.Find("#member-page[hx-swap-oob] h1").Text(), "Grace B. Hopper") {
				t.Errorf("edit from the page: %.300s", res.Body)
			}
			res = c.post("/w/acme/members/"+f.grace+"/remove", nil, "HX-Request", "true", "HX-Current-URL", graceURL)
			if loc := res.Header.Get("HX-Location"); res.StatusCode != http.StatusNoContent || !strings.Contains(loc, `"path":"/w/acme/members?status=active"`) {
				t.Errorf("remove from the page: %d, HX-Location %q", res.StatusCode, loc)
			}
			expectStatus(t, c.get("/w/acme/members/"+f.grace), http.StatusNotFound)
		})
	}
}

// TestEditDialogRoles: one role is a dropdown that replaces the roles;
// "Give several roles" brings checkboxes and keeps what was typed; a
// member with several roles opens with checkboxes, which still work; a
// bad role is 422.
func TestEditDialogRoles(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			f := newMemberPageFixture(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			edit := "/w/acme/members/" + f.grace + "/edit"

			res := c.get(edit, "HX-Request", "true")
			if res.Doc.Find("#edit-dialog select[name=role] option[selected]").AttrOr("value", "") != f.roles["Member"] ||
				res.Doc.Find("#edit-dialog input[type=checkbox]").Length() != 0 || res.Doc.Find("#edit-several-roles[hx-get]").Length() != 1 {
				t.Errorf("one role opens as a dropdown: %.500s", res.Body)
			}
			res = c.post(edit, url.Values{"name": {"Grace Hopper"}, "role": {f.roles["Support"]}}, "HX-Request", "true")
			expectStatus(t, res, 200)
			if got := f.roleNames(t, f.grace); got != "Support" {
				t.Errorf("the dropdown kept the old role: %s", got)
			}
			res = c.get(edit+"?several=1&name=Grace+Typed&location=Paris&role="+f.roles["Support"], "HX-Request", "true")
			if res.Doc.Find("#edit-dialog input[type=checkbox][name=role][checked]").AttrOr("value", "") != f.roles["Support"] ||
				res.Doc.Find("#f-name").AttrOr("value", "") != "Grace Typed" || res.Doc.Find("#f-location").AttrOr("value", "") != "Paris" ||
				res.Doc.Find("#edit-one-role[hx-get]").Length() != 1 {
				t.Errorf("Give several roles: %.800s", res.Body)
			}
			res = c.post(edit, url.Values{"name": {"Grace Hopper"}, "role": {f.roles["Support"], f.roles["Member"]}, "roles_mode": {"several"}}, "HX-Request", "true")
			expectStatus(t, res, 200)
			if got := f.roleNames(t, f.grace); got != "Member,Support" && got != "Support,Member" {
				t.Errorf("several roles: %s", got)
			}
			res = c.get(edit, "HX-Request", "true")
			if res.Doc.Find("#edit-dialog input[type=checkbox][name=role][checked]").Length() != 2 {
				t.Errorf("several roles open as checkboxes: %.500s", res.Body)
			}
			res = c.get(edit+"?several=0&name=Grace+Hopper&role="+f.roles["Support"]+"&role="+f.roles["Member"], "HX-Request", "true")
			if res.Doc.Find("#edit-dialog select[name=role] option[selected]").AttrOr("value", "x") != "" || !strings.Contains(res.Doc.Find("#f-role-hint").Text(), "replaces all") {
				t.Errorf("One role only, from several: %.800s", res.Body)
			}
			for _, bad := range []url.Values{{"name": {"Grace Hopper"}, "role": {"no-such-role"}}, {"name": {"Grace Hopper"}, "role": {f.bobID}},
				{"name": {"Grace Hopper"}, "role": {"x"}, "roles_mode": {"several"}}} {
				res = c.post(edit, bad, "HX-Request", "true")
				expectStatus(t, res, http.StatusUnprocessableEntity)
				several := bad.Get("roles_mode") == "several"
				if several != (res.Doc.Find("#edit-dialog input[type=checkbox]").Length() > 0) || res.Doc.Find("#edit-dialog .error").Length() == 0 {
					t.Errorf("%v: the form again, same mode, with the error: %.500s", bad, res.Body)
				}
			}
		})
	}
}
