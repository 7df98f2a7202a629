package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models/modelstest"
)

// Concurrent requests: the database, not luck, decides who wins. Twenty
// requests start together (a closed channel releases them at once) and
// every one must get a deliberate answer: 201/200 for the winner, a SCIM
// 409 or 412 for the rest, never a 500 from a unique violation, a locked
// SQLite file or a PostgreSQL serialization failure.

const concN = 20

// concDo sends one request; safe to call from any goroutine (it reports
// failures as errors, not through t).
func concDo(e *env, method, path, body string, headers ...string) (*result, error) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := &result{Status: res.StatusCode, Header: res.Header, Raw: string(b)}
	if len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &out.JSON); err != nil {
			return nil, fmt.Errorf("%s %s: body is not JSON (%d): %s", method, path, res.StatusCode, b)
		}
	}
	return out, nil
}

// concRun runs fn(i) for i < n, all released at the same moment, and
// returns the results in order.
func concRun(t *testing.T, n int, fn func(i int) (*result, error)) []*result {
	t.Helper()
	start := make(chan struct{})
	results := make([]*result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return results
}

func concUser(userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName +
		`","name":{"givenName":"Con","familyName":"Current"},"emails":[{"value":"` + userName + `","type":"work","primary":true}],"active":true}`
}

func TestConcurrentCreateSameUserName(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		results := concRun(t, concN, func(i int) (*result, error) {
			// The same userName, in a different case each time (userName is
			// caseExact false), and an email of its own: userName alone
			// must decide.
			name := "Race@Example.com"
			if i%2 == 1 {
				name = "race@example.COM"
			}
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name +
				`","emails":[{"value":"race` + fmt.Sprint(i) + `@example.com","primary":true}],"externalId":"ext-` + fmt.Sprint(i) + `"}`
			return concDo(e, "POST", "/scim/v2/Users", body)
		})
		created := winners(t, results, 201)
		if created != 1 {
			t.Errorf("%d requests created the user, want exactly 1", created)
		}
		n, err := e.store.DB().NewSelect().Table("members").
			Where("workspace_id = ? AND lower(user_name) = ?", e.ws.ID, "race@example.com").Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("the store holds %d members with the userName, want 1", n)
		}
		r := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "RACE@example.com"`), "").want(t, 200)
		if r.num("totalResults") != 1 {
			t.Errorf("the lookup finds %d users: %s", r.num("totalResults"), r.Raw)
		}
	})
}

// The same email under different userNames is just as unique.
func TestConcurrentCreateSameEmail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		results := concRun(t, concN, func(i int) (*result, error) {
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u` + fmt.Sprint(i) +
				`","emails":[{"value":"same@example.com","primary":true}]}`
			return concDo(e, "POST", "/scim/v2/Users", body)
		})
		created := winners(t, results, 201)
		if created != 1 {
			t.Errorf("%d requests created a user with the email, want exactly 1", created)
		}
	})
}

func TestConcurrentCreateDistinct(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		results := concRun(t, concN, func(i int) (*result, error) {
			return concDo(e, "POST", "/scim/v2/Users", concUser(fmt.Sprintf("distinct%02d@example.com", i)))
		})
		ids := map[string]bool{}
		for i, r := range results {
			if r.Status != 201 {
				t.Errorf("request %d: status %d, want 201: %s", i, r.Status, r.Raw)
				continue
			}
			ids[r.str("id")] = true
		}
		if len(ids) != concN {
			t.Errorf("%d distinct ids, want %d", len(ids), concN)
		}
		r := e.do("GET", "/scim/v2/Users?count=100&filter="+url.QueryEscape(`userName sw "distinct"`), "").want(t, 200)
		if r.num("totalResults") != concN {
			t.Errorf("%d users stored, want %d", r.num("totalResults"), concN)
		}
		// And groups, each with some of them as members, at once.
		idList := make([]string, 0, len(ids))
		for id := range ids {
			idList = append(idList, `{"value":"`+id+`"}`)
		}
		groups := concRun(t, concN, func(i int) (*result, error) {
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team ` + fmt.Sprint(i) +
				`","members":[` + strings.Join(idList[:i%len(idList)+1], ",") + `]}`
			return concDo(e, "POST", "/scim/v2/Groups", body)
		})
		for i, g := range groups {
			if g.Status != 201 {
				t.Errorf("group %d: status %d, want 201: %s", i, g.Status, g.Raw)
			}
		}
	})
}

func TestConcurrentCreateSameGroup(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		results := concRun(t, concN, func(i int) (*result, error) {
			return concDo(e, "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Racers"}`)
		})
		created := winners(t, results, 201)
		if created != 1 {
			t.Errorf("%d requests created the group, want exactly 1", created)
		}
	})
}

func TestConcurrentPatchIfMatch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		u := e.do("POST", "/scim/v2/Users", concUser("patched@example.com")).want(t, 201)
		id, version := u.str("id"), u.Header.Get("ETag")
		if version == "" {
			t.Fatal("no ETag")
		}
		results := concRun(t, concN, func(i int) (*result, error) {
			body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Writer ` + fmt.Sprint(i) + `"}]}`
			return concDo(e, "PATCH", "/scim/v2/Users/"+id, body, "If-Match", version)
		})
		winner := -1
		for i, r := range results {
			switch r.Status {
			case 200:
				if winner >= 0 {
					t.Errorf("requests %d and %d both succeeded", winner, i)
				}
				winner = i
			case 412:
				isSCIMError(t, r, 412, "")
			default:
				t.Errorf("request %d: status %d, want 200 or 412: %s", i, r.Status, r.Raw)
			}
		}
		if winner < 0 {
			t.Fatal("no request succeeded")
		}
		g := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200)
		if want := fmt.Sprintf("Writer %d", winner); g.str("displayName") != want {
			t.Errorf("displayName %q, want the winner's %q", g.str("displayName"), want)
		}
		if g.Header.Get("ETag") != results[winner].Header.Get("ETag") || g.Header.Get("ETag") == version {
			t.Errorf("ETag %q, want the winner's %q", g.Header.Get("ETag"), results[winner].Header.Get("ETag"))
		}

		// Groups too: concurrent member changes with the same If-Match.
		grp := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Guarded"}`).want(t, 201)
		gid, gversion := grp.str("id"), grp.Header.Get("ETag")
		gres := concRun(t, concN, func(i int) (*result, error) {
			body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Guarded ` + fmt.Sprint(i) + `"}]}`
			return concDo(e, "PATCH", "/scim/v2/Groups/"+gid, body, "If-Match", gversion)
		})
		ok := 0
		for i, r := range gres {
			switch r.Status {
			case 204:
				ok++
			case 412:
				isSCIMError(t, r, 412, "")
			default:
				t.Errorf("group request %d: status %d, want 204 or 412: %s", i, r.Status, r.Raw)
			}
		}
		if ok != 1 {
			t.Errorf("%d group changes succeeded, want exactly 1", ok)
		}

		// Without If-Match every PATCH applies, one after another.
		results = concRun(t, concN, func(i int) (*result, error) {
			body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Title ` + fmt.Sprint(i) + `"}]}`
			return concDo(e, "PATCH", "/scim/v2/Users/"+id, body)
		})
		for i, r := range results {
			if r.Status != 200 {
				t.Errorf("unconditional request %d: status %d, want 200: %s", i, r.Status, r.Raw)
			}
		}
		g = e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200)
		before := strings.Trim(strings.TrimPrefix(version, "W/"), `"`)
		after := strings.Trim(strings.TrimPrefix(g.Header.Get("ETag"), "W/"), `"`)
		var b, a int
		fmt.Sscan(before, &b)
		fmt.Sscan(after, &a)
		if a != b+1+concN {
			t.Errorf("version %d after 1+%d changes from %d, want %d", a, concN, b, b+1+concN)
		}
	})
}

// Concurrent /Bulk requests create the same users: each userName is
// created once in all, every other attempt is a 409 in its operation's
// result, and no request fails as a whole.
func TestConcurrentBulk(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const requests, shared = 5, 10
		results := concRun(t, requests, func(i int) (*result, error) {
			var ops []string
			for j := range shared {
				ops = append(ops, `{"method":"POST","path":"/Users","bulkId":"u`+fmt.Sprint(j)+`","data":`+concUser(fmt.Sprintf("bulk%02d@example.com", j))+`}`)
			}
			ops = append(ops, `{"method":"POST","path":"/Users","bulkId":"own","data":`+concUser(fmt.Sprintf("own%02d@example.com", i))+`}`,
				`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Bulk team","members":[{"value":"bulkId:own"}]}}`)
			return concDo(e, "POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.Join(ops, ",")+`]}`)
		})
		created := map[string]int{}
		groups := 0
		for i, r := range results {
			if r.Status != 200 {
				t.Fatalf("request %d: status %d: %s", i, r.Status, r.Raw)
			}
			ops, _ := r.JSON["Operations"].([]any)
			if len(ops) != shared+2 {
				t.Fatalf("request %d: %d results: %s", i, len(ops), r.Raw)
			}
			for _, o := range ops {
				op, _ := o.(map[string]any)
				id, _ := op["bulkId"].(string)
				switch op["status"] {
				case "201":
					if id == "g" {
						groups++
					} else {
						created[id]++
					}
				case "409":
					if id == "own" {
						t.Errorf("request %d: its own user was refused: %v", i, op)
					}
					resp, _ := op["response"].(map[string]any)
					if resp["scimType"] != "uniqueness" {
						t.Errorf("request %d: %v", i, op)
					}
				default:
					t.Errorf("request %d: operation %s answered %v", i, id, op)
				}
			}
		}
		for j := range shared {
			if n := created["u"+fmt.Sprint(j)]; n != 1 {
				t.Errorf("bulk%02d was created %d times, want 1", j, n)
			}
		}
		if created["own"] != requests || groups != 1 {
			t.Errorf("own users %d (want %d), groups %d (want 1)", created["own"], requests, groups)
		}
		r := e.do("GET", "/scim/v2/Users?count=100&filter="+url.QueryEscape(`userName sw "bulk" or userName sw "own"`), "").want(t, 200)
		if r.num("totalResults") != shared+requests {
			t.Errorf("%d users stored, want %d", r.num("totalResults"), shared+requests)
		}
	})
}

// Deletes, membership changes, replaces and reads of the same users and
// group at once: each gets an answer that makes sense (never a 5xx), and
// the group ends up holding only members that still exist.
func TestConcurrentMixed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 8 {
			ids = append(ids, e.do("POST", "/scim/v2/Users", concUser(fmt.Sprintf("mixed%d@example.com", i))).want(t, 201).str("id"))
		}
		gid := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Mixed"}`).want(t, 201).str("id")
		patch := func(ops string) string {
			return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
		}
		results := concRun(t, 4*len(ids), func(i int) (*result, error) {
			id := ids[i%len(ids)]
			switch i / len(ids) {
			case 0:
				return concDo(e, "DELETE", "/scim/v2/Users/"+id, "")
			case 1:
				return concDo(e, "PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`))
			case 2:
				return concDo(e, "PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","path":"active","value":"False"}`))
			}
			return concDo(e, "GET", "/scim/v2/Groups/"+gid, "")
		})
		for i, r := range results {
			if r.Status >= 500 {
				t.Errorf("request %d: status %d: %s", i, r.Status, r.Raw)
			}
			if r.Status >= 400 {
				isSCIMError(t, r, r.Status, "")
				if r.Status != 404 {
					t.Errorf("request %d: status %d, want 404 (the user was deleted first): %s", i, r.Status, r.Raw)
				}
			}
		}
		g := e.do("GET", "/scim/v2/Groups/"+gid, "").want(t, 200)
		if members, _ := g.JSON["members"].([]any); len(members) != 0 {
			t.Errorf("the group holds deleted users: %s", g.Raw)
		}
		if r := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName sw "mixed"`), "").want(t, 200); r.num("totalResults") != 0 {
			t.Errorf("users left: %s", r.Raw)
		}
	})
}

// TestConcurrentCreateWithoutEmail: members without an address all share
// the empty one, which the unique index leaves out; created together they
// all succeed, and a PATCH giving each the same address lets one win.
func TestConcurrentCreateWithoutEmail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		results := concRun(t, concN, func(i int) (*result, error) {
			return concDo(e, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nomail`+fmt.Sprint(i)+`"}`)
		})
		for i, r := range results {
			if r.Status != 201 {
				t.Fatalf("request %d: status %d, want 201: %s", i, r.Status, r.Raw)
			}
		}
		patched := concRun(t, concN, func(i int) (*result, error) {
			return concDo(e, "PATCH", "/scim/v2/Users/"+results[i].str("id"), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
				`"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"shared@example.com"}]}`)
		})
		won := winners(t, patched, 200)
		if won != 1 {
			t.Errorf("%d members got the same address, want exactly 1", won)
		}
	})
}

// winners counts the results with status want; every other one must be a
// 409 uniqueness error: the race has winners and clear losers, nothing else.
func winners(t *testing.T, results []*result, want int) int {
	t.Helper()
	n := 0
	for i, r := range results {
		switch r.Status {
		case want:
			n++
		case 409:
			isSCIMError(t, r, 409, "uniqueness")
		default:
			t.Errorf("request %d: status %d, want %d or 409: %s", i, r.Status, want, r.Raw)
		}
	}
	return n
}

// A hundred creates at once, through two replicas (each its own pool, and
// on SQLite its own write queue), 60 distinct users and 40 repeats of
// them: exactly 60 are created and every repeat is a SCIM 409 uniqueness,
// whether it met its twin in the same group transaction, the other
// replica's, or the unique index.
func TestConcurrentCreatesTwoReplicas(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		other := handlers.New(handlers.Options{Store: modelstest.Replica(t, e.store), BaseURL: "https://muster.example.com"})
		const n, distinct = 100, 60
		results := concRun(t, n, func(i int) (*result, error) {
			r := *e
			if i%2 == 1 {
				r.app = other
			}
			return concDo(&r, "POST", "/scim/v2/Users", concUser(fmt.Sprintf("twin%02d@example.com", i%distinct)))
		})
		created := map[string]int{}
		conflicts := 0
		for i, r := range results {
			switch r.Status {
			case 201:
				created[r.str("userName")]++
			case 409:
				if r.str("scimType") != "uniqueness" {
					t.Errorf("request %d: %s", i, r.Raw)
				}
				conflicts++
			default:
				t.Errorf("request %d: status %d: %s", i, r.Status, r.Raw)
			}
		}
		if len(created) != distinct || conflicts != n-distinct {
			t.Errorf("%d users created, %d conflicts; want %d and %d", len(created), conflicts, distinct, n-distinct)
		}
		for name, k := range created {
			if k != 1 {
				t.Errorf("%s created %d times", name, k)
			}
		}
		count, err := e.store.DB().NewSelect().Table("members").Where("workspace_id = ? AND user_name LIKE 'twin%'", e.ws.ID).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if count != distinct {
			t.Errorf("the store holds %d of them, want %d", count, distinct)
		}
		counts, err := e.store.StatusCounts(context.Background(), e.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if total := counts[""]; total != distinct+1 { // and Ada
			t.Errorf("member counts say %d members, want %d", total, distinct+1)
		}
	})
}
