package models_test

import (
	"context"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkBulkRoleChange10000 changes the role of every member of a
// view of 10,000 (all matching) on SQLite: the job is stored, then the
// import runner's batches (500 members each, one transaction, a savepoint
// and an audit event per member) run to the end. Each iteration moves
// everyone to the other of two roles, so every member changes. Run it with
//
//	go test ./models -run '^$' -bench BulkRoleChange -benchtime 1x -count 3
func BenchmarkBulkRoleChange10000(b *testing.B) {
	s := modelstest.Open(b, "sqlite")
	ctx := context.Background()
	acc, ws := modelstest.SetUp(b, s)
	admin, perms, err := s.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SeedDemo(ctx, ws.ID, 10_000, 3); err != nil {
		b.Fatal(err)
	}
	roles, _ := s.Roles(ctx, ws.ID)
	var sales, eng string
	for _, r := range roles {
		switch r.Name {
		case "Sales":
			sales = r.ID
		case "Engineering":
			eng = r.ID
		}
	}
	actor := models.MemberActor(admin).WithPerms(perms)
	// Everyone: the demo members, and Ada (herself, skipped).
	view := models.MemberQuery{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		to := []string{sales, eng}[i%2]
		res, err := s.RunBulk(ctx, actor, ws, models.BulkRequest{Action: models.BulkRole, RoleID: to, Sel: models.BulkSelection{All: true, View: view}})
		if err != nil {
			b.Fatal(err)
		}
		for {
			worked, err := s.ProcessImports(ctx, 500)
			if err != nil {
				b.Fatal(err)
			}
			if !worked {
				break
			}
		}
		job, _ := s.BulkJob(ctx, ws.ID, res.Job.ID)
		if job.Status != models.ImportDone || job.Processed < 10_000 {
			b.Fatalf("job = %+v", job)
		}
		b.ReportMetric(float64(job.Changed), "changed")
	}
}
