package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
	c := newClient(b, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)

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
	cases := []struct{ name, query string }{
		{"first_page", ""},
		{"deep_page", "?after=" + url.QueryEscape(deep) + "&from=50000"},
		{"search", "?q=lovelace"},
		{"search_rare", "?q=" + url.QueryEscape("zoë müller")},
		{"status_filter", "?status=deactivated"},
		{"sort_email_desc", "?sort=email&dir=desc"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			target := "/w/acme/members" + tc.query
			if res := c.get(target, "HX-Request", "true", "HX-Target", "members-results"); res.StatusCode != http.StatusOK || res.Doc.Find("#members-rows tr").Length() == 0 {
				b.Fatalf("%s: status %d, no rows", target, res.StatusCode)
			}
			// The loop sends raw requests and discards the bodies: the
			// test client's HTML parsing is not the server's time.
			b.ResetTimer()
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
		})
	}
}
