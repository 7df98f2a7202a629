package models_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkMembersJump measures ListMembers at 100,000 members on SQLite:
// a page asked for by offset (page numbers) next to the same page reached
// by a keyset cursor, so the difference is what resolving the offset costs.
// cpu-ms/op is this process's CPU per call (SQLite runs in it), steadier
// than wall time on a shared machine. Run it with
//
//	go test ./models -run '^$' -bench MembersJump -benchtime 200x -count 3
func BenchmarkMembersJump(b *testing.B) {
	s := modelstest.Open(b, "sqlite")
	ctx := context.Background()
	_, ws := modelstest.SetUp(b, s)
	if err := s.SeedDemo(ctx, ws.ID, 100_000, 1); err != nil {
		b.Fatal(err)
	}
	cursor := func(offset int) string {
		pg, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Offset: offset, Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		return pg.Prev
	}
	// Prev of the page at offset names its first row; the cursor before the
	// page is the previous page's Next.
	before := func(offset int) string {
		pg, err := s.ListMembers(ctx, ws.ID, models.MemberQuery{Before: cursor(offset), Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		return pg.Next
	}
	cases := []struct {
		name string
		q    models.MemberQuery
	}{
		{"first_page", models.MemberQuery{}},
		{"offset_49950", models.MemberQuery{Offset: 49_950}},
		{"cursor_49950", models.MemberQuery{After: before(49_950)}},
		{"offset_99950", models.MemberQuery{Offset: 99_950}},
		{"cursor_99950", models.MemberQuery{After: before(99_950)}},
		{"offset_25000_email_desc", models.MemberQuery{Offset: 25_000, Sort: "email", Desc: true}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			tc.q.Limit = 50
			b.ResetTimer()
			cpu0 := cpuNow()
			for i := 0; i < b.N; i++ {
				if pg, err := s.ListMembers(ctx, ws.ID, tc.q); err != nil || len(pg.Members) != 50 {
					b.Fatalf("%v: %d rows", err, len(pg.Members))
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

func cpuNow() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
