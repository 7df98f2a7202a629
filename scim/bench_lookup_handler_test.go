package scim_test

import (
	"bytes"
	"net/url"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkLookupHandler is the userName eq lookup as the server runs it:
// straight into the app's fasthttp handler, one RequestCtx reused as on a
// kept-alive connection, without app.Test's client (a goroutine, a pipe,
// net/http's request writer and response reader and a JSON decode per
// request, more than half of BenchmarkLookupUserName's CPU). What is left is
// Fiber's routing and middleware, the SCIM handler, the store and the
// provisioning log (written in the background; cpu-us/op waits for it to
// write every entry, so its whole cost is counted).
//
//	MUSTER_BENCH_MEMBERS=10000 go test ./scim -run '^$' -bench LookupHandler -benchtime 20000x -benchmem -count 3
func BenchmarkLookupHandler(b *testing.B) {
	logModes(b, func(b *testing.B, e *env) {
		// Up to 10,000 different members, as an identity provider's
		// import looks each one up once: the log's entries then name
		// members all over the workspace, not a few hundred again and again.
		var names []string
		for start := 1; start <= min(benchMembers, 10000); start += 1000 {
			r := e.do("GET", "/scim/v2/Users?count=1000&attributes=userName&startIndex="+strconv.Itoa(start), "").want(b, 200)
			for _, res := range r.resources() {
				names = append(names, res["userName"].(string))
			}
		}
		h := e.app.Handler()
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		ctx.Init(&req, nil, nil)
		uris := make([][]byte, len(names))
		for i, n := range names {
			uris[i] = []byte("/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "`+n+`"`) + "&startIndex=1&count=100")
		}
		auth := []byte("Bearer " + e.token)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for i := range b.N {
			ctx.Request.Reset()
			ctx.Response.Reset()
			ctx.Request.Header.SetMethod("GET")
			ctx.Request.SetRequestURIBytes(uris[i%len(uris)])
			ctx.Request.Header.SetBytesV("Authorization", auth)
			ctx.Request.Header.Set("Accept", "application/scim+json")
			h(&ctx)
			if ctx.Response.StatusCode() != 200 || !bytes.Contains(ctx.Response.Body(), []byte(`"totalResults":1}`)) {
				b.Fatalf("lookup: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
		// The log's writer is counted whole: the entries it has not
		// written yet cost their CPU now (log=off: nothing is waiting),
		// and the time that takes is the log's catch-up.
		catchUp(b, e)
		b.StopTimer()
		b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}
