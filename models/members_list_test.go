package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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
		// Every search finds exactly the members whose text contains it,
		// whichever index serves it (short terms scan, longer ones use trigrams).
		all, allPages := walk(t, s, ws.ID, models.MemberQuery{Limit: 200})
		texts := map[string]string{}
		for _, pg := range allPages {
			for _, m := range pg.Members {
				texts[m.ID] = m.SearchText
			}
		}
		if len(all) != 301 {
			t.Fatalf("%d members", len(all))
		}
		for _, term := range []string{"a", "lo", "ove", "ada lo", "e.com", "garcía", "@", `x"y`, "zzz", "walk:ove", "walk:.com"} {
			if t, ok := strings.CutPrefix(term, "walk:"); ok {
				// Take the plan that walks the sort index, as large workspaces do.
				restore := models.SetSearchLookupMax(0)
				defer restore()
				term = t
			}
			want := 0
			for _, text := range texts {
				if strings.Contains(text, term) {
					want++
				}
			}
			pg, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: strings.ToUpper(term)})
			if err != nil {
				t.Fatalf("search %q: %v", term, err)
			}
			if pg.Total != want {
				t.Errorf("search %q: total %d, want %d", term, pg.Total, want)
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

func TestStatusCountsFollowEveryWrite(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 200, 9); err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateWorkspace(ctx, acc, "Other")
		if err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			counts, err := s.StatusCounts(ctx, ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, status := range []string{"", models.StatusActive, models.StatusInvited, models.StatusDeactivated} {
				q := s.DB().NewSelect().Model((*models.Member)(nil)).Where("workspace_id = ?", ws.ID)
				if status != "" {
					q = q.Where("status = ?", status)
				}
				n, err := q.Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if counts[status] != int(n) {
					t.Errorf("%s: count[%q] = %d, want %d", when, status, counts[status], n)
				}
			}
		}
		check("after seeding")
		// Raw writes, as any future operation might make them.
		if _, err := s.DB().NewUpdate().Model((*models.Member)(nil)).Set("status = ?", models.StatusDeactivated).
			Where("workspace_id = ? AND status = ?", ws.ID, models.StatusInvited).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("after deactivating the invited")
		if _, err := s.DB().NewUpdate().Model((*models.Member)(nil)).Set("display_name = 'x'").Where("workspace_id = ?", ws.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("after an update that keeps statuses")
		if _, err := s.DB().NewDelete().Model((*models.Member)(nil)).Where("workspace_id = ? AND status = ?", ws.ID, models.StatusDeactivated).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("after deleting the deactivated")
		if c, _ := s.StatusCounts(ctx, other.ID); c[""] != 1 || c[models.StatusActive] != 1 {
			t.Errorf("other workspace counts = %v", c)
		}
	})
}

// TestSearchCountsAreCapped: a search's matches are counted up to the cap;
// beyond it the total says "at least" (TotalCapped), and the pages still
// hold every match, whichever plan serves them.
func TestSearchCountsAreCapped(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 120, 11); err != nil {
			t.Fatal(err)
		}
		defer models.SetMemberCountCap(50)()
		for _, plan := range []string{"lookup", "walk"} {
			if plan == "walk" {
				defer models.SetSearchLookupMax(0)()
			}
			for _, q := range []models.MemberQuery{
				{Search: "example.com", Limit: 30},                                  // trigram, every member
				{Search: "e", Limit: 30},                                            // short: a scan
				{Search: "example.com", Status: models.StatusActive, Limit: 30},     // trigram and a filter
				{Search: "EXAMPLE.COM", Sort: "email", Desc: true, Limit: 30},       // another sort
				{Search: "example.com", Sort: "joined", Limit: 30, Status: "bogus"}, // nothing
			} {
				ids, pages := walk(t, s, ws.ID, q)
				p := pages[0]
				switch {
				case len(ids) > 50 && (!p.TotalCapped || p.Total != 50):
					t.Errorf("%s %+v: %d matches, total %d capped %v", plan, q, len(ids), p.Total, p.TotalCapped)
				case len(ids) <= 50 && (p.TotalCapped || p.Total != len(ids)):
					t.Errorf("%s %+v: %d matches, total %d capped %v", plan, q, len(ids), p.Total, p.TotalCapped)
				}
				if q.Search == "example.com" && q.Status == "" && len(ids) != 121 {
					t.Errorf("%s %+v: %d of 121 members", plan, q, len(ids))
				}
			}
		}
		// Counts without a search come from member_counts: never capped.
		if p, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{}); err != nil || p.TotalCapped || p.Total != 121 {
			t.Errorf("all members: %v total %d capped %v", err, p.Total, p.TotalCapped)
		}
	})
}

// TestListDeadline: list queries past the store's deadline end with
// ErrQueryTimeout, never a hang.
func TestListDeadline(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		s.ListTimeout = time.Nanosecond
		if _, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: "ada"}); !errors.Is(err, models.ErrQueryTimeout) {
			t.Errorf("ListMembers: %v", err)
		}
		if _, _, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Count: 10}); !errors.Is(err, models.ErrQueryTimeout) {
			t.Errorf("ListSCIMUsers: %v", err)
		}
		if _, _, err := s.ListSCIMGroups(ctx, ws.ID, models.SCIMQuery{Count: 10}); !errors.Is(err, models.ErrQueryTimeout) {
			t.Errorf("ListSCIMGroups: %v", err)
		}
		s.ListTimeout = 0
		if p, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: "ada"}); err != nil || p.Total != 1 {
			t.Errorf("after: %v", err)
		}
	})
}
