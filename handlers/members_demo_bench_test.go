package handlers_test

import (
	"context"
	"os"
	"testing"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
)

// BenchmarkMembersPageDemo is BenchmarkMembersPage on a database filled
// before, so a profile shows the page and not the seeding:
//
//	muster setup -workspace Acme -name "Ada Lovelace" -email ada@example.com   # password: a long enough password
//	muster demo -workspace acme -members 100000
//	MUSTER_BENCH_SQLITE=muster.db go test ./handlers -run '^$' -bench MembersPageDemo -benchtime 200x -count 3
//
// With MUSTER_BENCH_NO_PAGE_CACHE=1 each view is read as if the workspace
// had just changed.
//
// It signs in (a session row is written) but otherwise only reads.
func BenchmarkMembersPageDemo(b *testing.B) {
	path := os.Getenv("MUSTER_BENCH_SQLITE")
	if path == "" {
		b.Skip("MUSTER_BENCH_SQLITE names no demo database")
	}
	db, err := models.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	store := models.NewStore(db)
	r, err := models.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	store.UseReader(r)
	// MUSTER_BENCH_NO_PAGE_CACHE=1 reads every page afresh, as the first
	// view after a change does (models/members_page_cache.go).
	store.NoMemberPageCache = os.Getenv("MUSTER_BENCH_NO_PAGE_CACHE") != ""
	b.Cleanup(func() { store.Close() })
	if _, err := store.WorkspaceBySlug(context.Background(), "acme"); err != nil {
		b.Fatal(err)
	}
	app := handlers.New(handlers.Options{Store: store})
	c := benchSignIn(b, app, "ada@example.com", "a long enough password")
	views := []benchView{
		{"first_page", ""},
		{"search_example.com", "?q=example.com"},
		{"search_lovelace", "?q=lovelace"},
		{"status_filter", "?status=deactivated"},
		{"sort_email_desc", "?sort=email&dir=desc"},
	}
	benchMembersViews(b, app, c, true, views, nil)
	// The whole page, as a browser (and tools/scimload) loads it.
	b.Run("full", func(b *testing.B) { benchMembersViews(b, app, c, false, views[:3], nil) })
}
