package scim_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/muster-app/muster/scim"
)

// A /Bulk request decodes and runs its operations a chunk
// (scim.BulkChunk) at a time: what it holds at once must not grow with the
// number of operations, and bulkId references must resolve across chunks
// as within one, in both directions.
func TestBulkChunked(t *testing.T) {
	var mu sync.Mutex
	var seen []scim.BulkStats
	stop := scim.WatchBulk(func(st scim.BulkStats) {
		mu.Lock()
		seen = append(seen, st)
		mu.Unlock()
	})
	t.Cleanup(stop) // after the parallel cases below
	// statsOf are the stats of the requests of ops operations (a count
	// no other test sends).
	statsOf := func(t *testing.T, ops int) []scim.BulkStats {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		var out []scim.BulkStats
		for _, st := range seen {
			if st.Ops == ops {
				out = append(out, st)
			}
		}
		if len(out) == 0 {
			t.Fatalf("no /Bulk of %d operations was watched", ops)
		}
		return out
	}

	s := newSuite(t)
	s.alone("held_at_once_does_not_grow_with_n", func(t *testing.T, e *env) {
		for _, n := range []int{201, 2*scim.BulkChunk + 345} {
			ops := make([]string, n)
			for i := range ops {
				ops[i] = bulkUserOp(fmt.Sprintf("n%d-%d", n, i), fmt.Sprintf("n%d-%d@example.com", n, i), nil)
			}
			res := bulkOps(t, e.bulk(t, "", ops...))
			if len(res) != n {
				t.Fatalf("%d results for %d operations", len(res), n)
			}
			for i, op := range res {
				if op["bulkId"] != fmt.Sprintf("n%d-%d", n, i) || op["status"] != "201" {
					t.Fatalf("result %d: %v", i, op)
				}
			}
			for _, st := range statsOf(t, n) {
				// No reference: no bulkId kept, nothing waits, every result
				// went straight into the answer; a chunk decoded at a time,
				// and the next read ahead.
				checkDecoded(t, &st, n)
				if want := (scim.BulkStats{Ops: n}); st != want {
					t.Errorf("/Bulk of %d held %+v, want %+v", n, st, want)
				}
			}
		}
	})

	s.alone("references_across_chunks", func(t *testing.T, e *env) {
		const n = scim.BulkChunk + 200
		far, back, nobody := scim.BulkChunk+100, scim.BulkChunk+150, scim.BulkChunk+190
		ops := make([]string, n)
		for i := range ops {
			ops[i] = bulkUserOp(fmt.Sprintf("u%d", i), fmt.Sprintf("x%d@example.com", i), nil)
		}
		// Forward, from the first chunk to the second: a group of far (and
		// of near, later in the same chunk), and a PATCH of far.
		ops[0] = `{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["` + groupURN + `"],"displayName":"Across","members":[{"value":"bulkId:far"},{"value":"bulkId:near"}]}}`
		ops[1] = `{"method":"PATCH","path":"/Users/bulkId:far","data":` + patch(`{"op":"replace","path":"title","value":"Patched"}`) + `}`
		ops[5] = bulkUserOp("near", "near@example.com", nil)
		ops[far] = bulkUserOp("far", "far@example.com", nil)
		// Back, from the second chunk to the first.
		ops[back] = `{"method":"POST","path":"/Groups","bulkId":"g2","data":{"schemas":["` + groupURN + `"],"displayName":"Back","members":[{"value":"bulkId:u3"}]}}`
		ops[nobody] = `{"method":"PATCH","path":"/Users/bulkId:nobody","data":` + patch(`{"op":"replace","path":"title","value":"No"}`) + `}`
		res := bulkOps(t, e.bulk(t, "", ops...))
		if len(res) != n {
			t.Fatalf("%d results for %d operations", len(res), n)
		}
		ids := map[string]string{}
		for i, op := range res {
			want := "201"
			switch i {
			case 1:
				want = "200"
			case nobody:
				want = "409"
			}
			if op["status"] != want {
				t.Errorf("operation %d: status %v, want %s: %v", i, op["status"], want, op)
			}
			if i == 1 || i == nobody {
				if op["method"] != "PATCH" {
					t.Errorf("result %d is not the PATCH in its place: %v", i, op)
				}
				continue
			}
			id, _ := op["bulkId"].(string)
			if wantID := map[int]string{0: "g", 5: "near", far: "far", back: "g2"}[i]; id != wantID && !(wantID == "" && id == fmt.Sprintf("u%d", i)) {
				t.Errorf("result %d has bulkId %q: results out of order", i, id)
			}
			loc, _ := op["location"].(string)
			ids[id] = loc[strings.LastIndexByte(loc, '/')+1:]
		}
		equal(t, "the forward group's members", e.groupMembers(t, ids["g"]), sorted(ids["far"], ids["near"]))
		equal(t, "the backward group's members", e.groupMembers(t, ids["g2"]), []string{ids["u3"]})
		if m := e.member(t, ids["far"]); m.Title != "Patched" {
			t.Errorf("far's title %q: the PATCH did not reach it", m.Title)
		}
		for _, st := range statsOf(t, n) {
			// Only the bulkIds referred to are kept; the two operations of
			// the first chunk that waited hold their results apart.
			checkDecoded(t, &st, n)
			want := scim.BulkStats{Ops: n, Declared: 3, Resolved: 3, Waiting: 2, Held: 2}
			if st != want {
				t.Errorf("held %+v, want %+v", st, want)
			}
		}
	})
}

// checkDecoded checks that a /Bulk of n operations held at most two chunks
// decoded at once (the one running, the next read ahead; how far ahead the
// reader got depends on the machine) and at least the first, and clears
// st.Decoded for comparing the rest.
func checkDecoded(t *testing.T, st *scim.BulkStats, n int) {
	t.Helper()
	if st.Decoded < min(n, scim.BulkChunk) || st.Decoded > min(n, 2*scim.BulkChunk) {
		t.Errorf("/Bulk of %d held %d operations decoded at once, want %d to %d", n, st.Decoded, min(n, scim.BulkChunk), min(n, 2*scim.BulkChunk))
	}
	st.Decoded = 0
}

// TestBulkReadAheadEnds: failOnErrors stopping the first chunk, the chunk
// read ahead never runs, and the goroutine reading it has ended when the
// answer comes (it must not read the body after the handler returned).
// Not parallel: no other request's reader runs meanwhile.
func TestBulkReadAheadEnds(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 2*scim.BulkChunk + 10
		ops := make([]string, n)
		for i := range ops {
			ops[i] = bulkUserOp(fmt.Sprintf("s%d", i), fmt.Sprintf("stop%d@example.com", i), nil)
		}
		ops[6] = bulkUserOp("s6", "stop5@example.com", nil) // taken by op 5
		r := e.bulk(t, `"failOnErrors":1,`, ops...)
		if running := scim.BulkReaders(); running != 0 {
			t.Errorf("%d read-ahead goroutines still running after the answer", running)
		}
		res := bulkOps(t, r)
		if len(res) != 7 || res[6]["status"] != "409" {
			t.Fatalf("%d results, the last %v: want 7, the last a 409", len(res), res[len(res)-1])
		}
		if got := e.countRows(t, "members", "user_name LIKE 'stop%'"); got != 6 {
			t.Errorf("%d members made, want the 6 before the failure", got)
		}
	})
}

// TestBulkReadAheadPanic: a panic while reading ahead answers the request
// 500, as one inside the writer's operation does, instead of ending the
// process; the chunk before it was written, and the server goes on.
func TestBulkReadAheadPanic(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ops := make([]string, scim.BulkChunk+5)
		for i := range ops {
			ops[i] = bulkUserOp(fmt.Sprintf("p%d", i), fmt.Sprintf("panic%d@example.com", i), nil)
		}
		stop := scim.PanicReadingAhead(fmt.Sprintf("p%d", scim.BulkChunk+2))
		r := e.bulk(t, "", ops...)
		stop()
		if r.Status != 500 {
			t.Fatalf("status %d, want 500: %.300s", r.Status, r.Raw)
		}
		if running := scim.BulkReaders(); running != 0 {
			t.Errorf("%d read-ahead goroutines still running", running)
		}
		if got := e.countRows(t, "members", "user_name LIKE 'panic%'"); got != scim.BulkChunk {
			t.Errorf("%d members made, want the first chunk's %d", got, scim.BulkChunk)
		}
		bulkOps(t, e.bulk(t, "", bulkUserOp("after", "after-panic@example.com", nil)))
	})
}
