package models_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMCreateKeepsTheMemberRole: on PostgreSQL creates that name no role
// read the Member role once and then keep it, with no read of their own;
// a change to the role that its version does not show (a raw UPDATE of
// its name) still reaches the next create, whose kept statement writes
// nothing and which goes the usual way (its member gets the role's new
// name, counts and change token exact). And a kept role that an actor
// could not grant is read again before the create is refused: once the
// permission is taken away again, the same actor's create goes through.
func TestSCIMCreateKeepsTheMemberRole(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		member := f.roles["Member"]
		var reads atomic.Int64
		s.PreparedHook = func(key string) {
			if key == "memberRole" {
				reads.Add(1)
			}
		}
		n := 0
		create := func(actor models.Actor) (*models.Member, error) {
			n++
			name := fmt.Sprintf("kept-%d", n)
			return s.CreateSCIMUser(f.ctx, actor, f.ws, models.SCIMUser{UserName: name, Email: name + "@example.com", Active: true})
		}
		mustCreate := func(actor models.Actor) *models.Member {
			t.Helper()
			m, err := create(actor)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		for range 3 {
			mustCreate(models.SystemActor)
		}
		if s.IsPostgres() && reads.Load() != 1 {
			t.Errorf("3 creates read the Member role %d times, want once", reads.Load())
		}

		if _, err := s.DB().ExecContext(f.ctx, `UPDATE roles SET name = 'Staff' WHERE id = ?`, member.ID); err != nil {
			t.Fatal(err)
		}
		token, err := s.ChangeToken(f.ctx, f.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := mustCreate(models.SystemActor)
		if len(m.Roles) != 1 || m.Roles[0].Name != "Staff" {
			t.Fatalf("created after the rename with roles %+v, want Staff", m.Roles)
		}
		var links int
		if err := s.DB().NewRaw(`SELECT count(*) FROM member_roles WHERE member_id = ?`, m.ID).Scan(f.ctx, &links); err != nil || links != 1 {
			t.Fatalf("%d role links (%v), want 1", links, err)
		}
		after, err := s.ChangeToken(f.ctx, f.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.IsPostgres() && after == token {
			t.Error("the change token did not move")
		}
		checkCounts(t, s, f.ws.ID)
		mustCreate(models.SystemActor) // keeps the renamed role
		before := reads.Load()
		if m := mustCreate(models.SystemActor); m.Roles[0].Name != "Staff" {
			t.Fatalf("roles %+v, want Staff", m.Roles)
		}
		if s.IsPostgres() && reads.Load() != before {
			t.Errorf("a create read the kept Member role again (%d reads, want %d)", reads.Load(), before)
		}

		// Permissions: the kept role must not refuse what the current one allows.
		weak := models.SystemActor.WithPerms(models.PermissionSet{models.PermViewMembers: true, models.PermInviteMembers: true})
		update := func(perms ...models.Permission) {
			t.Helper()
			if _, err := s.UpdateRole(f.ctx, models.SystemActor, f.ws, member.ID, models.RoleInput{Name: "Staff", Permissions: perms}); err != nil {
				t.Fatal(err)
			}
		}
		update(models.PermViewMembers, models.PermManageRoles)
		for range 2 { // the second with the stronger role kept
			var v *models.ValidationError
			if _, err := create(weak); !errors.As(err, &v) {
				t.Fatalf("create by an actor who may not grant the role: %v, want refused", err)
			}
		}
		update(models.PermViewMembers)
		if m := mustCreate(weak); m.Roles[0].Permissions != string(models.PermViewMembers) {
			t.Fatalf("roles %+v", m.Roles)
		}
		checkCounts(t, s, f.ws.ID)
	})
}
