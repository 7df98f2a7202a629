package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// createGrouped queues one SCIM create per user on a SQLite store held
// still, then runs them: they share one group. It returns each one's error.
func createGrouped(t *testing.T, s *models.Store, ws *models.Workspace, users ...models.SCIMUser) []error {
	t.Helper()
	queued, run := models.HoldWrites(s)
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.CreateSCIMUser(context.Background(), models.SystemActor, ws, u)
		}()
		waitQueued(t, queued, i+1)
	}
	run()
	wg.Wait()
	return errs
}

// TestMembersAddedOncePerGroup: on SQLite members has no INSERT triggers;
// SCIM creates that share a group get their search rows, status counts
// and change-token bumps written together at the group's end. After a
// clean group, and after one whose first run failed (a userName taken)
// and ran again in savepoints, the counts are the members', each member
// has one search row and is found by search before and after the index
// is flushed, and the token moved once per member and role link.
func TestMembersAddedOncePerGroup(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	f := newInviteFixture(t, s)
	var triggers []string
	if err := s.DB().NewRaw(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'members' AND sql LIKE '%AFTER INSERT%'`).
		Scan(f.ctx, &triggers); err != nil {
		t.Fatal(err)
	}
	if len(triggers) > 0 {
		t.Errorf("members has INSERT triggers %v: each INSERT into it would open a statement journal", triggers)
	}
	user := func(name string, active bool) models.SCIMUser {
		return models.SCIMUser{UserName: name, GivenName: "Zq" + name[:4], FamilyName: "Person", Email: name + "@example.com", Active: active}
	}
	found := func(term string, want int) {
		t.Helper()
		for _, when := range []string{"queued", "flushed"} {
			page, err := s.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{Search: term, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != want || len(page.Members) != want {
				t.Errorf("%s: search %q found %d (total %d), want %d", when, term, len(page.Members), page.Total, want)
			}
			if err := models.FlushSearchIndex(f.ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}

	// after checks the counts, how far the token moved since before, and
	// how many groups ran again in savepoints so far.
	after := func(before, moved, reruns int64) {
		t.Helper()
		checkCounts(t, s, f.ws.ID)
		if d := changeTokenNumber(t, s, f) - before; d != moved {
			t.Errorf("the token moved by %d, want %d", d, moved)
		}
		if n := models.GroupReruns(s); n != reruns {
			t.Errorf("%d groups ran again, want %d", n, reruns)
		}
	}

	before := changeTokenNumber(t, s, f)
	var users []models.SCIMUser
	for i := range 6 {
		users = append(users, user(fmt.Sprintf("grpa-%d", i), i%3 != 0))
	}
	for i, err := range createGrouped(t, s, f.ws, users...) {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	// Each member and its Member role link moved the token.
	after(before, 12, 0)
	found("zqgrpa", 6)

	before = changeTokenNumber(t, s, f)
	errs := createGrouped(t, s, f.ws, user("grpb-0", true), user("grpa-1", true), user("grpb-2", false))
	if errs[0] != nil || errs[2] != nil || conflictCode(errs[1]) == "" {
		t.Fatalf("errors %v, want nil, a conflict, nil", errs)
	}
	after(before, 4, 1)
	found("zqgrpb", 2)
	found("zqgrpa", 6)
}
