package models_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSeedDemoSetBased: the demo's set-based fill gives every member one
// role and keeps member_counts right; Analyze leaves PostgreSQL with
// statistics for the members table.
func TestSeedDemoSetBased(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 1200, 11); err != nil {
			t.Fatal(err)
		}
		members := countWhere(t, s, "members", ws.ID, "1 = 1")
		links, err := s.DB().NewSelect().Table("member_roles").Join("JOIN members AS m ON m.id = member_roles.member_id").
			Where("m.workspace_id = ?", ws.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if members != 1201 || int(links) != members {
			t.Errorf("%d members with %d role links, want 1201 each with one", members, links)
		}
		counts, err := s.StatusCounts(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for st, n := range counts {
			if st != "" {
				sum += n
			}
			if want := countWhere(t, s, "members", ws.ID, "status = '"+st+"'"); st != "" && n != want {
				t.Errorf("member_counts says %d %s, the table has %d", n, st, want)
			}
		}
		if sum != members {
			t.Errorf("member_counts add up to %d, want %d (%v)", sum, members, counts)
		}
		if err := s.Analyze(ctx); err != nil {
			t.Fatal(err)
		}
		if s.IsPostgres() {
			var analyzed int
			if err := s.DB().NewRaw("SELECT count(*) FROM pg_stats WHERE tablename = 'members'").Scan(ctx, &analyzed); err != nil || analyzed == 0 {
				t.Errorf("no statistics for members after Analyze (%v)", err)
			}
		}
	})
}

// BenchmarkSeedDemo fills a workspace with MUSTER_BENCH_MEMBERS (10,000)
// demo members on SQLite:
//
//	go test ./models -run '^$' -bench SeedDemo -benchtime 1x
func BenchmarkSeedDemo(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("MUSTER_BENCH_MEMBERS")); err == nil && v > 0 {
		n = v
	}
	s := modelstest.Open(b, "sqlite")
	_, ws := modelstest.SetUp(b, s)
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		if err := s.SeedDemo(context.Background(), ws.ID, n, uint64(i+1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "members/s")
	// CPU time varies less than wall time on a busy machine.
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// insertCounter counts the INSERTs into one table that a store runs.
type insertCounter struct {
	table string
	n     atomic.Int64
}

func (c *insertCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.HasPrefix(e.Query, `INSERT INTO "`+c.table+`"`) {
		c.n.Add(1)
	}
	return ctx
}

func (c *insertCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestSeedDemoStatements: on SQLite the demo writes members 10,000 to a
// statement (a statement journal per 1,000 rows made a 100,000-member fill
// two and a half times slower), on PostgreSQL 1,000; the same seed still
// makes the same people whatever the batching.
func TestSeedDemoStatements(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		members := &insertCounter{table: "members"}
		links := &insertCounter{table: "member_roles"}
		s.DB().AddQueryHook(members)
		s.DB().AddQueryHook(links)
		if err := s.SeedDemo(ctx, ws.ID, 10001, 5); err != nil {
			t.Fatal(err)
		}
		want := int64(2) // SQLite: 10,000 rows a statement
		if s.IsPostgres() {
			want = 11 // 1,000 rows a statement, measured faster there
		}
		// On SQLite they run prepared (members_set_json.go), unseen by Bun's hooks.
		nMembers := members.n.Load() + models.SetJSONRuns(s, models.Member{})
		nLinks := links.n.Load() + models.SetJSONRuns(s, models.MemberRole{})
		if nMembers != want || nLinks != want {
			t.Errorf("%d INSERTs into members and %d into member_roles for 10,001 members, want %d each", nMembers, nLinks, want)
		}
		var names []string
		if err := s.DB().NewSelect().Table("members").Column("display_name").Where("workspace_id = ?", ws.ID).
			Where("email LIKE '%-0@example.com' OR email LIKE '%-9999@example.com' OR email LIKE '%-10000@example.com'").
			OrderExpr("email").Scan(ctx, &names); err != nil {
			t.Fatal(err)
		}
		// The people of seed 5, as the demo made them in 5,000-row batches.
		if got := strings.Join(names, ", "); got != demoSeed5 {
			t.Errorf("seed 5 made %q, want %q", got, demoSeed5)
		}
	})
}

const demoSeed5 = "Chen Wilson, Mateo Allen, Rafael Perlman"
