package scim_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
)

// encoded is body through the content coding a client names in
// Content-Encoding.
func encoded(t *testing.T, coding, body string) string {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "deflate":
		w = zlib.NewWriter(&b)
	default:
		t.Fatalf("no coding %q", coding)
	}
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRequestBodies: a body sent with a Content-Encoding is decoded,
// whatever the case of its name; a charset sent as a coding ("UTF-8")
// leaves a JSON body as it is. A coding Muster does not decode, or two, is
// refused with 415 naming the ones it does, a body that does not decode
// with 400, and one that decodes past maxPayloadSize with 413 without
// being decoded whole (about a megabyte of gzip makes a gigabyte here).
// Nothing is decoded for a request without a good token. None of them
// creates anybody, and the provisioning log notes each refused body
// without its compressed bytes.
func TestRequestBodies(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i, c := range []struct{ header, body string }{
			{"gzip", encoded(t, "gzip", userBody("zip-0@example.com", nil))},
			{"deflate", encoded(t, "deflate", userBody("zip-1@example.com", nil))},
			{"GZIP, identity", encoded(t, "gzip", userBody("zip-2@example.com", nil))},
			{"x-gzip", encoded(t, "gzip", userBody("zip-3@example.com", nil))},
			{"identity", userBody("zip-4@example.com", nil)},
			{"UTF-8", userBody("zip-5@example.com", nil)},
		} {
			r := e.do("POST", "/scim/v2/Users", c.body, "Content-Encoding", c.header).want(t, 201)
			if r.str("userName") != fmt.Sprintf("zip-%d@example.com", i) || r.str("name.familyName") != "Family" {
				t.Errorf("Content-Encoding %s: %s", c.header, r.Raw)
			}
		}
		ops := fmt.Sprintf(`{"schemas":["%s"],"Operations":[`+
			`{"method":"POST","path":"/Users","bulkId":"a","data":%s},`+
			`{"method":"POST","path":"/Users","bulkId":"b","data":%s}]}`,
			bulkReqURN, userBody("zip-a@example.com", nil), userBody("zip-b@example.com", nil))
		r := e.do("POST", "/scim/v2/Bulk", encoded(t, "gzip", ops), "Content-Encoding", "gzip").want(t, 200)
		if got := strings.Count(r.Raw, `"status":"201"`); got != 2 {
			t.Errorf("a gzip /Bulk created %d users, want 2: %s", got, r.Raw)
		}

		refused := userBody("refused@example.com", nil)
		r = e.do("POST", "/scim/v2/Users", refused, "Content-Encoding", "gzip")
		isSCIMError(t, r, 400, "invalidSyntax")
		if !strings.Contains(r.str("detail"), "not valid gzip") {
			t.Errorf("a body that is not gzip: %s", r.Raw)
		}
		// A compressing coding is refused even on a body that looks like
		// JSON, unlike a charset.
		isSCIMError(t, e.do("POST", "/scim/v2/Users", refused, "Content-Encoding", "br"), 415, "")
		for _, coding := range []string{"br", "zstd", "gzip, gzip"} {
			body := encoded(t, "gzip", refused) // not JSON: not a charset either
			r = e.do("POST", "/scim/v2/Users", body, "Content-Encoding", coding)
			isSCIMError(t, r, 415, "")
			if r.Header.Get("Accept-Encoding") != "gzip, deflate" || !strings.Contains(r.str("detail"), coding) {
				t.Errorf("Content-Encoding %s: %v %s", coding, r.Header, r.Raw)
			}
		}

		// 1 GiB of spaces before a user, as gzip: 1,024 gzip members of 1
		// MiB each (a gzip reader reads members one after another), about 1
		// MB sent. Decoded whole, as Fiber's c.Body() did, it allocates
		// gigabytes; the bound is far above what the tests running alongside
		// allocate meanwhile (TotalAlloc counts the whole process).
		member := encoded(t, "gzip", strings.Repeat(" ", 1<<20))
		bomb := strings.Repeat(member, 1024) + encoded(t, "gzip", refused)
		for _, token := range []string{e.token, "muster_scim_not-a-token"} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r = e.doAs(token, "POST", "/scim/v2/Users", bomb, "Content-Encoding", "gzip")
			runtime.ReadMemStats(&after)
			if token == e.token {
				isSCIMError(t, r, 413, "")
				if !strings.Contains(r.str("detail"), "once decoded") {
					t.Errorf("413: %s", r.Raw)
				}
			} else {
				isSCIMError(t, r, 401, "")
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
				t.Errorf("refusing a body that decodes to 1 GiB (%d) allocated %d MiB", r.Status, grew>>20)
			}
		}

		found := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "refused@example.com"`), "").want(t, 200)
		if found.num("totalResults") != 0 {
			t.Errorf("a refused body created a user: %s", found.Raw)
		}
		e.flushLog()
		var notes []string
		for _, en := range e.fullLog(models.SCIMLogQuery{Status: "4xx"}) {
			notes = append(notes, fmt.Sprint(en.Status, " ", en.Request))
		}
		slices.Sort(notes)
		want := []string{
			fmt.Sprintf("400 (%d bytes sent with Content-Encoding: gzip, not decoded)", len(refused)),
			fmt.Sprintf("413 (%d bytes sent with Content-Encoding: gzip, not decoded)", len(bomb)),
		}
		want = append(want, fmt.Sprintf("415 (%d bytes sent with Content-Encoding: br, not decoded)", len(refused)))
		for _, coding := range []string{"br", "gzip, gzip", "zstd"} {
			want = append(want, fmt.Sprintf("415 (%d bytes sent with Content-Encoding: %s, not decoded)", len(encoded(t, "gzip", refused)), coding))
		}
		slices.Sort(want)
		if !slices.Equal(notes, want) {
			t.Errorf("the log's refused bodies:\n%q\nwant\n%q", notes, want)
		}
	})
}

// TestRequestBodyNotKept: the handler reads the body where fasthttp holds
// it, and fasthttp reuses that buffer for the next requests on the same
// connection. What the provisioning log keeps of a refused body, waiting
// to be written, must be its own copy.
func TestRequestBodyNotKept(t *testing.T) {
	e := newEnvLog(t, "sqlite", false)
	// The log writes nothing before flushLog: its entries wait in memory
	// while the later requests run.
	e.log = e.store.StartSCIMLog(models.SCIMLogOptions{Delay: time.Hour})
	t.Cleanup(e.log.Close)
	e.app = handlers.New(handlers.Options{Store: e.store, BaseURL: "https://muster.example.com", SCIMLog: e.log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln) // its error is the client's: a refused connection
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		e.app.Shutdown()
	})
	send := func(i int, body string) int {
		reused := false
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "POST",
			"http://"+ln.Addr().String()+"/scim/v2/Users", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if i > 0 && !reused {
			t.Fatalf("request %d came on a new connection: the server's buffer was not reused", i)
		}
		return res.StatusCode
	}
	// Bodies that are not JSON, so the log keeps each as text, all of one
	// length, so each is read into the buffer the one before it was.
	bodies := []string{`{"userName": "Kept As Sent`}
	for i := 1; i <= 5; i++ {
		bodies = append(bodies, fmt.Sprintf(`{"userName": "Later %d Xxxx`, i))
	}
	for i, body := range bodies {
		if got := send(i, body); got != 400 {
			t.Fatalf("status %d, want 400", got)
		}
	}
	e.flushLog()
	var kept []string
	for _, en := range e.fullLog(models.SCIMLogQuery{Status: "4xx"}) {
		kept = append(kept, en.Request)
	}
	slices.Sort(kept)
	slices.Sort(bodies)
	if !slices.Equal(kept, bodies) {
		t.Errorf("the log kept the refused bodies as %q, want %q", kept, bodies)
	}
}
