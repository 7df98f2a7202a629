package handlers_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkMembersExport downloads the CSV export of 100,000 members on
// SQLite from a real listener (app.Test would buffer the whole response),
// reporting the rows and the peak of the Go heap above what it was before
// the download (sampled every 5 ms): the export streams, so the peak stays
// at a few pages whatever the size. Run it with
//
//	go test ./handlers -run '^$' -bench MembersExport -benchtime 1x -count 3
func BenchmarkMembersExport(b *testing.B) {
	app, store := newApp(b, "sqlite")
	ctx := context.Background()
	_, ws := modelstest.SetUp(b, store)
	if err := store.SeedDemo(ctx, ws.ID, 100_000, 1); err != nil {
		b.Fatal(err)
	}
	c := newClient(b, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go app.Listener(ln)
	b.Cleanup(func() { app.Shutdown() })
	url := "http://" + ln.Addr().String() + "/w/acme/members/export.csv"

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
						peak.Store(m.HeapAlloc - base)
					}
				}
			}
		}()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for name, value := range c.cookies {
			req.AddCookie(&http.Cookie{Name: name, Value: value})
		}
		b.StartTimer()
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("%v %v", err, res)
		}
		rows := 0
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			rows++
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		b.StopTimer()
		close(stop)
		<-sampled
		if rows != 100_002 { // the header, the admin and the demo members
			b.Fatalf("%d lines", rows)
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(rows-1), "rows")
		b.StartTimer()
	}
}
