package modelstest

import (
	"context"
	"testing"

	"github.com/muster-app/muster/models"
)

// checkBookkeeping fails t, at its end, when what the store keeps beside
// members disagrees with the members themselves: the per-status counts
// (member_counts, in shards on PostgreSQL) and, on SQLite, the search rows,
// one a member with its search text. On SQLite the store writes both for
// new members itself rather than by triggers (models/members_added.go),
// so every test that inserts members checks that its way of doing it
// kept them. A query that fails (the test closed the store) checks
// nothing.
func checkBookkeeping(t testing.TB, s *models.Store) {
	type check struct{ what, query string }
	ctx := context.Background()
	checks := []check{
		{"member_counts differs from count(*) of members", `SELECT count(*) FROM (
			(SELECT workspace_id, status, sum(n) AS n FROM member_counts GROUP BY workspace_id, status HAVING sum(n) <> 0
			EXCEPT SELECT workspace_id, status, count(*) FROM members GROUP BY workspace_id, status)
			UNION ALL
			(SELECT workspace_id, status, count(*) FROM members GROUP BY workspace_id, status
			EXCEPT SELECT workspace_id, status, sum(n) FROM member_counts GROUP BY workspace_id, status)) AS d`},
	}
	if !s.IsPostgres() {
		checks = append(checks,
			check{"members without their search row", `SELECT count(*) FROM members AS m
				WHERE NOT EXISTS (SELECT 1 FROM member_search_rows AS r
					WHERE r.member_id = m.id AND r.workspace_id = m.workspace_id AND r.search_text = m.search_text)`},
			check{"search rows without their member", `SELECT count(*) FROM member_search_rows AS r
				WHERE NOT EXISTS (SELECT 1 FROM members AS m WHERE m.id = r.member_id)`})
	}
	for _, c := range checks {
		var n int
		if err := s.DB().QueryRowContext(ctx, c.query).Scan(&n); err != nil {
			return
		}
		if n > 0 {
			t.Errorf("bookkeeping: %s (%d rows)", c.what, n)
		}
	}
}
