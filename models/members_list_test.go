package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// walk pages through a query forwards and returns every id in order.
func walk(t *testing.T, s *models.Store, wsID string, q models.MemberQuery) ([]string, []*models.MemberPage) {
	t.Helper()
	var ids []string
	var pages []*models.MemberPage
	for i := 0; ; i++ {
		pg, err := s.ListMembers(context.Background(), wsID, q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, pg)
		for _, m := range pg.Members {
			ids = append(ids, m.ID)
		}
		if pg.Next == "" || i > 100 {
			return ids, pages
		}
		q.After, q.Before = pg.Next, ""
	}
}

func TestListMembersKeysetPaging(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 130, 7); err != nil {
			t.Fatal(err)
		}
		for sort := range models.MemberSorts {
			for _, desc := range []bool{false, true} {
				q := models.MemberQuery{Sort: sort, Desc: desc, Limit: 20}
				ids, pages := walk(t, s, ws.ID, q)
				if len(ids) != 131 {
					t.Fatalf("%s desc=%v: walked %d rows, want 131", sort, desc, len(ids))
				}
				seen := map[string]bool{}
				for _, id := range ids {
					if seen[id] {
						t.Fatalf("%s desc=%v: %s appears twice", sort, desc, id)
					}
					seen[id] = true
				}
				if pages[0].Prev != "" || pages[0].Total != 131 || len(pages) != 7 {
					t.Errorf("%s: first page prev=%q total=%d pages=%d", sort, pages[0].Prev, pages[0].Total, len(pages))
				}
				// Walking back from the last page meets the same pages.
				last := pages[len(pages)-1]
				back, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Sort: sort, Desc: desc, Limit: 20, Before: last.Prev})
				if err != nil {
					t.Fatal(err)
				}
				prev := pages[len(pages)-2]
				if len(back.Members) != 20 || back.Members[0].ID != prev.Members[0].ID || back.Members[19].ID != prev.Members[19].ID {
					t.Errorf("%s desc=%v: Previous from the last page does not give the page before it", sort, desc)
				}
				if back.Next == "" || back.Prev == "" {
					t.Errorf("%s: a middle page should link both ways", sort)
				}
			}
		}
		// Sorted by name the order is case-insensitive and ascending.
		pg, _ := s.ListMembers(ctx, ws.ID, models.MemberQuery{Limit: 200})
		names := make([]string, len(pg.Members))
		for i, m := range pg.Members {
			names[i] = m.SortName
		}
		if !slices.IsSorted(names) {
			t.Error("name order is not sorted")
		}
		// A bookmarked URL with a damaged cursor shows the first page.
		pg, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{After: "not-a-cursor", Limit: 20})
		if err != nil || pg.Prev != "" || len(pg.Members) != 20 {
			t.Errorf("bad cursor: %v prev=%q n=%d", err, pg.Prev, len(pg.Members))
		}
	})
}

func TestListMembersSearchAndFilters(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 300, 3); err != nil {
			t.Fatal(err)
		}
		// Search matches any part of name, email or location, ignoring case.
		for _, term := range []string{"LOVELACE", "ada lovelace", "ExAmple.com", "tokyo", "müller"} {
			ids, pages := walk(t, s, ws.ID, models.MemberQuery{Search: term, Limit: 50})
			if len(ids) == 0 || pages[0].Total != len(ids) {
				t.Errorf("search %q: %d rows, total %d", term, len(ids), pages[0].Total)
			}
			for _, pg := range pages {
				for _, m := range pg.Members {
					if !strings.Contains(m.SearchText, strings.ToLower(term)) {
						t.Errorf("search %q returned %q", term, m.SearchText)
					}
				}
			}
		}
		// LIKE wildcards are plain characters in a search.
		if pg, _ := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: "%"}); pg.Total != 0 {
			t.Errorf("search %% matched %d members", pg.Total)
		}
		roles, _ := s.Roles(ctx, ws.ID)
		var engineering models.Role
		for _, r := range roles {
			if r.Name == "Engineering" {
				engineering = r
			}
		}
		total := 0
		for _, status := range []string{models.StatusActive, models.StatusInvited, models.StatusDeactivated} {
			ids, pages := walk(t, s, ws.ID, models.MemberQuery{Status: status, Sort: "status", Limit: 40})
			total += len(ids)
			if len(ids) == 0 {
				t.Errorf("no %s members in demo data", status)
			}
			for _, pg := range pages {
				for _, m := range pg.Members {
					if m.Status != status {
						t.Errorf("status filter %s returned %s", status, m.Status)
					}
				}
			}
		}
		if total != 301 {
			t.Errorf("statuses add up to %d, want 301", total)
		}
		ids, pages := walk(t, s, ws.ID, models.MemberQuery{RoleID: engineering.ID, Status: models.StatusActive, Search: "a"})
		if len(ids) == 0 {
			t.Fatal("no active engineers with an a")
		}
		for _, pg := range pages {
			for _, m := range pg.Members {
				if len(m.Roles) != 1 || m.Roles[0].Name != "Engineering" || m.Status != models.StatusActive {
					t.Errorf("role+status filter returned %s with %+v", m.Status, m.Roles)
				}
			}
		}
	})
}
