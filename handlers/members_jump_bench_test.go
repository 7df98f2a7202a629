package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkMembersPageJump measures jumping to a page by number (?page=N)
// at 100,000 members on each database, server side through app.Test, next
// to the same depth reached by a keyset cursor (what Next gives). Run it
// with
//
//	MUSTER_TEST_POSTGRES_URL=… go test ./handlers -run '^$' -bench MembersPageJump -benchtime 100x -count 3
func BenchmarkMembersPageJump(b *testing.B) {
	for _, d := range modelstest.Dialects() {
		b.Run(d, func(b *testing.B) {
			app, store := newApp(b, d)
			ctx := context.Background()
			_, ws := modelstest.SetUp(b, store)
			if err := store.SeedDemo(ctx, ws.ID, 100_000, 1); err != nil {
				b.Fatal(err)
			}
			// As autovacuum leaves a table after a large insert: statistics,
			// and a visibility map, without which an index-only scan still
			// visits every row's page.
			if store.IsPostgres() {
				if _, err := store.DB().ExecContext(ctx, "VACUUM ANALYZE members"); err != nil {
					b.Fatal(err)
				}
			}
			c := newClient(b, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			// The cursor before page 1,000, as Next would reach it.
			pg, err := store.ListMembers(ctx, ws.ID, models.MemberQuery{Offset: 999 * 50, Limit: 50})
			if err != nil {
				b.Fatal(err)
			}
			cases := []struct{ name, query string }{
				{"page_2", "?page=2"},
				{"page_1000", "?page=1000"},
				{"page_2000", "?page=2000"},
				{"cursor_page_1000", "?after=" + url.QueryEscape(pg.Prev) + "&from=49900"},
				{"deactivated_page_100", "?status=deactivated&page=100"},
				{"email_desc_page_1500", "?sort=email&dir=desc&page=1500"},
			}
			for _, tc := range cases {
				b.Run(tc.name, func(b *testing.B) {
					target := "/w/acme/members" + tc.query
					if res := c.get(target, "HX-Request", "true", "HX-Target", "members-results"); res.StatusCode != http.StatusOK || res.Doc.Find("#members-rows tr").Length() == 0 {
						b.Fatalf("%s: status %d, no rows", target, res.StatusCode)
					}
					b.ResetTimer()
					cpu0 := processCPU()
					for i := 0; i < b.N; i++ {
						req := httptest.NewRequest(http.MethodGet, target, nil)
						req.Header.Set("HX-Request", "true")
						req.Header.Set("HX-Target", "members-results")
						for name, value := range c.cookies {
							req.AddCookie(&http.Cookie{Name: name, Value: value})
						}
						res, err := app.Test(req, -1)
						if err != nil || res.StatusCode != http.StatusOK {
							b.Fatalf("%s: %v %v", target, err, res)
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					// CPU time of this process per request: on a machine
					// shared with other work it says more than wall time
					// (on PostgreSQL the server's CPU is not in it).
					b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
				})
			}
		})
	}
}

// processCPU is the user and system CPU time this process has used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
