package scim_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// allLog reads every entry of the workspace's provisioning log that q
// matches, page by page.
func (e *env) allLog(q models.SCIMLogQuery) []models.SCIMLogEntry {
	e.t.Helper()
	var out []models.SCIMLogEntry
	q.Limit = 200
	for {
		pg, err := e.store.ListSCIMLog(context.Background(), e.ws.ID, q)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, pg.Entries...)
		if pg.Next == "" {
			return out
		}
		q.After = pg.Next
	}
}

// fullLog is allLog with each entry read whole, its bodies included.
func (e *env) fullLog(q models.SCIMLogQuery) []models.SCIMLogEntry {
	e.t.Helper()
	entries := e.allLog(q)
	for i, en := range entries {
		full, err := e.store.SCIMLogEntryByID(context.Background(), e.ws.ID, en.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		entries[i] = *full
	}
	return entries
}

// logBulkSize is 1,000 operations; MUSTER_TEST_BULK_LOG raises it (10,000
// is the figure, and BenchmarkBulk10000 measures it).
var logBulkSize = func() int {
	if n, err := strconv.Atoi(os.Getenv("MUSTER_TEST_BULK_LOG")); err == nil && n > 0 {
		return n
	}
	return 1000
}()

// TestProvisioningLogBulk sends one /Bulk request in which every tenth
// operation fails: every operation is recorded under the /Bulk request's
// entry, the failures are found by the failures filter with their error
// and their body (password masked), and each created member's history
// holds its operation.
func TestProvisioningLogBulk(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		n := logBulkSize
		var ops strings.Builder
		for i := range n {
			if i > 0 {
				ops.WriteByte(',')
			}
			user := fmt.Sprintf(`{"schemas":["%s"],"userName":"bulk%d@example.com","password":"hunter2-%d","active":true}`, userURN, i, i)
			if i%10 == 9 { // no userName: refused with 400
				user = fmt.Sprintf(`{"schemas":["%s"],"displayName":"Nameless %d","password":"hunter2-%d"}`, userURN, i, i)
			}
			fmt.Fprintf(&ops, `{"method":"POST","path":"/Users","bulkId":"u%d","data":%s}`, i, user)
		}
		r := e.do("POST", "/scim/v2/Bulk", `{"schemas":["`+bulkReqURN+`"],"Operations":[`+ops.String()+`]}`).want(t, 200)
		if got := strings.Count(r.Raw, `"status":"201"`); got != n-n/10 {
			t.Fatalf("%d operations created, want %d", got, n-n/10)
		}
		e.flushLog()
		if e.log.Dropped() != 0 {
			t.Errorf("%d entries dropped", e.log.Dropped())
		}

		all := e.allLog(models.SCIMLogQuery{})
		if len(all) != n+1 {
			t.Fatalf("%d entries, want %d operations and the /Bulk request", len(all), n+1)
		}
		var bulk *models.SCIMLogEntry
		for i := range all {
			if all[i].Path == "/Bulk" {
				bulk = &all[i]
			}
		}
		if bulk == nil || bulk.Status != 200 || bulk.Method != "POST" || bulk.TokenName != "Okta" {
			t.Fatalf("no /Bulk entry: %+v", bulk)
		}
		total, failed, err := e.store.SCIMLogOperations(context.Background(), e.ws.ID, bulk.ID)
		if err != nil || total != n || failed != n/10 {
			t.Errorf("/Bulk entry's operations: %d, %d failed (%v); want %d, %d", total, failed, err, n, n/10)
		}

		failures := e.allLog(models.SCIMLogQuery{Failures: true})
		if len(failures) != n/10 {
			t.Fatalf("%d failures found, want %d", len(failures), n/10)
		}
		if by400 := e.allLog(models.SCIMLogQuery{Status: "4xx"}); len(by400) != n/10 {
			t.Errorf("status 4xx finds %d, want %d", len(by400), n/10)
		}
		f, err := e.store.SCIMLogEntryByID(context.Background(), e.ws.ID, failures[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.ParentID == nil || *f.ParentID != bulk.ID || f.Status != 400 || f.Detail == "" ||
			!strings.Contains(f.Request, "Nameless") || !strings.Contains(f.Request, models.Masked) || strings.Contains(f.Request, "hunter2") ||
			!strings.Contains(f.Response, `"status": "400"`) {
			t.Errorf("failed operation's entry: %+v", f)
		}
		// Successes keep no body at all.
		for _, en := range e.allLog(models.SCIMLogQuery{Status: "2xx"}) {
			full, _ := e.store.SCIMLogEntryByID(context.Background(), e.ws.ID, en.ID)
			if full.Request != "" {
				t.Fatalf("a success kept its body: %+v", full)
			}
			break
		}

		// A created member's history holds the operation that created them.
		found := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "bulk0@example.com"`), "").want(t, 200)
		id, _ := found.resources()[0]["id"].(string)
		e.flushLog()
		hist := e.allLog(models.SCIMLogQuery{Member: id})
		if len(hist) != 2 || hist[1].Method != "POST" || hist[1].Status != 201 || hist[1].ParentID == nil || hist[0].Method != "GET" {
			t.Errorf("member's history: %+v", hist)
		}
	})
}

// TestProvisioningLogRequests: single requests, what each entry holds, and
// every filter of the log page (status, failures, member by id or name,
// token, time).
func TestProvisioningLogRequests(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		clock := modelstest.FakeClock(e.store)
		ctx := context.Background()
		created := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"grace@example.com","name":{"givenName":"Grace","familyName":"Hopper"},"password":"s3cret!"}`).want(t, 201)
		grace := created.str("id")
		clock.Add(time.Hour)
		e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "grace@example.com"`), "").want(t, 200)
		e.do("PATCH", "/scim/v2/Users/"+grace, `{"schemas":["`+patchURN+`"],"Operations":[{"op":"replace","path":"title","value":"Rear Admiral"}]}`).want(t, 200)
		clock.Add(time.Hour)
		// Okta creates her again: 409, the entry names Grace, keeps the body without the password.
		e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"grace@example.com","password":"s3cret!"}`).want(t, 409)
		other, _ := e.ownedToken("Ops Person", models.AllPermissions())
		e.doAs(other, "GET", "/scim/v2/Groups", "").want(t, 200)
		e.doAs(other, "GET", "/scim/v2/Users/no-such-id", "").want(t, 404)
		e.flushLog()

		all := e.allLog(models.SCIMLogQuery{})
		if len(all) != 6 {
			t.Fatalf("%d entries, want 6: %+v", len(all), all)
		}
		if all[0].Path != "/Users/no-such-id" || all[0].Status != 404 || all[0].TargetID != "no-such-id" || all[0].DurationUS <= 0 {
			t.Errorf("newest entry: %+v", all[0])
		}
		first := all[len(all)-1]
		if first.Method != "POST" || first.Path != "/Users" || first.Status != 201 || first.TargetKind != "member" ||
			first.TargetID != grace || first.TargetName != "Grace Hopper" || first.TokenName != "Okta" || !first.At.Equal(clock.Now().Add(-2*time.Hour)) {
			t.Errorf("the first entry: %+v", first)
		}

		hist := e.allLog(models.SCIMLogQuery{Member: grace})
		if len(hist) != 4 {
			t.Errorf("Grace's history: %d entries, want the create, the lookup, the PATCH and the conflicting create: %+v", len(hist), hist)
		}
		if byName := e.allLog(models.SCIMLogQuery{Member: "hopper"}); len(byName) != 3 { // the 409 names what was sent, the userName
			t.Errorf("member by name finds %d, want 3", len(byName))
		}
		conflict := e.allLog(models.SCIMLogQuery{Status: "409"})
		if len(conflict) != 1 {
			t.Fatalf("409s: %+v", conflict)
		}
		c, _ := e.store.SCIMLogEntryByID(ctx, e.ws.ID, conflict[0].ID)
		if c.TargetID != grace || !strings.Contains(c.Detail, "already taken") || strings.Contains(c.Request, "s3cret") ||
			!strings.Contains(c.Request, `"password": "`+models.Masked+`"`) {
			t.Errorf("conflict entry: %+v", c)
		}
		if f := e.allLog(models.SCIMLogQuery{Failures: true}); len(f) != 2 {
			t.Errorf("failures: %d, want 2", len(f))
		}
		tokens, _ := e.store.SCIMTokens(ctx, e.ws.ID)
		for _, tk := range tokens {
			want := 4
			if tk.Name != "Okta" {
				want = 2
			}
			if got := e.allLog(models.SCIMLogQuery{TokenID: tk.ID}); len(got) != want {
				t.Errorf("token %s: %d entries, want %d", tk.Name, len(got), want)
			}
		}
		start := clock.Now().Add(-2 * time.Hour)
		since, until := start.Add(30*time.Minute), start.Add(90*time.Minute)
		if got := e.allLog(models.SCIMLogQuery{Since: &since, Until: &until}); len(got) != 2 || got[0].Method != "PATCH" {
			t.Errorf("between the first and the last hour: %+v", got)
		}
		// Pages are keyset: two at a time still find all six, in order.
		var paged []string
		q := models.SCIMLogQuery{Limit: 2}
		for {
			pg, err := e.store.ListSCIMLog(ctx, e.ws.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range pg.Entries {
				paged = append(paged, en.ID)
			}
			if q.After = pg.Next; q.After == "" {
				break
			}
		}
		if len(paged) != 6 || paged[0] != all[0].ID || paged[5] != all[5].ID {
			t.Errorf("paged: %v", paged)
		}
	})
}

// TestProvisioningLogRetention: entries older than the age limit go, and
// each workspace keeps at most the newest rows of the count limit.
func TestProvisioningLogRetention(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		clock := modelstest.FakeClock(e.store)
		ctx := context.Background()
		for range 3 {
			e.do("GET", "/scim/v2/Users", "").want(t, 200)
		}
		clock.Add(40 * 24 * time.Hour)
		for range 5 {
			e.do("GET", "/scim/v2/Groups", "").want(t, 200)
			clock.Add(time.Second)
		}
		e.flushLog()
		if err := e.store.PruneSCIMLog(ctx, 30*24*time.Hour, 1000); err != nil {
			t.Fatal(err)
		}
		left := e.allLog(models.SCIMLogQuery{})
		if len(left) != 5 || left[4].Path != "/Groups" {
			t.Fatalf("after the age limit: %d entries", len(left))
		}
		if err := e.store.PruneSCIMLog(ctx, 30*24*time.Hour, 2); err != nil {
			t.Fatal(err)
		}
		kept := e.allLog(models.SCIMLogQuery{})
		if len(kept) != 2 || kept[0].ID != left[0].ID || kept[1].ID != left[1].ID {
			t.Errorf("after the count limit: %+v", kept)
		}
	})
}

// TestProvisioningLogOff: without a log the service answers the same and
// records nothing.
func TestProvisioningLogOff(t *testing.T) {
	e := newEnvLog(t, "sqlite", false)
	e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"x@example.com"}`).want(t, 201)
	if got := e.allLog(models.SCIMLogQuery{}); len(got) != 0 {
		t.Errorf("%d entries with the log off", len(got))
	}
}

// TestProvisioningLogOddInput: what the fuzz tests send (NUL bytes, invalid
// UTF-8, a /Bulk method longer than any) is recorded, not lost with the
// rest of its batch.
func TestProvisioningLogOddInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.do("POST", "/scim/v2/Users", "\xff\x00 password=hunter2 not json").want(t, 400)
		e.do("POST", "/scim/v2/Bulk", `{"schemas":["`+bulkReqURN+`"],"Operations":[{"method":"TELEPORTATION","path":"/Users","bulkId":"x"}]}`).want(t, 200)
		e.do("GET", "/scim/v2/Users", "").want(t, 200)
		e.flushLog()
		all := e.allLog(models.SCIMLogQuery{})
		if len(all) != 4 || e.log.Dropped() != 0 {
			t.Fatalf("%d entries, %d dropped: %+v", len(all), e.log.Dropped(), all)
		}
		odd, _ := e.store.SCIMLogEntryByID(context.Background(), e.ws.ID, all[3].ID)
		if !strings.Contains(odd.Request, `\u0000`) || strings.Contains(odd.Request, "hunter2") {
			t.Errorf("odd body kept as %q", odd.Request)
		}
	})
}
