package models_test

import (
	"errors"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCreateSCIMUserConflictNamesTheField: a create runs first without
// looking for the values it takes (the unique indexes refuse a duplicate),
// then again with the lookup: the answer still names the field taken and
// the member holding it, and nothing of the refused create stays.
func TestCreateSCIMUserConflictNamesTheField(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		ext := "ext-1"
		first, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: "grace", Email: "grace@example.com",
			ExternalID: &ext, Active: true, Roles: []string{"Brand new role"}})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := s.StatusCounts(f.ctx, f.ws.ID)
		other := "ext-2"
		for field, u := range map[string]models.SCIMUser{
			"userName":   {UserName: "GRACE", Email: "g2@example.com", Active: true},
			"emails":     {UserName: "grace2", Email: "grace@example.com", Active: true},
			"externalId": {UserName: "grace3", Email: "g3@example.com", ExternalID: &ext, Active: true},
		} {
			_, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, u)
			var c *models.ConflictError
			if !errors.As(err, &c) || c.Field != field || c.Code != models.ConflictUniqueness || c.MemberID != first.ID {
				t.Errorf("%s taken: %#v", field, err)
			}
		}
		if _, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: "grace4", Email: "g4@example.com", ExternalID: &other, Active: true}); err != nil {
			t.Fatal(err)
		}
		after, _ := s.StatusCounts(f.ctx, f.ws.ID)
		if after[models.StatusInvited] != before[models.StatusInvited]+1 {
			t.Errorf("invited %d → %d, want one more (the refused creates left nothing)", before[models.StatusInvited], after[models.StatusInvited])
		}
		checkCounts(t, s, f.ws.ID)
	})
}
