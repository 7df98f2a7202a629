package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCreateSCIMUsersTakenInWorkspace: a chunk's users collide with the
// workspace's members by userName (as the database folds it), email and
// externalId, values holding quotes and JSON's special characters
// included; each gets its conflict, naming the holder, from the chunk's one
// lookup (takenIn), not from a unique index refusing the chunk and a
// retry one at a time.
func TestCreateSCIMUsersTakenInWorkspace(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		ext := `e"1<&>'\x`
		holders := []models.SCIMUser{
			{UserName: "O'Brien@Example.com", Email: "obrien@example.com", GivenName: "O", FamilyName: "B", Active: true},
			{UserName: `q"1<x>`, Email: "o'hara&co@example.com", GivenName: "Q", FamilyName: "D", Active: true},
			{UserName: "ext@example.com", Email: "ext@example.com", GivenName: "E", FamilyName: "X", Active: true, ExternalID: &ext},
		}
		var ids []string
		for _, u := range holders {
			m, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, u)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		ext2 := ext
		users := setUsers(4, "t")
		users[0].UserName = "o'brien@EXAMPLE.COM" // holder 0's userName, as the database folds it
		users[1].Email = "o'hara&co@example.com"  // holder 1's email
		users[2].ExternalID = &ext2               // holder 2's externalId
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 4 || models.SetRetries() != retries {
			t.Fatalf("%d results, %d retries: the lookup missed a holder", len(out), models.SetRetries()-retries)
		}
		fields := []string{"userName", "emails", "externalId"}
		for i, r := range out[:3] {
			var cerr *models.ConflictError
			if !errors.As(r.Err, &cerr) || cerr.Code != models.ConflictUniqueness || cerr.Field != fields[i] || cerr.MemberID != ids[i] {
				t.Errorf("user %d: want a %s conflict naming %s, got %#v", i, fields[i], ids[i], r.Err)
			}
		}
		if out[3].Err != nil || out[3].Member == nil {
			t.Errorf("user 3: %v", out[3].Err)
		}
	})
}
