package models_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkSCIMLogWrite is the provisioning log writer's cost per entry,
// for entries like a userName eq lookup's (a member as target, a query
// in the path), over a log already holding 50,000 of them for 20,000
// members: the process's CPU (user and system) per entry, the writer's
// INSERTs and COMMITs included. MUSTER_BENCH_LOG_BATCH sets the batch.
//
//	go test ./models -run '^$' -bench SCIMLogWrite -benchtime 20000x
func BenchmarkSCIMLogWrite(b *testing.B) {
	ctx := context.Background()
	store := modelstest.Open(b, "sqlite")
	batch, _ := strconv.Atoi(os.Getenv("MUSTER_BENCH_LOG_BATCH"))
	l := store.StartSCIMLog(models.SCIMLogOptions{Batch: batch})
	defer l.Close()
	entry := func(i int) models.SCIMLogEntry {
		e := store.NewSCIMLogEntry()
		m := fmt.Sprintf("%08x-0000-4000-8000-%012d", i*7919%20000, i*7919%20000)
		e.WorkspaceID, e.TokenID, e.TokenName, e.Method, e.Status, e.DurationUS = "ws", "tok", "Okta", "GET", 200, 180
		e.Path = fmt.Sprintf("/Users?filter=userName+eq+%%22user%d%%40example.com%%22&startIndex=1&count=100", i%20000)
		e.TargetKind, e.TargetID, e.TargetName = "member", m, fmt.Sprintf("User %d", i%20000)
		return e
	}
	for i := range 50000 { // in steps the buffer holds
		l.Add(entry(i))
		if i%10000 == 9999 {
			if err := l.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	entries := make([]models.SCIMLogEntry, b.N)
	for i := range entries {
		entries[i] = entry(50000 + i)
	}
	b.ResetTimer()
	cpu := processCPU()
	for i := range entries {
		l.Add(entries[i])
	}
	if err := l.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/entry")
	if d := l.Dropped(); d > 0 {
		b.Fatalf("%d entries dropped", d)
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSCIMLogMemberHistory is the log page filtered by member (a
// member's "Provisioning history") over a log of 100,000 lookups' entries:
// one member looked up once at the start (the whole log is newer: the
// worst case, as its first page is never filled) and one looked up in
// every 100th entry.
//
//	go test ./models -run '^$' -bench SCIMLogMemberHistory -benchtime 20x
func BenchmarkSCIMLogMemberHistory(b *testing.B) {
	ctx := context.Background()
	store := modelstest.Open(b, "sqlite")
	ws := "00000000-0000-4000-8000-00000000aaaa"
	l := store.StartSCIMLog(models.SCIMLogOptions{})
	defer l.Close()
	const rare, often = "00000000-0000-4000-8000-00000000beef", "00000000-0000-4000-8000-00000000cafe"
	for i := range 100000 {
		e := store.NewSCIMLogEntry()
		m := fmt.Sprintf("%08x-0000-4000-8000-%012d", i*7919%20000, i*7919%20000)
		switch {
		case i == 0:
			m = rare
		case i%100 == 0:
			m = often
		}
		e.WorkspaceID, e.TokenID, e.TokenName, e.Method, e.Status, e.DurationUS = ws, "tok", "Okta", "GET", 200, 180
		e.Path = "/Users?filter=userName+eq+%22x%22"
		e.TargetKind, e.TargetID, e.TargetName = "member", m, "User"
		l.Add(e)
		if i%10000 == 9999 {
			if err := l.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name, member string
		want         int
	}{{"rare", rare, 1}, {"often", often, 50}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				pg, err := store.ListSCIMLog(ctx, ws, models.SCIMLogQuery{Member: c.member})
				if err != nil || len(pg.Entries) != c.want {
					b.Fatalf("%v: %d entries", err, len(pg.Entries))
				}
			}
		})
	}
}
