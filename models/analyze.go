package models

import (
	"context"
	"strings"
)

// analyzeAfter is how many new rows make a bulk fill worth an ANALYZE.
var analyzeAfter = 10000

// analyzedTables are the tables a bulk fill writes, whose statistics
// Analyze refreshes.
var analyzedTables = []string{"members", "member_roles", "roles", "invites", "outbox", "audit_events"}

// Analyze refreshes PostgreSQL's planner statistics after a bulk fill (the
// demo, a large import): it plans the members page by them, and before the
// first ANALYZE (autovacuum may take minutes to get there) the page took
// 440 ms instead of milliseconds. SQLite is left as it is: its queries
// here were tuned, and measured, on the plans it makes without statistics.
//
// An empty table is left unanalyzed. Analyzed empty, PostgreSQL plans it
// as empty: the foreign-key check of each new outbox row (outbox.invite_id
// → invites) was planned once per connection as a sequential scan of
// invites and kept, so after `muster demo` (whose members have no
// invitations) every SCIM create scanned all the invitations made since,
// and POST /Users fell as they grew (20 million rows read in 8 s; 946
// creates/s against 1,583 once invites had statistics). A table never
// analyzed is planned as at least ten pages, which takes its primary key.
func (s *Store) Analyze(ctx context.Context) error {
	if !s.IsPostgres() {
		return nil
	}
	var filled []string
	for _, t := range analyzedTables {
		var rows bool
		if err := s.db.NewRaw("SELECT EXISTS (SELECT 1 FROM "+t+")").Scan(ctx, &rows); err != nil {
			return err
		}
		if rows {
			filled = append(filled, t)
		}
	}
	if len(filled) == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "ANALYZE "+strings.Join(filled, ", "))
	return err
}
