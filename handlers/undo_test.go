package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

type toastTrigger struct {
	ShowToast struct {
		Kind, Message string
		Undo          *struct{ URL, Event string }
	}
}

func toastOf(t *testing.T, res *response) toastTrigger {
	t.Helper()
	var tr toastTrigger
	if err := json.Unmarshal([]byte(res.Header.Get("HX-Trigger")), &tr); err != nil {
		t.Fatalf("HX-Trigger %q: %v", res.Header.Get("HX-Trigger"), err)
	}
	return tr
}

// Deactivate answers a toast with Undo; the Undo makes the member active
// again, once; a second Undo is refused with a message; Revoke asks first.
func TestUndoDeactivateThroughHandlers(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			acc, ws := modelstest.SetUp(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			c.get("/w/acme/members")
			ctx := context.Background()
			m, token := inviteGrace(t, store, acc, ws)
			if _, _, err := store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err != nil {
				t.Fatal(err)
			}
			hx := []string{"HX-Request", "true", "HX-Current-URL", "http://localhost/w/acme/members"}
			res := c.post("/w/acme/members/"+m.ID+"/deactivate", nil, hx...)
			expectStatus(t, res, 200)
			tr := toastOf(t, res)
			if tr.ShowToast.Undo == nil || tr.ShowToast.Undo.URL != "/w/acme/members/"+m.ID+"/undo-deactivate" || tr.ShowToast.Undo.Event == "" {
				t.Fatalf("no Undo in the toast: %s", res.Header.Get("HX-Trigger"))
			}
			if !strings.HasPrefix(tr.ShowToast.Message, "Deactivated Grace.") {
				t.Errorf("toast %q", tr.ShowToast.Message)
			}

			// Someone's made-up event undoes nothing.
			bad := c.post(tr.ShowToast.Undo.URL, url.Values{"event": {"0190a000-0000-7000-8000-000000000000"}}, hx...)
			expectStatus(t, bad, http.StatusConflict)

			undo := c.post(tr.ShowToast.Undo.URL, url.Values{"event": {tr.ShowToast.Undo.Event}}, hx...)
			expectStatus(t, undo, 200)
			if got := toastOf(t, undo).ShowToast.Message; !strings.HasPrefix(got, "Undone: Grace is active again.") {
				t.Errorf("undo toast %q", got)
			}
			if !strings.Contains(undo.Body, `hx-swap-oob="true"`) || !strings.Contains(undo.Body, "status-active") {
				t.Errorf("undo row: %s", undo.Body)
			}
			again := c.post(tr.ShowToast.Undo.URL, url.Values{"event": {tr.ShowToast.Undo.Event}}, hx...)
			expectStatus(t, again, http.StatusConflict)
			if got := toastOf(t, again).ShowToast; got.Kind != "error" || !strings.Contains(got.Message, "nothing to undo") {
				t.Errorf("second undo: %+v", got)
			}
			evs, _ := store.AuditEvents(ctx, ws.ID, 1)
			if len(evs) != 1 || evs[0].Action != models.ActionDeactivationUndone {
				t.Errorf("newest event %+v", evs)
			}
			audit := c.get("/w/acme/audit")
			if !strings.Contains(audit.Doc.Find("#audit-rows").Text(), "Reactivated (undid the deactivation)") {
				t.Error("the audit log does not word the undo")
			}

			// Revoke asks first, in a dialog that posts the revoke.
			inv, _, err := store.Invite(ctx, models.SystemActor, ws, models.InviteInput{Name: "Alan", Email: "alan@example.com", RoleID: memberRoleID(t, store, ws.ID, "Member")})
			if err != nil {
				t.Fatal(err)
			}
			dlg := c.get("/w/acme/members/"+inv.ID+"/revoke", hx...)
			expectStatus(t, dlg, 200)
			if dlg.Doc.Find("dialog#revoke-dialog form[hx-post='/w/acme/members/"+inv.ID+"/revoke']").Length() != 1 ||
				!strings.Contains(dlg.Doc.Find("#revoke-title").Text(), "Revoke Alan's invitation?") {
				t.Errorf("revoke dialog: %s", dlg.Body)
			}
			expectStatus(t, c.post("/w/acme/members/"+inv.ID+"/revoke", nil, hx...), 200)
		})
	}
}
