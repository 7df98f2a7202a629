package handlers_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkMembersPage measures the members page at 100,000 members on
// SQLite, server side: session, permission check, query and render, through
// app.Test. Run it with
//
//	go test ./handlers -run '^$' -bench MembersPage -benchtime 200x -count 5
func BenchmarkMembersPage(b *testing.B) {
	app, store := newApp(b, "sqlite")
	ctx := context.Background()
	_, ws := modelstest.SetUp(b, store)
	if err := store.SeedDemo(ctx, ws.ID, 100_000, 1); err != nil {
		b.Fatal(err)
	}
	c := benchSignIn(b, app, "ada@example.com", modelstest.AdminPassword)

	// A cursor deep in the list: walk to about row 50,000 through the store.
	deep := ""
	q := models.MemberQuery{Limit: 200}
	for i := 0; i < 250; i++ {
		pg, err := store.ListMembers(ctx, ws.ID, q)
		if err != nil {
			b.Fatal(err)
		}
		q.After, deep = pg.Next, pg.Next
	}
	benchMembersViews(b, app, c, true, []benchView{
		{"first_page", ""},
		{"deep_page", "?after=" + url.QueryEscape(deep) + "&from=50000"},
		{"search", "?q=lovelace"},
		{"search_rare", "?q=" + url.QueryEscape("zoë müller")},
		{"status_filter", "?status=deactivated"},
		{"sort_email_desc", "?sort=email&dir=desc"},
	}, hasRows)
}
