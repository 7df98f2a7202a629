package scim_test

// Helpers for the interop tests (interop_*_test.go): each test there
// replays one numbered case of the shared scim-interop.md checklist (the SCIM
// checklist) and is named after it, "case08_okta_create" for case 8.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

const (
	userURN     = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN    = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entURN      = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listURN     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchURN   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	bulkReqURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkRespURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	adscimURN   = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// The request bodies below are elimity-com/scim's recorded IdP requests
// (internal/idp_test/testdata/{okta,azuread}), verbatim. Ids in them are
// the IdP's; tests swap them for real ones with strings.ReplaceAll.

// okta/create_user.json
const oktaCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "test.user@okta.local",
  "name": {"givenName": "Test", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
  "displayName": "Test User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  "password": "1mz050nq",
  "active": true
}`

// okta/update_user.json (PUT, with the user's id and meta)
const oktaPutUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
  "userName": "test.user@okta.local",
  "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
  "active": true,
  "groups": [],
  "meta": {"resourceType": "User"}
}`

// okta/update_user_patch.json
const oktaDeactivate = `{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{"op": "replace", "value": {"active": false}}]
}`

// okta/create_group.json
const oktaCreateGroup = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "displayName": "Test SCIMv2",
  "members": []
}`

// okta/update_group_name.json (the group's id is abf4dd94-…)
const oktaRenameGroup = `{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{"op": "replace", "value": {"id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b", "displayName": "Test SCIMv2"}}]
}`

// okta/update_group_membership.json: u1 is 89bb1940-…, u2 is 23a35c27-….
const (
	oktaU1             = "89bb1940-b905-4575-9e7f-6f887cfb368e"
	oktaU2             = "23a35c27-23d3-4c03-b4c5-6443c09e7173"
	oktaGroupID        = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"
	oktaMembershipOps1 = `{"op": "remove", "path": "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"}`
	oktaMembershipOps2 = `{"op": "add", "path": "members", "value": [{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}]}`
	oktaMembershipOps3 = `{"op": "replace", "path": "members", "value": [
    {"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"},
    {"value": "89bb1940-b905-4575-9e7f-6f887cfb368e", "display": "test.user@okta.local"}]}`
)

// azuread/create_user.json
const entraCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": []
}`

// azuread/update_user.json
const entraUpdateUser = `{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [
    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
    {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    {"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
    {"op": "Replace", "path": "active", "value": false}
  ]
}`

// azuread/create_group.json
const entraCreateGroup = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
  "displayName": "displayName",
  "meta": {"resourceType": "Group"}
}`

// azuread/update_group.json: the member is f648f8d5ea4e4cd38e9c.
const (
	entraMember      = "f648f8d5ea4e4cd38e9c"
	entraUpdateGroup = `{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [
    {"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"},
    {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]},
    {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]}
  ]
}`
)

// suite runs checklist cases. The cases of one test share a store per
// database, and each case gets a workspace of its own (with its own SCIM
// token and app): a workspace is all a token sees, so cases never see
// each other's users or groups, while PostgreSQL's CREATE DATABASE and
// migrations (seconds each) are paid once per test, not once per case.
type suite struct {
	t     *testing.T
	bases map[string]*env
}

func newSuite(t *testing.T) *suite {
	s := &suite{t: t, bases: map[string]*env{}}
	for _, d := range modelstest.Dialects() {
		s.bases[d] = newEnv(t, d)
	}
	return s
}

// run runs one case, in parallel with the others, on every database.
func (s *suite) run(name string, fn func(t *testing.T, e *env)) {
	s.t.Run(name, func(t *testing.T) {
		t.Parallel()
		for _, d := range modelstest.Dialects() {
			t.Run(d, func(t *testing.T) { fn(t, s.fresh(t, d, name)) })
		}
	})
}

// alone runs a case on stores of its own, for cases that bend the store
// (closing it, setting its clock) or hold SQLite's one writer for long
// (a /Bulk of thousands of operations would make the other cases wait).
func (s *suite) alone(name string, fn func(t *testing.T, e *env)) {
	s.t.Run(name, func(t *testing.T) {
		t.Parallel()
		each(t, fn)
	})
}

// fresh makes a new workspace in the shared store, as SetUp's: Ada
// (ada@example.com) is its only member and Admin.
func (s *suite) fresh(t *testing.T, dialect, name string) *env {
	t.Helper()
	base := s.bases[dialect]
	ctx := context.Background()
	ws, err := base.store.CreateWorkspace(ctx, base.admin, name)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := base.store.CreateSCIMToken(ctx, models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	app := handlers.New(handlers.Options{Store: base.store, BaseURL: "https://muster.example.com"})
	return &env{t: t, app: app, store: base.store, ws: ws, admin: base.admin, token: token}
}

// patch builds a PatchOp body from operations given as JSON.
func patch(ops ...string) string {
	return `{"schemas":["` + patchURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// js renders v as JSON (for building bodies).
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// q escapes a filter for a query string.
func q(filter string) string { return url.QueryEscape(filter) }

// userBody is a plain Okta-style user: userName, one work email, a name.
func userBody(userName string, extra map[string]any) string {
	email := userName
	if !strings.Contains(email, "@") {
		email = userName + "@example.com"
	}
	body := map[string]any{
		"schemas":  []string{userURN},
		"userName": userName,
		"name":     map[string]any{"givenName": "Given", "familyName": "Family"},
		"emails":   []any{map[string]any{"primary": true, "value": email, "type": "work"}},
		"active":   true,
	}
	for k, v := range extra {
		body[k] = v
	}
	return js(body)
}

// newUser provisions a user and returns its id.
func (e *env) newUser(t *testing.T, userName string, extra map[string]any) string {
	t.Helper()
	r := e.do("POST", "/scim/v2/Users", userBody(userName, extra)).want(t, 201)
	if r.str("id") == "" {
		t.Fatalf("no id: %s", r.Raw)
	}
	return r.str("id")
}

// newGroup pushes a group with members and returns its id.
func (e *env) newGroup(t *testing.T, name string, members ...string) string {
	t.Helper()
	list := []any{}
	for _, m := range members {
		list = append(list, map[string]any{"value": m})
	}
	r := e.do("POST", "/scim/v2/Groups", js(map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": list})).want(t, 201)
	return r.str("id")
}

// member reads a member from the store (with roles).
func (e *env) member(t *testing.T, id string) *models.Member {
	t.Helper()
	m, err := e.store.SCIMUserByID(context.Background(), e.ws.ID, id)
	if err != nil {
		t.Fatalf("member %s: %v", id, err)
	}
	return m
}

// roles lists a member's role names, sorted.
func (e *env) roles(t *testing.T, id string) []string {
	t.Helper()
	var names []string
	for _, r := range e.member(t, id).Roles {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// roleID finds a role of the workspace by name.
func (e *env) roleID(t *testing.T, name string) string {
	t.Helper()
	roles, err := e.store.Roles(context.Background(), e.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %q", name)
	return ""
}

// adaID is the member SetUp created: the workspace's only active Admin.
func (e *env) adaID(t *testing.T) string {
	t.Helper()
	r := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "ada@example.com"`), "").want(t, 200)
	res := r.resources()
	if len(res) != 1 {
		t.Fatalf("ada: %s", r.Raw)
	}
	return res[0]["id"].(string)
}

// groupMembers reads a group's member ids through GET, sorted.
func (e *env) groupMembers(t *testing.T, gid string) []string {
	t.Helper()
	r := e.do("GET", "/scim/v2/Groups/"+gid, "").want(t, 200)
	list, ok := r.JSON["members"].([]any)
	if !ok {
		t.Fatalf("no members list: %s", r.Raw)
	}
	ids := []string{}
	for _, m := range list {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	slices.Sort(ids)
	return ids
}

// at walks a decoded JSON value: string keys index objects, ints arrays.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// field reads one attribute of every resource of a list, sorted.
func field(r *result, name string) []string {
	out := []string{}
	for _, x := range r.resources() {
		out = append(out, fmt.Sprint(x[name]))
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if got == nil {
		got = []string{}
	}
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// isInt: a JSON number without a fraction (not a string).
func isInt(v any) bool {
	f, ok := v.(float64)
	return ok && f == float64(int(f))
}

// checkList checks a ListResponse's shape: its schema, integers, a
// Resources list (never null) and itemsPerPage equal to what it holds.
func checkList(t *testing.T, r *result) {
	t.Helper()
	r.want(t, 200)
	if s := at(r.JSON, "schemas", 0); s != listURN {
		t.Errorf("schemas %v: %s", r.JSON["schemas"], r.Raw)
	}
	for _, k := range []string{"totalResults", "startIndex", "itemsPerPage"} {
		if !isInt(r.JSON[k]) {
			t.Errorf("%s is %#v, want an integer: %s", k, r.JSON[k], r.Raw)
		}
	}
	if _, ok := r.JSON["Resources"].([]any); !ok {
		t.Errorf("Resources is %#v, want a list: %s", r.JSON["Resources"], r.Raw)
	}
	if r.num("itemsPerPage") != len(r.resources()) {
		t.Errorf("itemsPerPage %d, but %d resources", r.num("itemsPerPage"), len(r.resources()))
	}
}

// liveTooLarge announces a body over Fiber's BodyLimit on a real loopback
// connection and reads the answer: app.Test reports Fiber's refusal as an
// error, and a client that writes the whole body gets its connection reset.
func (e *env) liveTooLarge(t *testing.T, path string) *result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: muster.example.com\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n{", path, e.token, e.app.Config().BodyLimit+1)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := &result{Status: res.StatusCode, Header: res.Header, Raw: string(b)}
	if err := json.Unmarshal(b, &out.JSON); err != nil {
		t.Fatalf("POST %s: body is not JSON (%d): %s", path, res.StatusCode, b)
	}
	return out
}
