package scim_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkPatchUserParallel: 8 concurrent clients PATCH distinct members
// (a new displayName each) of the benchMembers-member workspace, on each
// database: on PostgreSQL such changes no longer wait for each other on
// the workspace row (changeMember). Reports changes/s and the 99th
// percentile latency:
//
//	MUSTER_TEST_POSTGRES_URL=… go test ./scim -run '^$' -bench PatchUserParallel -benchtime 2000x
func BenchmarkPatchUserParallel(b *testing.B) {
	for _, d := range modelstest.Dialects() {
		b.Run(d, func(b *testing.B) {
			e := parallelEnv(b, d)
			var ids []string
			if err := e.store.DB().NewSelect().Table("members").Column("id").
				Where("workspace_id = ? AND status <> 'revoked'", e.ws.ID).OrderExpr("id").Limit(int64(b.N)).Scan(b.Context(), &ids); err != nil {
				b.Fatal(err)
			}
			if len(ids) < b.N {
				b.Fatalf("%d members, want %d", len(ids), b.N)
			}
			benchRun++
			run := benchRun
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			cpu := processCPU()
			b.ResetTimer()
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Patched %d-%d"}]}`, run, i)
						start := time.Now()
						r, err := concDo(e, "PATCH", "/scim/v2/Users/"+ids[i], body)
						lat[i] = time.Since(start)
						if err != nil {
							failed.Store(err.Error())
						} else if r.Status != 200 && r.Status != 204 {
							failed.Store(fmt.Sprintf("status %d: %.300s", r.Status, r.Raw))
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
