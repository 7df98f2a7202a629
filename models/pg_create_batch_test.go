package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestPGCreatesShareATransaction: on PostgreSQL, SCIM creates that queue
// while another runs commit together in one transaction (pg_create_batch.go),
// each with its member, role, invitation and audit event, and the counts
// and change token kept. A batch in which one create is refused (its
// userName taken by a create just before) rolls back and its creates run
// again alone: the one refused gets its 409, the others are created, and
// nothing is written twice. Creates that name other roles than a batch's
// first make a batch of their own.
func TestPGCreatesShareATransaction(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("SQLite's creates share transactions through the group commit (group_commit.go)")
		}
		f := newInviteFixture(t, s)
		// One runner: the first create of a round runs alone, held until
		// the others have queued behind it; they are then one batch.
		s.OnePGCreateRunner()
		var mu sync.Mutex
		var gate chan struct{}
		var held atomic.Int64
		defer models.BeforePGBatch(func(n int) {
			held.Add(int64(n))
			mu.Lock()
			g := gate
			mu.Unlock()
			<-g
		})()
		round := func(names []string) []error {
			g := make(chan struct{})
			defer func() {
				if held.Load() < int64(len(names)) { // a failure: let the runner go
					close(g)
				}
			}()
			mu.Lock()
			gate = g
			mu.Unlock()
			held.Store(0)
			errs := make([]error, len(names))
			var wg sync.WaitGroup
			create := func(i int) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					u := models.SCIMUser{UserName: names[i], Email: fmt.Sprintf("%s-%d@example.com", names[i], i), Active: i%4 != 3}
					if strings.HasPrefix(names[i], "admin-") {
						u.Roles = []string{"Admin"}
					}
					_, errs[i] = s.CreateSCIMUser(f.ctx, f.actor, f.ws, u)
				}()
			}
			create(0)
			waitQueued(t, func() int { return int(held.Load()) }, 1) // the first create, held by the runner
			for i := range names[1:] {
				create(i + 1)
			}
			waitQueued(t, s.PGCreatesQueued, len(names)-1) // the others, behind it
			held.Store(int64(len(names)))                  // the deferred close is not needed
			close(g)
			wg.Wait()
			return errs
		}
		// transactions is how many transactions wrote the members named.
		transactions := func(names []string) int {
			var n int
			if err := s.DB().NewRaw("SELECT count(DISTINCT xmin::text) FROM members WHERE workspace_id = ? AND user_name IN (?)", f.ws.ID, bun.In(names)).Scan(f.ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		tokenBefore := changeTokenNumber(t, s, f)

		names := []string{"batch-a", "batch-b", "batch-c", "batch-d", "batch-e", "batch-f", "batch-g", "batch-h"}
		for i, err := range round(names) {
			if err != nil {
				t.Errorf("%s: %v", names[i], err)
			}
		}
		if batches, alone := s.PGCreateBatches(); batches != 1 || alone != 0 {
			t.Fatalf("%d batches, %d creates run again alone; want 1 and none", batches, alone)
		}
		if n := transactions(names); n != 2 { // the first alone, then the batch
			t.Errorf("the 8 members were written by %d transactions, want 2", n)
		}
		for _, name := range names {
			m, err := memberNamed(t, s, f, name)
			if err != nil || len(m.Roles) != 1 || m.Roles[0].Name != "Member" {
				t.Fatalf("%s: %+v %v", name, m, err)
			}
			if m.Status == models.StatusInvited && m.Invite == nil {
				t.Errorf("%s is invited without an invitation", name)
			}
		}
		checkCounts(t, s, f.ws.ID)
		// Once a transaction.
		if d := changeTokenNumber(t, s, f) - tokenBefore; d != 2 {
			t.Errorf("the change token moved by %d, want 2", d)
		}

		// "twin" first, alone; the batch after it holds the second "twin",
		// fails, and its 7 creates run again alone.
		names = []string{"twin", "batch-i", "batch-j", "twin", "batch-k", "batch-l", "batch-m", "batch-n"}
		errs := round(names)
		for i, err := range errs {
			var conflict *models.ConflictError
			switch {
			case i == 3:
				if !errors.As(err, &conflict) {
					t.Errorf("the second twin: %v, want a conflict", err)
				}
			case err != nil:
				t.Errorf("%s: %v", names[i], err)
			}
		}
		if batches, alone := s.PGCreateBatches(); batches != 1 || alone != 7 {
			t.Errorf("%d batches committed, %d creates run again alone; want still 1, and 7", batches, alone)
		}
		if n := transactions(names[:3]) + transactions(names[4:]); n != 7 { // "twin" is in both: each alone
			t.Errorf("the 7 members were written by %d transactions, want 7", n)
		}
		checkCounts(t, s, f.ws.ID)

		// Creates with other roles than the batch's first lock other rows:
		// they make a batch of their own.
		names = []string{"batch-o", "admin-a", "batch-p", "admin-b", "batch-q", "admin-c"}
		for i, err := range round(names) {
			if err != nil {
				t.Errorf("%s: %v", names[i], err)
			}
		}
		if batches, _ := s.PGCreateBatches(); batches != 3 {
			t.Errorf("%d batches committed, want 3: one more of Members, one of Admins", batches)
		}
		members, admins := []string{"batch-p", "batch-q"}, []string{"admin-a", "admin-b", "admin-c"}
		if transactions(members) != 1 || transactions(admins) != 1 || transactions(append(members, admins...)) != 2 {
			t.Errorf("Members in %d transactions, Admins in %d, both in %d; want 1, 1 and 2", transactions(members), transactions(admins), transactions(append(members, admins...)))
		}
		checkCounts(t, s, f.ws.ID)
		var events int
		if err := s.DB().NewRaw("SELECT count(*) FROM audit_events WHERE workspace_id = ? AND action = 'member.provisioned'", f.ws.ID).Scan(f.ctx, &events); err != nil {
			t.Fatal(err)
		}
		if events != 21 { // 8 + 7 + 6: one audit event a member, none for the twin refused
			t.Errorf("%d provisioning events, want 21", events)
		}
	})
}

// TestPGCreateBatchesKeepCountsAcrossReplicas: 100 SCIM creates at once
// through two stores on one database (two replicas, each batching its
// own), a tenth of them for a userName another already took: every
// distinct user is created once, each taken one gets its 409, and the
// status counts are the members'. 50 at once on a store do batch.
func TestPGCreateBatchesKeepCountsAcrossReplicas(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("PostgreSQL's batches (SQLite's group commit has its own tests)")
		}
		f := newInviteFixture(t, s)
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		const n = 100
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("many-%d", i)
				if i%10 == 9 {
					name = fmt.Sprintf("many-%d", i-1) // taken by the create before it
				}
				_, errs[i] = replicas[i%2].CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: name,
					Email: fmt.Sprintf("many-%d@example.com", i), Active: i%3 != 0})
			}()
		}
		wg.Wait()
		created, refused := 0, 0
		for i, err := range errs {
			var conflict *models.ConflictError
			switch {
			case err == nil:
				created++
			case errors.As(err, &conflict):
				refused++
			default:
				t.Errorf("create %d: %v", i, err)
			}
		}
		if created != 90 || refused != 10 {
			t.Errorf("%d created and %d refused, want 90 and 10", created, refused)
		}
		var members int
		if err := s.DB().NewRaw("SELECT count(*) FROM members WHERE workspace_id = ? AND user_name LIKE 'many-%'", f.ws.ID).Scan(f.ctx, &members); err != nil {
			t.Fatal(err)
		}
		if members != 90 {
			t.Errorf("%d members made, want 90", members)
		}
		checkCounts(t, s, f.ws.ID)
		b0, _ := replicas[0].PGCreateBatches()
		b1, _ := replicas[1].PGCreateBatches()
		if b0+b1 == 0 {
			t.Error("100 creates at once made no batch")
		}
	})
}

// memberNamed is the member whose userName is name.
func memberNamed(t *testing.T, s *models.Store, f *inviteFixture, name string) (*models.Member, error) {
	t.Helper()
	var id string
	if err := s.DB().NewRaw("SELECT id FROM members WHERE workspace_id = ? AND user_name = ?", f.ws.ID, name).Scan(f.ctx, &id); err != nil {
		return nil, err
	}
	return s.MemberByID(f.ctx, f.ws.ID, id)
}
