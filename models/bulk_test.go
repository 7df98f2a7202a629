package models_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// bulkFixture: Ada (the setup's Admin) and, by name, Alan (active Admin),
// Bob (invited Member), Carl (deactivated Member), Dan (active, SCIM-
// managed Member), Grace (active Member), and Olga, who holds every
// permission through a role that is not Admin (so she can deactivate
// Admins without being one).
type bulkFixture struct {
	*inviteFixture
	m    map[string]*models.Member
	olga models.Actor
}

func newBulkFixture(t *testing.T, s *models.Store) *bulkFixture {
	t.Helper()
	f := &bulkFixture{inviteFixture: newInviteFixture(t, s), m: map[string]*models.Member{}}
	f.m["Ada"] = f.admin
	all := models.PermissionSet{}
	for _, p := range models.AllPermissions() {
		all[p] = true
	}
	f.actor = f.actor.WithPerms(all)
	owner, err := s.CreateRole(f.ctx, f.actor, f.ws, models.RoleInput{Name: "Owner", Permissions: models.AllPermissions()})
	if err != nil {
		t.Fatal(err)
	}
	f.roles["Owner"] = *owner
	for _, p := range []struct{ name, role, status string }{
		{"Alan", "Admin", models.StatusActive}, {"Bob", "Member", models.StatusInvited}, {"Carl", "Member", models.StatusDeactivated},
		{"Dan", "Member", models.StatusActive}, {"Grace", "Member", models.StatusActive}, {"Olga", "Owner", models.StatusActive},
	} {
		m, _ := f.invite(t, p.name+" Test", p.name+"@example.com", p.role)
		f.setStatus(t, m, p.status)
		f.m[p.name] = m
	}
	if _, err := s.DB().NewUpdate().Model((*models.Member)(nil)).Set("scim_managed = ?", true).Where("id = ?", f.m["Dan"].ID).Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.olga = models.MemberActor(f.m["Olga"]).WithPerms(all)
	return f
}

// setStatus puts m in status as if it had got there (an account when active).
func (f *bulkFixture) setStatus(t *testing.T, m *models.Member, status string) {
	t.Helper()
	q := f.s.DB().NewUpdate().Model((*models.Member)(nil)).Set("status = ?", status).Where("id = ?", m.ID)
	if status != models.StatusInvited {
		acc := &models.Account{ID: uuid.NewString(), Email: m.Email, Name: m.DisplayName, CreatedAt: modelstest.Epoch}
		if _, err := f.s.DB().NewInsert().Model(acc).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		q = q.Set("account_id = ?", acc.ID)
	}
	if _, err := q.Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
	m.Status = status
}

func (f *bulkFixture) ids(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = f.m[n].ID
	}
	return out
}

func skips(p *models.BulkPlan) map[string]int {
	out := map[string]int{}
	for _, g := range p.Skips {
		out[g.Reason] = g.Count
	}
	return out
}

func activeAdmins(t *testing.T, f *bulkFixture) int {
	t.Helper()
	n, err := f.s.DB().NewSelect().Model((*models.Member)(nil)).
		Join("JOIN member_roles AS mr ON mr.member_id = m.id").Join("JOIN roles AS r ON r.id = mr.role_id").
		Where("m.workspace_id = ? AND m.status = 'active' AND r.builtin = 'admin'", f.ws.ID).Count(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestPlanBulk: the confirmation counts what each action would do and
// why it leaves members out, with the rules of the single-member
// operations; the last active Admin is kept across the selection.
func TestPlanBulk(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newBulkFixture(t, s)
		all := models.BulkSelection{All: true}
		for _, tc := range []struct {
			name    string
			actor   models.Actor
			req     models.BulkRequest
			apply   int
			scim    int
			skipped map[string]int
		}{
			// Ada is herself; Bob and Carl are not active.
			{"deactivate all as Ada", f.actor, models.BulkRequest{Action: models.BulkDeactivate, Sel: all}, 4, 1,
				map[string]int{models.SkipSelf: 1, models.SkipNotApplicable: 2}},
			// Olga is not an Admin: of Ada and Alan, the second is the last.
			{"deactivate the Admins as Olga", f.olga, models.BulkRequest{Action: models.BulkDeactivate, Sel: models.BulkSelection{IDs: f.ids("Ada", "Alan")}}, 1, 0,
				map[string]int{models.SkipLastAdmin: 1}},
			{"remove all as Olga", f.olga, models.BulkRequest{Action: models.BulkRemove, Sel: all}, 5, 1,
				map[string]int{models.SkipLastAdmin: 1, models.SkipSelf: 1}},
			{"role change as Olga", f.olga, models.BulkRequest{Action: models.BulkRole, RoleID: f.roles["Member"].ID, Sel: all}, 1, 0,
				map[string]int{models.SkipLastAdmin: 1, models.SkipSelf: 1, models.SkipNotApplicable: 4}},
			{"resend", f.actor, models.BulkRequest{Action: models.BulkResend, Sel: all}, 1, 0, map[string]int{models.SkipNotApplicable: 6}},
			{"reactivate", f.actor, models.BulkRequest{Action: models.BulkReactivate, Sel: all}, 1, 0, map[string]int{models.SkipNotApplicable: 6}},
			// A Member may not take the Admin role away, nor give Owner.
			{"role change without the permissions", models.MemberActor(f.m["Grace"]).WithPerms(models.PermissionSet{models.PermViewMembers: true, models.PermEditMembers: true}),
				models.BulkRequest{Action: models.BulkRole, RoleID: f.roles["Member"].ID, Sel: models.BulkSelection{IDs: f.ids("Ada", "Olga", "Bob")}}, 0, 0,
				map[string]int{models.SkipPermission: 2, models.SkipNotApplicable: 1}},
		} {
			p, err := s.PlanBulk(f.ctx, tc.actor, f.ws, tc.req)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := skips(p); p.Apply != tc.apply || p.SCIMManaged != tc.scim || fmt.Sprint(got) != fmt.Sprint(tc.skipped) || p.Skipped() != p.Selected-p.Apply {
				t.Errorf("%s: apply %d (SCIM %d), skips %v; want %d (%d), %v", tc.name, p.Apply, p.SCIMManaged, got, tc.apply, tc.scim, tc.skipped)
			}
		}
		// A view narrows "all matching".
		p, err := s.PlanBulk(f.ctx, f.actor, f.ws, models.BulkRequest{Action: models.BulkDeactivate,
			Sel: models.BulkSelection{All: true, View: models.MemberQuery{Search: "grace"}}})
		if err != nil || p.Selected != 1 || p.Apply != 1 {
			t.Errorf("a searched view: %+v %v", p, err)
		}
		// Bad input is a validation error, never a panic or a 500.
		for _, req := range []models.BulkRequest{
			{Action: "explode", Sel: all},
			{Action: models.BulkDeactivate},
			{Action: models.BulkRole, Sel: all},
			{Action: models.BulkRole, RoleID: "nope", Sel: all},
		} {
			if _, err := s.PlanBulk(f.ctx, f.actor, f.ws, req); fieldError(err, "action")+fieldError(err, "selection")+fieldError(err, "role") == "" {
				t.Errorf("%+v: %v, want a validation error", req, err)
			}
		}
	})
}

// TestRunBulkInline: a small selection runs now, one audited operation
// per member through the single-member operations.
func TestRunBulkInline(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newBulkFixture(t, s)
		before := auditActions(t, s, f.ws.ID)
		res, err := s.RunBulk(f.ctx, f.actor, f.ws, models.BulkRequest{Action: models.BulkRole, RoleID: f.roles["Owner"].ID,
			Sel: models.BulkSelection{IDs: append(f.ids("Ada", "Bob", "Dan", "Grace", "Olga"), "not-a-member")}})
		if err != nil {
			t.Fatal(err)
		}
		// Ada is herself, Olga has Owner already, and the stranger is not here.
		if res.Job != nil || res.Changed != 3 || res.Skipped != 3 || res.Failed != 0 {
			t.Fatalf("result = %+v", res)
		}
		if n := auditActions(t, s, f.ws.ID)["member.updated"] - before["member.updated"]; n != 3 {
			t.Errorf("%d member.updated events, want 3", n)
		}
		for _, name := range []string{"Bob", "Dan", "Grace"} {
			m, _ := s.MemberByID(f.ctx, f.ws.ID, f.m[name].ID)
			if len(m.Roles) != 1 || m.Roles[0].Name != "Owner" {
				t.Errorf("%s has %v", name, roleNamesOfMember(m))
			}
		}

		// Deactivate and reactivate Grace; resend Bob's invitation; remove Carl.
		for _, tc := range []struct {
			action, who string
			audit       string
		}{
			{models.BulkDeactivate, "Grace", "member.deactivated"}, {models.BulkReactivate, "Grace", "member.reactivated"},
			{models.BulkResend, "Bob", "invite.resent"}, {models.BulkRemove, "Carl", "member.removed"},
		} {
			before := auditActions(t, s, f.ws.ID)[tc.audit]
			res, err := s.RunBulk(f.ctx, f.actor, f.ws, models.BulkRequest{Action: tc.action, Sel: models.BulkSelection{IDs: f.ids(tc.who)}})
			if err != nil || res.Changed != 1 {
				t.Errorf("%s %s: %+v %v", tc.action, tc.who, res, err)
			}
			if n := auditActions(t, s, f.ws.ID)[tc.audit] - before; n != 1 {
				t.Errorf("%s: %d %s events", tc.action, n, tc.audit)
			}
		}
	})
}

// TestBulkJobKeepsLastAdmin: "all matching" runs as a job of the import
// runner, in batches; deactivating every Admin still leaves one active,
// and each member deactivated has its own audit event.
func TestBulkJobKeepsLastAdmin(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newBulkFixture(t, s)
		res, err := s.RunBulk(f.ctx, f.olga, f.ws, models.BulkRequest{Action: models.BulkDeactivate,
			Sel: models.BulkSelection{All: true, View: models.MemberQuery{RoleID: f.roles["Admin"].ID}}})
		if err != nil || res.Job == nil {
			t.Fatalf("%+v %v", res, err)
		}
		if res.Job.Total != 2 || res.Job.Action != models.BulkDeactivate {
			t.Fatalf("job = %+v", res.Job)
		}
		before := auditActions(t, s, f.ws.ID)["member.deactivated"]
		runImport(t, f.inviteFixture, res.Job.ID, 1)
		job, err := s.BulkJob(f.ctx, f.ws.ID, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != models.ImportDone || job.Processed != 2 || job.Changed != 1 || job.Skipped != 1 {
			t.Errorf("job = %+v", job)
		}
		if n := activeAdmins(t, f); n != 1 {
			t.Errorf("%d active Admins", n)
		}
		if n := auditActions(t, s, f.ws.ID)["member.deactivated"] - before; n != 1 {
			t.Errorf("%d member.deactivated events", n)
		}
		groups, err := s.BulkJobSkips(f.ctx, job.ID)
		if err != nil || len(groups) != 1 || groups[0].Count != 1 {
			t.Errorf("skips = %+v %v", groups, err)
		}
		// A CSV import's id is no bulk job.
		if _, err := s.BulkJob(f.ctx, f.ws.ID, "nope"); err == nil {
			t.Error("an unknown job was found")
		}
	})
}

// TestBulkJobStopsWithoutPermission: the job acts with its creator's
// permissions as they are when each batch runs.
func TestBulkJobStopsWithoutPermission(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newBulkFixture(t, s)
		res, err := s.RunBulk(f.ctx, f.olga, f.ws, models.BulkRequest{Action: models.BulkDeactivate, Sel: models.BulkSelection{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, f.m["Olga"].ID, models.UpdateInput{Name: "Olga Test", RoleIDs: []string{f.roles["Member"].ID}, Location: "Berlin"}); err != nil {
			t.Fatal(err)
		}
		runImport(t, f.inviteFixture, res.Job.ID, 2)
		job, _ := s.BulkJob(f.ctx, f.ws.ID, res.Job.ID)
		if job.Changed != 0 || job.Failed != job.Total || job.Status != models.ImportDone {
			t.Errorf("job = %+v", job)
		}
	})
}

// TestBulkDeactivateAdminsRace: 30 Admins each deactivate every Admin at
// once, half through another replica: one active Admin always remains.
func TestBulkDeactivateAdminsRace(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newBulkFixture(t, s)
		replica := modelstest.Replica(t, s)
		var admins []models.Actor
		ids := f.ids("Ada", "Alan")
		for i := range 28 {
			m, _ := f.invite(t, fmt.Sprintf("Admin %02d", i), fmt.Sprintf("admin%02d@example.com", i), "Admin")
			f.setStatus(t, m, models.StatusActive)
			ids = append(ids, m.ID)
			admins = append(admins, models.MemberActor(m).WithPerms(f.olga.Perms))
		}
		admins = append(admins, f.actor, models.MemberActor(f.m["Alan"]).WithPerms(f.olga.Perms))
		var wg sync.WaitGroup
		errs := make(chan error, len(admins))
		for i, a := range admins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				store := s
				if i%2 == 1 {
					store = replica
				}
				_, err := store.RunBulk(f.ctx, a, f.ws, models.BulkRequest{Action: models.BulkDeactivate, Sel: models.BulkSelection{IDs: ids}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if n := activeAdmins(t, f); n != 1 {
			t.Fatalf("%d active Admins after the race, want 1", n)
		}
	})
}
