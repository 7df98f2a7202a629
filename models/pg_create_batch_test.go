package models_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestPGCreatesShareATransaction: on PostgreSQL, SCIM creates that queue
// while others run commit together in one transaction (pg_create_batch.go),
// each with its member, role, invitation, email and audit event, and the
// counts and change token kept. A batch in which one create is refused (a
// userName taken by another create of the same batch) rolls back and its
// creates run again alone: the one refused gets its 409, the others are
// created, and nothing is written twice.
func TestPGCreatesShareATransaction(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("SQLite's creates share transactions through the group commit (group_commit.go)")
		}
		f := newInviteFixture(t, s)
		// One runner, held until every create has reached it or queued
		// behind it: a batch of several is run, whichever it took first.
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
			mu.Lock()
			gate = make(chan struct{})
			mu.Unlock()
			held.Store(0)
			errs := make([]error, len(names))
			var wg sync.WaitGroup
			for i, name := range names {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: name, Email: fmt.Sprintf("%s-%d@example.com", name, i), Active: i%4 != 3})
				}()
			}
			deadline := time.Now().Add(20 * time.Second)
			for s.PGCreatesQueued()+int(held.Load()) < len(names) {
				if time.Now().After(deadline) {
					t.Fatalf("%d creates queued and %d held, want %d in all", s.PGCreatesQueued(), held.Load(), len(names))
				}
				time.Sleep(time.Millisecond)
			}
			close(gate)
			wg.Wait()
			return errs
		}
		tokenBefore := changeTokenNumber(t, s, f)

		names := []string{"batch-a", "batch-b", "batch-c", "batch-d", "batch-e", "batch-f", "batch-g", "batch-h"}
		for i, err := range round(names) {
			if err != nil {
				t.Errorf("%s: %v", names[i], err)
			}
		}
		batches, alone := s.PGCreateBatches()
		if batches < 1 || alone != 0 {
			t.Fatalf("%d batches, %d creates run again alone; want 1 or more and none", batches, alone)
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
		if changeTokenNumber(t, s, f) == tokenBefore {
			t.Error("the change token did not move")
		}

		// "twin" twice: one is created, the other refused, in a batch
		// (the runner's first batch runs first, so a twin alone in it is
		// the one created).
		names = []string{"twin", "batch-i", "batch-j", "twin", "batch-k", "batch-l", "batch-m", "batch-n"}
		errs := round(names)
		refused := 0
		for i, err := range errs {
			var conflict *models.ConflictError
			switch {
			case err == nil:
			case names[i] == "twin" && errors.As(err, &conflict):
				refused++
			default:
				t.Errorf("%s: %v", names[i], err)
			}
		}
		if refused != 1 {
			t.Fatalf("%d of the two twins refused, want 1: %v", refused, errs)
		}
		if _, alone := s.PGCreateBatches(); alone < 2 || alone > 8 {
			t.Errorf("%d creates run again alone, want a failed batch's (2 to 8)", alone)
		}
		for _, name := range names {
			if _, err := memberNamed(t, s, f, name); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		checkCounts(t, s, f.ws.ID)
		var events int
		if err := s.DB().NewRaw("SELECT count(*) FROM audit_events WHERE workspace_id = ? AND action = 'member.provisioned'", f.ws.ID).Scan(f.ctx, &events); err != nil {
			t.Fatal(err)
		}
		if events != 15 { // 8 + 7: one audit event a member, none for the twin refused
			t.Errorf("%d provisioning events, want 15", events)
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
