package models_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMemberRoleReadAfterItChanged: SCIM creates that run together in a
// group share one read of the built-in Member role (SQLite), but a change
// to that role in between is seen by every create after it: an actor that
// may not grant the role's new permission can no longer create a user who
// would get it.
func TestMemberRoleReadAfterItChanged(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		roles, err := s.Roles(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		var member models.Role
		for _, r := range roles {
			if r.Builtin == "member" {
				member = r
			}
		}
		weak := models.SystemActor.WithPerms(models.PermissionSet{models.PermViewMembers: true, models.PermInviteMembers: true})
		// Each round's creates run in one group on SQLite: they queue while
		// writes are held, then run.
		round := func(name string) []error {
			errs := make([]error, 6)
			var queued func() int
			var run func()
			if !s.IsPostgres() {
				queued, run = models.HoldWrites(s)
			}
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.CreateSCIMUser(ctx, weak, ws, models.SCIMUser{UserName: name + strconv.Itoa(i), Active: true})
				}()
			}
			if run != nil {
				for deadline := time.Now().Add(10 * time.Second); queued() < len(errs); time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%d creates queued, want %d", queued(), len(errs))
					}
				}
				run()
			}
			wg.Wait()
			return errs
		}
		for i, err := range round("before") {
			if err != nil {
				t.Fatalf("create %d before the change: %v", i, err)
			}
		}
		if _, err := s.UpdateRole(ctx, models.SystemActor, ws, member.ID, models.RoleInput{Name: member.Name, Description: member.Description,
			Permissions: []models.Permission{models.PermViewMembers, models.PermManageRoles}}); err != nil {
			t.Fatal(err)
		}
		for i, err := range round("after") {
			var v *models.ValidationError
			if !errors.As(err, &v) {
				t.Errorf("create %d after the Member role got a permission the actor lacks: %v, want refused", i, err)
			}
		}
	})
}
