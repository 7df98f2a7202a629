package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// A member an identity provider created without an email address is
// listed plainly: "No email" where the address would be, "Not invited" as
// the status, and no invitation actions but a disabled one that says why;
// the server refuses them anyway.
func TestMemberWithoutEmailInTable(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			acc, ws := modelstest.SetUp(t, store)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			ctx := context.Background()
			admin, _, err := store.Membership(ctx, ws.ID, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			m, err := store.CreateSCIMUser(ctx, models.MemberActor(admin), ws, models.SCIMUser{UserName: "kim.no.mail", Active: true})
			if err != nil {
				t.Fatal(err)
			}
			row := c.get("/w/acme/members").Doc.Find("#member-" + m.ID)
			if row.Length() != 1 {
				t.Fatal("the member without an email is not listed")
			}
			if got := strings.TrimSpace(row.Find("td.email").Text()); got != "No email" {
				t.Errorf("email cell %q", got)
			}
			if got := row.Find(".badge.invited").Text(); got != "Not invited" {
				t.Errorf("status %q", got)
			}
			for _, action := range []string{"resend", "link", "revoke"} {
				if row.Find(`[hx-post$="/`+action+`"]`).Length() != 0 {
					t.Errorf("the row offers %s", action)
				}
			}
			send := row.Find(`button[aria-disabled="true"]`)
			note := row.Find("#" + send.AttrOr("aria-describedby", "none"))
			if send.Text() != "Send invite" || !strings.Contains(note.Text(), "No email address") {
				t.Errorf("no disabled invite with its reason: %q %q", send.Text(), note.Text())
			}
			if row.Find(`[hx-get$="/remove"]`).Length() != 1 {
				t.Error("the member cannot be removed from the row")
			}
			hx := []string{"HX-Request", "true"}
			for _, action := range []string{"resend", "link"} {
				res := c.post("/w/acme/members/"+m.ID+"/"+action, nil, hx...)
				expectStatus(t, res, http.StatusConflict)
				if !strings.Contains(res.Header.Get("HX-Trigger"), "no email address") {
					t.Errorf("%s toast: %q", action, res.Header.Get("HX-Trigger"))
				}
			}
		})
	}
}
