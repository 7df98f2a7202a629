package models

import (
	"context"
	"strings"

	"github.com/uptrace/bun/dialect/pgdialect"
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
// A table of fewer than ten pages (an empty one above all) is left as it
// is. Analyzed empty or nearly so, PostgreSQL plans it as that small: the
// foreign-key check of each new outbox row (outbox.invite_id → invites)
// was planned once per connection as a sequential scan of invites and
// kept, so after `muster demo` (whose members have no invitations) every
// SCIM create scanned all the invitations made since, and POST /Users fell
// as they grew (20 million rows read in 8 s; 946 creates/s against 1,583
// once invites had statistics). A table never analyzed is planned as at
// least ten pages, which takes its primary key; below ten pages the
// statistics change no plan worth having.
func (s *Store) Analyze(ctx context.Context) error {
	if !s.IsPostgres() {
		return nil
	}
	var big []string
	if err := s.db.NewRaw(`SELECT t FROM unnest(?::text[]) AS t
		WHERE pg_relation_size(to_regclass(t)) >= ? * current_setting('block_size')::bigint`,
		pgdialect.Array(analyzedTables), analyzeMinPages).Scan(ctx, &big); err != nil {
		return err
	}
	if len(big) == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "ANALYZE "+strings.Join(big, ", "))
	return err
}

// analyzeMinPages is the size below which Analyze leaves a table
// unanalyzed: the pages PostgreSQL assumes of a table never analyzed.
const analyzeMinPages = 10
