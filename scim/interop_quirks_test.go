package scim_test

// scim-interop.md cases 58–61, 64, 65 and 67: clients beyond the two big
// IdPs and the quirks that broke other servers, plus roles Muster does not
// know yet (issue 12, items 2 and 5).

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// A custom Okta (AIW) app: no Group Push PATCHes, memberships travel in the
// User's groups and in a PUT of the Group.
const oktaAIWCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "aiw.user@okta.local",
  "name": {"givenName": "Aiw", "familyName": "User"},
  "emails": [{"primary": true, "value": "aiw.user@okta.local", "type": "work"}],
  "displayName": "Aiw User",
  "externalId": "00uaiw0000000001",
  "groups": [{"value": "GROUP_ID", "display": "Engineering"}],
  "password": "t0p-secret",
  "active": true
}`

// Entra's AppRoleAssignmentsComplex mapping: the create, and an add whose
// role is a JSON string.
const (
	entraAppRoleCreate = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "5b1a0c0e-0000-4000-8000-000000000061",
  "userName": "approle@contoso.com",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "approle@contoso.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "App Role", "familyName": "Role", "givenName": "App"},
  "roles": [{"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Support", "value": "Support"}]
}`
	entraAppRoleAdd = `{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6f3ff4b2ea45\",\"value\":\"Engineer\",\"displayName\":\"Engineer\"}"}]}`
	// Entra takes an app role away with the same value.
	entraAppRoleRemove = `{"op":"Remove","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6f3ff4b2ea45\",\"value\":\"Engineer\",\"displayName\":\"Engineer\"}"}]}`
)

// OneLogin: the draft's schema URNs, and no User-Agent.
const oneLoginPutUser = `{
  "schemas": ["urn:scim:schemas:core:2.0", "urn:scim:schemas:extension:enterprise:2.0"],
  "userName": "onelogin.user@example.com",
  "name": {"givenName": "One", "familyName": "Login"},
  "emails": [{"value": "onelogin.user@example.com", "type": "work", "primary": true}],
  "externalId": "ol-1",
  "active": true,
  "urn:scim:schemas:extension:enterprise:2.0": {"department": "Sales", "employeeNumber": "64"}
}`

func TestInteropQuirks(t *testing.T) {
	s := newSuite(t)

	s.run("case58_okta_aiw_memberships", func(t *testing.T, e *env) {
		eng := e.newGroup(t, "Engineering")
		ops := e.newGroup(t, "Ops")
		// POST /Users with groups: the member joins them (and gets Member).
		r := e.do("POST", "/scim/v2/Users", strings.ReplaceAll(oktaAIWCreateUser, "GROUP_ID", eng)).want(t, 201)
		uid := r.str("id")
		equal(t, "roles after POST", e.roles(t, uid), []string{"Engineering", "Member"})
		equal(t, "Engineering's members", e.groupMembers(t, eng), []string{uid})
		if !strings.Contains(js(r.JSON["groups"]), eng) {
			t.Errorf("the response's groups: %s", r.Raw)
		}
		noPassword(t, r)
		// PUT /Users with groups adds; an empty groups (sent with every
		// PUT) or unknown ids take nothing away.
		put := strings.ReplaceAll(oktaAIWCreateUser, `"groups": [{"value": "GROUP_ID", "display": "Engineering"}]`,
			`"groups": [{"value": "`+ops+`", "display": "Ops"}, {"value": "0196f0e0-0000-7000-8000-00000000dead"}]`)
		e.do("PUT", "/scim/v2/Users/"+uid, put).want(t, 200)
		equal(t, "roles after PUT with groups", e.roles(t, uid), []string{"Engineering", "Member", "Ops"})
		e.do("PUT", "/scim/v2/Users/"+uid, strings.ReplaceAll(oktaAIWCreateUser, `[{"value": "GROUP_ID", "display": "Engineering"}]`, `[]`)).want(t, 200)
		equal(t, "roles after PUT with groups []", e.roles(t, uid), []string{"Engineering", "Member", "Ops"})
		// PUT /Groups with members, never a PATCH: membership is the list.
		u2 := e.newUser(t, "second@okta.local", nil)
		e.do("PUT", "/scim/v2/Groups/"+eng, js(map[string]any{"schemas": []string{groupURN}, "id": eng, "displayName": "Engineering",
			"members": []any{map[string]any{"value": u2, "display": "second@okta.local"}}})).want(t, 200)
		equal(t, "Engineering after PUT", e.groupMembers(t, eng), []string{u2})
		equal(t, "first user's roles", e.roles(t, uid), []string{"Member", "Ops"})
		e.do("PUT", "/scim/v2/Groups/"+eng, js(map[string]any{"schemas": []string{groupURN}, "displayName": "Engineering",
			"members": []any{map[string]any{"value": u2}, map[string]any{"value": uid}}})).want(t, 200)
		equal(t, "Engineering after the second PUT", e.groupMembers(t, eng), sorted(u2, uid))
	})

	s.run("case59_put_group_keeps_its_name", func(t *testing.T, e *env) {
		u := e.newUser(t, "keeper@example.com", nil)
		gid := e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"Support","externalId":"g-59","members":[{"value":"`+u+`"}]}`).want(t, 201).str("id")
		body := `{"schemas":["` + groupURN + `"],"id":"` + gid + `","displayName":"Support","externalId":"g-59","members":[{"value":"` + u + `"}]}`
		for range 2 {
			r := e.do("PUT", "/scim/v2/Groups/"+gid, body).want(t, 200)
			if r.str("displayName") != "Support" {
				t.Errorf("PUT: %s", r.Raw)
			}
		}
		// Its own name in another case is a rename, not a conflict.
		if r := e.do("PUT", "/scim/v2/Groups/"+gid, strings.Replace(body, `"Support"`, `"SUPPORT"`, 1)).want(t, 200); r.str("displayName") != "SUPPORT" {
			t.Errorf("case rename: %s", r.Raw)
		}
		// Rename through PUT frees the old name.
		e.do("PUT", "/scim/v2/Groups/"+gid, strings.Replace(body, `"Support"`, `"Support Team"`, 1)).want(t, 200)
		again := e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"Support"}`).want(t, 201)
		if again.str("id") == gid {
			t.Errorf("the old group came back: %s", again.Raw)
		}
		equal(t, "members kept", e.groupMembers(t, gid), []string{u})
		// Another group's name is still taken.
		isSCIMError(t, e.do("PUT", "/scim/v2/Groups/"+gid, strings.Replace(body, `"Support"`, `"Member"`, 1)), 409, "uniqueness")
	})

	s.run("case60_retried_create", func(t *testing.T, e *env) {
		ctx := context.Background()
		first := e.do("POST", "/scim/v2/Users", oktaCreateUser).want(t, 201)
		id := first.str("id")
		before := e.member(t, id)
		count := func(action string) int {
			page, err := e.store.ListAudit(ctx, e.ws.ID, models.AuditQuery{Action: action})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Events)
		}
		invites, _ := e.store.DB().NewSelect().Table("invites").Where("workspace_id = ?", e.ws.ID).Count(ctx)
		// The IdP timed out and sends the same create again, and again.
		for range 3 {
			r := e.do("POST", "/scim/v2/Users", oktaCreateUser)
			isSCIMError(t, r, 409, "uniqueness")
		}
		after := e.member(t, id)
		if after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) || after.UserName != before.UserName || len(after.Roles) != 1 {
			t.Errorf("the first member changed: %+v → %+v", before, after)
		}
		if r := e.do("GET", "/scim/v2/Users?filter="+q(`externalId eq "00ujl29u0le5T6Aj10h7"`), ""); r.num("totalResults") != 1 {
			t.Errorf("members with the externalId: %s", r.Raw)
		}
		if n := count("member.provisioned"); n != 1 {
			t.Errorf("%d member.provisioned events", n)
		}
		if n, _ := e.store.DB().NewSelect().Table("invites").Where("workspace_id = ?", e.ws.ID).Count(ctx); n != invites {
			t.Errorf("invites %d → %d", invites, n)
		}
		// With only the externalId the same (userName changed in between).
		isSCIMError(t, e.do("POST", "/scim/v2/Users", strings.ReplaceAll(oktaCreateUser, "test.user@okta.local", "renamed@okta.local")), 409, "uniqueness")
		// A retried group push too.
		e.do("POST", "/scim/v2/Groups", oktaCreateGroup).want(t, 201)
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", oktaCreateGroup), 409, "uniqueness")
	})

	s.run("case61_entra_app_roles", func(t *testing.T, e *env) {
		ctx := context.Background()
		// POST with an app role Muster does not know: created without
		// permissions and audited.
		r := e.do("POST", "/scim/v2/Users", entraAppRoleCreate).want(t, 201)
		uid := r.str("id")
		equal(t, "roles after POST", e.roles(t, uid), []string{"Support"})
		support, err := e.store.RoleByID(ctx, e.ws.ID, e.roleID(t, "Support"))
		if err != nil || support.Permissions != "" || support.Builtin != "" {
			t.Fatalf("Support: %+v %v", support, err)
		}
		created, err := e.store.ListAudit(ctx, e.ws.ID, models.AuditQuery{Action: "role.created"})
		if err != nil || len(created.Events) != 1 || created.Events[0].TargetName != "Support" || created.Events[0].ActorKind != "scim_token" {
			t.Fatalf("audit: %+v %v", created, err)
		}
		// PATCH Add with the role as a JSON string, in one request with an
		// unrelated change: both apply (PATCH is atomic, so an unknown
		// role used to refuse the title too).
		r = e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"Replace","path":"title","value":"Engineer II"}`, entraAppRoleAdd)).want(t, 200)
		equal(t, "roles after Add", e.roles(t, uid), []string{"Engineer", "Support"})
		if r.str("title") != "Engineer II" {
			t.Errorf("title: %s", r.Raw)
		}
		if !strings.Contains(js(r.JSON["roles"]), `"value":"Engineer"`) {
			t.Errorf("response roles: %v", r.JSON["roles"])
		}
		// The same add again changes nothing; the role exists once.
		e.do("PATCH", "/scim/v2/Users/"+uid, patch(entraAppRoleAdd)).want(t, 200)
		if l := e.do("GET", "/scim/v2/Groups?filter="+q(`displayName eq "engineer"`), ""); l.num("totalResults") != 1 {
			t.Errorf("Engineer groups: %s", l.Raw)
		}
		// Removal as Entra sends it.
		e.do("PATCH", "/scim/v2/Users/"+uid, patch(entraAppRoleRemove)).want(t, 200)
		equal(t, "roles after Remove", e.roles(t, uid), []string{"Support"})
		// The list form of the JSON string, and the flagged filter form.
		e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"add","path":"roles","value":[{"value":"[{\"value\":\"Analyst\",\"displayName\":\"Analyst\"},{\"value\":\"Engineer\"}]","primary":true,"type":"WindowsAzureActiveDirectoryRole"}]}`)).want(t, 200)
		equal(t, "roles after the list form", e.roles(t, uid), []string{"Analyst", "Engineer", "Support"})
		e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"remove","path":"roles[value eq \"{\\\"value\\\":\\\"Analyst\\\",\\\"displayName\\\":\\\"Analyst\\\"}\"]"}`)).want(t, 200)
		equal(t, "roles after the filtered remove", e.roles(t, uid), []string{"Engineer", "Support"})
		// A POST with the JSON-string form.
		r = e.do("POST", "/scim/v2/Users", strings.NewReplacer("approle@contoso.com", "approle2@contoso.com", "000000000061", "000000000062",
			`"display": "Support", "value": "Support"`, `"value": "{\"id\":\"1\",\"value\":\"Support\",\"displayName\":\"Support\"}"`).Replace(entraAppRoleCreate)).want(t, 201)
		equal(t, "roles of the second user", e.roles(t, r.str("id")), []string{"Support"})
		// roles as one JSON string, in a POST and in a PATCH.
		r = e.do("POST", "/scim/v2/Users", strings.NewReplacer("approle@contoso.com", "approle3@contoso.com", "000000000061", "000000000063",
			`[{"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Support", "value": "Support"}]`,
			`"[{\"value\":\"Support\",\"displayName\":\"Support\",\"primary\":false,\"type\":\"WindowsAzureActiveDirectoryRole\"},{\"value\":\"Analyst\"}]"`).Replace(entraAppRoleCreate)).want(t, 201)
		third := r.str("id")
		equal(t, "roles of the third user", e.roles(t, third), []string{"Analyst", "Support"})
		e.do("PATCH", "/scim/v2/Users/"+third, patch(`{"op":"Remove","path":"roles","value":"[{\"value\":\"Analyst\",\"displayName\":\"Analyst\"}]"}`)).want(t, 200)
		equal(t, "roles of the third user after Remove", e.roles(t, third), []string{"Support"})
	})

	s.run("case61_role_names_up_to_256", func(t *testing.T, e *env) {
		long := strings.Repeat("Entra group ", 21)[:250] // an Entra group name over the old 64
		gid := e.do("POST", "/scim/v2/Groups", js(map[string]any{"schemas": []string{groupURN}, "displayName": long})).want(t, 201).str("id")
		if g := e.do("GET", "/scim/v2/Groups/"+gid, ""); g.str("displayName") != long {
			t.Errorf("group: %s", g.Raw)
		}
		uid := e.newUser(t, "long@example.com", map[string]any{"roles": []any{map[string]any{"value": strings.ToUpper(long[:200])}}})
		equal(t, "roles", e.roles(t, uid), []string{strings.ToUpper(long[:200])})
		tooLong := strings.Repeat("x", 257)
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", js(map[string]any{"schemas": []string{groupURN}, "displayName": tooLong})), 400, "invalidValue")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"add","path":"roles","value":[{"value":"`+tooLong+`"}]}`)), 400, "invalidValue")
		equal(t, "roles after the refused add", e.roles(t, uid), []string{strings.ToUpper(long[:200])})
	})

	s.run("case64_onelogin_legacy_schemas", func(t *testing.T, e *env) {
		uid := e.newUser(t, "onelogin.user@example.com", nil)
		r := e.do("PUT", "/scim/v2/Users/"+uid, oneLoginPutUser, "User-Agent", "").want(t, 200)
		if r.str("externalId") != "ol-1" || at(r.JSON, entURN, "department") != "Sales" || at(r.JSON, entURN, "employeeNumber") != "64" {
			t.Errorf("PUT: %s", r.Raw)
		}
		if js(r.JSON["schemas"]) != js([]string{userURN, entURN}) {
			t.Errorf("schemas in the answer: %v", r.JSON["schemas"])
		}
		// A create in the same dialect, and a Group with the draft's URN.
		e.do("POST", "/scim/v2/Users", strings.NewReplacer("onelogin.user@", "onelogin.two@", "ol-1", "ol-2").Replace(oneLoginPutUser), "User-Agent", "").want(t, 201)
		gid := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:scim:schemas:core:2.0"],"displayName":"OneLogin Team"}`, "User-Agent", "").want(t, 201).str("id")
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`), "User-Agent", "").want(t, 200, 204)
		equal(t, "members", e.groupMembers(t, gid), []string{uid})
		// PATCH paths with the draft's extension URN.
		e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"replace","path":"urn:scim:schemas:extension:enterprise:2.0:department","value":"Support"}`), "User-Agent", "").want(t, 200)
		if g := e.do("GET", "/scim/v2/Users/"+uid, ""); at(g.JSON, entURN, "department") != "Support" {
			t.Errorf("department: %s", g.Raw)
		}
	})

	s.run("case65_google_bridge", func(t *testing.T, e *env) {
		a := e.newUser(t, "a@example.com", map[string]any{"externalId": "google-a"})
		b := e.newUser(t, "b@example.com", map[string]any{"externalId": "google-b"})
		r := e.do("PUT", "/scim/v2/Users/"+b, userBody("b@example.com", map[string]any{"externalId": "google-a"}))
		isSCIMError(t, r, 409, "uniqueness")
		if !strings.Contains(r.str("detail"), "externalId") {
			t.Errorf("detail: %s", r.Raw)
		}
		for id, ext := range map[string]string{a: "google-a", b: "google-b"} {
			if g := e.do("GET", "/scim/v2/Users/"+id, ""); g.str("externalId") != ext {
				t.Errorf("%s: %s", id, g.Raw)
			}
		}
		// A lookup with startIndex and no count.
		l := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "b@example.com"`)+"&startIndex=1", "")
		checkList(t, l)
		equal(t, "lookup", field(l, "id"), []string{b})
	})

	s.alone("case67_parallel_group_adds", func(t *testing.T, e *env) {
		const n = 60
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.newUser(t, fmt.Sprintf("par%02d@example.com", i), nil)
		}
		gid := e.newGroup(t, "Parallel")
		results := concRun(t, n, func(i int) (*result, error) {
			return concDo(e, "PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+ids[i]+`"}]}`))
		})
		for i, r := range results {
			if r.Status != http.StatusNoContent {
				t.Errorf("request %d: %d %s", i, r.Status, r.Raw)
			}
		}
		equal(t, "members after parallel adds", e.groupMembers(t, gid), sorted(ids...))
		// Entra's form, half adding and half renaming at once: still no add lost.
		more := make([]string, n/2)
		for i := range more {
			more[i] = e.newUser(t, fmt.Sprintf("more%02d@example.com", i), nil)
		}
		results = concRun(t, n, func(i int) (*result, error) {
			if i%2 == 0 {
				return concDo(e, "PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+more[i/2]+`"}]}`))
			}
			return concDo(e, "PATCH", "/scim/v2/Groups/"+gid, patch(fmt.Sprintf(`{"op":"Replace","path":"displayName","value":"Parallel %d"}`, i)))
		})
		for i, r := range results {
			if r.Status != http.StatusNoContent {
				t.Errorf("request %d: %d %s", i, r.Status, r.Raw)
			}
		}
		equal(t, "members after mixed adds", e.groupMembers(t, gid), sorted(append(append([]string{}, ids...), more...)...))
		for _, id := range []string{ids[0], more[len(more)-1]} {
			if len(e.roles(t, id)) != 2 {
				t.Errorf("%s's roles: %v", id, e.roles(t, id))
			}
		}
	})
}
