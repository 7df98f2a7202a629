package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// rowMenu is what a member's "…" menu offers: the enabled items, the
// disabled ones, and the note that says why.
func rowMenu(doc *goquery.Document, memberID string) (enabled, disabled []string, note string, shown bool) {
	menu := doc.Find("#member-" + memberID + " details.menu")
	menu.Find("[role=menuitem]").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("aria-disabled", "") == "true" {
			disabled = append(disabled, strings.TrimSpace(s.Text()))
		} else {
			enabled = append(enabled, strings.TrimSpace(s.Text()))
		}
	})
	return enabled, disabled, strings.TrimSpace(menu.Find(".menu-reason").Text()), menu.Length() == 1
}

// TestRowMenus: a member who may invite but not edit or remove sees no "…"
// on active rows (never an empty menu); an admin sees Deactivate and
// Remove disabled, with the reason, on their own row and on the last
// active Admin's; the server refuses both anyway.
func TestRowMenus(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			app, store := newApp(t, d)
			acc, ws := modelstest.SetUp(t, store)
			ada, _, err := store.Membership(ctx, ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: "Customer Success",
				Permissions: []models.Permission{models.PermViewMembers, models.PermInviteMembers}}); err != nil {
				t.Fatal(err)
			}
			// Every permission, but not the Admin role: Dora may step Ada down,
			// except that Ada is the last active Admin.
			if _, err := store.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: "Deputy", Permissions: models.AllPermissions()}); err != nil {
				t.Fatal(err)
			}
			carla := joinedMember(t, store, ws, ada, "Carla Success", "carla@example.com", "Customer Success")
			dora := joinedMember(t, store, ws, ada, "Dora Deputy", "dora@example.com", "Deputy")
			invited, _, err := store.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: "Ivy Invited", Email: "ivy@example.com", RoleID: memberRoleID(t, store, ws.ID, "Member")})
			if err != nil {
				t.Fatal(err)
			}

			// Carla may view and invite: a menu only where she can act.
			c := newClient(t, app)
			c.signIn("carla@example.com", "a long enough password")
			page := c.get("/w/acme/members")
			expectStatus(t, page, 200)
			for _, id := range []string{ada.ID, carla, dora} {
				if _, _, _, shown := rowMenu(page.Doc, id); shown {
					t.Errorf("Carla sees a menu on the active row %s", id)
				}
			}
			if on, _, _, _ := rowMenu(page.Doc, invited.ID); strings.Join(on, ",") != "Resend invite,Copy invite link,Revoke invite…" {
				t.Errorf("Carla's menu on an invited row: %v", on)
			}

			// Ada's own row: Deactivate and Remove disabled, and refused.
			a := newClient(t, app)
			a.signIn("ada@example.com", modelstest.AdminPassword)
			page = a.get("/w/acme/members")
			on, off, note, _ := rowMenu(page.Doc, ada.ID)
			if strings.Join(on, ",") != "Edit,Password and two-factor…,Provisioning history" || strings.Join(off, ",") != "Deactivate,Remove from workspace" || !strings.Contains(note, "This is you") {
				t.Errorf("Ada's own row: on %v, off %v, note %q", on, off, note)
			}
			if on, off, _, _ := rowMenu(page.Doc, dora); strings.Join(on, ",") != "Edit,Password and two-factor…,Deactivate,Remove from workspace,Provisioning history" || off != nil {
				t.Errorf("Dora's row, seen by Ada: on %v, off %v", on, off)
			}
			for _, action := range []string{"deactivate", "remove"} {
				if res := a.post("/w/acme/members/"+ada.ID+"/"+action, nil, "HX-Request", "true"); res.StatusCode != 409 && res.StatusCode != 422 {
					t.Errorf("Ada may %s herself: %d", action, res.StatusCode)
				}
			}

			// Dora sees Ada as the last active Admin.
			dc := newClient(t, app)
			dc.signIn("dora@example.com", "a long enough password")
			page = dc.get("/w/acme/members")
			on, off, note, _ = rowMenu(page.Doc, ada.ID)
			if strings.Join(on, ",") != "Edit,Password and two-factor…,Provisioning history" || strings.Join(off, ",") != "Deactivate,Remove from workspace" || !strings.Contains(note, "last active Admin") {
				t.Errorf("the last active Admin's row: on %v, off %v, note %q", on, off, note)
			}
			if on, _, _, _ := rowMenu(page.Doc, carla); strings.Join(on, ",") != "Edit,Password and two-factor…,Deactivate,Remove from workspace,Provisioning history" {
				t.Errorf("Carla's row, seen by Dora: %v", on)
			}
			// The Remove dialog (opened before Ada became the last Admin, say)
			// answers a refusal with the dialog itself, saying why.
			dlg := dc.get("/w/acme/members/"+ada.ID+"/remove", "HX-Request", "true")
			expectStatus(t, dlg, 200)
			res := dc.post("/w/acme/members/"+ada.ID+"/remove", nil, "HX-Request", "true")
			expectStatus(t, res, 422)
			if msg := res.Doc.Find("#remove-dialog [role=alert]").Text(); !strings.Contains(msg, "only active Admin") {
				t.Errorf("the Remove dialog's error = %q\n%s", msg, res.Body)
			}
			if res.Doc.Find("#remove-dialog [data-close-dialog]").Length() != 1 || res.Doc.Find("#remove-dialog form[hx-post]").Length() != 1 {
				t.Error("the Remove dialog lost its buttons")
			}
			if _, err := store.MemberByID(ctx, ws.ID, ada.ID); err != nil {
				t.Errorf("Ada is gone: %v", err)
			}

			// A deactivated row offers Reactivate and Remove.
			if _, err := store.Deactivate(ctx, models.MemberActor(ada), ws, carla); err != nil {
				t.Fatal(err)
			}
			page = a.get("/w/acme/members")
			if on, off, _, _ := rowMenu(page.Doc, carla); strings.Join(on, ",") != "Edit,Remove from workspace,Reactivate,Provisioning history" || off != nil {
				t.Errorf("a deactivated row: on %v, off %v", on, off)
			}
		})
	}
}
