package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCreateSCIMUserAtOnceIsAtomic: on PostgreSQL a create reads its roles,
// then sends its INSERTs as one text without BEGIN. A role deleted in
// between fails the member_roles insert, and PostgreSQL's implicit
// transaction takes the member, its invitation and audit event back with
// it: the answer is a conflict on roles and nothing of the create stays.
func TestCreateSCIMUserAtOnceIsAtomic(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("SQLite creates in the write queue's transaction")
		}
		f := newInviteFixture(t, s)
		role, err := s.CreateRole(f.ctx, models.SystemActor, f.ws, models.RoleInput{Name: "Short-lived"})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := s.StatusCounts(f.ctx, f.ws.ID)
		events, _ := s.DB().NewSelect().Table("audit_events").Where("workspace_id = ?", f.ws.ID).Count(f.ctx)
		ran := false
		defer models.BeforeCreateExec(func(ctx context.Context) {
			ran = true
			if _, err := s.DB().NewDelete().Table("roles").Where("id = ?", role.ID).Exec(ctx); err != nil {
				t.Error(err)
			}
		})()
		_, err = s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: "midway", Email: "midway@example.com",
			Active: true, Roles: []string{"Short-lived"}})
		var c *models.ConflictError
		if !ran || !errors.As(err, &c) || c.Field != "roles" {
			t.Fatalf("ran %v, err %#v; want a conflict on roles", ran, err)
		}
		n, err := s.DB().NewSelect().Table("members").Where("workspace_id = ? AND user_name = 'midway'", f.ws.ID).Count(f.ctx)
		if err != nil || n != 0 {
			t.Errorf("%d members named midway (%v), want none", n, err)
		}
		if after, _ := s.DB().NewSelect().Table("audit_events").Where("workspace_id = ?", f.ws.ID).Count(f.ctx); after != events {
			t.Errorf("audit events %d → %d, want none added", events, after)
		}
		after, _ := s.StatusCounts(f.ctx, f.ws.ID)
		if after[models.StatusInvited] != before[models.StatusInvited] {
			t.Errorf("invited %d → %d", before[models.StatusInvited], after[models.StatusInvited])
		}
		checkCounts(t, s, f.ws.ID)
	})
}
