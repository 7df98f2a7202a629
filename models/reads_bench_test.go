package models_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// Read benchmarks at 100,000 members (MUSTER_BENCH_MEMBERS), on SQLite and,
// with MUSTER_TEST_POSTGRES_URL, PostgreSQL: the members table's views and
// SCIM list filters, through the store. Seeded once per process:
//
//	go test ./models -run '^$' -bench 'ListMembers|SCIMFilter' -benchtime 50x -count 3
//
// The seeded databases are left behind on purpose (a benchmark function runs
// several times); they are in the OS temp folder, and on PostgreSQL named
// muster_test_… (logged). MUSTER_BENCH_SQLITE names a SQLite file filled
// before by muster demo -workspace acme, to skip seeding.
var (
	readBenchMu     sync.Mutex
	readBenchStores = map[string]*readBench{}
)

type readBench struct {
	store *models.Store
	ws    *models.Workspace
}

type keepTB struct {
	testing.TB
	dir string
}

func (k keepTB) Cleanup(func())  {}
func (k keepTB) TempDir() string { return k.dir }

func readBenchMembers() int {
	if n, err := strconv.Atoi(os.Getenv("MUSTER_BENCH_MEMBERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func seededStore(b *testing.B, dialect string) *readBench {
	readBenchMu.Lock()
	defer readBenchMu.Unlock()
	if rb := readBenchStores[dialect]; rb != nil {
		return rb
	}
	if path := os.Getenv("MUSTER_BENCH_SQLITE"); path != "" && dialect == "sqlite" {
		// A database filled before (muster demo -workspace acme): read only.
		db, err := models.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s := models.NewStore(db)
		r, err := models.OpenReader(path) // as the server reads
		if err != nil {
			b.Fatal(err)
		}
		s.UseReader(r)
		ws, err := s.WorkspaceBySlug(context.Background(), "acme")
		if err != nil {
			b.Fatal(err)
		}
		rb := &readBench{store: s, ws: ws}
		readBenchStores[dialect] = rb
		return rb
	}
	dir, err := os.MkdirTemp("", "muster-read-bench-")
	if err != nil {
		b.Fatal(err)
	}
	tb := keepTB{TB: b, dir: dir}
	s := modelstest.Open(tb, dialect)
	_, ws := modelstest.SetUp(tb, s)
	if err := s.SeedDemo(context.Background(), ws.ID, readBenchMembers(), 1); err != nil {
		b.Fatal(err)
	}
	if s.IsPostgres() {
		var name string
		if err := s.DB().QueryRow("SELECT current_database()").Scan(&name); err == nil {
			b.Logf("seeded PostgreSQL database %s (drop it when done)", name)
		}
		if _, err := s.DB().Exec("ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	rb := &readBench{store: s, ws: ws}
	readBenchStores[dialect] = rb
	return rb
}

func benchDialects(b *testing.B, fn func(b *testing.B, rb *readBench)) {
	for _, d := range modelstest.Dialects() {
		b.Run(d, func(b *testing.B) {
			if d == "postgres" && os.Getenv(modelstest.PostgresEnv) == "" {
				b.Skip("no PostgreSQL")
			}
			fn(b, seededStore(b, d))
		})
	}
}

// BenchmarkListMembers: the members table's store query (count, page,
// roles, invites) for each view the issue names.
func BenchmarkListMembers(b *testing.B) {
	benchDialects(b, func(b *testing.B, rb *readBench) {
		ctx := context.Background()
		cases := []struct {
			name string
			q    models.MemberQuery
		}{
			{"first_page", models.MemberQuery{}},
			{"search_example.com", models.MemberQuery{Search: "example.com"}},
			{"search_lovelace", models.MemberQuery{Search: "lovelace"}},
			{"search_rare", models.MemberQuery{Search: "zoë müller"}},
			{"search_2chars", models.MemberQuery{Search: "zz"}},
			{"search_common_sorted_email_desc", models.MemberQuery{Search: "example.com", Sort: "email", Desc: true}},
			{"status_deactivated", models.MemberQuery{Status: "deactivated"}},
		}
		for _, tc := range cases {
			b.Run(tc.name, func(b *testing.B) {
				var p *models.MemberPage
				var err error
				for range b.N {
					if p, err = rb.store.ListMembers(ctx, rb.ws.ID, tc.q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(p.Total), "total")
				reportMem(b)
			})
		}
	})
}

// BenchmarkSCIMFilter: SCIM list filters an identity provider may send,
// first page of 100 with totalResults.
func BenchmarkSCIMFilter(b *testing.B) {
	benchDialects(b, func(b *testing.B, rb *readBench) {
		ctx := context.Background()
		for _, f := range []string{
			`emails.value co "lovelace"`,
			`displayName co "zoë müller"`,
			`emails.value co "example.com"`,
			`userName sw "ada"`,
			`userName co "lovelace"`,
			`userName co "-4242@"`,
			`name.familyName ew "lace"`,
			`name.givenName co "grace"`,
			`displayName co "ov"`,
			`emails co "x"`,
			`userName co "a"`,
			`displayName co "e"`,
			`name.familyName sw "M"`,
		} {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				b.Fatal(err)
			}
			// kept: totalResults as the server answers it again (kept
			// under the change counter); fresh: counted each time, as the
			// first request after a change is.
			for _, kept := range []bool{true, false} {
				name := strings.NewReplacer(" ", "_", `"`, "").Replace(f)
				if !kept {
					name += "/fresh"
				}
				b.Run(name, func(b *testing.B) {
					defer models.SetSCIMCountCaching(kept)()
					var n int
					for range b.N {
						_, total, err := rb.store.ListSCIMUsers(ctx, rb.ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 100})
						if err != nil {
							b.Fatal(err)
						}
						n = total
					}
					b.ReportMetric(float64(n), "total")
					reportMem(b)
				})
			}
		}
	})
}

// reportMem reports this process's peak and current anonymous memory
// (Linux), as the memory figures are.
func reportMem(b *testing.B) {
	if runtime.GOOS != "linux" {
		return
	}
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(raw), "\n") {
		for _, key := range []string{"VmHWM:", "RssAnon:", "RssFile:"} {
			if strings.HasPrefix(line, key) {
				f := strings.Fields(line)
				if kb, err := strconv.Atoi(f[1]); err == nil {
					b.ReportMetric(float64(kb)/1024, strings.TrimSuffix(key, ":")+"-MiB")
				}
			}
		}
	}
}
