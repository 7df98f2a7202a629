package scim_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// Tenant isolation: a SCIM token reaches its own workspace and nothing
// else. Workspace A's token tries every route to workspace B's users and
// groups (by id, by filter, through /Bulk and .search, by adding B's
// members to A's groups); each must fail as if B's resources did not
// exist, and B must be byte-for-byte what it was.

const (
	isoUserURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	isoGroupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	isoPatchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

func isoUserBody(userName, externalID, displayName string) string {
	b, _ := json.Marshal(map[string]any{
		"schemas": []string{isoUserURN}, "userName": userName, "externalId": externalID, "displayName": displayName,
		"name":   map[string]any{"givenName": displayName, "familyName": "Test"},
		"emails": []map[string]any{{"value": userName, "type": "work", "primary": true}},
		"active": true,
	})
	return string(b)
}

func isoGroupBody(name, externalID string, members ...string) string {
	list := make([]map[string]any, len(members))
	for i, m := range members {
		list[i] = map[string]any{"value": m}
	}
	g := map[string]any{"schemas": []string{isoGroupURN}, "displayName": name, "members": list}
	if externalID != "" {
		g["externalId"] = externalID
	}
	b, _ := json.Marshal(g)
	return string(b)
}

func isoPatch(ops ...string) string {
	return `{"schemas":["` + isoPatchURN + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func isoMembers(ids ...string) string {
	list := make([]map[string]any, len(ids))
	for i, id := range ids {
		list[i] = map[string]any{"value": id}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// isoIDs lists the ids of a ListResponse's resources, sorted.
func isoIDs(r *result) []string {
	var ids []string
	for _, res := range r.resources() {
		id, _ := res["id"].(string)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func isoSorted(ids ...string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

// isoGroupMemberIDs reads a group's member ids (as its token sees it).
func isoGroupMemberIDs(e *env, token, id string) []string {
	e.t.Helper()
	r := e.doAs(token, "GET", "/scim/v2/Groups/"+id, "").want(e.t, 200)
	var ids []string
	list, _ := r.JSON["members"].([]any)
	for _, m := range list {
		obj, _ := m.(map[string]any)
		v, _ := obj["value"].(string)
		ids = append(ids, v)
	}
	sort.Strings(ids)
	return ids
}

func isoOneID(t testing.TB, e *env, token, path string) string {
	t.Helper()
	r := e.doAs(token, "GET", path, "").want(t, 200)
	if r.num("totalResults") != 1 {
		t.Fatalf("GET %s: %d results, want 1: %s", path, r.num("totalResults"), r.Raw)
	}
	return isoIDs(r)[0]
}

type isoWorkspace struct {
	ws    *models.Workspace
	token string
	// users
	admin, u1, u2, shared string
	// groups
	adminRole, memberRole, team, sharedTeam string
}

func (w isoWorkspace) users() []string { return isoSorted(w.admin, w.u1, w.u2, w.shared) }
func (w isoWorkspace) groups() []string {
	return isoSorted(w.adminRole, w.memberRole, w.team, w.sharedTeam)
}

// isoPopulate gives a workspace two users of its own, one user and one
// group whose userName, externalId and displayName the other workspace
// has too, and a team.
func isoPopulate(t *testing.T, e *env, w *isoWorkspace, prefix, domain, teamName string) {
	t.Helper()
	create := func(path, body string) string {
		t.Helper()
		return e.doAs(w.token, "POST", path, body).want(t, 201).str("id")
	}
	w.u1 = create("/scim/v2/Users", isoUserBody(prefix+"1@"+domain, "ext-"+prefix+"1", teamName+" One"))
	w.u2 = create("/scim/v2/Users", isoUserBody(prefix+"2@"+domain, "ext-"+prefix+"2", teamName+" Two"))
	w.shared = create("/scim/v2/Users", isoUserBody("shared@example.test", "ext-shared", teamName+" Shared"))
	w.team = create("/scim/v2/Groups", isoGroupBody(teamName+" Team", "ext-"+prefix+"g", w.u1, w.u2))
	w.sharedTeam = create("/scim/v2/Groups", isoGroupBody("Shared Team", "ext-sg", w.shared))
	w.admin = isoOneID(t, e, w.token, `/scim/v2/Users?filter=`+url.QueryEscape(`userName eq "ada@example.com"`))
	w.adminRole = isoOneID(t, e, w.token, `/scim/v2/Groups?filter=`+url.QueryEscape(`displayName eq "Admin"`))
	w.memberRole = isoOneID(t, e, w.token, `/scim/v2/Groups?filter=`+url.QueryEscape(`displayName eq "Member"`))
}

// isoSnapshot is everything B's own token sees of B, and what B's rows
// in the database add up to.
func isoSnapshot(t *testing.T, e *env, b isoWorkspace) map[string]string {
	t.Helper()
	snap := map[string]string{}
	paths := []string{"/scim/v2/Users?count=1000", "/scim/v2/Groups?count=1000"}
	for _, id := range b.users() {
		paths = append(paths, "/scim/v2/Users/"+id)
	}
	for _, id := range b.groups() {
		paths = append(paths, "/scim/v2/Groups/"+id)
	}
	for _, p := range paths {
		r := e.doAs(b.token, "GET", p, "").want(t, 200)
		snap[p] = r.Header.Get("ETag") + " " + r.Raw
	}
	ctx := context.Background()
	db := e.store.DB()
	count := func(name string, n int64, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		snap["db "+name] = fmt.Sprint(n)
	}
	n, err := db.NewSelect().Table("audit_events").Where("workspace_id = ?", b.ws.ID).Count(ctx)
	count("audit_events", n, err)
	n, err = db.NewSelect().Table("members").Where("workspace_id = ?", b.ws.ID).Count(ctx)
	count("members", n, err)
	n, err = db.NewSelect().Table("roles").Where("workspace_id = ?", b.ws.ID).Count(ctx)
	count("roles", n, err)
	n, err = db.NewSelect().Table("member_roles").Where("role_id IN (SELECT id FROM roles WHERE workspace_id = ?)", b.ws.ID).Count(ctx)
	count("member_roles", n, err)
	n, err = db.NewSelect().Table("invites").Where("workspace_id = ?", b.ws.ID).Count(ctx)
	count("invites", n, err)
	return snap
}

func TestTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		wsB, err := e.store.CreateWorkspace(ctx, e.admin, "Beta")
		if err != nil {
			t.Fatal(err)
		}
		tokB, _, err := e.store.CreateSCIMToken(ctx, models.SystemActor, wsB, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		a := isoWorkspace{ws: e.ws, token: e.token}
		b := isoWorkspace{ws: wsB, token: tokB}
		isoPopulate(t, e, &a, "a", "alpha.test", "Alpha")
		isoPopulate(t, e, &b, "b", "beta.test", "Beta")
		// The admin account is in both workspaces: the same userName, two members.
		if a.admin == b.admin || a.adminRole == b.adminRole || a.shared == b.shared || a.sharedTeam == b.sharedTeam {
			t.Fatal("workspaces share ids")
		}
		before := isoSnapshot(t, e, b)
		aAll := a.users()
		bIDs := map[string]bool{}
		for _, id := range append(b.users(), b.groups()...) {
			bIDs[id] = true
		}

		// --- Direct access by id.
		for _, id := range b.users() {
			p := "/scim/v2/Users/" + id
			isSCIMError(t, e.do("GET", p, ""), 404, "")
			isSCIMError(t, e.do("GET", p+"?attributes=userName", ""), 404, "")
			isSCIMError(t, e.do("GET", p, "", "If-None-Match", "*"), 404, "")
			isSCIMError(t, e.do("GET", p, "", "If-None-Match", `W/"1"`), 404, "")
			isSCIMError(t, e.do("PUT", p, isoUserBody("taken@alpha.test", "ext-x", "Hijacked")), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"Replace","path":"active","value":"False"}`)), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"replace","value":{"displayName":"Hijacked","active":false}}`), "If-Match", `W/"1"`), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"add","path":"roles","value":[{"value":"Admin"}]}`)), 404, "")
			isSCIMError(t, e.do("DELETE", p, "", "If-Match", `W/"1"`), 404, "")
			isSCIMError(t, e.do("DELETE", p, ""), 404, "")
		}
		for _, id := range b.groups() {
			p := "/scim/v2/Groups/" + id
			isSCIMError(t, e.do("GET", p, ""), 404, "")
			isSCIMError(t, e.do("GET", p+"?excludedAttributes=members", ""), 404, "")
			isSCIMError(t, e.do("GET", p, "", "If-None-Match", "*"), 404, "")
			isSCIMError(t, e.do("PUT", p, isoGroupBody("Hijacked", "", a.u1)), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"replace","path":"members","value":[]}`)), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"add","path":"members","value":`+isoMembers(a.u1)+`}`)), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"remove","path":"members[value eq \"`+b.u1+`\"]"}`)), 404, "")
			isSCIMError(t, e.do("PATCH", p, isoPatch(`{"op":"Replace","value":{"id":"`+id+`","displayName":"Hijacked"}}`), "If-Match", `W/"1"`), 404, "")
			isSCIMError(t, e.do("DELETE", p, ""), 404, "")
		}

		// --- Filters that name B's ids, userNames and externalIds.
		q := func(f string) string { return url.QueryEscape(f) }
		userFilters := []struct {
			filter string
			want   []string
		}{
			{`id eq "` + b.u1 + `"`, nil},
			{`id eq "` + b.admin + `"`, nil},
			{`ID EQ "` + b.u2 + `"`, nil},
			{`urn:ietf:params:scim:schemas:core:2.0:User:id eq "` + b.u1 + `"`, nil},
			{`userName eq "b1@beta.test"`, nil},
			{`userName eq "B1@BETA.TEST"`, nil},
			{`externalId eq "ext-b1"`, nil},
			{`userName eq "shared@example.test"`, []string{a.shared}},
			{`externalId eq "ext-shared"`, []string{a.shared}},
			{`userName eq "ada@example.com"`, []string{a.admin}},
			{`id eq "` + b.u1 + `" or id eq "` + a.u1 + `"`, []string{a.u1}},
			{`(id eq "` + b.u1 + `") or (id eq "` + b.u2 + `") or (id eq "` + b.shared + `")`, nil},
			{`userName eq "b1@beta.test" or externalId eq "ext-b2" or userName eq "a2@alpha.test"`, []string{a.u2}},
			{`id eq "` + b.u1 + `" and userName eq "b1@beta.test"`, nil},
			{`id eq "` + b.u1 + `" or userName pr`, aAll},
			{`not (id eq "` + b.u1 + `")`, aAll},
			{`not (id eq "` + a.u1 + `")`, isoSorted(a.admin, a.u2, a.shared)},
			{`not (userName eq "b1@beta.test" or userName eq "b2@beta.test")`, aAll},
			{`not (not (id eq "` + b.u1 + `"))`, nil},
			{`id ne "` + b.u1 + `"`, aAll},
			{`userName pr`, aAll},
			{`userName sw "b"`, nil},
			{`emails.value co "beta"`, nil},
			{`emails co "beta"`, nil},
			{`emails[value eq "b1@beta.test"]`, nil},
			{`emails[type eq "work" and value ew "beta.test"]`, nil},
			{`displayName sw "Beta"`, nil},
			{`groups[value eq "` + b.team + `"]`, nil},
			{`groups.value eq "` + b.adminRole + `"`, nil},
			{`roles[value eq "Beta Team"]`, nil},
			{`roles.value eq "Admin"`, []string{a.admin}},
			{`groups.display eq "Shared Team"`, []string{a.shared}},
			{`userName eq "b1@beta.test" or not (externalId pr)`, []string{a.admin}},
			{`meta.created gt "2000-01-01T00:00:00Z"`, aAll},
		}
		for _, c := range userFilters {
			for _, extra := range []string{"", "&sortBy=userName&sortOrder=descending", "&count=1000&startIndex=1"} {
				r := e.do("GET", "/scim/v2/Users?filter="+q(c.filter)+extra, "").want(t, 200)
				isoCheckList(t, "Users "+c.filter+extra, r, c.want, bIDs)
			}
			s := e.do("POST", "/scim/v2/Users/.search", isoSearch(c.filter)).want(t, 200)
			isoCheckList(t, "Users/.search "+c.filter, s, c.want, bIDs)
		}
		groupFilters := []struct {
			filter string
			want   []string
		}{
			{`id eq "` + b.team + `"`, nil},
			{`id eq "` + b.adminRole + `"`, nil},
			{`displayName eq "Beta Team"`, nil},
			{`displayName eq "Shared Team"`, []string{a.sharedTeam}},
			{`displayName eq "Admin"`, []string{a.adminRole}},
			{`externalId eq "ext-bg"`, nil},
			{`externalId eq "ext-sg"`, []string{a.sharedTeam}},
			{`members[value eq "` + b.u1 + `"]`, nil},
			{`members[value eq "` + b.admin + `"]`, nil},
			{`members.value eq "` + b.shared + `"`, nil},
			{`members[display sw "Beta"]`, nil},
			{`members[value eq "` + b.u1 + `"] or displayName eq "Alpha Team"`, []string{a.team}},
			{`id eq "` + b.team + `" or id eq "` + a.team + `"`, []string{a.team}},
			{`id eq "` + a.team + `" and members[value eq "` + b.u1 + `"]`, nil},
			{`not (members[value eq "` + b.u1 + `"])`, a.groups()},
			{`not (id eq "` + b.team + `")`, a.groups()},
			{`displayName pr`, a.groups()},
			{`members pr`, a.groups()},
		}
		for _, c := range groupFilters {
			for _, extra := range []string{"", "&excludedAttributes=members", "&sortBy=displayName&count=1000"} {
				r := e.do("GET", "/scim/v2/Groups?filter="+q(c.filter)+extra, "").want(t, 200)
				isoCheckList(t, "Groups "+c.filter+extra, r, c.want, bIDs)
			}
			s := e.do("POST", "/scim/v2/Groups/.search", isoSearch(c.filter)).want(t, 200)
			isoCheckList(t, "Groups/.search "+c.filter, s, c.want, bIDs)
		}
		// Unfiltered pages: totalResults counts A's alone, page after page.
		for _, kind := range []string{"Users", "Groups"} {
			want := aAll
			if kind == "Groups" {
				want = a.groups()
			}
			var seen []string
			for start := 1; start <= len(want)+1; start++ {
				r := e.do("GET", fmt.Sprintf("/scim/v2/%s?count=1&startIndex=%d", kind, start), "").want(t, 200)
				if r.num("totalResults") != len(want) {
					t.Errorf("%s page %d: totalResults %d, want %d", kind, start, r.num("totalResults"), len(want))
				}
				seen = append(seen, isoIDs(r)...)
			}
			if sort.Strings(seen); !slices.Equal(seen, want) {
				t.Errorf("%s pages hold %v, want %v", kind, seen, want)
			}
		}

		// --- Adding B's members to A's groups: they are skipped.
		e.do("PATCH", "/scim/v2/Groups/"+a.team, isoPatch(`{"op":"add","path":"members","value":`+isoMembers(b.u1, b.u2, b.admin, a.shared)+`}`)).want(t, 204)
		if got, want := isoGroupMemberIDs(e, a.token, a.team), isoSorted(a.u1, a.u2, a.shared); !slices.Equal(got, want) {
			t.Errorf("after adding B's members: %v, want %v", got, want)
		}
		e.do("PATCH", "/scim/v2/Groups/"+a.team, isoPatch(`{"op":"replace","path":"members","value":`+isoMembers(b.u1, a.u1)+`}`)).want(t, 204)
		if got, want := isoGroupMemberIDs(e, a.token, a.team), []string{a.u1}; !slices.Equal(got, want) {
			t.Errorf("after replacing with B's members: %v, want %v", got, want)
		}
		// Entra's path-less add with B's ids, and PUT.
		e.do("PATCH", "/scim/v2/Groups/"+a.team, isoPatch(`{"op":"Add","value":{"members":`+isoMembers(b.u2, b.shared)+`}}`)).want(t, 204)
		put := e.do("PUT", "/scim/v2/Groups/"+a.team, isoGroupBody("Alpha Team", "ext-ag", b.u1, a.u1, a.u2)).want(t, 200)
		if strings.Contains(put.Raw, b.u1) {
			t.Errorf("PUT's answer names B's member: %s", put.Raw)
		}
		if got, want := isoGroupMemberIDs(e, a.token, a.team), isoSorted(a.u1, a.u2); !slices.Equal(got, want) {
			t.Errorf("after PUT with B's members: %v, want %v", got, want)
		}
		created := e.do("POST", "/scim/v2/Groups", isoGroupBody("Injected", "", b.u1, b.admin)).want(t, 201)
		if got := isoGroupMemberIDs(e, a.token, created.str("id")); len(got) != 0 {
			t.Errorf("a new group with B's members holds %v", got)
		}
		// A role name only B has is no role of A's: A gets a role of its
		// own by that name (as for any unknown name), B's is untouched.
		named := e.do("PATCH", "/scim/v2/Users/"+a.u1, isoPatch(`{"op":"add","path":"roles","value":[{"value":"Beta Team"}]}`)).want(t, 200)
		if strings.Contains(named.Raw, b.team) {
			t.Errorf("A's user holds B's role: %s", named.Raw)
		}
		if got, want := isoGroupMemberIDs(e, b.token, b.team), isoSorted(b.u1, b.u2); !slices.Equal(got, want) {
			t.Errorf("B's Beta Team: %v, want %v", got, want)
		}
		e.do("PATCH", "/scim/v2/Users/"+a.u1, isoPatch(`{"op":"remove","path":"roles[value eq \"Beta Team\"]"}`)).want(t, 200)
		// A userName taken only in B is free in A.
		mine := e.do("POST", "/scim/v2/Users", isoUserBody("b1@beta.test", "ext-b1", "Mine")).want(t, 201).str("id")
		if got := isoIDs(e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "b1@beta.test"`), "").want(t, 200)); !slices.Equal(got, []string{mine}) {
			t.Errorf("A's lookup of its own b1: %v, want [%s]", got, mine)
		}

		// --- /Bulk operations that target B's ids.
		bulk := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` +
			`{"method":"PUT","path":"/Users/` + b.u1 + `","data":` + isoUserBody("b1@beta.test", "ext-b1", "Hijacked") + `},` +
			`{"method":"PATCH","path":"/Users/` + b.u2 + `","data":` + isoPatch(`{"op":"replace","path":"active","value":false}`) + `},` +
			`{"method":"DELETE","path":"/Users/` + b.shared + `"},` +
			`{"method":"DELETE","path":"/Users/` + b.admin + `","version":"W/\"1\""},` +
			`{"method":"PATCH","path":"/Groups/` + b.team + `","data":` + isoPatch(`{"op":"replace","path":"members","value":[]}`) + `},` +
			`{"method":"PUT","path":"/Groups/` + b.adminRole + `","data":` + isoGroupBody("Admin", "", a.u1) + `},` +
			`{"method":"DELETE","path":"/Groups/` + b.sharedTeam + `"},` +
			`{"method":"POST","path":"/Groups","bulkId":"g1","data":` + isoGroupBody("Bulk Injected", "", b.u1, b.admin) + `},` +
			`{"method":"PATCH","path":"/Groups/bulkId:g1","data":` + isoPatch(`{"op":"add","path":"members","value":`+isoMembers(b.u2)+`}`) + `},` +
			`{"method":"PATCH","path":"/Groups/` + a.team + `","data":` + isoPatch(`{"op":"add","path":"members","value":`+isoMembers(b.u1, b.u2)+`}`) + `},` +
			`{"method":"GET","path":"/Users/` + b.u1 + `"}` +
			`]}`
		br := e.do("POST", "/scim/v2/Bulk", bulk).want(t, 200)
		ops, _ := br.JSON["Operations"].([]any)
		wantStatus := []string{"404", "404", "404", "404", "404", "404", "404", "201", "204", "204", "400"}
		if len(ops) != len(wantStatus) {
			t.Fatalf("bulk answered %d operations, want %d: %s", len(ops), len(wantStatus), br.Raw)
		}
		var bulkGroup string
		for i, o := range ops {
			op, _ := o.(map[string]any)
			if op["status"] != wantStatus[i] {
				t.Errorf("bulk operation %d: status %v, want %s: %v", i+1, op["status"], wantStatus[i], op)
			}
			if loc, _ := op["location"].(string); op["bulkId"] == "g1" && loc != "" {
				bulkGroup = loc[strings.LastIndexByte(loc, '/')+1:]
			}
			if raw, _ := json.Marshal(op["response"]); strings.Contains(string(raw), "Beta") {
				t.Errorf("bulk operation %d answers with B's data: %s", i+1, raw)
			}
		}
		if bulkGroup == "" {
			t.Fatalf("bulk created no group: %s", br.Raw)
		}
		if got := isoGroupMemberIDs(e, a.token, bulkGroup); len(got) != 0 {
			t.Errorf("the group /Bulk created holds B's members %v", got)
		}
		if got, want := isoGroupMemberIDs(e, a.token, a.team), isoSorted(a.u1, a.u2); !slices.Equal(got, want) {
			t.Errorf("after /Bulk added B's members: %v, want %v", got, want)
		}

		// --- B's token with A's ids: 404 both ways.
		for _, id := range []string{a.u1, a.admin} {
			p := "/scim/v2/Users/" + id
			isSCIMError(t, e.doAs(b.token, "GET", p, ""), 404, "")
			isSCIMError(t, e.doAs(b.token, "PATCH", p, isoPatch(`{"op":"replace","path":"active","value":false}`)), 404, "")
			isSCIMError(t, e.doAs(b.token, "PUT", p, isoUserBody("x@beta.test", "", "X")), 404, "")
			isSCIMError(t, e.doAs(b.token, "DELETE", p, ""), 404, "")
		}
		for _, id := range []string{a.team, a.adminRole} {
			p := "/scim/v2/Groups/" + id
			isSCIMError(t, e.doAs(b.token, "GET", p, ""), 404, "")
			isSCIMError(t, e.doAs(b.token, "PATCH", p, isoPatch(`{"op":"replace","path":"members","value":[]}`)), 404, "")
			isSCIMError(t, e.doAs(b.token, "PUT", p, isoGroupBody("X", "")), 404, "")
			isSCIMError(t, e.doAs(b.token, "DELETE", p, ""), 404, "")
		}
		if r := e.doAs(b.token, "GET", "/scim/v2/Users?filter="+q(`id eq "`+a.u1+`" or userName eq "a1@alpha.test"`), "").want(t, 200); r.num("totalResults") != 0 {
			t.Errorf("B's token finds A's user: %s", r.Raw)
		}
		if r := e.doAs(b.token, "GET", "/scim/v2/Groups?filter="+q(`members[value eq "`+a.u1+`"]`), "").want(t, 200); r.num("totalResults") != 0 {
			t.Errorf("B's token finds A's group: %s", r.Raw)
		}

		// --- B is exactly as it was.
		after := isoSnapshot(t, e, b)
		for k, v := range before {
			if after[k] != v {
				t.Errorf("B changed: %s\nbefore: %s\nafter:  %s", k, v, after[k])
			}
		}
		// And A's admin is untouched by B's token.
		if r := e.do("GET", "/scim/v2/Users/"+a.admin, "").want(t, 200); r.JSON["active"] != true {
			t.Errorf("A's admin: %s", r.Raw)
		}
	})
}

func isoSearch(filter string) string {
	b, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": filter, "count": 1000})
	return string(b)
}

// isoCheckList: the list holds exactly want, counts exactly want, and
// names no resource of B's anywhere in its body.
func isoCheckList(t *testing.T, what string, r *result, want []string, bIDs map[string]bool) {
	t.Helper()
	got := isoIDs(r)
	if len(got) == 0 {
		got = nil
	}
	if !slices.Equal(got, isoSorted(want...)) {
		t.Errorf("%s: ids %v, want %v", what, got, isoSorted(want...))
	}
	if r.num("totalResults") != len(want) {
		t.Errorf("%s: totalResults %d, want %d", what, r.num("totalResults"), len(want))
	}
	for id := range bIDs {
		if strings.Contains(r.Raw, id) {
			t.Errorf("%s: the answer names B's %s: %s", what, id, r.Raw)
		}
	}
}

func TestTokenIsolation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u1 := e.do("POST", "/scim/v2/Users", isoUserBody("a1@alpha.test", "ext-a1", "Alpha One")).want(t, 201).str("id")

		// A revoked token stops working at once, on every route.
		tmp, tok, err := e.store.CreateSCIMToken(ctx, models.SystemActor, e.ws, "Temporary")
		if err != nil {
			t.Fatal(err)
		}
		e.doAs(tmp, "GET", "/scim/v2/Users/"+u1, "").want(t, 200)
		if _, err := e.store.RevokeSCIMToken(ctx, models.SystemActor, e.ws, tok.ID); err != nil {
			t.Fatal(err)
		}
		isSCIMError(t, e.doAs(tmp, "GET", "/scim/v2/Users/"+u1, ""), 401, "")
		isSCIMError(t, e.doAs(tmp, "GET", "/scim/v2/Users", ""), 401, "")
		isSCIMError(t, e.doAs(tmp, "PATCH", "/scim/v2/Users/"+u1, isoPatch(`{"op":"replace","path":"active","value":false}`)), 401, "")
		isSCIMError(t, e.doAs(tmp, "DELETE", "/scim/v2/Users/"+u1, ""), 401, "")
		isSCIMError(t, e.doAs(tmp, "POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/`+u1+`"}]}`), 401, "")
		e.do("GET", "/scim/v2/Users/"+u1, "").want(t, 200) // the other token still works

		basic := func(user, pass string) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		}
		auths := map[string]string{
			"no header":               "",
			"Bearer alone":            "Bearer",
			"Bearer and a space":      "Bearer ",
			"Bearer and spaces":       "Bearer     ",
			"Bearer and quotes":       `Bearer ""`,
			"no scheme":               e.token,
			"Basic user:pass":         basic("admin", "password"),
			"Basic with the token":    basic("scim", e.token),
			"Basic token as is":       "Basic " + e.token,
			"Token scheme":            "Token " + e.token,
			"no space":                "Bearer" + e.token,
			"a tab":                   "Bearer\t" + e.token,
			"a changed token":         "Bearer " + e.token[:len(e.token)-1] + "x",
			"a cut token":             "Bearer " + e.token[:len(e.token)-1],
			"an extended token":       "Bearer " + e.token + "x",
			"the prefix alone":        "Bearer muster_scim_",
			"upper-cased token":       "Bearer " + strings.ToUpper(e.token),
			"two tokens":              "Bearer " + e.token + " " + e.token,
			"the revoked token":       "Bearer " + tmp,
			"an invitation-like word": "Bearer " + strings.TrimPrefix(e.token, "muster_scim_"),
		}
		routes := []struct{ method, path, body string }{
			{"GET", "/scim/v2/Users", ""},
			{"GET", "/scim/v2/Users/" + u1, ""},
			{"POST", "/scim/v2/Users", isoUserBody("new@alpha.test", "", "New")},
			{"PATCH", "/scim/v2/Users/" + u1, isoPatch(`{"op":"replace","path":"active","value":false}`)},
			{"DELETE", "/scim/v2/Users/" + u1, ""},
			{"GET", "/scim/v2/Groups", ""},
			{"POST", "/scim/v2/Users/.search", isoSearch("userName pr")},
			{"POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/` + u1 + `"}]}`},
			{"GET", "/scim/v2/ServiceProviderConfig", ""},
			{"GET", "/scim/v2/Nope", ""},
		}
		names := make([]string, 0, len(auths))
		for n := range auths {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, rt := range routes {
				var headers []string
				if auths[n] != "" {
					headers = []string{"Authorization", auths[n]}
				}
				r := e.doAs("", rt.method, rt.path, rt.body, headers...)
				if r.Status != 401 {
					t.Errorf("%s, %s %s: status %d, want 401: %s", n, rt.method, rt.path, r.Status, r.Raw)
					continue
				}
				isSCIMError(t, r, 401, "")
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s, %s %s: WWW-Authenticate %q", n, rt.method, rt.path, r.Header.Get("WWW-Authenticate"))
				}
			}
		}
		// Nothing the refused requests asked for happened.
		r := e.do("GET", "/scim/v2/Users/"+u1, "").want(t, 200)
		if r.JSON["active"] != true || r.str("meta.version") != `W/"1"` {
			t.Errorf("the user changed: %s", r.Raw)
		}
		if n := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "new@alpha.test"`), "").want(t, 200).num("totalResults"); n != 0 {
			t.Errorf("a refused POST created a user")
		}
	})
}
