package scim_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/handlers"
)

// Benchmarks through the whole app (app.Test: HTTP parsing, token check,
// rate limiter, handler, domain, SQLite) with 100,000 members in the
// workspace, as in the targets:
//
//	go test ./scim -run '^$' -bench . -benchtime 2000x -count 3
//
// BenchmarkPostUser and the /Bulk benchmarks run with the provisioning
// log off and on (log=off, log=on), alternating with -count.
//
// tools/scim-load.sh measures the same over real loopback connections.

// benchMembers is 100,000 unless MUSTER_BENCH_MEMBERS says otherwise.
var benchMembers = func() int {
	if n, err := strconv.Atoi(os.Getenv("MUSTER_BENCH_MEMBERS")); err == nil && n > 0 {
		return n
	}
	return 100000
}()

var (
	benchOnce sync.Once
	benchEnv  *env
	// benchApps are the app on benchEnv's store without and with the
	// provisioning log, for comparing the two in one build.
	benchApps [2]*fiber.App
)

// benchDialect is sqlite unless MUSTER_BENCH_DIALECT says postgres (which
// needs MUSTER_TEST_POSTGRES_URL).
var benchDialect = func() string {
	if d := os.Getenv("MUSTER_BENCH_DIALECT"); d != "" {
		return d
	}
	return "sqlite"
}()

// loadedEnv is one workspace with benchMembers members, shared by every
// benchmark of the run (seeding takes half a minute).
func loadedEnv(b *testing.B) *env {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "muster-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		benchEnv = newEnv(processTB{TB: b, dir: dir}, benchDialect)
		if err := benchEnv.store.SeedDemo(context.Background(), benchEnv.ws.ID, benchMembers, 1); err != nil {
			b.Fatal(err)
		}
		benchApps[1] = benchEnv.app
		benchApps[0] = handlers.New(handlers.Options{Store: benchEnv.store, BaseURL: "https://muster.example.com"})
	})
	benchEnv.t = b
	return benchEnv
}

// logModes runs fn with the provisioning log off, then on: with -count 3
// the two alternate, so both see the same machine and database size.
// After a run with the log on, the time the log takes to catch up (it is
// written after the requests are answered) is reported as log-catch-up-ms.
func logModes(b *testing.B, fn func(b *testing.B, e *env)) {
	for i, mode := range []string{"log=off", "log=on"} {
		b.Run(mode, func(b *testing.B) {
			e := loadedEnv(b)
			e.app = benchApps[i]
			benchLogging, benchCaughtUp = i == 1, false
			fn(b, e)
			b.StopTimer()
			if i == 1 {
				if !benchCaughtUp {
					catchUp(b, e)
				}
				if d := e.log.Dropped(); d > 0 {
					b.ReportMetric(float64(d), "log-dropped")
				}
			}
		})
	}
}

// benchLogging: logModes runs fn with the log on; benchCaughtUp: fn
// measured the log's catch-up itself (catchUp), which logModes then leaves.
var benchLogging, benchCaughtUp bool

// catchUp waits for the log to write every entry queued so far and, with
// the log on, reports how long that took as log-catch-up-ms. A benchmark
// that counts the writer's CPU in its own calls it where its requests
// end: measured after it, as logModes would, the log has long caught up.
func catchUp(b *testing.B, e *env) {
	start := time.Now()
	e.flushLog()
	if benchLogging {
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "log-catch-up-ms")
		benchCaughtUp = true
	}
}

var benchRun int

// processTB keeps the benchmarks' database for the whole process: a
// benchmark function runs several times, and each run would close it.
type processTB struct {
	testing.TB
	dir string
}

func (p processTB) Cleanup(func())  {}
func (p processTB) TempDir() string { return p.dir }

var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchUser(id string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + id + `@bench.example.com",` +
		`"externalId":"ext-` + id + `","name":{"givenName":"Bench","familyName":"` + id + `"},` +
		`"emails":[{"value":"` + id + `@bench.example.com","type":"work","primary":true}],"active":true}`
}

func BenchmarkPostUser(b *testing.B) {
	logModes(b, func(b *testing.B, e *env) {
		benchRun++
		b.ResetTimer()
		for i := range b.N {
			e.do("POST", "/scim/v2/Users", benchUser(fmt.Sprintf("p%d-%d", benchRun, i))).want(b, 201)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
	})
}

func benchLookup(b *testing.B, attr string, value func(i int) string) {
	e := loadedEnv(b)
	b.ResetTimer()
	cpu := processCPU()
	for i := range b.N {
		r := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(attr+` eq "`+value(i)+`"`)+"&startIndex=1&count=100", "").want(b, 200)
		if r.num("totalResults") != 1 {
			b.Fatalf("%s lookup found %d", attr, r.num("totalResults"))
		}
	}
	// The process's CPU, server and this client (app.Test) together:
	// steadier than the time per op on a busy machine.
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

func BenchmarkLookupUserName(b *testing.B) {
	e := loadedEnv(b)
	names := sampleAttr(b, e, "userName")
	benchLookup(b, "userName", func(i int) string { return names[i%len(names)] })
}

func BenchmarkLookupExternalID(b *testing.B) {
	e := loadedEnv(b)
	for i := range 200 { // the demo members have no externalId
		e.do("POST", "/scim/v2/Users", benchUser(fmt.Sprintf("x%d", i)))
	}
	benchLookup(b, "externalId", func(i int) string { return fmt.Sprintf("ext-x%d", i%200) })
}

func sampleAttr(b *testing.B, e *env, attr string) []string {
	r := e.do("GET", "/scim/v2/Users?count=500&startIndex="+strconv.Itoa(benchMembers/20+1)+"&attributes="+attr, "").want(b, 200)
	var out []string
	for _, res := range r.resources() {
		out = append(out, res[attr].(string))
	}
	return out
}

func benchBulk(b *testing.B, size int) {
	logModes(b, func(b *testing.B, e *env) { benchBulkRun(b, e, size) })
}

func benchBulkRun(b *testing.B, e *env, size int) {
	benchRun++
	b.ReportAllocs()
	var cpu time.Duration
	var growth, anonGrowth, fileGrowth float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		var ops strings.Builder
		for j := range size {
			if j > 0 {
				ops.WriteByte(',')
			}
			id := fmt.Sprintf("b%d-%d-%d", benchRun, i, j)
			ops.WriteString(`{"method":"POST","path":"/Users","bulkId":"` + id + `","data":` + benchUser(id) + `}`)
		}
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` + ops.String() + `]}`
		// What the request adds to the process's resident memory: VmHWM
		// reset to the current RSS (clear_refs 5) before, read after.
		debug.FreeOSMemory()
		resetHWM()
		rss, anon, file := procStatusMiB("VmRSS"), procStatusMiB("RssAnon"), procStatusMiB("RssFile")
		// The app directly, and memory read before the response is read
		// and decoded: e.do's decoding of 10,000 results into maps grew
		// the heap by more than the request did.
		req := httptest.NewRequest("POST", "/scim/v2/Bulk", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		req.Header.Set("Authorization", "Bearer "+e.token)
		b.StartTimer()
		before := cpuTime()
		res, err := e.app.Test(req, -1)
		cpu += cpuTime() - before
		b.StopTimer()
		growth = max(growth, procStatusMiB("VmHWM")-rss)
		anonGrowth = max(anonGrowth, procStatusMiB("RssAnon")-anon)
		fileGrowth = max(fileGrowth, procStatusMiB("RssFile")-file)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		b.StartTimer()
		if res.StatusCode != 200 || bytes.Contains(raw, []byte(`"status":"4`)) || bytes.Contains(raw, []byte(`"status":"5`)) {
			b.Fatalf("bulk answered %d or operations failed: %.500s", res.StatusCode, raw)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "users/s")
	// CPU time (the process's, user and system) varies less than wall
	// time on a busy machine.
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(vmHWM(), "VmHWM-MiB")
	b.ReportMetric(growth, "peak-RSS-growth-MiB")
	// What the request left resident, anonymous and file-backed (SQLite's
	// mmap of the database counts here).
	b.ReportMetric(anonGrowth, "RssAnon-growth-MiB")
	b.ReportMetric(fileGrowth, "RssFile-growth-MiB")
}

// resetHWM sets the process's VmHWM back to its current RSS.
func resetHWM() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatusMiB reads a size field (VmHWM, VmRSS, RssAnon …) of
// /proc/self/status, in MiB.
func procStatusMiB(field string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is the process's peak resident memory so far, in MiB.
func vmHWM() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func BenchmarkBulk1000(b *testing.B)  { benchBulk(b, 1000) }
func BenchmarkBulk10000(b *testing.B) { benchBulk(b, 10000) }

// BenchmarkLogOnOff compares provisioning with the log off and on in one
// process, alternating at a fine grain so that a busy machine slows both
// alike: each iteration is one round of 500 POST /Users in each mode, then
// one /Bulk of 10,000 users in each mode, the mode going first changing
// every round. Before each timed part the WAL is checkpointed and the log
// has caught up, so no part inherits work from the one before. Run it with
// -benchtime 3x (or more) for medians:
//
//	go test ./scim -run '^$' -bench LogOnOff -benchtime 3x
func BenchmarkLogOnOff(b *testing.B) {
	e := loadedEnv(b)
	settle := func() {
		e.flushLog()
		if _, err := e.store.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
	}
	var post, bulk [2][]float64 // users/s by mode (0 off, 1 on)
	for round := range b.N {
		for k := range 2 {
			mode := (round + k) % 2
			e.app = benchApps[mode]
			benchRun++
			settle()
			start := time.Now()
			for i := range 500 {
				e.do("POST", "/scim/v2/Users", benchUser(fmt.Sprintf("ab%d-%d", benchRun, i))).want(b, 201)
			}
			post[mode] = append(post[mode], 500/time.Since(start).Seconds())
		}
		for k := range 2 {
			mode := (round + k) % 2
			e.app = benchApps[mode]
			benchRun++
			body := bulkBody(fmt.Sprintf("abb%d", benchRun), 10000)
			settle()
			start := time.Now()
			r := e.do("POST", "/scim/v2/Bulk", body).want(b, 200)
			bulk[mode] = append(bulk[mode], 10000/time.Since(start).Seconds())
			if strings.Contains(r.Raw, `"status":"4`) || strings.Contains(r.Raw, `"status":"5`) {
				b.Fatalf("bulk operations failed: %.500s", r.Raw)
			}
		}
	}
	settle()
	b.ReportMetric(median(post[0]), "post-off-users/s")
	b.ReportMetric(median(post[1]), "post-on-users/s")
	b.ReportMetric(median(bulk[0]), "bulk10k-off-users/s")
	b.ReportMetric(median(bulk[1]), "bulk10k-on-users/s")
	b.Logf("POST /Users users/s off %.0f on %.0f; /Bulk of 10,000 users/s off %.0f on %.0f; log dropped %d",
		post[0], post[1], bulk[0], bulk[1], e.log.Dropped())
}

func bulkBody(prefix string, size int) string {
	var ops strings.Builder
	for j := range size {
		if j > 0 {
			ops.WriteByte(',')
		}
		id := fmt.Sprintf("%s-%d", prefix, j)
		ops.WriteString(`{"method":"POST","path":"/Users","bulkId":"` + id + `","data":` + benchUser(id) + `}`)
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` + ops.String() + `]}`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
