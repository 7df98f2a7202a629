package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/muster-app/muster/models/modelstest"
)

// TestAnalyzeLeavesEmptyTablesUnplanned: Analyze after a fill that made no
// invitation (the demo) does not analyze the empty invites table, so the
// foreign-key check of a new outbox row is planned on invites' primary key
// even as a generic plan, which a connection keeps: analyzed empty, it was
// a sequential scan of every invitation, on every SCIM create. The tables
// that have rows are still analyzed.
func TestAnalyzeLeavesEmptyTablesUnplanned(t *testing.T) {
	s := modelstest.Open(t, "postgres")
	ctx := context.Background()
	_, ws := modelstest.SetUp(t, s)
	if err := s.SeedDemo(ctx, ws.ID, 50, 1); err != nil {
		t.Fatal(err)
	}
	var invites int
	if err := s.DB().NewRaw("SELECT count(*) FROM invites").Scan(ctx, &invites); err != nil || invites != 0 {
		t.Fatalf("%d invitations before Analyze (%v), want none", invites, err)
	}
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	var analyzed int
	if err := s.DB().NewRaw("SELECT count(*) FROM pg_stats WHERE tablename = 'members'").Scan(ctx, &analyzed); err != nil || analyzed == 0 {
		t.Errorf("no statistics for members after Analyze (%v)", err)
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The query PostgreSQL's RI_FKey_check runs for outbox_invite_id_fkey.
	for _, q := range []string{
		"SET plan_cache_mode = force_generic_plan",
		"PREPARE fk_check(varchar) AS SELECT 1 FROM ONLY invites x WHERE id = $1 FOR KEY SHARE OF x",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var plan []string
	if err := conn.NewRaw("EXPLAIN EXECUTE fk_check('x')").Scan(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "Index Scan using invites_pkey") {
		t.Errorf("the outbox → invites check is planned as\n%s\nwant an index scan of invites_pkey", p)
	}
}
