package models_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSearchIndexFollowsWrites: members created, renamed and removed by
// concurrent writers (so SQLite's group commit puts several in one
// transaction, some of them failing) are found by a search exactly as
// they are after, and SQLite's FTS5 index passes its integrity check
// against its content table once the queue is flushed (search_index.go).
func TestSearchIndexFollowsWrites(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		replicas := []*models.Store{s, modelstest.Replica(t, s)}
		user := func(name string) models.SCIMUser {
			return models.SCIMUser{UserName: name, GivenName: "Zq" + name, FamilyName: "Person", Active: true}
		}
		ids := make([]string, 40)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := replicas[i%2].CreateSCIMUser(ctx, models.SystemActor, ws, user("u"+strconv.Itoa(i)))
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = m.ID
			}()
		}
		// Refused creates (a taken userName) in the same groups.
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replicas[i%2].CreateSCIMUser(ctx, models.SystemActor, ws, user("udup"))
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		// Rename a third (twice, in one group or two), remove a third.
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := replicas[i%2]
				var err error
				switch i % 3 {
				case 0:
					for _, n := range []string{"Xv", "Yw"} {
						if _, err = r.ChangeSCIMUser(ctx, models.SystemActor, ws, ids[i], 0, func(u *models.SCIMUser) error {
							u.GivenName = n + strconv.Itoa(i)
							u.DisplayName = ""
							return nil
						}); err != nil {
							break
						}
					}
				case 1:
					err = r.DeleteSCIMUser(ctx, models.SystemActor, ws, ids[i], 0)
				}
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		find := func(term string) []string {
			t.Helper()
			page, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: term, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range page.Members {
				names = append(names, m.UserName)
			}
			slices.Sort(names)
			return names
		}
		var zq, yw []string
		for i := range ids {
			switch i % 3 {
			case 0:
				yw = append(yw, "u"+strconv.Itoa(i))
			case 2:
				zq = append(zq, "u"+strconv.Itoa(i))
			}
		}
		zq = append(zq, "udup")
		slices.Sort(zq)
		slices.Sort(yw)
		if got := find("zqu"); !slices.Equal(got, zq) {
			t.Errorf("search zqu: %v, want %v", got, zq)
		}
		if got := find("yw"); !slices.Equal(got, yw) {
			t.Errorf("search yw: %v, want %v", got, yw)
		}
		if got := find("xv"); len(got) != 0 {
			t.Errorf("search xv (renamed away): %v", got)
		}
		if !s.IsPostgres() {
			// The index matches its content table once the queue is in it.
			if err := models.FlushSearchIndex(ctx, s); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB().ExecContext(ctx, `INSERT INTO member_search (member_search, rank) VALUES ('integrity-check', 1)`); err != nil {
				t.Errorf("FTS5 integrity check: %v", err)
			}
		}
	})
}

// TestCreateStoresTextVerbatim: a SCIM create's rows go to PostgreSQL as
// one multi-statement query (insertRows) with the values in its text;
// placeholders, quotes and semicolons in them are stored as sent.
func TestCreateStoresTextVerbatim(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		odd := `O'Brien ?; $1 ?name "x" -- ;`
		m, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, models.SCIMUser{UserName: "odd", GivenName: odd, Title: odd, Active: true,
			Attributes: map[string]any{"title": odd}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SCIMUserByID(ctx, ws.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		u := models.UserOf(got)
		if u.GivenName != odd || u.Title != odd || u.Attributes["title"] != odd {
			t.Errorf("stored %q, %q, %v; want %q", u.GivenName, u.Title, u.Attributes["title"], odd)
		}
		if _, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, models.SCIMUser{UserName: "ODD", Active: true}); err == nil {
			t.Error("a second odd was created")
		}
		checkCounts(t, s, ws.ID)
	})
}
