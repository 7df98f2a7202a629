package scim_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSlowListIsStopped: a list query that runs past the store's deadline
// is stopped, and the identity provider gets a SCIM Error (503, retryable)
// at once, not a hang; the next request is served as usual.
func TestSlowListIsStopped(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if err := e.store.SeedDemo(context.Background(), e.ws.ID, 3000, 5); err != nil {
			t.Fatal(err)
		}
		// A filter that reads every member many times over.
		var terms []string
		for i := range 95 {
			terms = append(terms, `displayName co "`+strings.Repeat("q", i%7+1)+`z" or emails.value ew "x`+strings.Repeat("y", i%5)+`"`)
		}
		slow := "/scim/v2/Users?count=10&filter=" + url.QueryEscape(strings.Join(terms, " or "))
		e.store.ListTimeout = time.Millisecond
		start := time.Now()
		r := e.do("GET", slow, "")
		isSCIMError(t, r, 503, "")
		if !strings.Contains(r.str("detail"), "too long") {
			t.Errorf("detail %q", r.str("detail"))
		}
		// Stopped, not hung (a generous bound: the machine may be busy).
		if d := time.Since(start); d > time.Minute {
			t.Errorf("the stopped request took %v", d)
		}
		e.store.ListTimeout = -1 // none: the slow filter runs to its end
		e.do("GET", "/scim/v2/Users?count=1&filter="+url.QueryEscape(`userName eq "ada@example.com"`), "").want(t, 200)
		if n := e.do("GET", slow, "").want(t, 200).num("totalResults"); n != 0 {
			t.Errorf("the slow filter matches %d", n)
		}
	})
}
