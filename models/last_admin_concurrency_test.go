package models_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestLastAdminHoldsUnderConcurrency: 100 concurrent changes over two
// Stores on one database (two replicas) try to take away every active
// Admin at once, in every way there is (deactivate, remove, a SCIM PATCH
// of active or roles, a SCIM DELETE, the Edit dialog), while other members
// are made Admins and, at the same time, deactivated, renamed or removed
// (changes that take the workspace lock in share mode on PostgreSQL,
// changeMember). At least one active Admin is left, every refusal is an
// answer (last Admin, a state conflict, not found), never a deadlock or a
// database error, and every member left is consistent with the counts.
func TestLastAdminHoldsUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		adminRole, memberRole := f.roles["Admin"].ID, f.roles["Member"].ID
		mk := func(name string, roles ...string) *models.Member {
			m, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: name + "@example.com",
				Email: name + "@example.com", DisplayName: name, Roles: roles, Active: true})
			if err != nil {
				t.Fatal(err)
			}
			// SCIM makes them Invited; they are active once signed in.
			if _, err := s.DB().ExecContext(f.ctx, "UPDATE members SET status = 'active' WHERE id = ?", m.ID); err != nil {
				t.Fatal(err)
			}
			return m
		}
		admins := []*models.Member{f.admin}
		for i := range 9 {
			admins = append(admins, mk("admin"+strconv.Itoa(i), "Admin"))
		}
		var plain []*models.Member
		for i := range 20 {
			plain = append(plain, mk("plain"+strconv.Itoa(i), "Member"))
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := replicas[i%2]
				a, p, q := admins[i/10], plain[i/10], plain[10+i/10]
				var err error
				switch i % 10 {
				case 0:
					_, err = r.Deactivate(f.ctx, models.SystemActor, f.ws, a.ID)
				case 1:
					_, err = r.RemoveMember(f.ctx, models.SystemActor, f.ws, a.ID)
				case 2:
					_, err = r.ChangeSCIMUser(f.ctx, models.SystemActor, f.ws, a.ID, 0, func(u *models.SCIMUser) error {
						u.Active = false
						return nil
					})
				case 3:
					_, err = r.ChangeSCIMUser(f.ctx, models.SystemActor, f.ws, a.ID, 0, func(u *models.SCIMUser) error {
						u.Roles = []string{"Member"}
						return nil
					})
				case 4:
					err = r.DeleteSCIMUser(f.ctx, models.SystemActor, f.ws, a.ID, 0)
				case 5:
					_, err = r.UpdateMember(f.ctx, models.SystemActor, f.ws, a.ID, models.UpdateInput{RoleIDs: []string{memberRole}, RolesOnly: true})
				case 6: // made an Admin while case 7 deactivates them
					_, err = r.UpdateMember(f.ctx, models.SystemActor, f.ws, p.ID, models.UpdateInput{RoleIDs: []string{adminRole}, RolesOnly: true})
				case 7:
					_, err = r.Deactivate(f.ctx, models.SystemActor, f.ws, p.ID)
				case 8:
					_, err = r.ChangeSCIMUser(f.ctx, models.SystemActor, f.ws, q.ID, 0, func(u *models.SCIMUser) error {
						u.DisplayName = "Renamed " + strconv.Itoa(i)
						return nil
					})
				case 9:
					_, err = r.RemoveMember(f.ctx, models.SystemActor, f.ws, q.ID)
				}
				var c *models.ConflictError
				if err != nil && !errors.As(err, &c) && !errors.Is(err, models.ErrNotFound) {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var n int
		if err := s.DB().QueryRowContext(f.ctx, `SELECT count(*) FROM members AS m
			JOIN member_roles AS mr ON mr.member_id = m.id JOIN roles AS r ON r.id = mr.role_id
			WHERE m.workspace_id = ? AND m.status = 'active' AND r.builtin = 'admin'`, f.ws.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < 1 {
			t.Fatalf("%d active Admins left, want at least 1", n)
		}
		checkCounts(t, s, f.ws.ID)
	})
}
