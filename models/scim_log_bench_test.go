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
