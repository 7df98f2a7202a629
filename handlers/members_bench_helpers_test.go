package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The members-page benchmarks (members_bench_test.go,
// members_demo_bench_test.go, members_jump_bench_test.go) share their
// sign-in and their request loop here, so they measure the same thing.

// benchView is one members-page view a benchmark loads: its name and its
// query string ("" or starting with "?").
type benchView struct{ name, query string }

// benchSignIn signs in as the workspace's admin and returns the client
// whose cookies each benchmarked request carries.
func benchSignIn(b *testing.B, app *fiber.App, email, password string) *client {
	b.Helper()
	c := newClient(b, app)
	c.signIn(email, password)
	if c.cookies["muster_session"] == "" {
		b.Fatalf("signing in as %s set no session", email)
	}
	return c
}

// benchMembersViews runs one sub-benchmark per view of /w/acme/members.
// partial asks for the results block as htmx does (a search, a sort, a
// page); without it, each request is the whole page. Each reports
// allocations and the process's CPU time per request (cpu-ms/op), which
// says more than wall time on a machine shared with other work (on
// PostgreSQL the server's CPU is not in it). check, if not nil, first
// loads the view once through the client and may fail it.
func benchMembersViews(b *testing.B, app *fiber.App, c *client, partial bool, views []benchView, check func(b *testing.B, target string, res *response)) {
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			target := "/w/acme/members" + v.query
			headers := []string{}
			if partial {
				headers = []string{"HX-Request", "true", "HX-Target", "members-results"}
			}
			if check != nil {
				check(b, target, c.get(target, headers...))
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				benchGet(b, app, c, target, headers...)
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// benchGet requests target as c, with header name/value pairs, and
// fails on anything but 200. A raw request, its body discarded: the test
// client's HTML parsing is not the server's time.
func benchGet(b *testing.B, app *fiber.App, c *client, target string, headers ...string) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for j := 0; j+1 < len(headers); j += 2 {
		req.Header.Set(headers[j], headers[j+1])
	}
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := app.Test(req, -1)
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("%s: %v %v", target, err, res)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// hasRows fails a view that shows no member rows.
func hasRows(b *testing.B, target string, res *response) {
	if res.StatusCode != http.StatusOK || res.Doc.Find("#members-rows tr").Length() == 0 {
		b.Fatalf("%s: status %d, no rows", target, res.StatusCode)
	}
}

// processCPU is the user and system CPU time this process has used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
