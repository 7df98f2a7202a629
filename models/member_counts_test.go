package models_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// checkCounts fails unless the kept per-status counts are what count(*)
// finds in members.
func checkCounts(t *testing.T, s *models.Store, wsID string) {
	t.Helper()
	ctx := context.Background()
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := s.DB().NewSelect().Table("members").Column("status").ColumnExpr("count(*) AS n").
		Where("workspace_id = ?", wsID).Group("status").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range rows {
		want[r.Status] = r.N
		if r.Status != models.StatusRevoked {
			want[""] += r.N
		}
	}
	got, err := s.StatusCounts(ctx, wsID)
	if err != nil {
		t.Fatal(err)
	}
	for st := range got {
		if got[st] == 0 {
			delete(got, st)
		}
	}
	if len(got) != len(want) {
		t.Errorf("counts %v, members table %v", got, want)
		return
	}
	for st, n := range want {
		if got[st] != n {
			t.Errorf("counts %v, members table %v", got, want)
			return
		}
	}
}

// TestMemberCountsExactUnderConcurrency: 100 concurrent writers through
// two replicas, each running one of every path that adds members, removes
// them or changes their status; afterwards the kept counts are what
// count(*) finds, per status, and the change token moved once at least per
// operation's workspace write, on both databases.
func TestMemberCountsExactUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 100000
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		token0, err := s.ChangeToken(f.ctx, f.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Members the second round works on.
		base := make([]*models.Member, 100)
		links := make([]string, 100)
		for i := range base {
			base[i], links[i] = f.invite(t, "B"+strconv.Itoa(i), "b"+strconv.Itoa(i)+"@example.com", "Member")
			if i%10 == 5 { // active, to be deactivated
				if _, _, err := s.AcceptInvite(f.ctx, links[i], models.AcceptInput{Name: "B", Password: "correct horse battery " + strconv.Itoa(i)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		scimUser := func(id string, active bool) models.SCIMUser {
			return models.SCIMUser{UserName: id + "@scim.example.com", Email: id + "@scim.example.com", Active: active}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 400)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := replicas[i%2]
				m := base[i]
				id := strconv.Itoa(i)
				var err error
				switch i % 10 {
				case 0:
					_, _, err = r.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "n" + id + "@example.com", RoleID: f.roles["Member"].ID})
				case 1:
					_, err = r.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{RoleID: f.roles["Member"].ID,
						Addresses: []models.InviteAddress{{Email: "m" + id + "a@example.com"}, {Email: "m" + id + "b@example.com"}}})
				case 2:
					_, err = r.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, scimUser("s"+id, i%20 == 2))
				case 3:
					_, err = r.CreateSCIMUsers(f.ctx, models.SystemActor, f.ws, []models.SCIMUser{scimUser("t"+id, true), scimUser("u"+id, false)}, 0)
				case 4:
					_, _, err = r.AcceptInvite(f.ctx, links[i], models.AcceptInput{Name: "B", Password: "correct horse battery " + id})
				case 5:
					_, err = r.Deactivate(f.ctx, f.actor, f.ws, m.ID)
				case 6:
					_, err = r.RemoveMember(f.ctx, f.actor, f.ws, m.ID)
				case 7:
					_, err = r.RevokeInvite(f.ctx, f.actor, f.ws, m.ID)
				case 8:
					err = r.DeleteSCIMUser(f.ctx, models.SystemActor, f.ws, m.ID, 0)
				case 9:
					_, err = r.ChangeSCIMUser(f.ctx, models.SystemActor, f.ws, m.ID, 0, func(u *models.SCIMUser) error {
						u.Active = false
						return nil
					})
				}
				if err != nil {
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
		checkCounts(t, s, f.ws.ID)
		// A second round on what the first left: reactivations, an Undo,
		// and the revoked invitations given back to the workspace.
		start = make(chan struct{})
		errs = make(chan error, 100)
		for i := range 100 {
			if i%10 != 5 && i%10 != 9 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := replicas[i%2]
				var err error
				if i%20 == 5 {
					var ev string
					if ev, err = r.DeactivationToUndo(f.ctx, f.actor, f.ws.ID, base[i].ID); err == nil {
						_, err = r.UndoDeactivate(f.ctx, f.actor, f.ws, base[i].ID, ev)
					}
				} else {
					_, err = r.Reactivate(f.ctx, f.actor, f.ws, base[i].ID)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		for i := range 100 {
			if i%10 != 7 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := replicas[i%2].InviteAgain(f.ctx, f.actor, f.ws, base[i].ID)
				if err != nil {
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
		checkCounts(t, s, f.ws.ID)
		token1, err := s.ChangeToken(f.ctx, f.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := strconv.Atoi(token0)
		b, _ := strconv.Atoi(token1)
		if b < a+100 {
			t.Errorf("change token moved from %s to %s over 100+ writes", token0, token1)
		}
	})
}
