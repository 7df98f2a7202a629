package models_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestRoleChangesDoNotDeadlock: changes to different members run side by
// side on PostgreSQL (changeMember's share lock), so what they lock must
// be taken in one order. Over two replicas at once: an identity provider
// gives pairs of new roles in opposite orders (each request creates both),
// while an admin deletes a role and moves its members, whom the identity
// provider is moving too. Every request gets an answer (a state conflict
// or not found at worst), never a database error such as "deadlock
// detected", and no member is left without the roles it was given.
func TestRoleChangesDoNotDeadlock(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		contractors, err := s.CreateRole(f.ctx, f.actor, f.ws, models.RoleInput{Name: "Contractors", Permissions: []models.Permission{}})
		if err != nil {
			t.Fatal(err)
		}
		var members []*models.Member
		for i := range 40 {
			name := "person" + strconv.Itoa(i)
			m, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: name + "@example.com",
				Email: name + "@example.com", DisplayName: name, Roles: []string{"Contractors"}, Active: true})
			if err != nil {
				t.Fatal(err)
			}
			members = append(members, m)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, len(members)+1)
		for i, m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				roles := []string{"Member"} // the role Contractors' members move to
				if i%2 == 0 {               // new roles, named in opposite orders
					pair := []string{"Ops " + strconv.Itoa(i/4), "Eng " + strconv.Itoa(i/4)}
					if i%4 == 2 {
						pair[0], pair[1] = pair[1], pair[0]
					}
					roles = pair
				}
				_, err := replicas[i%2].ChangeSCIMUser(f.ctx, models.SystemActor, f.ws, m.ID, 0, func(u *models.SCIMUser) error {
					u.Roles = roles
					return nil
				})
				var c *models.ConflictError
				if err != nil && !errors.As(err, &c) && !errors.Is(err, models.ErrNotFound) {
					errs <- err
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, _, err := replicas[1].DeleteRole(f.ctx, f.actor, f.ws, contractors.ID, f.roles["Member"].ID); err != nil {
				errs <- err
			}
		}()
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for _, m := range members {
			got, err := s.MemberByID(f.ctx, f.ws.ID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Roles) == 0 {
				t.Errorf("%s has no roles left", got.DisplayName)
			}
			for _, r := range got.Roles {
				if r.ID == contractors.ID {
					t.Errorf("%s still holds the deleted role", got.DisplayName)
				}
			}
		}
		checkCounts(t, s, f.ws.ID)
	})
}
