package scim_test

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkPostUserParallel is the POST /Users row: distinct users
// sent by 8 concurrent clients (an identity provider pushes in parallel)
// into a workspace of benchMembers members, on each database, with the
// provisioning log on. It reports users/s and the 99th percentile latency:
//
//	MUSTER_TEST_POSTGRES_URL=… go test ./scim -run '^$' -bench PostUserParallel -benchtime 3000x -count 3
var parallelEnvs sync.Map // dialect → *env

func parallelEnv(b *testing.B, dialect string) *env {
	if e, ok := parallelEnvs.Load(dialect); ok {
		e := e.(*env)
		e.t = b
		return e
	}
	if dialect == "sqlite" {
		e := loadedEnv(b)
		parallelEnvs.Store(dialect, e)
		return e
	}
	dir, err := os.MkdirTemp("", "muster-bench-")
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(processTB{TB: b, dir: dir}, dialect)
	if err := e.store.SeedDemo(context.Background(), e.ws.ID, benchMembers, 1); err != nil {
		b.Fatal(err)
	}
	e.app = handlers.New(handlers.Options{Store: e.store, BaseURL: "https://muster.example.com", SCIMLog: e.log})
	parallelEnvs.Store(dialect, e)
	return e
}

// profileFrom starts a CPU profile of the requests alone (go test's
// -cpuprofile would take in the seeding of the workspace too) when
// MUSTER_BENCH_CPUPROFILE names a file; it returns what stops it.
func profileFrom(b *testing.B) func() {
	path := os.Getenv("MUSTER_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// processCPU is the user and system CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writtenBytes is what the process has written to files so far (Linux's
// /proc/self/io wchar), 0 where that is not known.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func BenchmarkPostUserParallel(b *testing.B) {
	for _, d := range modelstest.Dialects() {
		b.Run(d, func(b *testing.B) {
			e := parallelEnv(b, d)
			if g, err := strconv.Atoi(os.Getenv("MUSTER_BENCH_WRITE_GROUP")); err == nil {
				e.store.WriteGroup = g // 1: writers one by one, no group commit
			}
			if w, err := time.ParseDuration(os.Getenv("MUSTER_BENCH_WRITE_WAIT")); err == nil {
				e.store.WriteWait = w // -1ns: groups take what has queued, without waiting
			}
			benchRun++
			run := benchRun
			clients := 8
			if n, err := strconv.Atoi(os.Getenv("MUSTER_BENCH_CLIENTS")); err == nil && n > 0 {
				clients = n // the PostgreSQL row is also reported with 50
			}
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			stopProfile := profileFrom(b)
			written := writtenBytes()
			pg := modelstest.StartPGMeter(context.Background(), e.store)
			closed := e.store.DB().Stats().MaxIdleClosed
			cpu := processCPU()
			b.ResetTimer()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						start := time.Now()
						r, err := concDo(e, "POST", "/scim/v2/Users", benchUser(fmt.Sprintf("pp%d-%d", run, i)))
						lat[i] = time.Since(start)
						if err != nil {
							failed.Store(err.Error())
						} else if r.Status != 201 {
							failed.Store(fmt.Sprintf("status %d: %.300s", r.Status, r.Raw))
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			stopProfile()
			// The process's CPU time (user+sys) per create: the requests'
			// handling plus the writer's work, which the machine's load
			// moves far less than users/s (the drivers' comparison).
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
			if w := writtenBytes(); w > 0 && written > 0 {
				// What the process wrote (the log, the checkpoints into the
				// database file): a measure the machine's load does not move.
				b.ReportMetric(float64(w-written)/float64(b.N), "written-B/op")
			}
			if pg != nil {
				// PostgreSQL's side: its backends' CPU (closed-conns/op says
				// how many connections the pool closed meanwhile, whose last
				// 50 ms the meter may miss) and the WAL written (the whole
				// server's, so run on a quiet one).
				cpu, wal := pg.Stop(context.Background())
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "pg-cpu-us/op")
				b.ReportMetric(float64(wal)/float64(b.N), "wal-B/op")
				b.ReportMetric(float64(e.store.DB().Stats().MaxIdleClosed-closed)/float64(b.N), "closed-conns/op")
			}
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
