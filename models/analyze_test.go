package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestAnalyzeLeavesSmallTablesUnplanned: Analyze after a fill leaves a
// table of fewer than ten pages unanalyzed (here invites, empty after the
// demo, then with a few invitations), so the foreign-key check of a new
// outbox row is planned on invites' primary key even as a generic plan,
// which a connection keeps: analyzed empty or nearly, it was a sequential
// scan of every invitation, on every SCIM create. The large tables are
// still analyzed.
func TestAnalyzeLeavesSmallTablesUnplanned(t *testing.T) {
	s := modelstest.Open(t, "postgres")
	ctx := context.Background()
	_, ws := modelstest.SetUp(t, s)
	if err := s.SeedDemo(ctx, ws.ID, 600, 1); err != nil {
		t.Fatal(err)
	}
	analyzed := func(table string) bool {
		t.Helper()
		var done bool
		if err := s.DB().NewRaw("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = ?", table).Scan(ctx, &done); err != nil {
			t.Fatal(err)
		}
		return done
	}
	checkPlan := func(invites int) {
		t.Helper()
		var n int
		if err := s.DB().NewRaw("SELECT count(*) FROM invites").Scan(ctx, &n); err != nil || n != invites {
			t.Fatalf("%d invitations (%v), want %d", n, err, invites)
		}
		if err := s.Analyze(ctx); err != nil {
			t.Fatal(err)
		}
		if !analyzed("members") {
			t.Error("members not analyzed")
		}
		if analyzed("invites") {
			t.Errorf("invites analyzed with %d rows", invites)
		}
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The query PostgreSQL's RI_FKey_check runs for outbox_invite_id_fkey,
		// as the generic plan a connection keeps.
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
		for _, q := range []string{"DEALLOCATE fk_check", "RESET plan_cache_mode"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if p := strings.Join(plan, "\n"); !strings.Contains(p, "Index Scan using invites_pkey") {
			t.Errorf("with %d invitations, the outbox → invites check is planned as\n%s\nwant an index scan of invites_pkey", invites, p)
		}
	}
	checkPlan(0)
	for i := range 30 {
		name := fmt.Sprintf("analyze-%d", i)
		if _, err := s.CreateSCIMUser(ctx, models.SystemActor, ws, models.SCIMUser{UserName: name, Email: name + "@example.com", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	checkPlan(30)
}
