package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// The browser's hourly invitation budget counts what people send: an
// identity provider's creates (and re-invites) do not use it up.
func TestSCIMCreatesSpareTheInviteBudget(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 3
		for i := range 5 {
			if _, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "idp" + string(rune('a'+i)) + "@example.com", Active: true}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			f.invite(t, "P", string(rune('a'+i))+"@example.com", "Member")
		}
		_, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "P", Email: "d@example.com", RoleID: f.roles["Member"].ID})
		var rl *models.RateLimitedError
		if !errors.As(err, &rl) {
			t.Fatalf("fourth browser invite: %v", err)
		}
		// SCIM keeps creating while the browser's budget is spent.
		if _, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "late@example.com", Active: true}); err != nil {
			t.Errorf("SCIM create after the budget: %v", err)
		}
		f.clock.Add(61 * time.Minute)
		f.invite(t, "P", "d@example.com", "Member")
	})
}
