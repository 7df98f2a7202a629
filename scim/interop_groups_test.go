package scim_test

// scim-interop.md cases 39–50: Groups, which are Muster's roles.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

func TestInteropGroups(t *testing.T) {
	s := newSuite(t)
	s.run("case39_okta_list_groups", func(t *testing.T, e *env) {
		e.newGroup(t, "Engineering")
		r := e.do("GET", "/scim/v2/Groups?startIndex=1&count=100", "")
		checkList(t, r)
		for _, k := range []string{`"totalResults":3`, `"startIndex":1`, `"itemsPerPage":3`} {
			if !strings.Contains(r.Raw, k) {
				t.Errorf("want %s: %s", k, r.Raw)
			}
		}
		equal(t, "groups", field(r, "displayName"), sorted("Admin", "Member", "Engineering"))
		for _, g := range r.resources() {
			if at(g, "schemas", 0) != groupURN || at(g, "meta", "resourceType") != "Group" {
				t.Errorf("group: %v", g)
			}
		}
	})

	s.run("case40_create_group", func(t *testing.T, e *env) {
		// Okta.
		r := e.do("POST", "/scim/v2/Groups", oktaCreateGroup).want(t, 201)
		gid := r.str("id")
		if r.str("displayName") != "Test SCIMv2" || r.Header.Get("Location") != r.str("meta.location") || !strings.HasSuffix(r.str("meta.location"), "/Groups/"+gid) ||
			r.Header.Get("ETag") != r.str("meta.version") {
			t.Errorf("Okta group: %s", r.Raw)
		}
		if l, ok := r.JSON["members"].([]any); !ok || len(l) != 0 {
			t.Errorf("members: %v", r.JSON["members"])
		}
		// It is a role without permissions until an admin grants some.
		role, err := e.store.RoleByID(context.Background(), e.ws.ID, gid)
		if err != nil || role.Name != "Test SCIMv2" || role.Permissions != "" || role.Builtin != "" {
			t.Errorf("role: %+v %v", role, err)
		}
		// Entra, with its extra schema URI.
		body := strings.Replace(entraCreateGroup, `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]`,
			`"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "`+adscimURN+`"]`, 1)
		r = e.do("POST", "/scim/v2/Groups", body).want(t, 201)
		if r.str("displayName") != "displayName" || r.str("externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
			t.Errorf("Entra group: %s", r.Raw)
		}
		// And the fixture as recorded, without the extra URI.
		e.do("POST", "/scim/v2/Groups", strings.ReplaceAll(strings.ReplaceAll(entraCreateGroup, `"displayName": "displayName"`, `"displayName": "Second"`),
			"8aa1a0c0", "9bb1a0c0")).want(t, 201)
		// Duplicates: a name (in any case) or an externalId already taken.
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", oktaCreateGroup), 409, "uniqueness")
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", strings.Replace(oktaCreateGroup, "Test SCIMv2", "TEST scimV2", 1)), 409, "uniqueness")
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", strings.Replace(body, `"displayName": "displayName"`, `"displayName": "Third"`, 1)), 409, "uniqueness")
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"Admin"}`), 409, "uniqueness")
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"]}`), 400, "invalidValue")
		list := e.do("GET", "/scim/v2/Groups", "")
		if list.num("totalResults") != 5 {
			t.Errorf("groups: %s", list.Raw)
		}
	})

	s.run("case41_excluded_members", func(t *testing.T, e *env) {
		u := e.newUser(t, "m@example.com", nil)
		gid := e.newGroup(t, "x", u)
		r := e.do("GET", "/scim/v2/Groups?excludedAttributes=members&filter="+q(`displayName eq "x"`), "")
		checkList(t, r)
		if len(r.resources()) != 1 || r.resources()[0]["id"] != gid {
			t.Fatalf("filter: %s", r.Raw)
		}
		if _, ok := r.resources()[0]["members"]; ok {
			t.Errorf("members not excluded from the list: %s", r.Raw)
		}
		g := e.do("GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", "").want(t, 200)
		if _, ok := g.JSON["members"]; ok || g.str("displayName") != "x" || g.str("id") != gid {
			t.Errorf("members not excluded from GET: %s", g.Raw)
		}
		full := e.do("GET", "/scim/v2/Groups/"+gid, "").want(t, 200)
		if at(full.JSON, "members", 0, "value") != u {
			t.Errorf("without exclusion: %s", full.Raw)
		}
	})

	s.run("case42_group_filters", func(t *testing.T, e *env) {
		u1 := e.newUser(t, "u1@example.com", nil)
		u2 := e.newUser(t, "u2@example.com", nil)
		g1 := e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"G1","externalId":"ext-g1","members":[{"value":"`+u1+`"}]}`).want(t, 201).str("id")
		g2 := e.newGroup(t, "G2", u1, u2)
		member := e.roleID(t, "Member")
		for _, c := range []struct {
			filter string
			want   []string
		}{
			{`externalId eq "ext-g1"`, []string{g1}},
			{`members[value eq "` + u2 + `"]`, []string{g2, member}},
			{`members[value eq "` + u1 + `"]`, sorted(g1, g2, member)},
			{`members.value eq "` + u2 + `"`, sorted(g2, member)},
			{`id eq "` + g1 + `" and members[value eq "` + u1 + `"]`, []string{g1}},
			{`id eq "` + g1 + `" and members[value eq "` + u2 + `"]`, nil},
			{`displayName eq "g2"`, []string{g2}},
		} {
			r := e.do("GET", "/scim/v2/Groups?excludedAttributes=members&filter="+q(c.filter), "")
			checkList(t, r)
			equal(t, c.filter, field(r, "id"), sorted(c.want...))
		}
	})

	s.run("case43_okta_rename", func(t *testing.T, e *env) {
		u := e.newUser(t, "keep@example.com", nil)
		gid := e.newGroup(t, "Old Name", u)
		// Okta's body renames to "Test SCIMv2" and carries the group's id.
		r := e.do("PATCH", "/scim/v2/Groups/"+gid, strings.ReplaceAll(oktaRenameGroup, oktaGroupID, gid)).want(t, 204)
		if r.Raw != "" {
			t.Errorf("204 with a body: %s", r.Raw)
		}
		g := e.do("GET", "/scim/v2/Groups/"+gid, "").want(t, 200)
		if g.str("displayName") != "Test SCIMv2" || g.str("id") != gid {
			t.Errorf("after rename: %s", g.Raw)
		}
		equal(t, "members kept", e.groupMembers(t, gid), []string{u})
		equal(t, "member's roles", e.roles(t, u), []string{"Member", "Test SCIMv2"})
		// The built-in Admin role keeps its name.
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+e.roleID(t, "Admin"), patch(`{"op":"replace","value":{"displayName":"Boss"}}`)), 400, "mutability")
	})

	s.run("case44_okta_delta", func(t *testing.T, e *env) {
		u1, u2, u3 := e.newUser(t, "u1@example.com", nil), e.newUser(t, "u2@example.com", nil), e.newUser(t, "u3@example.com", nil)
		gid := e.newGroup(t, "Delta", u1, u3)
		body := strings.NewReplacer(oktaU1, u1, oktaU2, u2).Replace(patch(oktaMembershipOps1, oktaMembershipOps2))
		e.do("PATCH", "/scim/v2/Groups/"+gid, body).want(t, 204)
		equal(t, "after remove u1 + add u2", e.groupMembers(t, gid), sorted(u2, u3))
		equal(t, "u1's roles", e.roles(t, u1), []string{"Member"})
		equal(t, "u2's roles", e.roles(t, u2), []string{"Delta", "Member"})
		// In order: remove then add the same member leaves them in; add then
		// remove leaves them out.
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"remove","path":"members[value eq \"`+u2+`\"]"}`, `{"op":"add","path":"members","value":[{"value":"`+u2+`"}]}`)).want(t, 204)
		equal(t, "remove, add", e.groupMembers(t, gid), sorted(u2, u3))
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+u1+`"}]}`, `{"op":"remove","path":"members[value eq \"`+u1+`\"]"}`)).want(t, 204)
		equal(t, "add, remove", e.groupMembers(t, gid), sorted(u2, u3))
		// The whole recorded request (remove, add, replace): the replace wins.
		body = strings.NewReplacer(oktaU1, u1, oktaU2, u2).Replace(patch(oktaMembershipOps1, oktaMembershipOps2, oktaMembershipOps3))
		e.do("PATCH", "/scim/v2/Groups/"+gid, body).want(t, 204)
		equal(t, "recorded request", e.groupMembers(t, gid), sorted(u1, u2))
	})

	s.run("case45_okta_full_push", func(t *testing.T, e *env) {
		u1, u2, u3 := e.newUser(t, "u1@example.com", nil), e.newUser(t, "u2@example.com", nil), e.newUser(t, "u3@example.com", nil)
		gid := e.newGroup(t, "Push", u1)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(oktaMembershipOps3)).want(t, 204) // ids unknown here: skipped
		equal(t, "unknown ids replace everything", e.groupMembers(t, gid), nil)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","path":"members","value":[{"value":"`+u2+`","display":"u2"},{"value":"`+u3+`","display":"u3"}]}`)).want(t, 204)
		equal(t, "replace", e.groupMembers(t, gid), sorted(u2, u3))
		equal(t, "u1's roles", e.roles(t, u1), []string{"Member"})
		equal(t, "u3's roles", e.roles(t, u3), []string{"Member", "Push"})
		// "Push now" on an empty group.
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","path":"members","value":[]}`)).want(t, 204)
		equal(t, "replace []", e.groupMembers(t, gid), nil)
		equal(t, "u3's roles after []", e.roles(t, u3), []string{"Member"})
		// remove members without a value empties the group too (RFC 7644 §3.5.2.2).
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+u1+`"}]}`)).want(t, 204)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"remove","path":"members"}`)).want(t, 204)
		equal(t, "remove members", e.groupMembers(t, gid), nil)
	})

	s.run("case46_pathless_members", func(t *testing.T, e *env) {
		u1, u2 := e.newUser(t, "u1@example.com", nil), e.newUser(t, "u2@example.com", nil)
		gid := e.newGroup(t, "Pathless", u1)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","value":{"members":[{"value":"`+u2+`"}]}}`)).want(t, 204)
		equal(t, "members", e.groupMembers(t, gid), []string{u2})
		// With a rename in the same value, as Okta sends them.
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","value":{"id":"`+gid+`","displayName":"Renamed","members":[{"value":"`+u1+`"},{"value":"`+u2+`"}]}}`)).want(t, 204)
		equal(t, "members", e.groupMembers(t, gid), sorted(u1, u2))
		if g := e.do("GET", "/scim/v2/Groups/"+gid, ""); g.str("displayName") != "Renamed" {
			t.Errorf("rename: %s", g.Raw)
		}
		// A path-less add adds.
		u3 := e.newUser(t, "u3@example.com", nil)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","value":{"members":[{"value":"`+u3+`"}]}}`)).want(t, 204)
		equal(t, "members", e.groupMembers(t, gid), sorted(u1, u2, u3))
	})

	s.run("case47_entra_members", func(t *testing.T, e *env) {
		u := e.newUser(t, "entra.member@example.com", nil)
		gid := e.do("POST", "/scim/v2/Groups", entraCreateGroup).want(t, 201).str("id")
		add := patch(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"` + u + `"}]}`)
		r := e.do("PATCH", "/scim/v2/Groups/"+gid, add).want(t, 204)
		if r.Raw != "" {
			t.Errorf("body: %s", r.Raw)
		}
		equal(t, "after Add", e.groupMembers(t, gid), []string{u})
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"Remove","path":"members","value":[{"value":"`+u+`"}]}`)).want(t, 204)
		equal(t, "after Remove", e.groupMembers(t, gid), nil)
		e.do("PATCH", "/scim/v2/Groups/"+gid, add).want(t, 204)
		e.do("PATCH", "/scim/v2/Groups/"+gid+"?aadOptscim062020", patch(`{"op":"remove","path":"members[value eq \"`+u+`\"]"}`)).want(t, 204)
		equal(t, "after flagged remove", e.groupMembers(t, gid), nil)
		// The recorded request: rename, add and remove the same member.
		e.do("PATCH", "/scim/v2/Groups/"+gid, strings.ReplaceAll(entraUpdateGroup, entraMember, u)).want(t, 204)
		g := e.do("GET", "/scim/v2/Groups/"+gid, "").want(t, 200)
		if g.str("displayName") != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
			t.Errorf("rename: %s", g.Raw)
		}
		equal(t, "after the recorded request", e.groupMembers(t, gid), nil)
		equal(t, "member's roles", e.roles(t, u), []string{"Member"})
	})

	s.run("case48_unknown_and_repeated_members", func(t *testing.T, e *env) {
		// Decision: unknown ids are skipped, the rest applied.
		u1, u2 := e.newUser(t, "u1@example.com", nil), e.newUser(t, "u2@example.com", nil)
		gid := e.newGroup(t, "Mixed", u1, "0196f0e0-0000-7000-8000-000000000000", "not-an-id")
		equal(t, "created with an unknown id", e.groupMembers(t, gid), []string{u1})
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"0196f0e0-0000-7000-8000-000000000001"},{"value":"`+u2+`"}]}`)).want(t, 200, 204)
		equal(t, "add with an unknown id", e.groupMembers(t, gid), sorted(u1, u2))
		// A member of another workspace is unknown here.
		wsB, err := e.store.CreateWorkspace(context.Background(), e.admin, "Beta")
		if err != nil {
			t.Fatal(err)
		}
		tokenB, _, err := e.store.CreateSCIMToken(context.Background(), models.SystemActor, wsB, "B")
		if err != nil {
			t.Fatal(err)
		}
		foreign := e.doAs(tokenB, "POST", "/scim/v2/Users", userBody("foreign@example.com", nil)).want(t, 201).str("id")
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+foreign+`"}]}`)).want(t, 200, 204)
		equal(t, "add a member of another workspace", e.groupMembers(t, gid), sorted(u1, u2))
		// Idempotent: adding a member again changes nothing, not even the version.
		before := e.do("GET", "/scim/v2/Groups/"+gid, "").str("meta.version")
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"add","path":"members","value":[{"value":"`+u1+`"}]}`)).want(t, 200, 204)
		equal(t, "add again", e.groupMembers(t, gid), sorted(u1, u2))
		if after := e.do("GET", "/scim/v2/Groups/"+gid, "").str("meta.version"); after != before {
			t.Errorf("a no-op add changed the version %s → %s", before, after)
		}
		// Removing a non-member (known or not) is fine.
		u3 := e.newUser(t, "u3@example.com", nil)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"remove","path":"members[value eq \"`+u3+`\"]"}`)).want(t, 200, 204)
		e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"Remove","path":"members","value":[{"value":"0196f0e0-0000-7000-8000-000000000002"}]}`)).want(t, 200, 204)
		equal(t, "remove non-members", e.groupMembers(t, gid), sorted(u1, u2))
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/0196f0e0-0000-7000-8000-000000000003", patch(`{"op":"add","path":"members","value":[{"value":"`+u1+`"}]}`)), 404, "")
	})

	s.run("case49_okta_put_group", func(t *testing.T, e *env) {
		u1, u2, u3 := e.newUser(t, "u1@example.com", nil), e.newUser(t, "u2@example.com", nil), e.newUser(t, "u3@example.com", nil)
		gid := e.newGroup(t, "Put", u1, u2)
		r := e.do("PUT", "/scim/v2/Groups/"+gid, `{"schemas":["`+groupURN+`"],"id":"`+gid+`","displayName":"Put Renamed","members":[{"value":"`+u2+`","display":"u2"},{"value":"`+u3+`","display":"u3"}]}`).want(t, 200)
		if r.str("displayName") != "Put Renamed" || r.Header.Get("Location") != r.str("meta.location") || r.Header.Get("ETag") != r.str("meta.version") {
			t.Errorf("PUT: %s", r.Raw)
		}
		equal(t, "members after PUT", e.groupMembers(t, gid), sorted(u2, u3))
		equal(t, "u1's roles", e.roles(t, u1), []string{"Member"})
		r = e.do("PUT", "/scim/v2/Groups/"+gid, `{"schemas":["`+groupURN+`"],"displayName":"Put Renamed","members":[]}`).want(t, 200)
		equal(t, "members after PUT []", e.groupMembers(t, gid), nil)
		isSCIMError(t, e.do("PUT", "/scim/v2/Groups/"+gid, `{"schemas":["`+groupURN+`"],"displayName":"Member"}`), 409, "uniqueness")
	})

	s.run("case50_delete_group", func(t *testing.T, e *env) {
		u := e.newUser(t, "holder@example.com", nil)
		gid := e.newGroup(t, "Doomed", u)
		equal(t, "before", e.roles(t, u), []string{"Doomed", "Member"})
		r := e.do("DELETE", "/scim/v2/Groups/"+gid, "").want(t, 204)
		if r.Raw != "" {
			t.Errorf("body: %s", r.Raw)
		}
		equal(t, "roles after the group went", e.roles(t, u), []string{"Member"})
		isSCIMError(t, e.do("GET", "/scim/v2/Groups/"+gid, ""), 404, "")
		isSCIMError(t, e.do("DELETE", "/scim/v2/Groups/"+gid, ""), 404, "")
		if _, err := e.store.RoleByID(context.Background(), e.ws.ID, gid); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("role: %v", err)
		}
		if u := e.do("GET", "/scim/v2/Users/"+u, "").want(t, 200); strings.Contains(u.Raw, gid) {
			t.Errorf("the user still lists the group: %s", u.Raw)
		}
		// The built-in Admin role cannot be deleted.
		isSCIMError(t, e.do("DELETE", "/scim/v2/Groups/"+e.roleID(t, "Admin"), ""), 400, "mutability")
	})
}
