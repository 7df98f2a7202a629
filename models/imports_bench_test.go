package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkImport10k previews and runs an import of 10,000 new people on
// SQLite, server side (emails are queued, not sent). Run it with
//
//	go test ./models -run '^$' -bench Import10k -benchtime 1x -count 5
func BenchmarkImport10k(b *testing.B) {
	ctx := context.Background()
	inputs := make([]models.ImportInput, 10000)
	for i := range inputs {
		inputs[i] = models.ImportInput{Line: i + 2, Email: fmt.Sprintf("person.%d@example.com", i), Name: fmt.Sprintf("Person %d", i), Location: "Berlin"}
	}
	var previewNs, runNs int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := modelstest.Open(b, "sqlite")
		acc, ws := modelstest.SetUp(b, s)
		admin, _, _ := s.Membership(ctx, ws.ID, acc.ID)
		roles, _ := s.Roles(ctx, ws.ID)
		actor := models.MemberActor(admin)
		b.StartTimer()

		start := b.Elapsed()
		p, err := s.PreviewImport(ctx, actor, ws, "bench.csv", inputs, roles[1].ID)
		if err != nil {
			b.Fatal(err)
		}
		previewNs += int64(b.Elapsed() - start)
		start = b.Elapsed()
		if _, err := s.StartImport(ctx, actor, ws, p.Import.ID, false, false); err != nil {
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
		runNs += int64(b.Elapsed() - start)
		if im, _ := s.ImportByID(ctx, ws.ID, p.Import.ID); im.Invited != 10000 {
			b.Fatalf("invited %d", im.Invited)
		}
	}
	b.ReportMetric(float64(previewNs)/float64(b.N)/1e9, "preview-s")
	b.ReportMetric(float64(runNs)/float64(b.N)/1e9, "run-s")
}
