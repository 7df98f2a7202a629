package handlers_test

import (
	"context"
	"net/url"
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
			c := benchSignIn(b, app, "ada@example.com", modelstest.AdminPassword)
			// The cursor before page 1,000, as Next would reach it.
			pg, err := store.ListMembers(ctx, ws.ID, models.MemberQuery{Offset: 999 * 50, Limit: 50})
			if err != nil {
				b.Fatal(err)
			}
			benchMembersViews(b, app, c, true, []benchView{
				{"page_2", "?page=2"},
				{"page_1000", "?page=1000"},
				{"page_2000", "?page=2000"},
				{"cursor_page_1000", "?after=" + url.QueryEscape(pg.Prev) + "&from=49900"},
				{"deactivated_page_100", "?status=deactivated&page=100"},
				{"email_desc_page_1500", "?sort=email&dir=desc&page=1500"},
			}, hasRows)
		})
	}
}
