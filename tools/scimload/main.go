// Command scimload drives a running Muster's SCIM endpoint over HTTP and
// prints throughput and latency, the way an identity provider would load
// it: distinct POST /Users, the userName/externalId lookups IdPs send
// before each write, any other filter (emails.value co "…"), and /Bulk
// creations; and the members page as signed-in admins load it.
// tools/scim-load.sh runs it against a fresh server with 100,000 members.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080/scim/v2", "SCIM base URL")
	token := flag.String("token", os.Getenv("SCIM_TOKEN"), "bearer token (or SCIM_TOKEN)")
	mode := flag.String("mode", "post", "post, get-username, get-externalid, filter, bulk or members")
	filterExpr := flag.String("filter", `emails.value co "x"`, "filter: the SCIM filter every GET /Users sends")
	web := flag.String("web", "", "members: the app's base URL (default: -base without /scim/v2)")
	email := flag.String("email", "", "members: the signing-in account's email")
	password := flag.String("password", os.Getenv("MUSTER_LOAD_PASSWORD"), "members: its password (or MUSTER_LOAD_PASSWORD)")
	workspace := flag.String("workspace", "", "members: the workspace's slug")
	query := flag.String("query", "", `members: the page's query string, e.g. "q=example.com"`)
	n := flag.Int("n", 5000, "requests (bulk: requests of -bulk-size operations)")
	c := flag.Int("c", 8, "concurrent clients")
	size := flag.Int("bulk-size", 1000, "operations per /Bulk request")
	dur := flag.Duration("d", 0, "stop starting requests after this long (0: run all -n); for servers where one request may take seconds")
	prefix := flag.String("prefix", fmt.Sprintf("load%d", time.Now().UnixNano()), "makes this run's userNames unique")
	flag.Parse()

	l := newLoader(*base, *token, *c)
	var work func(i int) (int, error)
	switch *mode {
	case "post":
		work = func(i int) (int, error) {
			return l.send("POST", "/Users", userBody(fmt.Sprintf("%s-%d", *prefix, i)))
		}
	case "get-username", "get-externalid":
		names, ext, err := l.sample(1000, *mode == "get-externalid")
		if err != nil {
			fail(err)
		}
		attr, vals := "userName", names
		if *mode == "get-externalid" {
			attr, vals = "externalId", ext
		}
		if len(vals) == 0 {
			fail(fmt.Errorf("no users with %s to look up", attr))
		}
		work = func(i int) (int, error) {
			f := url.QueryEscape(attr + ` eq "` + vals[i%len(vals)] + `"`)
			return l.send("GET", "/Users?filter="+f+"&startIndex=1&count=100", nil)
		}
	case "filter":
		f := url.QueryEscape(*filterExpr)
		work = func(int) (int, error) {
			return l.send("GET", "/Users?filter="+f+"&startIndex=1&count=100", nil)
		}
	case "bulk":
		// Bodies are built ahead, as the bench kit's /Bulk client builds
		// its one before the clock starts: the time is the request's, not
		// the marshalling of thousands of users here. The first c before
		// the clock, the others while requests run, c at most waiting.
		bodies := make(chan []byte, *c)
		body := func(i int) []byte { return bulkBody(fmt.Sprintf("%s-%d", *prefix, i), *size) }
		first := min(*c, *n)
		for i := range first {
			bodies <- body(i)
		}
		go func() {
			for i := first; i < *n; i++ {
				bodies <- body(i)
			}
		}()
		work = func(int) (int, error) {
			return l.send("POST", "/Bulk", <-bodies)
		}
	case "members":
		app := *web
		if app == "" {
			app = strings.TrimSuffix(l.base, "/scim/v2")
		}
		page := app + "/w/" + url.PathEscape(*workspace) + "/members"
		if *query != "" {
			page += "?" + *query
		}
		if err := l.signIn(app, *email, *password); err != nil {
			fail(err)
		}
		work = func(int) (int, error) { return l.page(page) }
	default:
		fail(fmt.Errorf("unknown mode %q", *mode))
	}
	label := *mode
	switch {
	case *mode == "filter":
		label = *filterExpr
	case *mode == "members" && *query != "":
		label = "members?" + *query
	}
	run(label, *mode == "bulk", *n, *c, *size, *dur, work)
}

type loader struct {
	base, token string
	client      *http.Client // the members page (cookies, redirects)
	// fast sends the SCIM requests. The load runs on the machine it
	// measures: net/http's client took about 74 µs of CPU a lookup (two
	// goroutines a connection, a handoff each way), some 30 % of a 2-core
	// machine at 9,000 lookups a second; fasthttp's writes and reads on
	// the calling goroutine, as wrk does, for less.
	fast *fasthttp.Client
}

func newLoader(base, token string, clients int) *loader {
	return &loader{base: strings.TrimRight(base, "/"), token: token,
		client: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}},
		fast:   &fasthttp.Client{MaxConnsPerHost: clients * 2, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute}}
}

func (l *loader) send(method, path string, body []byte) (int, error) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI(l.base + path)
	req.Header.SetMethod(method)
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.SetContentType("application/scim+json")
	if body != nil {
		req.SetBodyRaw(body)
	}
	if err := l.fast.Do(req, res); err != nil {
		return 0, err
	}
	code, b := res.StatusCode(), res.Body()
	if code >= 300 {
		return code, fmt.Errorf("%s %s: %d %s", method, path, code, b)
	}
	if path == "/Bulk" && bytes.Contains(b, []byte(`"status":"4`)) {
		return code, fmt.Errorf("bulk operations failed: %.300s", b)
	}
	return code, nil
}

// sample reads userNames and externalIds of existing members to look up.
func (l *loader) sample(n int, withExternalID bool) (names, ext []string, err error) {
	q := "/Users?count=" + fmt.Sprint(n) + "&attributes=userName,externalId"
	if withExternalID {
		q += "&filter=" + url.QueryEscape("externalId pr")
	}
	req, _ := http.NewRequest("GET", l.base+q, nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	res, err := l.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	var page struct {
		Resources []struct {
			UserName   string `json:"userName"`
			ExternalID string `json:"externalId"`
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		return nil, nil, err
	}
	for _, r := range page.Resources {
		names = append(names, r.UserName)
		if r.ExternalID != "" {
			ext = append(ext, r.ExternalID)
		}
	}
	return names, ext, nil
}

func userBody(id string) []byte {
	b, _ := json.Marshal(user(id))
	return b
}

func user(id string) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   id + "@load.example.com",
		"externalId": "ext-" + id,
		"name":       map[string]any{"givenName": "Load", "familyName": id},
		"emails":     []map[string]any{{"value": id + "@load.example.com", "type": "work", "primary": true}},
		"active":     true,
	}
}

func bulkBody(prefix string, size int) []byte {
	ops := make([]map[string]any, size)
	for i := range ops {
		id := fmt.Sprintf("%s-%d", prefix, i)
		ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": id, "data": user(id)}
	}
	b, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops})
	return b
}

// run does n calls of work on c workers and prints one summary line.
func run(label string, bulk bool, n, c, size int, dur time.Duration, work func(i int) (int, error)) {
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	// firstErr is the first error any worker met (errors of several types
	// arrive: an atomic.Value would panic on the second type).
	var firstErr error
	var firstErrOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if dur > 0 && time.Since(start) > dur {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if _, err := work(i); err != nil {
					errs.Add(1)
					firstErrOnce.Do(func() { firstErr = err })
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	n = min(int(next.Load()), n) // the requests started, when -d cut the run short
	if n == 0 {
		fail(fmt.Errorf("%s: no request started within -d %v", label, dur))
	}
	lat = lat[:n]
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(int(float64(n)*p), n-1)].Round(10 * time.Microsecond) }
	what := "req/s"
	rate := float64(n) / took.Seconds()
	if bulk {
		what, rate = fmt.Sprintf("users/s (%d per request)", size), float64(n*size)/took.Seconds()
	}
	fmt.Printf("%-26s n=%-6d c=%-3d %8.1f %s  p50=%v p95=%v p99=%v  errors=%d  total=%v\n",
		label, n, c, rate, what, pct(0.50), pct(0.95), pct(0.99), errs.Load(), took.Round(time.Millisecond))
	if err := firstErr; err != nil {
		fmt.Fprintln(os.Stderr, "first error:", err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "scimload:", err)
	os.Exit(1)
}
