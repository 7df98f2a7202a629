package scim_test

// scim-interop.md cases 15–27: filters, pagination, projection, sorting
// and .search.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models/modelstest"
	"github.com/muster-app/muster/scim"
)

func TestInteropFilters(t *testing.T) {
	s := newSuite(t)
	s.run("case15_no_match_is_empty_list", func(t *testing.T, e *env) {
		// Okta's user_exists.json request and Entra's "Test connection"
		// (a random GUID) and get_user_query_0.json.
		for _, path := range []string{
			"/scim/v2/Users?filter=userName+eq+%22test.user%40okta.local%22&startIndex=1&count=100",
			"/scim/v2/Users?filter=" + q(`userName eq "nobody"`) + "&startIndex=1&count=100",
			"/scim/v2/Users?filter=" + q(`userName eq "7f0c1a52-61f6-4b1e-9f0b-5a0e3c1d2e4f"`),
			"/scim/v2/Users?filter=userName+eq+%22non-existent+user%22",
			"/scim/v2/Users?filter=" + q(`externalId eq "7f0c1a52-61f6-4b1e-9f0b-5a0e3c1d2e4f"`),
			"/scim/v2/Users?filter=" + q(`id eq "7f0c1a52-61f6-4b1e-9f0b-5a0e3c1d2e4f"`),
			"/scim/v2/Users?filter=" + q(`id eq "not a guid"`),
			"/scim/v2/Groups?filter=" + q(`members[value eq "not a guid"]`),
			"/scim/v2/Groups?excludedAttributes=members&filter=" + q(`displayName eq "7f0c1a52"`),
		} {
			r := e.do("GET", path, "")
			checkList(t, r)
			if r.num("totalResults") != 0 || !strings.Contains(r.Raw, `"Resources":[]`) || r.num("startIndex") != 1 || r.num("itemsPerPage") != 0 {
				t.Errorf("%s: %s", path, r.Raw)
			}
		}
	})

	s.run("case16_username_case_insensitive", func(t *testing.T, e *env) {
		id := e.newUser(t, "runscope0123@example.com", nil)
		r := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "RUNSCOPE0123@EXAMPLE.COM"`)+"&startIndex=1&count=100", "")
		checkList(t, r)
		equal(t, "ids", field(r, "id"), []string{id})
		// Also through the general parser (not the fast userName eq path).
		r = e.do("GET", "/scim/v2/Users?filter="+q(`(userName eq "RunScope0123@Example.com")`), "")
		equal(t, "ids, parenthesised", field(r, "id"), []string{id})
	})

	s.run("case17_externalid", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", entraCreateUser).want(t, 201).str("id")
		e.newUser(t, "other@example.com", map[string]any{"externalId": "something-else"})
		r := e.do("GET", "/scim/v2/Users?filter="+q(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), "")
		checkList(t, r)
		equal(t, "ids", field(r, "id"), []string{id})
		// externalId is caseExact (RFC 7643 §3.1).
		r = e.do("GET", "/scim/v2/Users?filter="+q(`externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"`), "")
		equal(t, "ids, other case", field(r, "id"), nil)
	})

	s.run("case18_email_filters", func(t *testing.T, e *env) {
		id := e.newUser(t, "a@x.example", nil)
		e.newUser(t, "b@x.example", nil)
		for _, f := range []string{
			`emails[type eq "work" and value eq "a@x.example"]`,
			`emails.value eq "a@x.example"`,
			`emails.value eq "A@X.example"`,
			`emails eq "a@x.example"`,
			`emails[value eq "a@x.example"]`,
		} {
			r := e.do("GET", "/scim/v2/Users?filter="+q(f), "")
			checkList(t, r)
			equal(t, f, field(r, "id"), []string{id})
		}
		r := e.do("GET", "/scim/v2/Users?filter="+q(`emails[type eq "home" and value eq "a@x.example"]`), "")
		equal(t, "home email", field(r, "id"), nil)
	})

	s.run("case19_enterprise_employee_number", func(t *testing.T, e *env) {
		id := e.newUser(t, "n42@example.com", map[string]any{"schemas": []string{userURN, entURN}, entURN: map[string]any{"employeeNumber": "42"}})
		e.newUser(t, "n43@example.com", map[string]any{"schemas": []string{userURN, entURN}, entURN: map[string]any{"employeeNumber": "43"}})
		r := e.do("GET", "/scim/v2/Users?filter="+q(entURN+`:employeeNumber eq "42"`), "")
		checkList(t, r)
		equal(t, "ids", field(r, "id"), []string{id})
	})

	s.alone("case20_operators", func(t *testing.T, e *env) {
		clock := modelstest.FakeClock(e.store)
		clock.Add(24 * time.Hour) // after Ada, whenever she was made
		e.newUser(t, "alice", map[string]any{"title": "Engineer"})
		e.newUser(t, "albert", map[string]any{"active": false})
		clock.Add(time.Hour)
		e.newUser(t, "bob", map[string]any{"title": "Manager"})
		cut := clock.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)
		const ada = "ada@example.com"
		for _, c := range []struct {
			filter string
			want   []string
		}{
			{`userName sw "a"`, sorted("ada@example.com", "alice", "albert")},
			{`userName co "LI"`, sorted("alice")},
			{`userName ew "ert"`, sorted("albert")},
			{`userName ne "bob"`, sorted(ada, "alice", "albert")},
			{`title pr`, sorted("alice", "bob")},
			{`not (userName eq "bob")`, sorted(ada, "alice", "albert")},
			{`not (title pr)`, sorted(ada, "albert")},
			{`userName eq "alice" or userName eq "bob"`, sorted("alice", "bob")},
			{`active eq false`, sorted("albert")},
			{`active eq true and userName sw "a"`, sorted(ada, "alice")},
			{`meta.lastModified gt "2024-01-01T00:00:00Z"`, sorted(ada, "alice", "albert", "bob")},
			{`meta.lastModified gt "` + cut + `"`, sorted("bob")},
			{`title eq "engineer"`, sorted("alice")},
		} {
			r := e.do("GET", "/scim/v2/Users?filter="+q(c.filter), "")
			checkList(t, r)
			equal(t, c.filter, field(r, "userName"), c.want)
			if r.num("totalResults") != len(c.want) {
				t.Errorf("%s: totalResults %d", c.filter, r.num("totalResults"))
			}
		}
	})

	s.run("case21_complex_without_sub_attribute", func(t *testing.T, e *env) {
		// Decision: emails co "x" is emails.value co "x". Never a crash.
		id := e.newUser(t, "xavier@example.com", nil)
		r := e.do("GET", "/scim/v2/Users?filter="+q(`emails co "xavier"`), "")
		checkList(t, r)
		equal(t, "emails co", field(r, "id"), []string{id})
		for _, f := range []string{`emails pr`, `roles co "mem"`, `addresses co "x"`, `name pr`, `phoneNumbers co "1"`} {
			r := e.do("GET", "/scim/v2/Users?filter="+q(f), "")
			if r.Status != 200 && r.Status != 400 {
				t.Errorf("%s: %d %s", f, r.Status, r.Raw)
			}
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Users?filter="+q(`name co "x"`), ""), 400, "invalidFilter")
	})

	s.run("case22_invalid_filters", func(t *testing.T, e *env) {
		for _, f := range []string{`userName eq`, `foo eq "x"`, `active gt true`, `userName eq "a" and`, `(userName eq "a"`,
			`meta.lastModified gt "yesterday"`, `urn:example:nope:foo eq "x"`, `userName eq 5`} {
			isSCIMError(t, e.do("GET", "/scim/v2/Users?filter="+q(f), ""), 400, "invalidFilter")
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Groups?filter="+q(`userName eq "x"`), ""), 400, "invalidFilter")
	})

	s.run("case23_paging_is_stable", func(t *testing.T, e *env) {
		want := []string{e.adaID(t)}
		for i := range 6 {
			want = append(want, e.newUser(t, fmt.Sprintf("page%d@example.com", i), nil))
		}
		slices.Sort(want)
		for _, count := range []int{1, 2, 4} {
			var got []string
			for start := 1; start <= len(want)+1; start += count {
				r := e.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=%d", start, count), "")
				checkList(t, r)
				if r.num("totalResults") != len(want) || r.num("startIndex") != start {
					t.Errorf("start %d: totalResults %d, startIndex %d", start, r.num("totalResults"), r.num("startIndex"))
				}
				if n := min(count, max(len(want)-start+1, 0)); len(r.resources()) != n {
					t.Errorf("count %d start %d: %d resources, want %d", count, start, len(r.resources()), n)
				}
				for _, x := range r.resources() {
					got = append(got, x["id"].(string))
				}
			}
			seen := slices.Clone(got)
			slices.Sort(seen)
			if len(slices.Compact(slices.Clone(seen))) != len(got) {
				t.Errorf("count %d: duplicates across pages: %v", count, got)
			}
			equal(t, fmt.Sprintf("count %d: every user once", count), seen, want)
		}
		// Okta's connection test.
		r := e.do("GET", "/scim/v2/Users?startIndex=1&count=2", "")
		checkList(t, r)
		if r.num("itemsPerPage") != 2 || r.num("totalResults") != len(want) {
			t.Errorf("count=2: %s", r.Raw)
		}
		// Okta's imports: count=100, the same order twice.
		a := e.do("GET", "/scim/v2/Users?startIndex=1&count=100", "")
		b := e.do("GET", "/scim/v2/Users?startIndex=1&count=100", "")
		if js(a.resources()) != js(b.resources()) {
			t.Error("two identical list requests answer in different orders")
		}
	})

	s.alone("case24_count_and_start_edges", func(t *testing.T, e *env) {
		e.newUser(t, "edge1@example.com", nil)
		e.newUser(t, "edge2@example.com", nil)
		r := e.do("GET", "/scim/v2/Users?count=0", "")
		checkList(t, r)
		if r.num("totalResults") != 3 || len(r.resources()) != 0 || !strings.Contains(r.Raw, `"Resources":[]`) {
			t.Errorf("count=0: %s", r.Raw)
		}
		one := e.do("GET", "/scim/v2/Users?startIndex=1&count=1", "")
		zero := e.do("GET", "/scim/v2/Users?startIndex=0&count=1", "")
		checkList(t, zero)
		if zero.num("startIndex") != 1 || js(zero.resources()) != js(one.resources()) {
			t.Errorf("startIndex=0 is not 1: %s", zero.Raw)
		}
		neg := e.do("GET", "/scim/v2/Users?startIndex=-5&count=-1", "")
		checkList(t, neg)
		if neg.num("startIndex") != 1 || len(neg.resources()) != 0 || neg.num("totalResults") != 3 {
			t.Errorf("negative: %s", neg.Raw)
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Users?count=abc", ""), 400, "invalidValue")
		isSCIMError(t, e.do("GET", "/scim/v2/Users?startIndex=abc", ""), 400, "invalidValue")
		// Above maxResults: clamped. Make more users than that (in bulk).
		ops := make([]string, 0, scim.MaxResults+5)
		for i := range scim.MaxResults + 5 {
			ops = append(ops, fmt.Sprintf(`{"method":"POST","path":"/Users","bulkId":"b%d","data":%s}`, i, userBody(fmt.Sprintf("bulk%04d@example.com", i), nil)))
		}
		bulk := e.do("POST", "/scim/v2/Bulk", `{"schemas":["`+bulkReqURN+`"],"Operations":[`+strings.Join(ops, ",")+`]}`).want(t, 200)
		if strings.Count(bulk.Raw, `"status":"201"`) != len(ops) {
			t.Fatalf("bulk create failed: %.500s", bulk.Raw)
		}
		big := e.do("GET", "/scim/v2/Users?count=5000", "")
		checkList(t, big)
		if len(big.resources()) != scim.MaxResults || big.num("totalResults") != scim.MaxResults+8 {
			t.Errorf("count=5000: %d resources of %d", len(big.resources()), big.num("totalResults"))
		}
		last := e.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=5000", scim.MaxResults+1), "")
		checkList(t, last)
		if len(last.resources()) != 8 {
			t.Errorf("second page: %d", len(last.resources()))
		}
	})

	s.run("case25_projection", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", oktaCreateUser).want(t, 201).str("id")
		keys := func(m map[string]any) []string {
			var k []string
			for x := range m {
				k = append(k, x)
			}
			slices.Sort(k)
			return k
		}
		for _, path := range []string{"/scim/v2/Users?attributes=userName&filter=" + q(`userName eq "test.user@okta.local"`), "/scim/v2/Users/" + id + "?attributes=userName"} {
			r := e.do("GET", path, "").want(t, 200)
			res := r.JSON
			if strings.Contains(path, "filter") {
				res = r.resources()[0]
			}
			equal(t, path, keys(res), []string{"id", "meta", "schemas", "userName"})
		}
		r := e.do("GET", "/scim/v2/Users/"+id+"?excludedAttributes=emails,id,meta,schemas", "").want(t, 200)
		for _, k := range []string{"id", "meta", "schemas", "userName", "name", "active"} {
			if _, ok := r.JSON[k]; !ok {
				t.Errorf("excludedAttributes=emails dropped %s", k)
			}
		}
		if _, ok := r.JSON["emails"]; ok {
			t.Errorf("emails not excluded: %s", r.Raw)
		}
		r = e.do("GET", "/scim/v2/Users/"+id+"?attributes=name.givenName,emails.value", "").want(t, 200)
		if js(r.JSON["name"]) != `{"givenName":"Test"}` || js(r.JSON["emails"]) != `[{"value":"test.user@okta.local"}]` {
			t.Errorf("sub-attributes: %s", r.Raw)
		}
		r = e.do("GET", "/scim/v2/Users?attributes="+q(entURN+":department")+"&count=1", "")
		checkList(t, r)
		if res := r.resources()[0]; len(res) != 3 {
			t.Errorf("attributes=<enterprise>:department: %v", res)
		}
	})

	s.run("case26_sort", func(t *testing.T, e *env) {
		// Decision: sort is supported and advertised.
		for _, n := range []string{"sue", "Sam", "steve", "sally", "Sid"} {
			e.newUser(t, n, nil)
		}
		asc := []string{"sally", "Sam", "Sid", "steve", "sue"}
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		names := func(r *result) []string {
			out := []string{}
			for _, x := range r.resources() {
				out = append(out, x["userName"].(string))
			}
			return out
		}
		f := "&filter=" + q(`userName sw "s"`)
		r := e.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending"+f, "")
		checkList(t, r)
		equal(t, "descending", names(r), desc)
		r = e.do("GET", "/scim/v2/Users?sortBy=userName"+f, "")
		equal(t, "ascending by default", names(r), asc)
		r = e.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=ascending&count=2&startIndex=2"+f, "")
		equal(t, "a sorted page", names(r), asc[1:3])
		isSCIMError(t, e.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=sideways", ""), 400, "invalidValue")
		isSCIMError(t, e.do("GET", "/scim/v2/Users?sortBy=nope", ""), 400, "")
		g := e.do("GET", "/scim/v2/Groups?sortBy=displayName&sortOrder=descending", "")
		equal(t, "groups descending", func() []string {
			out := []string{}
			for _, x := range g.resources() {
				out = append(out, x["displayName"].(string))
			}
			return out
		}(), []string{"Member", "Admin"})
	})

	s.run("case27_search", func(t *testing.T, e *env) {
		id := e.newUser(t, "searched@example.com", nil)
		e.newUser(t, "other@example.com", nil)
		body := `{"schemas":["` + searchURN + `"],"filter":"userName eq \"searched@example.com\"","startIndex":1,"count":10,"attributes":["userName"]}`
		r := e.do("POST", "/scim/v2/Users/.search", body)
		checkList(t, r)
		equal(t, ".search", field(r, "id"), []string{id})
		if _, ok := r.resources()[0]["emails"]; ok {
			t.Errorf("attributes not applied: %s", r.Raw)
		}
		r = e.do("POST", "/scim/v2/Groups/.search", `{"schemas":["`+searchURN+`"],"filter":"displayName eq \"Admin\""}`)
		checkList(t, r)
		equal(t, "groups .search", field(r, "displayName"), []string{"Admin"})
		isSCIMError(t, e.do("POST", "/scim/v2/Users/.search", `{"filter":"userName eq \"x\""}`), 400, "invalidSyntax")
		isSCIMError(t, e.do("POST", "/scim/v2/Users/.search", `{"schemas":["`+searchURN+`"],"filter":"userName eq"}`), 400, "invalidFilter")
		isSCIMError(t, e.do("GET", "/scim/v2/Users/.search", ""), http.StatusMethodNotAllowed, "")
	})
}
