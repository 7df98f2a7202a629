package models_test

import (
	"context"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// A page asked for by offset starts at the row a walk with Next reaches
// there, in every sort and direction, with filters and searches, and an
// offset past the end gives the last page.
func TestListMembersJumpToOffset(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 130, 7); err != nil {
			t.Fatal(err)
		}
		const limit = 20
		check := func(name string, q models.MemberQuery) {
			t.Helper()
			q.Limit = limit
			ids, _ := walk(t, s, ws.ID, q)
			if len(ids) < 2*limit {
				t.Fatalf("%s: only %d rows, too few to jump in", name, len(ids))
			}
			lastStart := (len(ids) - 1) / limit * limit
			for _, off := range []int{limit, 2 * limit, lastStart - limit, lastStart, lastStart + limit, len(ids), 100000} {
				jq := q
				jq.Offset = off
				pg, err := s.ListMembers(ctx, ws.ID, jq)
				if err != nil {
					t.Fatal(err)
				}
				want := min(off, lastStart)
				if pg.Offset != want {
					t.Fatalf("%s offset %d: page starts at %d, want %d", name, off, pg.Offset, want)
				}
				if len(pg.Members) == 0 || pg.Members[0].ID != ids[want] {
					t.Fatalf("%s offset %d: first row is not row %d of the walk", name, off, want)
				}
				if pg.Prev == "" || (pg.Next == "") != (want == lastStart) {
					t.Errorf("%s offset %d: prev=%q next=%q", name, off, pg.Prev, pg.Next)
				}
				if want+len(pg.Members) > len(ids) || pg.Members[len(pg.Members)-1].ID != ids[want+len(pg.Members)-1] {
					t.Errorf("%s offset %d: the page's rows differ from the walk's", name, off)
				}
			}
			// Offset 0 (and below) is the first page, without a Previous.
			for _, off := range []int{0, -5} {
				jq := q
				jq.Offset = off
				pg, err := s.ListMembers(ctx, ws.ID, jq)
				if err != nil {
					t.Fatal(err)
				}
				if pg.Offset != 0 || pg.Prev != "" || pg.Members[0].ID != ids[0] {
					t.Errorf("%s offset %d: not the first page", name, off)
				}
			}
		}
		for sort := range models.MemberSorts {
			for _, desc := range []bool{false, true} {
				check(sort, models.MemberQuery{Sort: sort, Desc: desc})
			}
		}
		check("active by name", models.MemberQuery{Status: models.StatusActive})
		check("search a", models.MemberQuery{Search: "a"})         // short: LIKE
		check("search example", models.MemberQuery{Search: "exa"}) // trigram on SQLite
		roles, err := s.Roles(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if r.Builtin == "member" {
				check("role Member, by email desc", models.MemberQuery{RoleID: r.ID, Sort: "email", Desc: true})
			}
		}
		// Nothing matches: no page, no cursor, no error.
		pg, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: "zzzzqqq", Offset: 40, Limit: limit})
		if err != nil || len(pg.Members) != 0 || pg.Offset != 0 || pg.Prev != "" {
			t.Errorf("empty search jumped: %v %+v", err, pg)
		}
	})
}
