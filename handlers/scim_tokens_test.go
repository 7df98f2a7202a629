package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMTokensPage: an admin creates a token in the dialog and sees it
// once; the list shows its prefix, who made it and when it was last used,
// never the token; revoking updates its row and ends its access.
func TestSCIMTokensPage(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			ctx := context.Background()
			hx := []string{"HX-Request", "true"}

			page := c.get("/w/acme/scim")
			expectStatus(t, page, 200)
			if got := page.Doc.Find(`.nav a[aria-current=page]`).Text(); got != "SCIM" {
				t.Errorf("current nav item = %q", got)
			}
			if got := page.Doc.Find("#scim-base-url").AttrOr("value", ""); got != "http://localhost:8080/scim/v2" {
				t.Errorf("base URL = %q", got)
			}
			if page.Doc.Find(`[data-copy="#scim-base-url"]`).Length() != 1 || page.Doc.Find("#scim-tokens-empty").Length() != 1 {
				t.Errorf("page without tokens: %s", page.Body)
			}
			if got := page.Doc.Find("#scim-entra-url").AttrOr("value", ""); got != "http://localhost:8080/scim/v2?aadOptscim062020" {
				t.Errorf("Entra tenant URL = %q", got)
			}
			for _, want := range []string{"Push New Users", "userPrincipalName", "IsSoftDeleted", "Test Connection"} {
				if !strings.Contains(page.Doc.Find(".guides").Text(), want) {
					t.Errorf("instructions lack %q", want)
				}
			}

			dlg := c.get("/w/acme/scim/tokens/new", hx...)
			expectStatus(t, dlg, 200)
			if dlg.Doc.Find("dialog#scim-new-dialog #f-name").Length() != 1 || strings.Contains(dlg.Body, "<html") {
				t.Fatalf("new token dialog: %s", dlg.Body)
			}
			bad := c.post("/w/acme/scim/tokens", url.Values{"name": {"  "}}, hx...)
			expectStatus(t, bad, http.StatusUnprocessableEntity)
			if bad.Doc.Find("#f-name-error").Length() != 1 || bad.Doc.Find(`#f-name[aria-invalid=true]`).Length() != 1 {
				t.Errorf("empty name: %s", bad.Body)
			}

			created := c.post("/w/acme/scim/tokens", url.Values{"name": {"Okta"}}, hx...)
			expectStatus(t, created, 200)
			token := created.Doc.Find("#scim-token-dialog #scim-token-value").AttrOr("value", "")
			if !strings.HasPrefix(token, "muster_scim_") || len(token) < 40 {
				t.Fatalf("token shown = %q\n%s", token, created.Body)
			}
			if !strings.Contains(created.Doc.Find("#scim-token-once").Text(), "won't see it again") {
				t.Error("no warning that the token is shown once")
			}
			if cc := created.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			// The list arrives out of band, with the new row.
			list := created.Doc.Find(`#scim-tokens[hx-swap-oob=true]`)
			if list.Find("#scim-token-rows tr").Length() != 1 || !strings.Contains(list.Text(), token[:16]+"…") {
				t.Errorf("out-of-band list: %s", created.Body)
			}

			// Stored as a hash only; the page never shows the token again.
			tokens, err := store.SCIMTokens(ctx, ws.ID)
			if err != nil || len(tokens) != 1 {
				t.Fatalf("tokens = %+v %v", tokens, err)
			}
			tok := tokens[0]
			if tok.TokenHash != models.HashToken(token) || tok.Prefix != token[:16] || tok.CreatedByName != "Ada Lovelace" {
				t.Errorf("stored token = %+v", tok)
			}
			var rows int64
			if rows, err = store.DB().NewSelect().Table("scim_tokens").Where("token_hash = ? OR prefix = ? OR name = ?", token, token, token).Count(ctx); err != nil || rows != 0 {
				t.Errorf("the token itself is stored (%d rows, %v)", rows, err)
			}
			page = c.get("/w/acme/scim")
			row := page.Doc.Find("#scim-token-" + tok.ID)
			if strings.Contains(page.Body, token) || row.Length() != 1 {
				t.Fatalf("page after creating: %s", page.Body)
			}
			for sel, want := range map[string]string{".name": "Okta", "code": token[:16] + "…", ".last-used": "Never", ".token-status": "Active"} {
				if got := strings.TrimSpace(row.Find(sel).Text()); got != want {
					t.Errorf("row %s = %q, want %q", sel, got, want)
				}
			}
			if !strings.Contains(row.Text(), "Ada Lovelace") || !strings.Contains(row.Text(), "Just now") {
				t.Errorf("row = %q", row.Text())
			}

			// Once the identity provider uses it, the row says when.
			if _, _, err := store.AuthenticateSCIM(ctx, token); err != nil {
				t.Fatal(err)
			}
			page = c.get("/w/acme/scim")
			if got := strings.TrimSpace(page.Doc.Find("#scim-token-" + tok.ID + " .last-used").Text()); got != "Just now" {
				t.Errorf("last used = %q", got)
			}

			// Revoke: a confirmation dialog, then the row changes in place.
			confirm := c.get("/w/acme/scim/tokens/"+tok.ID+"/revoke", hx...)
			expectStatus(t, confirm, 200)
			if !strings.Contains(confirm.Doc.Find("#scim-revoke-dialog h2").Text(), "Revoke Okta?") {
				t.Errorf("revoke dialog: %s", confirm.Body)
			}
			revoked := c.post("/w/acme/scim/tokens/"+tok.ID+"/revoke", nil, hx...)
			expectStatus(t, revoked, 200)
			if trig := revoked.Header.Get("HX-Trigger"); !strings.Contains(trig, "closeDialog") || !strings.Contains(trig, "Revoked the token Okta") {
				t.Errorf("HX-Trigger = %q", trig)
			}
			if !strings.Contains(revoked.Body, `<template>`) || !strings.Contains(revoked.Body, `id="scim-token-`+tok.ID+`" class="status-revoked" hx-swap-oob="true"`) {
				t.Errorf("revoked row: %s", revoked.Body)
			}
			if _, _, err := store.AuthenticateSCIM(ctx, token); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("a revoked token still works: %v", err)
			}
			page = c.get("/w/acme/scim")
			row = page.Doc.Find("#scim-token-" + tok.ID)
			if !strings.HasPrefix(strings.TrimSpace(row.Find(".token-status").Text()), "Revoked") || row.Find("button").Length() != 0 {
				t.Errorf("revoked row on the page: %s", row.Text())
			}
			expectStatus(t, c.post("/w/acme/scim/tokens/not-a-token/revoke", nil, hx...), http.StatusNotFound)
		})
	}
}

// TestSCIMPageNeedsItsPermission: a Member sees no SCIM link and is refused
// the page and its actions.
func TestSCIMPageNeedsItsPermission(t *testing.T) {
	app, store := newApp(t, "sqlite")
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, store)
	_, token := inviteGrace(t, store, acc, ws)
	if _, _, err := store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, app)
	c.signIn("grace@example.com", "a long enough password")
	members := c.get("/w/acme/members")
	if strings.Contains(members.Doc.Find(".nav").Text(), "SCIM") {
		t.Error("a Member sees the SCIM link")
	}
	expectStatus(t, c.get("/w/acme/scim"), http.StatusForbidden)
	expectStatus(t, c.post("/w/acme/scim/tokens", url.Values{"name": {"Sneaky"}}, "HX-Request", "true"), http.StatusForbidden)
	if tokens, _ := store.SCIMTokens(ctx, ws.ID); len(tokens) != 0 {
		t.Errorf("a Member made a token: %+v", tokens)
	}
}

// TestSCIMInvitesSettingOnSettingsPage: the settings page's checkbox turns invitation
// emails for SCIM-created members off and on; the SCIM page says which.
func TestSCIMInvitesSettingOnSettingsPage(t *testing.T) {
	_, store, _, c := signedInAdmin(t, "sqlite")
	settings := c.get("/w/acme/settings")
	if _, on := settings.Doc.Find("#f-scim_invites").Attr("checked"); !on {
		t.Fatalf("SCIM invitations are not on by default: %s", settings.Body)
	}
	form := url.Values{"name": {"Acme"}, "slug": {"acme"}, "invite_expiry": {"168"}, "invites_per_hour": {"100"}}
	saved := c.post("/w/acme/settings", form) // unticked: the box sends nothing
	expectStatus(t, saved, 200)
	if _, on := saved.Doc.Find("#f-scim_invites").Attr("checked"); on {
		t.Error("still ticked after saving it off")
	}
	ws, _ := store.WorkspaceBySlug(context.Background(), "acme")
	if ws.SCIMInvites {
		t.Fatal("setting not stored")
	}
	if got := c.get("/w/acme/scim").Doc.Find("#scim-invites-state").Text(); !strings.Contains(got, "no invitation email") {
		t.Errorf("SCIM page says %q", got)
	}
	audit := c.get("/w/acme/audit")
	if !strings.Contains(audit.Doc.Find("#audit-rows").Text(), "scim invites") {
		t.Errorf("audit: %s", audit.Doc.Find("#audit-rows").Text())
	}
	form.Set("scim_invites", "on")
	c.post("/w/acme/settings", form)
	if ws, _ = store.WorkspaceBySlug(context.Background(), "acme"); !ws.SCIMInvites {
		t.Error("not turned back on")
	}
	if got := c.get("/w/acme/scim").Doc.Find("#scim-invites-state").Text(); !strings.Contains(got, "get an invitation email") {
		t.Errorf("SCIM page says %q", got)
	}
}

// TestEditSCIMManagedMember: the row shows a SCIM badge; the Edit dialog
// shows name and location read-only with who manages them, and the server
// refuses a changed name while roles still change.
func TestEditSCIMManagedMember(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			acc, ws := modelstest.SetUp(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			ctx := context.Background()
			hx := []string{"HX-Request", "true"}
			grace, _ := inviteGrace(t, store, acc, ws)
			if _, err := store.DB().NewUpdate().Model((*models.Member)(nil)).Set("scim_managed = ?", true).Set("location = ?", "Arlington").
				Where("id = ?", grace.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.CreateSCIMToken(ctx, models.SystemActor, ws, "Okta"); err != nil {
				t.Fatal(err)
			}

			members := c.get("/w/acme/members")
			badge := members.Doc.Find("#member-" + grace.ID + " .person .badge.scim")
			if badge.Text() != "SCIM" || badge.AttrOr("title", "") != "Managed by your identity provider" {
				t.Errorf("badge: %s", members.Doc.Find("#member-"+grace.ID).Text())
			}
			admin, _, _ := store.Membership(ctx, ws.ID, acc.ID)
			if members.Doc.Find("#member-"+admin.ID+" .badge.scim").Length() != 0 {
				t.Error("a member Muster manages has a SCIM badge")
			}

			dlg := c.get("/w/acme/members/"+grace.ID+"/edit", hx...)
			expectStatus(t, dlg, 200)
			for _, f := range []string{"name", "location"} {
				in := dlg.Doc.Find("#f-" + f)
				if _, ro := in.Attr("readonly"); !ro {
					t.Errorf("%s is editable", f)
				}
				if _, dis := in.Attr("disabled"); dis {
					t.Errorf("%s is disabled: its value would not be sent", f)
				}
				if got := dlg.Doc.Find("#f-" + f + "-hint").Text(); got != "Managed by Okta: change it there." {
					t.Errorf("%s hint = %q", f, got)
				}
			}
			if dlg.Doc.Find(`select[name=role]:not([disabled]) option:not([disabled])`).Length() < 2 { // the Role dropdown
				t.Error("roles are not editable")
			}

			memberRole, adminRole := memberRoleID(t, store, ws.ID, "Member"), memberRoleID(t, store, ws.ID, "Admin")
			refused := c.post("/w/acme/members/"+grace.ID+"/edit", url.Values{"name": {"Grace Brewster Hopper"}, "location": {"Arlington"}, "role": {memberRole}}, hx...)
			expectStatus(t, refused, http.StatusUnprocessableEntity)
			if !strings.Contains(refused.Doc.Find("#f-name-error").Text(), "identity provider") || refused.Doc.Find("#f-name").AttrOr("value", "") != "Grace" {
				t.Errorf("refused edit: %s", refused.Body)
			}

			// What the dialog sends back (the read-only values) with another role: saved.
			ok := c.post("/w/acme/members/"+grace.ID+"/edit", url.Values{"name": {"Grace"}, "location": {"Arlington"}, "role": {memberRole, adminRole}}, hx...)
			expectStatus(t, ok, 200)
			m, _ := store.MemberByID(ctx, ws.ID, grace.ID)
			if len(m.Roles) != 2 || m.DisplayName != "Grace" || m.Location != "Arlington" {
				t.Errorf("after editing roles: %+v", m)
			}
		})
	}
}

// TestAuditShowsSCIMTokens: what a SCIM token does is logged under its name,
// marked as a token, and the actor filter finds it.
func TestAuditShowsSCIMTokens(t *testing.T) {
	_, store, ws, c := signedInAdmin(t, "sqlite")
	ctx := context.Background()
	_, tok, err := store.CreateSCIMToken(ctx, models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateRole(ctx, tok.Actor(), ws, models.RoleInput{Name: "Engineering"}); err != nil {
		t.Fatal(err)
	}
	audit := c.get("/w/acme/audit")
	if got := audit.Doc.Find(`#audit-actor option[value="` + tok.ID + `"]`).Text(); got != "Okta (SCIM token)" {
		t.Errorf("actor option = %q", got)
	}
	filtered := c.get("/w/acme/audit?actor="+tok.ID, "HX-Request", "true", "HX-Target", "audit-results")
	rows := filtered.Doc.Find("#audit-rows tr")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "Okta (SCIM token)") || !strings.Contains(rows.Text(), "Engineering") {
		t.Errorf("filtered by the token: %s", rows.Text())
	}
	csv := c.get("/w/acme/audit.csv?actor=" + tok.ID)
	if !strings.Contains(csv.Body, "Okta (SCIM token),role.created") {
		t.Errorf("csv: %q", csv.Body)
	}
}
