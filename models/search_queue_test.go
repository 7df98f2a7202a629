package models_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSearchReadsTheQueue: on SQLite a group commit moves the search queue
// into the FTS5 index only once it holds SearchFlushAt entries, so a
// member just created, renamed or removed is still queued when the next
// search runs. The browser's search (its count and its page) and a SCIM
// co filter answer from the rows as they are now: the new member is
// found, the renamed one by its new name only, the removed one not at all;
// and the same once the queue is flushed.
func TestSearchReadsTheQueue(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		user := func(name, given string) models.SCIMUser {
			return models.SCIMUser{UserName: name, GivenName: given, FamilyName: "Person", Active: true}
		}
		var ids []string
		for i := range 3 {
			m, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, user("old"+strconv.Itoa(i), "Qjold"))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		if err := models.FlushSearchIndex(ctx, s); err != nil {
			t.Fatal(err)
		}
		// Now in the index; then, each in a group of its own: a new member,
		// a rename, a removal.
		if _, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, user("new0", "Qjnew")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ChangeSCIMUser(ctx, models.SystemActor, ws, ids[0], 0, func(u *models.SCIMUser) error {
			u.GivenName, u.DisplayName = "Qjnew", ""
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSCIMUser(ctx, models.SystemActor, ws, ids[1], 0); err != nil {
			t.Fatal(err)
		}
		if !s.IsPostgres() && models.SearchQueued(ctx, s) == 0 {
			t.Fatal("the search queue was flushed by every group: this test would not read it")
		}
		want := map[string][]string{"qjnew": {"new0", "old0"}, "qjold": {"old2"}}
		check := func(when string) {
			t.Helper()
			for term, names := range want {
				page, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: term, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range page.Members {
					got = append(got, m.UserName)
				}
				slices.Sort(got)
				if !slices.Equal(got, names) || page.Total != len(names) {
					t.Errorf("%s: search %q: %v (total %d), want %v", when, term, got, page.Total, names)
				}
				expr, err := filter.ParseFilter([]byte(`name.givenName co "` + term + `"`))
				if err != nil {
					t.Fatal(err)
				}
				users, total, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, Count: 50})
				if err != nil {
					t.Fatal(err)
				}
				got = got[:0]
				for _, m := range users {
					got = append(got, m.UserName)
				}
				slices.Sort(got)
				if !slices.Equal(got, names) || total != len(names) {
					t.Errorf("%s: SCIM givenName co %q: %v (total %d), want %v", when, term, got, total, names)
				}
			}
		}
		check("queued")
		if err := models.FlushSearchIndex(ctx, s); err != nil {
			t.Fatal(err)
		}
		check("flushed")
	})
}

// TestSearchQueueFlushedWhenFull: a transaction that leaves SearchFlushAt
// entries or more in the search queue moves them into the index before it
// commits (the queue a search tests by text stays short), and one that
// leaves fewer does not (SQLite).
func TestSearchQueueFlushedWhenFull(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	ctx := context.Background()
	_, ws := modelstest.SetUp(t, s)
	if err := models.FlushSearchIndex(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, models.SCIMUser{UserName: "one", Active: true}); err != nil {
		t.Fatal(err)
	}
	if n := models.SearchQueued(ctx, s); n != 1 {
		t.Fatalf("after one create the queue holds %d, want 1", n)
	}
	users := make([]models.SCIMUser, models.SearchFlushAt)
	for i := range users {
		users[i] = models.SCIMUser{UserName: "many" + strconv.Itoa(i), GivenName: "Zkmany", Active: true}
	}
	out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out {
		if c.Err != nil {
			t.Fatal(c.Err)
		}
	}
	if n := models.SearchQueued(ctx, s); n != 0 {
		t.Errorf("after %d more the queue holds %d, want it flushed", len(users), n)
	}
	page, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: "zkmany", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(users) {
		t.Errorf("search zkmany: total %d, want %d", page.Total, len(users))
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO member_search (member_search, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("FTS5 integrity check: %v", err)
	}
}

// TestRareTermCountsTheQueue: whether a SCIM co filter goes through the
// trigram index depends on how many rows match; rows still in the search
// queue are not in the index yet, so the count must take them too. With
// SCIMRareMax-5 members matching in the index and 10 more queued, the term
// is not rare.
func TestRareTermCountsTheQueue(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if s.IsPostgres() {
			t.Skip("the trigram count is SQLite's")
		}
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, models.SCIMRareMax-5, 7); err != nil {
			t.Fatal(err)
		}
		if err := models.FlushSearchIndex(ctx, s); err != nil {
			t.Fatal(err)
		}
		const term = "@example.com"
		if !s.RareTerm(ctx, term) {
			t.Fatalf("%q with %d members in the index: not rare", term, models.SCIMRareMax-5)
		}
		for i := range 10 {
			u := models.SCIMUser{UserName: "queued" + strconv.Itoa(i) + "@example.com", GivenName: "Q", FamilyName: "Person", Active: true}
			if _, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, u); err != nil {
				t.Fatal(err)
			}
		}
		if models.SearchQueued(ctx, s) == 0 {
			t.Fatal("the queue was flushed: this test would not read it")
		}
		if s.RareTerm(ctx, term) {
			t.Errorf("%q with %d members indexed and 10 queued: taken for rare", term, models.SCIMRareMax-5)
		}
	})
}
