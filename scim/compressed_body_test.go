package scim_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// gzipped is body compressed as a client sends it with Content-Encoding:
// gzip.
func gzipped(t *testing.T, body string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRequestBodies: the server reads a body sent as is where fasthttp
// holds it, and decodes a compressed one first (server.go's handle). A
// body said to be gzip that is not is refused with a SCIM error, creating
// nobody. What the provisioning log keeps of a refused body is its own
// copy: later requests, which reuse the server's buffers, do not change it.
func TestRequestBodies(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/scim/v2/Users", gzipped(t, userBody("zip@example.com", nil)), "Content-Encoding", "gzip").want(t, 201)
		if r.str("userName") != "zip@example.com" || r.str("name.familyName") != "Family" {
			t.Errorf("a gzip body's user: %s", r.Raw)
		}
		ops := fmt.Sprintf(`{"schemas":["%s"],"Operations":[`+
			`{"method":"POST","path":"/Users","bulkId":"a","data":%s},`+
			`{"method":"POST","path":"/Users","bulkId":"b","data":%s}]}`,
			bulkReqURN, userBody("zip-a@example.com", nil), userBody("zip-b@example.com", nil))
		r = e.do("POST", "/scim/v2/Bulk", gzipped(t, ops), "Content-Encoding", "gzip").want(t, 200)
		if got := strings.Count(r.Raw, `"status":"201"`); got != 2 {
			t.Errorf("a gzip /Bulk created %d users, want 2: %s", got, r.Raw)
		}

		r = e.do("POST", "/scim/v2/Users", userBody("not-zip@example.com", nil), "Content-Encoding", "gzip")
		isSCIMError(t, r, 400, "")
		found := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "not-zip@example.com"`), "").want(t, 200)
		if found.num("totalResults") != 0 {
			t.Errorf("a body that is not the gzip it claims created a user: %s", found.Raw)
		}

		// Refused (409): its body goes to the log. Then requests with other
		// bodies of the same length.
		refused := userBody("zip@example.com", map[string]any{"displayName": "Kept As Sent"})
		isSCIMError(t, e.do("POST", "/scim/v2/Users", refused), 409, "uniqueness")
		for i := range 5 {
			e.do("POST", "/scim/v2/Users", userBody(fmt.Sprintf("zip-%d@example.com", i), map[string]any{"displayName": "Xxxx Xx Xxxx"})).want(t, 201)
		}
		e.flushLog()
		var kept string
		for _, en := range e.allLog(models.SCIMLogQuery{Status: "4xx"}) {
			full, err := e.store.SCIMLogEntryByID(t.Context(), e.ws.ID, en.ID)
			if err != nil {
				t.Fatal(err)
			}
			if full.Status == 409 {
				kept = full.Request
			}
		}
		if !strings.Contains(kept, `"displayName": "Kept As Sent"`) || strings.Contains(kept, "Xxxx") {
			t.Errorf("the log kept the refused body as %q", kept)
		}
	})
}
