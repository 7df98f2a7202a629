package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/models/modelstest"
)

func TestRolesAuditAndSettingsPages(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true"}

			page := c.get("/w/acme/roles")
			expectStatus(t, page, 200)
			if page.Doc.Find(".role-card").Length() != 2 || !strings.Contains(page.Doc.Find(".nav").Text(), "Audit log") {
				t.Fatalf("roles page: %s", page.Body)
			}
			dlg := c.get("/w/acme/roles/new", hx...)
			if dlg.Doc.Find(`input[name=perm]`).Length() != 8 {
				t.Fatalf("role dialog: %s", dlg.Body)
			}
			bad := c.post("/w/acme/roles", url.Values{"name": {"Admin"}}, hx...)
			expectStatus(t, bad, http.StatusUnprocessableEntity)
			if !strings.Contains(bad.Doc.Find("#f-name-error").Text(), "already a role") {
				t.Errorf("duplicate role: %s", bad.Body)
			}
			ok := c.post("/w/acme/roles", url.Values{"name": {"Customer Success"}, "description": {"Helps customers"}, "perm": {"members.view", "members.invite"}}, hx...)
			expectStatus(t, ok, 200)
			if !strings.Contains(ok.Body, `id="roles-list" class="cards" hx-swap-oob="true"`) || !strings.Contains(ok.Body, "Customer Success") {
				t.Errorf("created role: %s", ok.Body)
			}
			cs := memberRoleID(t, store, ws.ID, "Customer Success")
			del := c.post("/w/acme/roles/"+cs+"/delete", nil, hx...)
			expectStatus(t, del, 200)
			if strings.Contains(del.Body, "Customer Success") {
				t.Error("deleted role still listed")
			}

			audit := c.get("/w/acme/audit")
			expectStatus(t, audit, 200)
			if audit.Doc.Find("#audit-rows tr").Length() != 4 || !strings.Contains(audit.Doc.Find("#audit-rows").Text(), "Deleted the role") {
				t.Errorf("audit page: %s", audit.Doc.Find("#audit-rows").Text())
			}
			filtered := c.get("/w/acme/audit?action=role.created", "HX-Request", "true", "HX-Target", "audit-results")
			if filtered.Doc.Find("#audit-rows tr").Length() != 1 || strings.Contains(filtered.Body, "<html") {
				t.Errorf("filtered audit: %s", filtered.Body)
			}
			csv := c.get("/w/acme/audit.csv")
			if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || strings.Count(csv.Body, "\n") != 5 || !strings.Contains(csv.Body, "role.deleted") {
				t.Errorf("csv: %q", csv.Body)
			}

			settings := c.get("/w/acme/settings")
			expectStatus(t, settings, 200)
			badSettings := c.post("/w/acme/settings", url.Values{"name": {"Acme"}, "slug": {"Not A Slug"}, "invite_expiry": {"168"}, "invites_per_hour": {"100"}})
			expectStatus(t, badSettings, http.StatusUnprocessableEntity)
			if badSettings.Doc.Find("#f-slug-error").Length() != 1 || badSettings.Doc.Find("#f-slug").AttrOr("value", "") != "Not A Slug" {
				t.Errorf("bad slug: %s", badSettings.Body)
			}
			moved := c.post("/w/acme/settings", url.Values{"name": {"Acme Robotics"}, "slug": {"acme-robotics"}, "invite_expiry": {"72"}, "invites_per_hour": {"50"}})
			if location(moved) != "/w/acme-robotics/settings" {
				t.Fatalf("slug change: %d %q", moved.StatusCode, location(moved))
			}
			expectStatus(t, c.get("/w/acme/members"), http.StatusNotFound)
			after := c.get("/w/acme-robotics/settings")
			if after.Doc.Find(`#f-invite_expiry option[selected]`).AttrOr("value", "") != "72" {
				t.Errorf("expiry not kept: %s", after.Body)
			}
		})
	}
}
