package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestManyMatchFilters: short co/sw/ew values most members match answer
// the same totalResults page after page (the count is kept), follow a
// create at once, and under concurrent clients with a short deadline every
// answer is a page or a SCIM 503, never a 500.
func TestManyMatchFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if err := e.store.SeedDemo(context.Background(), e.ws.ID, 300, 5); err != nil {
			t.Fatal(err)
		}
		list := func(f string, start int) *result {
			return e.do("GET", "/scim/v2/Users?count=100&startIndex="+strconv.Itoa(start)+"&filter="+url.QueryEscape(f), "").want(t, 200)
		}
		for _, f := range []string{`emails.value co "x"`, `userName co "a"`, `displayName co "e"`, `name.familyName sw "M"`, `userName co "zq"`} {
			total := list(f, 1).num("totalResults")
			seen := 0
			for start := 1; start <= total; start += 100 {
				r := list(f, start)
				if n := r.num("totalResults"); n != total {
					t.Errorf("%s page %d: totalResults %d, first page said %d", f, start, n, total)
				}
				seen += len(r.resources())
			}
			if seen != total {
				t.Errorf("%s: %d members over the pages, totalResults %d", f, seen, total)
			}
		}
		before := list(`emails.value co "x"`, 1).num("totalResults")
		e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"max@x.example","emails":[{"value":"max@x.example","primary":true}],"active":true}`).want(t, 201)
		if n := list(`emails.value co "x"`, 1).num("totalResults"); n != before+1 {
			t.Errorf("after a create: totalResults %d, want %d", n, before+1)
		}

		e.store.ListTimeout = 20 * time.Millisecond
		defer func() { e.store.ListTimeout = 0 }()
		var wg sync.WaitGroup
		statuses := make(chan int, 32)
		for i := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := []string{`emails.value co "y"`, `userName co "b"`, `displayName co "o"`, `name.familyName ew "n"`}[i%4]
				req := httptest.NewRequest("GET", "/scim/v2/Users?count=100&startIndex="+strconv.Itoa(1+i%3*100)+"&filter="+url.QueryEscape(f), nil)
				req.Header.Set("Authorization", "Bearer "+e.token)
				res, err := e.app.Test(req, -1)
				if err != nil {
					t.Error(err)
					return
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				var body map[string]any
				if err := json.Unmarshal(b, &body); err != nil {
					t.Errorf("%d: not JSON: %s", res.StatusCode, b)
				}
				if res.StatusCode == 503 && body["status"] != "503" {
					t.Errorf("503 that is not a SCIM Error: %s", b)
				}
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != 200 && s != 503 {
				t.Errorf("a concurrent filter answered %d", s)
			}
		}
	})
}
