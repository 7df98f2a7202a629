package models_test

import (
	"context"
	"testing"

	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/migrations"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBackfillSearchText: the migration gives rows written before it the
// search_text models writes now (its frozen copy agrees with searchText),
// the trigram index follows, and SCIM finds such a member by userName and
// name parts through the index.
func TestBackfillSearchText(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 30, 5); err != nil {
			t.Fatal(err)
		}
		for _, u := range []models.SCIMUser{
			{UserName: "DEK@CS.example", Email: "don@tex.example", DisplayName: "Don", GivenName: "Donald Ervin", FamilyName: "Knuth"},
			{UserName: "ŞAHİN", GivenName: "Ayşe", FamilyName: "Şahin", DisplayName: "A. Ş."},
		} {
			u.Active = true
			if _, err := s.CreateSCIMUser(ctx, scimActor, ws, u); err != nil {
				t.Fatal(err)
			}
		}
		texts := func() map[string]string {
			rows, err := s.DB().QueryContext(ctx, "SELECT id, search_text FROM members WHERE workspace_id = ?", ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]string{}
			for rows.Next() {
				var id, text string
				if err := rows.Scan(&id, &text); err != nil {
					t.Fatal(err)
				}
				out[id] = text
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		find := func(f string) int {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatal(err)
			}
			_, total, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 10})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			return total
		}
		want := texts()
		// What rows held before: the display name, email and location only.
		if _, err := s.DB().ExecContext(ctx, "UPDATE members SET search_text = lower(display_name || ' ' || email || ' ' || location) WHERE workspace_id = ?", ws.ID); err != nil {
			t.Fatal(err)
		}
		// Raw SQL leaves SQLite's index changes queued; Migrate flushes
		// them after the migrations, as this test does after each step.
		if err := models.FlushSearchIndex(ctx, s); err != nil {
			t.Fatal(err)
		}
		if n := find(`userName co "dek@cs"`); n != 0 {
			t.Fatalf("before the backfill the index found %d members by userName; the test does not test it", n)
		}
		if err := migrations.BackfillSearchText(ctx, s.DB()); err != nil {
			t.Fatal(err)
		}
		if err := models.FlushSearchIndex(ctx, s); err != nil {
			t.Fatal(err)
		}
		got := texts()
		for id, w := range want {
			if got[id] != w {
				t.Errorf("member %s: search_text %q after the backfill, %q as models writes it", id, got[id], w)
			}
		}
		for _, f := range []string{`userName co "dek@cs"`, `name.givenName co "ervin"`, `name.familyName co "Şahin"`, `userName co "ŞAH"`} {
			if n := find(f); n != 1 {
				t.Errorf("%s: %d matches after the backfill, want 1", f, n)
			}
		}
		// Run again: nothing left to change.
		if err := migrations.BackfillSearchText(ctx, s.DB()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMembersSearchFindsUserName: the members table's search finds a member
// an identity provider named otherwise by their userName and name parts,
// as an admin who knows someone's login name would search.
func TestMembersSearchFindsUserName(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		m, err := s.CreateSCIMUser(ctx, scimActor, ws, models.SCIMUser{UserName: "KNUTH.D", Email: "don@tex.example",
			DisplayName: "Don", GivenName: "Donald", FamilyName: "Knuth", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, term := range []string{"knuth.d", "Donald", "KNUTH"} {
			p, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: term})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Members) != 1 || p.Members[0].ID != m.ID {
				t.Errorf("search %q: %d members, want the one named so by the identity provider", term, len(p.Members))
			}
		}
	})
}
