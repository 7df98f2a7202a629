package scim_test

// scim-interop.md case 51 (ETags) and cases 52–56 (/Bulk).

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/muster-app/muster/scim"
)

// bulk sends a BulkRequest of ops (JSON objects); extra is put before
// Operations (such as `"failOnErrors":1,`).
func (e *env) bulk(t *testing.T, extra string, ops ...string) *result {
	t.Helper()
	return e.do("POST", "/scim/v2/Bulk", `{"schemas":["`+bulkReqURN+`"],`+extra+`"Operations":[`+strings.Join(ops, ",")+`]}`)
}

// bulkOps reads a BulkResponse: its schema and operations.
func bulkOps(t *testing.T, r *result) []map[string]any {
	t.Helper()
	r.want(t, 200)
	if at(r.JSON, "schemas", 0) != bulkRespURN {
		t.Errorf("schemas: %s", r.Raw)
	}
	list, _ := r.JSON["Operations"].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i], _ = x.(map[string]any)
	}
	return out
}

var weakETag = regexp.MustCompile(`^W/"[0-9]+"$`)

func TestInteropETag(t *testing.T) {
	s := newSuite(t)
	s.run("case51_etags", func(t *testing.T, e *env) {
		id := e.newUser(t, "etag@example.com", nil)
		u := "/scim/v2/Users/" + id
		g := e.do("GET", u, "").want(t, 200)
		tag := g.Header.Get("ETag")
		if !weakETag.MatchString(tag) || tag != g.str("meta.version") {
			t.Fatalf("ETag %q, meta.version %q", tag, g.str("meta.version"))
		}
		// If-None-Match.
		nm := e.do("GET", u, "", "If-None-Match", tag)
		nm.want(t, 304)
		if nm.Raw != "" || nm.Header.Get("ETag") != tag {
			t.Errorf("304: body %q, ETag %q", nm.Raw, nm.Header.Get("ETag"))
		}
		e.do("GET", u, "", "If-None-Match", `W/"999"`).want(t, 200)
		// A change gives a new version.
		p := e.do("PATCH", u, patch(`{"op":"replace","path":"title","value":"One"}`), "If-Match", tag).want(t, 200)
		tag2 := p.Header.Get("ETag")
		if tag2 == tag || tag2 != p.str("meta.version") {
			t.Errorf("after PATCH: ETag %q (was %q), meta.version %q", tag2, tag, p.str("meta.version"))
		}
		// The stale tag is refused by PUT, PATCH and DELETE, and nothing changes.
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"title","value":"Two"}`), "If-Match", tag), 412, "")
		isSCIMError(t, e.do("PUT", u, userBody("etag@example.com", map[string]any{"title": "Two"}), "If-Match", tag), 412, "")
		isSCIMError(t, e.do("DELETE", u, "", "If-Match", tag), 412, "")
		isSCIMError(t, e.do("DELETE", u, "", "If-Match", `"garbage"`), 412, "")
		if m := e.member(t, id); m.Title != "One" {
			t.Errorf("a stale request changed the member: %q", m.Title)
		}
		e.do("GET", u, "", "If-None-Match", tag).want(t, 200)
		e.do("GET", u, "", "If-None-Match", tag2).want(t, 304)
		// Joining a group changes the user's version too (roles are in it).
		gid := e.newGroup(t, "Tagged", id)
		if g := e.do("GET", u, ""); g.Header.Get("ETag") == tag2 {
			t.Error("joining a group kept the user's ETag")
		}
		// Groups: the same rules.
		gr := e.do("GET", "/scim/v2/Groups/"+gid, "").want(t, 200)
		gtag := gr.Header.Get("ETag")
		if !weakETag.MatchString(gtag) || gtag != gr.str("meta.version") {
			t.Errorf("group ETag %q, meta.version %q", gtag, gr.str("meta.version"))
		}
		e.do("GET", "/scim/v2/Groups/"+gid, "", "If-None-Match", gtag).want(t, 304)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","path":"displayName","value":"Tagged 2"}`), "If-Match", gtag).want(t, 204)
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","path":"displayName","value":"Tagged 3"}`), "If-Match", gtag), 412, "")
		isSCIMError(t, e.do("DELETE", "/scim/v2/Groups/"+gid, "", "If-Match", gtag), 412, "")
		if g := e.do("GET", "/scim/v2/Groups/"+gid, ""); g.str("displayName") != "Tagged 2" {
			t.Errorf("group: %s", g.Raw)
		}
		// The current tag, or *, is accepted.
		e.do("DELETE", u, "", "If-Match", e.do("GET", u, "").Header.Get("ETag")).want(t, 204)
		e.do("DELETE", "/scim/v2/Groups/"+gid, "", "If-Match", "*").want(t, 204)
	})
}

func TestInteropBulk(t *testing.T) {
	s := newSuite(t)
	s.run("case52_bulk_user_then_group", func(t *testing.T, e *env) {
		r := e.bulk(t, "",
			`{"method":"POST","path":"/Users","bulkId":"u1","data":`+oktaCreateUser+`}`,
			`{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["`+groupURN+`"],"displayName":"Bulk Group","members":[{"type":"User","value":"bulkId:u1"}]}}`)
		ops := bulkOps(t, r)
		if len(ops) != 2 {
			t.Fatalf("operations: %s", r.Raw)
		}
		for i, want := range []struct{ bulkID, kind string }{{"u1", "Users"}, {"g1", "Groups"}} {
			op := ops[i]
			loc, _ := op["location"].(string)
			if op["method"] != "POST" || op["bulkId"] != want.bulkID || op["status"] != "201" || !strings.Contains(loc, "/scim/v2/"+want.kind+"/") {
				t.Errorf("operation %d: %v", i, op)
			}
		}
		uid := ops[0]["location"].(string)[strings.LastIndexByte(ops[0]["location"].(string), '/')+1:]
		gid := ops[1]["location"].(string)[strings.LastIndexByte(ops[1]["location"].(string), '/')+1:]
		equal(t, "the group holds the new user's real id", e.groupMembers(t, gid), []string{uid})
		equal(t, "roles", e.roles(t, uid), []string{"Bulk Group", "Member"})
		if g := e.do("GET", "/scim/v2/Users/"+uid, "").want(t, 200); g.str("userName") != "test.user@okta.local" || g.str("meta.location") != ops[0]["location"] {
			t.Errorf("user: %s", g.Raw)
		}
	})

	s.run("case53_bulk_references", func(t *testing.T, e *env) {
		// Forward reference: the group comes first.
		ops := bulkOps(t, e.bulk(t, "",
			`{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["`+groupURN+`"],"displayName":"Forward","members":[{"value":"bulkId:u1"}]}}`,
			`{"method":"PATCH","path":"/Users/bulkId:u1","data":`+patch(`{"op":"replace","path":"title","value":"Patched"}`)+`}`,
			`{"method":"POST","path":"/Users","bulkId":"u1","data":`+userBody("forward@example.com", nil)+`}`))
		if len(ops) != 3 || ops[0]["status"] != "201" || ops[1]["status"] != "200" || ops[2]["status"] != "201" {
			t.Fatalf("forward reference: %v", ops)
		}
		uid := ops[2]["location"].(string)[strings.LastIndexByte(ops[2]["location"].(string), '/')+1:]
		gid := ops[0]["location"].(string)[strings.LastIndexByte(ops[0]["location"].(string), '/')+1:]
		equal(t, "forward group", e.groupMembers(t, gid), []string{uid})
		if e.member(t, uid).Title != "Patched" {
			t.Error("PATCH /Users/bulkId:u1 not applied")
		}
		// A circle (group ↔ group): each operation gets 409.
		ops = bulkOps(t, e.bulk(t, "",
			`{"method":"POST","path":"/Groups","bulkId":"ga","data":{"schemas":["`+groupURN+`"],"displayName":"A","members":[{"value":"bulkId:gb"}]}}`,
			`{"method":"POST","path":"/Groups","bulkId":"gb","data":{"schemas":["`+groupURN+`"],"displayName":"B","members":[{"value":"bulkId:ga"}]}}`))
		if len(ops) != 2 || ops[0]["status"] != "409" || ops[1]["status"] != "409" || at(ops[0], "response", "detail") == nil {
			t.Errorf("circle: %v", ops)
		}
		// An unresolvable reference: that operation fails, the others run.
		ops = bulkOps(t, e.bulk(t, "",
			`{"method":"POST","path":"/Groups","bulkId":"gx","data":{"schemas":["`+groupURN+`"],"displayName":"X","members":[{"value":"bulkId:nobody"}]}}`,
			`{"method":"POST","path":"/Users","bulkId":"ok","data":`+userBody("fine@example.com", nil)+`}`))
		if len(ops) != 2 || ops[0]["status"] != "409" || ops[1]["status"] != "201" || at(ops[0], "response", "schemas", 0) != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("unresolvable: %v", ops)
		}
		list := e.do("GET", "/scim/v2/Groups?filter="+q(`displayName eq "A" or displayName eq "B" or displayName eq "X"`), "")
		checkList(t, list)
		if list.num("totalResults") != 0 {
			t.Errorf("failed operations created groups: %s", list.Raw)
		}
		// A reference to an operation that failed fails too.
		e.newUser(t, "taken@example.com", nil)
		ops = bulkOps(t, e.bulk(t, "",
			`{"method":"POST","path":"/Users","bulkId":"dup","data":`+userBody("taken@example.com", nil)+`}`,
			`{"method":"POST","path":"/Groups","bulkId":"gd","data":{"schemas":["`+groupURN+`"],"displayName":"D","members":[{"value":"bulkId:dup"}]}}`))
		if len(ops) != 2 || ops[0]["status"] != "409" || ops[1]["status"] != "409" {
			t.Errorf("reference to a failed operation: %v", ops)
		}
	})

	s.run("case54_fail_on_errors", func(t *testing.T, e *env) {
		e.newUser(t, "dup@example.com", nil)
		dup := `{"method":"POST","path":"/Users","bulkId":"d","data":` + userBody("DUP@example.com", nil) + `}`
		after := `{"method":"POST","path":"/Users","bulkId":"a","data":` + userBody("after@example.com", nil) + `}`
		exists := func(userName string) bool {
			r := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "`+userName+`"`), "")
			return r.num("totalResults") == 1
		}
		ops := bulkOps(t, e.bulk(t, `"failOnErrors":1,`, dup, after))
		if len(ops) != 1 || ops[0]["status"] != "409" || ops[0]["bulkId"] != "d" {
			t.Errorf("failOnErrors 1: %v", ops)
		}
		if exists("after@example.com") {
			t.Error("failOnErrors 1: the operation after the failure ran")
		}
		// Without failOnErrors every operation is attempted.
		ops = bulkOps(t, e.bulk(t, "", dup, after))
		if len(ops) != 2 || ops[0]["status"] != "409" || ops[1]["status"] != "201" {
			t.Fatalf("without failOnErrors: %v", ops)
		}
		resp, _ := ops[0]["response"].(map[string]any)
		if at(resp, "schemas", 0) != "urn:ietf:params:scim:api:messages:2.0:Error" || resp["status"] != "409" || resp["scimType"] != "uniqueness" || resp["detail"] == "" {
			t.Errorf("failed operation's response: %v", resp)
		}
		if _, ok := ops[0]["location"]; ok {
			t.Errorf("failed operation has a location: %v", ops[0])
		}
		if !exists("after@example.com") {
			t.Error("the second operation did not run")
		}
		// failOnErrors 2: stops at the second error.
		bad := func(n int) string {
			return fmt.Sprintf(`{"method":"POST","path":"/Users","bulkId":"bad%d","data":{"schemas":["%s"]}}`, n, userURN)
		}
		ops = bulkOps(t, e.bulk(t, `"failOnErrors":2,`, bad(1), `{"method":"POST","path":"/Users","bulkId":"ok","data":`+userBody("ok@example.com", nil)+`}`, bad(2), after, bad(3)))
		if len(ops) != 3 || ops[0]["status"] != "400" || ops[1]["status"] != "201" || ops[2]["status"] != "400" {
			t.Errorf("failOnErrors 2: %v", ops)
		}
	})

	s.run("case55_bulk_methods", func(t *testing.T, e *env) {
		put := e.newUser(t, "put@example.com", nil)
		pat := e.newUser(t, "patch@example.com", nil)
		del := e.newUser(t, "delete@example.com", nil)
		version := e.do("GET", "/scim/v2/Users/"+pat, "").Header.Get("ETag")
		ops := bulkOps(t, e.bulk(t, "",
			`{"method":"PUT","path":"/Users/`+put+`","data":`+userBody("put@example.com", map[string]any{"title": "Put"})+`}`,
			`{"method":"PATCH","path":"/Users/`+pat+`","version":`+js(version)+`,"data":`+patch(`{"op":"replace","path":"title","value":"Patched"}`)+`}`,
			`{"method":"DELETE","path":"/Users/`+del+`"}`,
			`{"method":"PATCH","path":"/Users/`+pat+`","version":`+js(version)+`,"data":`+patch(`{"op":"replace","path":"title","value":"Stale"}`)+`}`,
			`{"method":"GET","path":"/Users/`+put+`"}`,
			`{"method":"FOO","path":"/Users"}`,
			`{"method":"POST","path":"/Nope","bulkId":"n","data":{}}`,
			`{"method":"DELETE","path":"/Users/0196f0e0-0000-7000-8000-000000000000"}`,
			`{"method":"POST","path":"/Users","data":`+userBody("nobulkid@example.com", nil)+`}`))
		want := []string{"200", "200", "204", "412", "400", "400", "404", "404", "400"}
		if len(ops) != len(want) {
			t.Fatalf("operations: %v", ops)
		}
		for i, w := range want {
			if ops[i]["status"] != w {
				t.Errorf("operation %d: status %v, want %s: %v", i, ops[i]["status"], w, ops[i])
			}
		}
		if ops[0]["method"] != "PUT" || !strings.HasSuffix(fmt.Sprint(ops[0]["location"]), "/Users/"+put) || ops[0]["version"] == nil {
			t.Errorf("PUT result: %v", ops[0])
		}
		if e.member(t, put).Title != "Put" || e.member(t, pat).Title != "Patched" {
			t.Error("PUT or PATCH not applied")
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Users/"+del, ""), 404, "")
		isSCIMError(t, e.doAs("", "POST", "/scim/v2/Bulk", `{"schemas":["`+bulkReqURN+`"],"Operations":[{"method":"DELETE","path":"/Users/`+put+`"}]}`), 401, "")
		e.do("GET", "/scim/v2/Users/"+put, "").want(t, 200)
		// Malformed requests.
		isSCIMError(t, e.do("POST", "/scim/v2/Bulk", `{"Operations":[]}`), 400, "invalidSyntax")
		isSCIMError(t, e.bulk(t, ""), 400, "")
		isSCIMError(t, e.do("GET", "/scim/v2/Bulk", ""), 405, "")
	})

	s.alone("case56_bulk_limits", func(t *testing.T, e *env) {
		ops := make([]string, scim.MaxOperations+1)
		for i := range ops {
			ops[i] = fmt.Sprintf(`{"method":"POST","path":"/Users","bulkId":"u%d","data":{"schemas":["%s"],"userName":"limit%d@example.com"}}`, i, userURN, i)
		}
		r := e.bulk(t, "", ops...)
		isSCIMError(t, r, 413, "")
		if !strings.Contains(r.str("detail"), "maxOperations") || !strings.Contains(r.str("detail"), fmt.Sprint(scim.MaxOperations)) {
			t.Errorf("detail does not name the limit: %s", r.str("detail"))
		}
		if l := e.do("GET", "/scim/v2/Users?filter="+q(`userName sw "limit"`), ""); l.num("totalResults") != 0 {
			t.Errorf("an oversized request ran operations: %d users", l.num("totalResults"))
		}
		// Exactly maxOperations is fine (parsing, at least: they are DELETEs
		// of unknown users, so each answers 404).
		del := make([]string, scim.MaxOperations)
		for i := range del {
			del[i] = `{"method":"DELETE","path":"/Users/0196f0e0-0000-7000-8000-000000000000"}`
		}
		if got := bulkOps(t, e.bulk(t, "", del...)); len(got) != scim.MaxOperations {
			t.Errorf("%d results", len(got))
		}
		// Over maxPayloadSize.
		big := `{"method":"POST","path":"/Users","bulkId":"big","data":{"schemas":["` + userURN + `"],"userName":"big@example.com","title":"` + strings.Repeat("x", scim.MaxPayloadSize) + `"}}`
		r = e.bulk(t, "", big)
		isSCIMError(t, r, 413, "")
		if !strings.Contains(r.str("detail"), "maxPayloadSize") || !strings.Contains(r.str("detail"), fmt.Sprint(scim.MaxPayloadSize)) {
			t.Errorf("detail does not name the limit: %s", r.str("detail"))
		}
	})
}
