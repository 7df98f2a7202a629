package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestInvitesIndexes: after the migrations invites has only the indexes its
// queries read (by id, token_hash and member_id), on both databases, so an
// invitation writes no entry into invites_workspace_created, which no query
// read (migration 20261207000500); and the lookups of a member's pending
// links still go through invites_member.
func TestInvitesIndexes(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		q := "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'invites' AND sql IS NOT NULL ORDER BY name"
		if s.IsPostgres() {
			q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'invites' AND indexname <> 'invites_pkey' ORDER BY indexname"
		}
		var names []string
		if err := s.DB().NewRaw(q).Scan(ctx, &names); err != nil {
			t.Fatal(err)
		}
		if want := []string{"invites_member", "invites_token_hash"}; !slices.Equal(names, want) {
			t.Errorf("invites indexes %v, want %v", names, want)
		}
		if s.IsPostgres() {
			return
		}
		var plan []string
		rows, err := s.DB().QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT id FROM invites WHERE member_id IN ('a', 'b') AND state = 'pending'")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(plan, "; "); !strings.Contains(p, "invites_member") {
			t.Errorf("a member's pending links: plan %q, want invites_member", p)
		}
	})
}
