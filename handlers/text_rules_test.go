package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// The shared text rule (models/text.go) reaches the browser as a 422 with
// the form and a message by the field, never a 500: invisible and
// direction-changing characters, invalid UTF-8 and NUL alike.
func TestFormsRefuseInvisibleText(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true"}
			member := memberRoleID(t, store, ws.ID, "Member")
			for _, tc := range []struct{ field, name, email, location string }{
				{"name", "Mallory \u202eevil", "m@example.com", ""},
				{"name", "Bad \xff UTF-8", "m@example.com", ""},
				{"name", "Nul\x00l", "m@example.com", ""},
				{"email", "Zed", "zed\u200b@example.com", ""},
				{"email", "Zed", "zed\xff@example.com", ""},
				{"location", "Zed", "zed@example.com", "Oslo\u2066"},
				{"location", "Zed", "zed@example.com", "Oslo\x00"},
			} {
				r := c.post("/w/acme/members/invite", url.Values{"name": {tc.name}, "email": {tc.email}, "role": {member}, "location": {tc.location}}, hx...)
				expectStatus(t, r, http.StatusUnprocessableEntity)
				if r.Doc.Find("#f-"+tc.field+"-error").Length() != 1 {
					t.Errorf("%s %q: no message by the field: %s", tc.field, tc.name+tc.email+tc.location, r.Body)
				}
			}
			// Nothing refused was written: Ada is still the only member.
			if n, err := store.DB().NewSelect().Table("members").Where("workspace_id = ?", ws.ID).Count(context.Background()); err != nil || n != 1 {
				t.Errorf("%d members (%v), want 1", n, err)
			}
			// The edit dialog keeps to the same rule.
			ada, err := store.SCIMUserByID(context.Background(), ws.ID, adaID(t, store, ws.ID))
			if err != nil {
				t.Fatal(err)
			}
			r := c.post("/w/acme/members/"+ada.ID+"/edit", url.Values{"name": {"Ada\u200bKing"}, "role": {memberRoleID(t, store, ws.ID, "Admin")}}, hx...)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if r.Doc.Find("#f-name-error").Length() != 1 {
				t.Errorf("edit: no message by the name: %s", r.Body)
			}
		})
	}
}

func adaID(t *testing.T, store *models.Store, wsID string) string {
	t.Helper()
	var id string
	if err := store.DB().NewSelect().Table("members").Column("id").Where("workspace_id = ? AND email = ?", wsID, "ada@example.com").Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}
