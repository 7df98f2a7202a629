package models_test

import (
	"context"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestActiveAdminsAmongMany: the queries that look for Admins from the
// Admin role's side (activeAdmins) find the same people the members do:
// the sole Admin among many members, then none once a second is active,
// and SSOAdmins lists only Admins with an account, with their fields.
func TestActiveAdminsAmongMany(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 200, 3); err != nil {
			t.Fatal(err)
		}
		admins, err := s.SSOAdmins(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(admins) != 1 || admins[0].AccountID == nil || *admins[0].AccountID != acc.ID || admins[0].Email != "ada@example.com" || admins[0].DisplayName != "Ada Lovelace" {
			t.Fatalf("SSOAdmins = %+v, want Ada alone with her fields", admins)
		}
		sole, err := s.SoleActiveAdmin(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sole != admins[0].ID {
			t.Fatalf("SoleActiveAdmin = %q, not Ada (%s)", sole, admins[0].ID)
		}
		// A second active Admin, without an account: Ada is no longer the
		// sole Admin, and SSOAdmins still lists her alone.
		if _, err := s.CreateSCIMUser(ctx, scimActor, ws, models.SCIMUser{UserName: "grace@example.com", Email: "grace@example.com",
			DisplayName: "Grace Hopper", Roles: []string{"Admin"}, Active: true}); err != nil {
			t.Fatal(err)
		}
		// SCIM makes her Invited; she is active once she has signed in.
		if _, err := s.DB().ExecContext(ctx, "UPDATE members SET status = 'active' WHERE workspace_id = ? AND email = 'grace@example.com'", ws.ID); err != nil {
			t.Fatal(err)
		}
		if sole, err := s.SoleActiveAdmin(ctx, ws.ID); err != nil || sole != "" {
			t.Fatalf("SoleActiveAdmin with two Admins = %q, %v; want none", sole, err)
		}
		if admins, err := s.SSOAdmins(ctx, ws.ID); err != nil || len(admins) != 1 || admins[0].Email != "ada@example.com" {
			t.Fatalf("SSOAdmins = %+v, %v; want Ada alone", admins, err)
		}
	})
}
