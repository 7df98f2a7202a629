package models_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// keptRoleCreate creates a member that names no role and checks it got
// want (the workspace's Member role as it is now), in the returned member
// and in member_roles, that the counts are exact and that the change token
// moved exactly once (a create whose kept statement failed wrote nothing).
func keptRoleCreate(t *testing.T, s *models.Store, f *inviteFixture, name string, want models.Role) {
	t.Helper()
	token := func() int64 { t.Helper(); return changeTokenNumber(t, s, f) }
	before := token()
	m, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: name, Email: name + "@example.com", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Roles) != 1 {
		t.Fatalf("%s: roles %+v, want %s", name, m.Roles, want.Name)
	}
	got := m.Roles[0]
	if got.ID != want.ID || got.WorkspaceID != want.WorkspaceID || got.Name != want.Name || got.Permissions != want.Permissions || got.Version != want.Version {
		t.Fatalf("%s: created with role %+v, want %+v", name, got, want)
	}
	var links []string
	if err := s.DB().NewRaw(`SELECT role_id FROM member_roles WHERE member_id = ?`, m.ID).Scan(f.ctx, &links); err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0] != want.ID {
		t.Fatalf("%s: role links %v, want [%s]", name, links, want.ID)
	}
	if s.IsPostgres() {
		if d := token() - before; d != 1 {
			t.Errorf("%s: the change token moved by %d, want 1", name, d)
		}
	}
	checkCounts(t, s, f.ws.ID)
}

// memberRoleNow is the workspace's Member role as stored.
func memberRoleNow(t *testing.T, s *models.Store, f *inviteFixture) models.Role {
	t.Helper()
	roles, err := s.Roles(f.ctx, f.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.Builtin == "member" {
			return r
		}
	}
	t.Fatal("no Member role")
	return models.Role{}
}

// TestKeptMemberRoleIsChecked: whatever a PostgreSQL create finds kept as
// the workspace's Member role, its statement refuses any role but that
// one as it is now: another workspace's Member role, the workspace's Admin
// role (current in every field it has), the Member role at an older
// version, or with other permissions or another name. Each such create
// gets the Member role as stored, writes one member with one link, and
// counts and moves the change token once.
func TestKeptMemberRoleIsChecked(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		other, err := s.CreateWorkspace(f.ctx, f.adminA, "Other")
		if err != nil {
			t.Fatal(err)
		}
		otherRoles, err := s.Roles(f.ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		var otherMember models.Role
		for _, r := range otherRoles {
			if r.Builtin == "member" {
				otherMember = r
			}
		}
		member := memberRoleNow(t, s, f)
		admin := f.roles["Admin"]
		older, stronger, renamed := member, member, member
		older.Version--
		stronger.Permissions = admin.Permissions
		renamed.Name = "Staff"
		for i, wrong := range []models.Role{otherMember, admin, older, stronger, renamed} {
			s.KeepMemberRole(f.ws.ID, wrong)
			keptRoleCreate(t, s, f, fmt.Sprintf("wrong-%d", i), member)
			// And the next create keeps the role read by the usual way.
			keptRoleCreate(t, s, f, fmt.Sprintf("next-%d", i), member)
		}
	})
}

// TestKeptMemberRoleAcrossReplicas: two server processes keep the Member
// role each on its own; a change made through one reaches the other's
// next create (its statement checks the role in the database), and an
// actor who may not grant the role as it is now is refused there.
func TestKeptMemberRoleAcrossReplicas(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		r := modelstest.Replica(t, s)
		member := memberRoleNow(t, s, f)
		keptRoleCreate(t, s, f, "a-1", member)
		keptRoleCreate(t, s, f, "a-2", member) // kept
		keptRoleCreate(t, r, f, "b-1", member)
		updated, err := r.UpdateRole(f.ctx, models.SystemActor, f.ws, member.ID, models.RoleInput{Name: "Staff",
			Permissions: []models.Permission{models.PermViewMembers, models.PermManageRoles}})
		if err != nil {
			t.Fatal(err)
		}
		keptRoleCreate(t, s, f, "a-3", *updated)
		weak := models.SystemActor.WithPerms(models.PermissionSet{models.PermViewMembers: true, models.PermInviteMembers: true})
		if _, err := s.CreateSCIMUser(f.ctx, weak, f.ws, models.SCIMUser{UserName: "weak", Email: "weak@example.com", Active: true}); err == nil {
			t.Fatal("an actor who may not grant the Member role as it is now created a member with it")
		}
		checkCounts(t, s, f.ws.ID)
	})
}

// TestKeptMemberRoleGenericPlan: the statement's check of the kept role
// holds under every plan the server may pick for it: custom plans, the
// generic plan it switches to after five executions, and a generic plan
// from the first. One connection, so that every create runs the same
// prepared statement; then the role changes (through another process) and
// the next create must get it as it is now.
func TestKeptMemberRoleGenericPlan(t *testing.T) {
	url := os.Getenv(modelstest.PostgresEnv)
	if url == "" {
		t.Skip(modelstest.PostgresEnv + " is not set")
	}
	for _, mode := range []string{"auto", "force_generic_plan", "force_custom_plan"} {
		t.Run(mode, func(t *testing.T) {
			t.Setenv(modelstest.PostgresEnv, url+"&plan_cache_mode="+mode)
			s := modelstest.Open(t, "postgres")
			s.DB().DB.SetMaxOpenConns(1)
			f := newInviteFixture(t, s)
			member := memberRoleNow(t, s, f)
			for i := range 8 {
				keptRoleCreate(t, s, f, fmt.Sprintf("%s-%d", mode, i), member)
			}
			var generic, custom int
			if err := s.DB().NewRaw(`SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) FROM pg_prepared_statements WHERE statement LIKE '%held_roles%builtin = ''member''%'`).
				Scan(f.ctx, &generic, &custom); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: the kept statement ran %d generic, %d custom plans", mode, generic, custom)
			if generic+custom < 7 {
				t.Fatalf("the kept statement ran %d times on the connection, want 7", generic+custom)
			}
			if mode != "force_custom_plan" && generic == 0 {
				t.Errorf("%s: no generic plan ran", mode)
			}
			r := modelstest.Replica(t, s)
			updated, err := r.UpdateRole(f.ctx, models.SystemActor, f.ws, member.ID, models.RoleInput{Name: "Staff",
				Permissions: []models.Permission{models.PermViewMembers, models.PermManageRoles}})
			if err != nil {
				t.Fatal(err)
			}
			keptRoleCreate(t, s, f, mode+"-after", *updated)
			keptRoleCreate(t, s, f, mode+"-kept", *updated)
		})
	}
}

// TestKeptMemberRoleTakenName: a create that meets a unique index with a
// wrong Member role kept (whichever error its statement met first) fails
// as a create without one does, naming the field, and writes nothing; a
// userName that is the text of the kept role's error changes nothing.
func TestKeptMemberRoleTakenName(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		member := memberRoleNow(t, s, f)
		const odd = "muster: the held role changed"
		u := models.SCIMUser{UserName: odd, Email: "odd@example.com", Active: true}
		if _, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, u); err != nil {
			t.Fatal(err)
		}
		_, want := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, u)
		if want == nil {
			t.Fatal("a taken userName was created again")
		}
		stale := member
		stale.Version--
		for _, kept := range []models.Role{member, stale} {
			s.KeepMemberRole(f.ws.ID, kept)
			if _, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, u); err == nil || err.Error() != want.Error() {
				t.Fatalf("kept version %d: %v, want %v", kept.Version, err, want)
			}
			checkCounts(t, s, f.ws.ID)
		}
		keptRoleCreate(t, s, f, "after", member)
	})
}

// TestKeptMemberRoleConcurrentChanges: creates on two processes while a
// third changes the Member role over and over: each create returns the
// role as one of its versions was (name and permissions of that version),
// none fails, each writes one link to it, and the counts are exact.
func TestKeptMemberRoleConcurrentChanges(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		member := memberRoleNow(t, s, f)
		a, b, c := s, modelstest.Replica(t, s), modelstest.Replica(t, s)
		versions := map[int]models.Role{member.Version: member}
		done := make(chan struct{})
		var mu sync.Mutex
		go func() {
			defer close(done)
			for i := range 10 {
				perms := []models.Permission{models.PermViewMembers}
				if i%2 == 0 {
					perms = append(perms, models.PermManageRoles)
				}
				r, err := c.UpdateRole(f.ctx, models.SystemActor, f.ws, member.ID, models.RoleInput{Name: fmt.Sprintf("Member %d", i), Permissions: perms})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				versions[r.Version] = *r
				mu.Unlock()
			}
		}()
		var wg sync.WaitGroup
		var got []models.Role
		for p, st := range []*models.Store{a, b} {
			for w := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 10 {
						name := fmt.Sprintf("conc-%d-%d-%d", p, w, i)
						m, err := st.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: name, Email: name + "@example.com", Active: true})
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						got = append(got, m.Roles...)
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		<-done
		for _, r := range got {
			v, ok := versions[r.Version]
			if !ok || r.ID != member.ID || r.Name != v.Name || r.Permissions != v.Permissions {
				t.Errorf("a create returned role %+v, not one of the Member role's versions", r)
			}
		}
		var links int
		if err := s.DB().NewRaw(`SELECT count(*) FROM member_roles AS mr JOIN members AS m ON m.id = mr.member_id WHERE m.user_name LIKE 'conc-%' AND mr.role_id = ?`, member.ID).Scan(f.ctx, &links); err != nil {
			t.Fatal(err)
		}
		if len(got) != 40 || links != 40 {
			t.Errorf("%d roles returned, %d links, want 40", len(got), links)
		}
		checkCounts(t, s, f.ws.ID)
	})
}
