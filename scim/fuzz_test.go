package scim_test

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// Fuzzing the two places an identity provider's text becomes structure:
// filters (parsed, then translated to SQL) and PATCH bodies (decoded,
// their paths parsed, then applied). Whatever arrives, the answer is a
// deliberate one: never a panic, never a 5xx, and every refusal a SCIM
// Error document. Run with
//
//	go test ./scim -run '^$' -fuzz FuzzFilter -fuzztime 90s -fuzzminimizetime 0
//	go test ./scim -run '^$' -fuzz FuzzPatch -fuzztime 90s -fuzzminimizetime 0
//
// (MUSTER_FUZZ_DIALECT=postgres with MUSTER_TEST_POSTGRES_URL fuzzes on
// PostgreSQL.) -fuzzminimizetime 0: the targets run against a real
// database whose instrumented code takes new paths as it grows, so a
// third of all inputs look new; minimizing each (60 s by default) would
// leave next to no time for fuzzing.
//
// Inputs that failed once are kept under testdata/fuzz/ and run with
// every plain `go test`, as are the seeds below.

// fuzzEnv is one workspace, made once per fuzz target, with a provisioned
// user (managed by another), a group holding both, and the seeded admin.
type fuzzEnv struct {
	e                                             *env
	user, manager, admin, group, adminRole        string
	userPath, adminPath, groupPath, adminRolePath string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	// SQLite, unless MUSTER_FUZZ_DIALECT=postgres (with MUSTER_TEST_POSTGRES_URL).
	e := newEnv(f, cmp.Or(os.Getenv("MUSTER_FUZZ_DIALECT"), "sqlite"))
	fe := &fuzzEnv{e: e}
	fe.manager = e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"boss@example.com","displayName":"Boss"}`).want(f, 201).str("id")
	fe.user = e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
		`"userName":"fuzz@example.com","externalId":"00u-fuzz","name":{"givenName":"Fuzz","familyName":"Target"},`+
		`"emails":[{"value":"fuzz@example.com","type":"work","primary":true}],"addresses":[{"type":"work","locality":"Ghent"}],"title":"Tester",`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42","department":"QA","manager":{"value":"`+fe.manager+`"}}}`).want(f, 201).str("id")
	fe.admin = isoOneID(f, e, e.token, "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`))
	fe.adminRole = isoOneID(f, e, e.token, "/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "Admin"`))
	fe.group = e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Fuzzers","externalId":"g-fuzz",`+
		`"members":[{"value":"`+fe.user+`"},{"value":"`+fe.admin+`"}]}`).want(f, 201).str("id")
	fe.userPath, fe.adminPath = "/scim/v2/Users/"+fe.user, "/scim/v2/Users/"+fe.admin
	fe.groupPath, fe.adminRolePath = "/scim/v2/Groups/"+fe.group, "/scim/v2/Groups/"+fe.adminRole
	return fe
}

// as is the env reporting to t: a fuzz function must not fail its F.
func (fe *fuzzEnv) as(t *testing.T) *env {
	c := *fe.e
	c.t = t
	return &c
}

// fuzzCheck: not a server error, always SCIM JSON, and a refusal is a
// SCIM Error whose status is the response's.
func fuzzCheck(t *testing.T, what string, r *result) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%s: status %d: %s", what, r.Status, r.Raw)
	}
	if r.Raw != "" {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			t.Fatalf("%s: Content-Type %q: %s", what, ct, r.Raw)
		}
	}
	if r.Status < 300 || r.Status == 304 {
		return
	}
	schemas, _ := r.JSON["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("%s: status %d without the Error schema: %s", what, r.Status, r.Raw)
	}
	if r.str("status") != strconv.Itoa(r.Status) || r.str("detail") == "" {
		t.Fatalf("%s: status %d, error document %s", what, r.Status, r.Raw)
	}
}

// fuzzList checks a 200 is a sound ListResponse.
func fuzzList(t *testing.T, what string, r *result) {
	t.Helper()
	fuzzCheck(t, what, r)
	if r.Status != 200 {
		if r.Status != 400 {
			t.Fatalf("%s: status %d, want 200 or 400: %s", what, r.Status, r.Raw)
		}
		return
	}
	list, ok := r.JSON["Resources"].([]any)
	if !ok {
		t.Fatalf("%s: Resources is not a list: %s", what, r.Raw)
	}
	if r.num("itemsPerPage") != len(list) || r.num("totalResults") < len(list) {
		t.Fatalf("%s: itemsPerPage %d, totalResults %d, %d resources", what, r.num("itemsPerPage"), r.num("totalResults"), len(list))
	}
}

// fuzzMaxURL is the longest URL sent: the app reads request lines and
// headers of up to 32 KiB (handlers.New), and the headers need some.
const fuzzMaxURL = 30 << 10

func FuzzFilter(f *testing.F) {
	fe := newFuzzEnv(f)
	deep := func(n int, inner string) string {
		return strings.Repeat("(", n) + inner + strings.Repeat(")", n)
	}
	var ors []string
	for i := range 300 {
		ors = append(ors, `userName eq "u`+strconv.Itoa(i)+`"`)
	}
	for _, s := range []string{
		// What Okta and Entra send.
		`userName eq "fuzz@example.com"`,
		`userName eq "FUZZ@EXAMPLE.COM"`,
		`externalId eq "00u-fuzz"`,
		`displayName eq "Fuzzers"`,
		`id eq "` + fe.user + `"`,
		`emails[type eq "work" and value eq "fuzz@example.com"]`,
		`emails.value eq "fuzz@example.com"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "` + fe.manager + `"`,
		`userName sw "f" and title pr`,
		`userName ew ".com" or not (title pr)`,
		`active eq false`,
		`active eq "False"`,
		`meta.lastModified gt "2024-01-01T00:00:00Z"`,
		`members[value eq "` + fe.user + `"]`,
		`members.value eq "` + fe.user + `"`,
		`id eq "` + fe.group + `" and members[value eq "` + fe.user + `"]`,
		`roles[value eq "Admin"] or groups.display co "uzz"`,
		// Hostile and malformed.
		`emails co "x"`,
		`userName eq`,
		`a eq`,
		`foo eq "x"`,
		`active gt true`,
		`[`,
		`not(`,
		`not ()`,
		`emails[type eq "work"][value eq "x"]`,
		`emails[value eq "x"].value eq "y"`,
		`members[value eq "x" or value eq "y"].display pr`,
		`userName eq 42`,
		`userName eq null`,
		`userName ne null and title eq true`,
		`meta.created ge "not a time"`,
		`urn:foo:bar:baz eq "x"`,
		`userName eq "a\"b\\c\/d"`,
		`userName eq "%_\\"`,
		`userName co "\u0000"`,
		`displayName eq "Zoë 日本語 🙂 ẞ İ"`,
		`userName eq "` + strings.Repeat("A", 5000) + `"`,
		`userName eq "` + strings.Repeat("é", 3000) + `"`,
		strings.Join(ors, " or "),
		deep(60, `userName eq "x"`),
		deep(5000, `userName eq "x"`),
		strings.Repeat("not (", 100) + `title pr` + strings.Repeat(")", 100),
		strings.Repeat("(", 3000),
		"\xff\xfe userName eq \"\xc3\x28\"",
		"",
		" ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		e := fe.as(t)
		q := url.QueryEscape(filter)
		for _, p := range []string{"/scim/v2/Users?filter=" + q, "/scim/v2/Groups?filter=" + q,
			"/scim/v2/Users?count=2&sortBy=" + q + "&attributes=" + q, "/scim/v2/Groups?sortBy=" + q + "&excludedAttributes=" + q} {
			// A request line the server cannot read at all is refused
			// before any route sees it; longer filters go by .search.
			if len(p) <= fuzzMaxURL {
				fuzzList(t, "GET "+p, e.do("GET", p, ""))
			}
		}
		body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": filter})
		for _, p := range []string{"/scim/v2/Users/.search", "/scim/v2/Groups/.search"} {
			fuzzList(t, "POST "+p+" "+string(body), e.do("POST", p, string(body)))
		}
	})
}

func FuzzPatch(f *testing.F) {
	fe := newFuzzEnv(f)
	const urn = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	ops := func(list ...string) string { return `{` + urn + `,"Operations":[` + strings.Join(list, ",") + `]}` }
	for _, s := range []string{
		// Okta.
		ops(`{"op":"replace","value":{"active":false}}`),
		ops(`{"op":"replace","value":{"id":"` + fe.group + `","displayName":"Fuzzers"}}`),
		ops(`{"op":"remove","path":"members[value eq \"`+fe.user+`\"]"}`, `{"op":"add","path":"members","value":[{"value":"`+fe.user+`","display":"Fuzz"}]}`),
		ops(`{"op":"replace","path":"members","value":[{"value":"` + fe.admin + `"}]}`),
		ops(`{"op":"replace","path":"members","value":[]}`),
		// Entra, with and without aadOptscim062020.
		ops(`{"op":"Replace","path":"active","value":"False"}`),
		ops(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}`, `{"op":"Replace","path":"name.familyName","value":"Other"}`, `{"op":"Replace","path":"userName","value":"renamed@example.com"}`),
		ops(`{"op":"replace","value":{"displayName":"D","name.givenName":"G","name.familyName":"F","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"}}`),
		ops(`{"op":"Add","path":"emails[type eq \"home\"].value","value":"home@example.com"}`),
		ops(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"` + fe.user + `"}]}`),
		ops(`{"op":"Remove","path":"members","value":[{"value":"` + fe.admin + `"}]}`),
		ops(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"` + fe.manager + `"}}`),
		ops(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"` + fe.manager + `"}`),
		ops(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`),
		ops(`{"op":"add","path":"roles","value":[{"value":"Admin","display":"Admin","type":"x","primary":true}]}`),
		ops(`{"op":"remove","path":"roles[value eq \"Admin\"]"}`),
		ops(`{"op":"replace","path":"roles","value":[]}`),
		ops(`{"op":"replace","path":"addresses[type eq \"work\"].locality","value":"Leuven"}`),
		// Rejections.
		ops(`{"op":"remove"}`),
		ops(`{"op":"delete","path":"title"}`),
		ops(`{"op":"replace","path":"nope","value":"x"}`),
		ops(`{"op":"replace","path":"id","value":"x"}`),
		ops(`{"op":"remove","path":"userName"}`),
		ops(`{"op":"replace","path":"emails[type eq \"home\"].value","value":"x@example.com"}`),
		ops(),
		`{"schemas":["urn:wrong"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`,
		// Wrong types, nulls, nesting.
		ops(`{"op":"replace","path":"displayName","value":null}`),
		ops(`{"op":"replace","path":"title","value":42}`, `{"op":"replace","path":"active","value":[]}`),
		ops(`{"op":"replace","path":"name","value":{"givenName":{"x":[1,{"y":null}]}}}`),
		ops(`{"op":"add","value":{"emails":[{"value":7,"primary":"yes"}],"addresses":"x","roles":{"value":{}}}}`),
		ops(`{"op":"add","value":{"members":"` + fe.user + `","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}}`),
		ops(`{"op":null,"path":42,"value":true}`),
		ops(`{"op":"replace","path":"members[value eq \"x\"].display","value":"x"}`),
		ops(`{"op":"replace","path":"emails[","value":"x"}`, `{"op":"replace","path":"name.","value":"x"}`),
		ops(`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName","value":"Ω"}`),
		ops(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"` + strings.Repeat("x", 300) + `"}}`),
		ops(`{"op":"replace","path":"emails[type eq \"work\" and value co \"fuzz\"].value","value":"fuzz@example.com"}`),
		ops(`{"op":"replace","path":"roles[value eq \"Admin\"]","value":"Member"}`),
		`{` + urn + `,"Operations":{"op":"replace"}}`,
		`{` + urn + `,"Operations":"x"}`,
		`{"schemas":null}`,
		`{"Schemas":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[{"OP":"REPLACE","PATH":"TITLE","VALUE":"Caps"}]}`,
		`{` + urn + `,"Operations":[]} {}`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{` + urn + `,"Operations":[{"op":"add","value":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat("}", 5000) + `}]}`,
		"",
		"null",
		"{",
		"\x00",
		"\xff\xfe",
	} {
		f.Add(s)
	}
	for _, s := range []string{
		// Seeds for the value mode: paths, values, ids.
		"active", "members", "roles", "title", `emails[type eq "work"].value`, `members[value eq "` + fe.admin + `"]`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "Admin", fe.admin, fe.user,
		"ünïcödé 🙂", "\x00", "a\x01b", strings.Repeat("x", 300),
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body string) {
		e := fe.as(t)
		patch := func(p, body string) {
			t.Helper()
			r := e.do("PATCH", p, body)
			fuzzCheck(t, "PATCH "+p+" "+body, r)
			if r.Status != 200 && r.Status != 204 && r.Status != 400 && r.Status != 409 {
				t.Fatalf("PATCH %s %s: status %d: %s", p, body, r.Status, r.Raw)
			}
		}
		// The input as a whole body.
		for _, p := range []string{fe.userPath, fe.adminPath, fe.groupPath, fe.adminRolePath} {
			patch(p, body)
		}
		// The input as a value, a member id, a role name and a path inside
		// well-formed operations: where text meets validation and SQL.
		v, _ := json.Marshal(body)
		op := func(o string) string { return ops(strings.ReplaceAll(o, "$v", string(v))) }
		for _, path := range []string{"title", "locale", "externalId", "displayName", "name.givenName", "userName",
			`emails[type eq \"work\"].value`, `addresses[type eq \"work\"].locality`,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"} {
			patch(fe.userPath, op(`{"op":"replace","path":"`+path+`","value":$v}`))
		}
		patch(fe.userPath, op(`{"op":"add","path":"roles","value":[{"value":$v}]}`))
		patch(fe.userPath, op(`{"op":"replace","path":$v,"value":"x"}`))
		patch(fe.adminPath, op(`{"op":"replace","path":$v,"value":false}`))
		patch(fe.adminPath, op(`{"op":"remove","path":$v}`))
		patch(fe.groupPath, op(`{"op":"replace","path":"externalId","value":$v}`))
		patch(fe.groupPath, op(`{"op":"replace","path":"displayName","value":$v}`))
		patch(fe.groupPath, op(`{"op":"add","path":"members","value":[{"value":$v}]}`))
		patch(fe.adminRolePath, op(`{"op":"remove","path":$v}`))
		inner, _ := json.Marshal("members[value eq " + string(v) + "]")
		patch(fe.adminRolePath, ops(`{"op":"remove","path":`+string(inner)+`}`))
		// The last-admin rule held: the seeded admin is still an active Admin.
		m, err := e.store.SCIMUserByID(ctx, e.ws.ID, fe.admin)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != models.StatusActive || !slices.ContainsFunc(m.Roles, func(r models.Role) bool { return r.IsAdmin() }) {
			t.Fatalf("after %q the admin is %s with roles %v", body, m.Status, m.Roles)
		}
		for _, p := range []string{fe.userPath, fe.groupPath} {
			fuzzCheck(t, "GET "+p, e.do("GET", p, "").want(t, 200))
		}
	})
}

// Deep nesting is refused before parsing (the parser's time grows with
// the square of the depth); brackets inside a quoted value do not count.
func TestFilterNesting(t *testing.T) {
	e := newEnv(t, "sqlite")
	deep := func(n int) string { return strings.Repeat("(", n) + `userName eq "x"` + strings.Repeat(")", n) }
	e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(deep(10)), "").want(t, 200)
	isSCIMError(t, e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(deep(51)), ""), 400, "invalidFilter")
	isSCIMError(t, e.do("GET", "/scim/v2/Groups?filter="+url.QueryEscape(strings.Repeat("(", 9000)), ""), 400, "invalidFilter")
	quoted := `userName eq "` + strings.Repeat(`(\"[`, 100) + `" or title pr`
	e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(quoted), "").want(t, 200)
	isSCIMError(t, e.do("PATCH", "/scim/v2/Users/x", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[`+strings.Repeat("(", 5000)+`"}]}`), 404, "")
	id := e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n@example.com"}`).want(t, 201).str("id")
	isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[`+strings.Repeat("(", 5000)+`"}]}`), 400, "invalidPath")
}

// Values a database cannot hold (a NUL; more characters than the column
// has on PostgreSQL) are refused as the IdP's mistake, not a 500, on both
// databases: what FuzzPatch's value mode looks for.
func TestHostileValues(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const patchURN = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`
		uid := e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"h@example.com"}`).want(t, 201).str("id")
		gid := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Hostile"}`).want(t, 201).str("id")
		long := strings.Repeat("x", 300)
		for _, v := range []string{`"a\u0000b"`, `"\u0000"`, `"a\u0001b"`, `"` + long + `"`} {
			for _, p := range []string{"title", "locale", "externalId", "displayName", "name.givenName", "name.familyName", "userName",
				`emails[type eq \"work\"].value`, `emails[type eq \"work\"].type`, `addresses[type eq \"work\"].locality`,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"} {
				r := e.do("PATCH", "/scim/v2/Users/"+uid, patchURN+`{"op":"replace","path":"`+p+`","value":`+v+`}]}`)
				isSCIMError(t, r, 400, "")
			}
			isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+uid, patchURN+`{"op":"add","path":"roles","value":[{"value":`+v+`}]}]}`), 400, "")
			isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patchURN+`{"op":"replace","path":"externalId","value":`+v+`}]}`), 400, "")
			isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patchURN+`{"op":"replace","path":"displayName","value":`+v+`}]}`), 400, "")
			isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n@example.com","locale":`+v+`}`), 400, "")
			isSCIMError(t, e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"N","externalId":`+v+`}`), 400, "")
			// Unknown member ids are skipped, whatever they hold.
			e.do("PATCH", "/scim/v2/Groups/"+gid, patchURN+`{"op":"add","path":"members","value":[{"value":`+v+`},{"value":"`+uid+`"}]}]}`).want(t, 204)
			e.do("PATCH", "/scim/v2/Groups/"+gid, patchURN+`{"op":"remove","path":"members","value":[{"value":`+v+`}]}]}`).want(t, 204)
			e.do("PUT", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Hostile","members":[{"value":`+v+`}]}`).want(t, 200)
			fuzzList(t, "filter", e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq `+v), ""))
			fuzzList(t, "filter", e.do("GET", "/scim/v2/Groups?filter="+url.QueryEscape(`members[value eq `+v+`]`), ""))
		}
		for _, id := range []string{"%00", "a%00b", url.PathEscape(long)} {
			isSCIMError(t, e.do("GET", "/scim/v2/Users/"+id, ""), 404, "")
			isSCIMError(t, e.do("DELETE", "/scim/v2/Groups/"+id, ""), 404, "")
			isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+id, patchURN+`{"op":"replace","path":"displayName","value":"x"}]}`), 404, "")
		}
		b := e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+
			`{"method":"DELETE","path":"/Users/a\u0000b"},{"method":"PUT","path":"/Groups/`+gid+`","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Hostile","externalId":"\u0000"}}]}`).want(t, 200)
		if ops, _ := b.JSON["Operations"].([]any); len(ops) != 2 || ops[0].(map[string]any)["status"] != "404" || ops[1].(map[string]any)["status"] != "400" {
			t.Errorf("bulk: %s", b.Raw)
		}
	})
}
