package models_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSeedDemoKeepsDerived: after a large demo fill (on SQLite the one that
// drops the members indexes and builds them again) everything the normal
// write paths keep is right: the indexes are all back and unique ones still
// refuse a duplicate, member_counts match the table, the change token
// moved, the search index finds demo members, the fill is in the audit log,
// and on PostgreSQL the fill ran ANALYZE.
func TestSeedDemoKeepsDerived(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		defer models.SetDemoThresholds(1000, 1000)()
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		indexes := func() string {
			if s.IsPostgres() {
				return ""
			}
			var defs []string
			if err := s.DB().NewRaw("SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'members' ORDER BY name").Scan(ctx, &defs); err != nil {
				t.Fatal(err)
			}
			return strings.Join(defs, "\n")
		}
		before := indexes()
		drops := &prefixCounter{prefix: "DROP INDEX"}
		s.DB().AddQueryHook(drops)
		token, err := s.ChangeToken(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		const n = 1500
		if err := s.SeedDemo(ctx, ws.ID, n, 7); err != nil {
			t.Fatal(err)
		}
		if d := drops.n.Load(); (d == 0) != s.IsPostgres() {
			t.Errorf("%d DROP INDEX: the fill did not take the path it should", d)
		}
		if after := indexes(); after != before {
			t.Errorf("members indexes after the fill:\n%s\nwant:\n%s", after, before)
		}
		members := countWhere(t, s, "members", ws.ID, "1 = 1")
		if members != n+1 {
			t.Fatalf("%d members, want %d", members, n+1)
		}
		counts, err := s.StatusCounts(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for st, c := range counts {
			if st == "" {
				continue
			}
			sum += c
			if want := countWhere(t, s, "members", ws.ID, "status = '"+st+"'"); c != want {
				t.Errorf("member_counts says %d %s, the table has %d", c, st, want)
			}
		}
		if sum != members {
			t.Errorf("member_counts add up to %d, want %d", sum, members)
		}
		if now, err := s.ChangeToken(ctx, ws.ID); err != nil || now == token {
			t.Errorf("change token %s after the fill, %s before (%v)", now, token, err)
		}
		// Every demo member's email ends in @example.com; the search goes
		// through the trigram index (FTS5 on SQLite).
		page, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: "example.com", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total < n || len(page.Members) != 10 {
			t.Errorf("search example.com: %d of %d members, want 10 of at least %d", len(page.Members), page.Total, n)
		}
		probe := page.Members[0]
		if hit, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Search: probe.Email, Limit: 10}); err != nil || len(hit.Members) != 1 || hit.Members[0].ID != probe.ID {
			t.Errorf("search %s did not find that member alone (%v)", probe.Email, err)
		}
		events, err := s.AuditEvents(ctx, ws.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || events[0].Action != "demo.seeded" {
			t.Errorf("latest audit event %v, want demo.seeded", events)
		}
		// A unique index built again still refuses a second holder.
		dup := *probe
		dup.ID, dup.Roles = "dup"+probe.ID[3:], nil
		if _, err := s.DB().NewInsert().Model(&dup).Exec(ctx); err == nil {
			t.Error("a second member with the same email was stored")
		}
		if s.IsPostgres() {
			var analyzed bool
			if err := s.DB().NewRaw("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'members'").Scan(ctx, &analyzed); err != nil || !analyzed {
				t.Errorf("members not analyzed after the fill (%v)", err)
			}
		}
	})
}

// prefixCounter counts the statements a store runs through Bun that start
// with prefix.
type prefixCounter struct {
	prefix string
	n      atomic.Int64
}

func (c *prefixCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.HasPrefix(e.Query, c.prefix) {
		c.n.Add(1)
	}
	return ctx
}

func (c *prefixCounter) AfterQuery(context.Context, *bun.QueryEvent) {}
