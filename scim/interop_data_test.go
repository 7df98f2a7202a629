package scim_test

// scim-interop.md cases 57, 62, 63, 66 and 68, and the rules behind them:
// a User needs only a userName; every attribute /Schemas advertises comes
// back as it was written; PATCH follows RFC 7644 §3.5.2.

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// invited reads whether a member has a pending invitation link.
func (e *env) invited(t *testing.T, id string) bool {
	t.Helper()
	m, err := e.store.MemberByID(context.Background(), e.ws.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Invite != nil
}

// same fails unless got and want are the same JSON.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := canon(got), canon(want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// canon renders a value as JSON with sorted keys (json.Marshal sorts maps).
func canon(v any) string {
	b, _ := json.Marshal(v)
	var x any
	_ = json.Unmarshal(b, &x)
	return js(x)
}

// entraFullUser is a user with Entra's default attribute mappings, and
// every other attribute the User schema lists.
func entraFullUser(userName string) map[string]any {
	return map[string]any{
		"schemas":  []any{userURN, entURN},
		"userName": userName, "externalId": "ext-" + userName, "active": true,
		"displayName": "Jane Q. Doe", "nickName": "JD", "title": "Staff Engineer", "userType": "Employee",
		"preferredLanguage": "en-GB", "locale": "en-GB", "timezone": "Europe/London", "profileUrl": "https://example.com/jane",
		"name": map[string]any{"formatted": "Ms. Jane Q. Doe", "givenName": "Jane", "middleName": "Quinn", "familyName": "Doe", "honorificPrefix": "Ms."},
		"emails": []any{
			map[string]any{"value": "Jane.Doe@Example.com", "type": "work", "primary": true},
			map[string]any{"value": "jane@home.example", "type": "home"},
		},
		"phoneNumbers": []any{
			map[string]any{"value": "+44 20 7946 0000", "type": "work"},
			map[string]any{"value": "+44 7700 900000", "type": "mobile"},
			map[string]any{"value": "+44 20 7946 0001", "type": "fax"},
		},
		"addresses": []any{
			map[string]any{"type": "work", "formatted": "1 Main St\nLondon", "streetAddress": "1 Main St", "locality": "London", "region": "Greater London",
				"postalCode": "EC1A 1BB", "country": "GB", "primary": true},
			map[string]any{"type": "home", "locality": "Bath"},
		},
		"ims":              []any{map[string]any{"value": "janedoe", "type": "xmpp"}},
		"photos":           []any{map[string]any{"value": "https://photos.example.com/jane.jpg", "type": "photo"}},
		"entitlements":     []any{map[string]any{"value": "vpn"}},
		"x509Certificates": []any{map[string]any{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}},
		entURN: map[string]any{"employeeNumber": "701984", "department": "Platform", "costCenter": "4130",
			"organization": "Example Ltd", "division": "R&D"},
	}
}

// attributesOf is a User as an IdP compares it: what it sent, without
// what the server adds (id, meta, roles, groups) or never returns.
func attributesOf(u map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range u {
		switch k {
		case "id", "meta", "roles", "groups", "schemas", "password":
			continue
		}
		out[k] = v
	}
	if ext, ok := out[entURN].(map[string]any); ok {
		if mgr, ok := ext["manager"].(map[string]any); ok {
			ext, mgr = maps.Clone(ext), maps.Clone(mgr)
			delete(mgr, "$ref") // the server's link to the manager
			ext["manager"], out[entURN] = mgr, ext
		}
	}
	return out
}

func TestInteropUserData(t *testing.T) {
	s := newSuite(t)

	s.run("case57_username_only", func(t *testing.T, e *env) {
		r := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"jdoe"}`).want(t, 201)
		id := r.str("id")
		for _, k := range []string{"emails", "name", "displayName", "addresses"} {
			if _, ok := r.JSON[k]; ok {
				t.Errorf("%s was never sent but is there: %s", k, r.Raw)
			}
		}
		if r.JSON["active"] != true || r.str("userName") != "jdoe" {
			t.Errorf("response: %s", r.Raw)
		}
		// Listed, shown by the userName, invited without a link: there is
		// nowhere to send one.
		m := e.member(t, id)
		if m.Email != "" || m.DisplayName != "jdoe" || m.Status != models.StatusInvited || m.CanBeInvited() {
			t.Errorf("stored: %+v", m)
		}
		if e.invited(t, id) {
			t.Error("a member without an email has an invitation link")
		}
		// A userName that looks like an address is not taken for one.
		r = e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"upn@contoso.example","displayName":""}`).want(t, 201)
		if m := e.member(t, r.str("id")); m.Email != "" || m.DisplayName != "upn@contoso.example" {
			t.Errorf("userName as address: %+v", m)
		}
		// The PATCH that gives jdoe an email makes the invitation.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"add","path":"emails[type eq \"work\"].value","value":"jdoe@example.com"}`)).want(t, 200)
		same(t, "emails", r.JSON["emails"], []any{map[string]any{"type": "work", "value": "jdoe@example.com"}})
		if m := e.member(t, id); m.Email != "jdoe@example.com" || m.DisplayName != "Jdoe" {
			t.Errorf("after the email: %+v", m)
		}
		if !e.invited(t, id) {
			t.Error("the member got an email but no invitation")
		}
		if g := e.do("GET", "/scim/v2/Users?filter="+q(`emails[type eq "work" and value eq "jdoe@example.com"]`), ""); g.num("totalResults") != 1 {
			t.Errorf("filter on the new email: %s", g.Raw)
		}
	})

	s.run("case57_many_without_email", func(t *testing.T, e *env) {
		// Members without an address do not collide over the empty one.
		for _, u := range []string{"a1", "a2", "a3"} {
			e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"`+u+`"}`).want(t, 201)
		}
		id := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "a2"`), "").resources()[0]["id"].(string)
		e.do("PUT", "/scim/v2/Users/"+id, `{"schemas":["`+userURN+`"],"userName":"a2","name":{"givenName":"Ann"}}`).want(t, 200)
		if m := e.member(t, id); m.DisplayName != "Ann" {
			t.Errorf("stored: %+v", m)
		}
		// An address is still unique.
		e.newUser(t, "taken@example.com", nil)
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"add","path":"emails","value":[{"value":"TAKEN@example.com"}]}`)), 409, "uniqueness")
	})

	s.run("case62_entra_default_mappings", func(t *testing.T, e *env) {
		ada := e.adaID(t)
		body := entraFullUser("jane.doe@example.com")
		body[entURN].(map[string]any)["manager"] = map[string]any{"value": ada}
		r := e.do("POST", "/scim/v2/Users", js(body)).want(t, 201)
		id := r.str("id")
		want := attributesOf(body)
		same(t, "POST answers what was sent", attributesOf(r.JSON), want)
		g := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200)
		same(t, "GET answers what was sent", attributesOf(g.JSON), want)
		// The lookup Entra sends before each write (the one-row path) and a
		// page of users return it the same way.
		for _, path := range []string{"/scim/v2/Users?filter=" + q(`userName eq "jane.doe@example.com"`), "/scim/v2/Users?startIndex=1&count=10"} {
			l := e.do("GET", path, "").want(t, 200)
			for _, res := range l.resources() {
				if res["id"] == id {
					same(t, "listed as sent", attributesOf(res), want)
				}
			}
		}
		if at(g.JSON, entURN, "manager", "$ref") != "https://muster.example.com/scim/v2/Users/"+ada {
			t.Errorf("manager: %v", at(g.JSON, entURN, "manager"))
		}
		// Muster's own columns come from it: the work locality is the
		// location, the primary email the address.
		m := e.member(t, id)
		if m.Location != "London" || m.Email != "jane.doe@example.com" || m.Title != "Staff Engineer" || m.Department != "Platform" ||
			m.EmployeeNumber != "701984" || m.ManagerID != ada || m.DisplayName != "Jane Q. Doe" || m.Locale != "en-GB" {
			t.Errorf("stored: %+v", m)
		}
		// Entra compares and sends the same values again: nothing changes.
		version := m.Version
		e.do("PUT", "/scim/v2/Users/"+id, js(body)).want(t, 200)
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+44 7700 900000"}`,
			`{"op":"Replace","path":"title","value":"Staff Engineer"}`)).want(t, 200)
		if v := e.member(t, id).Version; v != version {
			t.Errorf("sending the same values changed the user: version %d → %d", version, v)
		}
		// A projection reaches into the kept attributes too.
		p := e.do("GET", "/scim/v2/Users/"+id+"?attributes=phoneNumbers.value,nickName", "").want(t, 200)
		same(t, "attributes=phoneNumbers.value", p.JSON["phoneNumbers"], []any{map[string]any{"value": "+44 20 7946 0000"},
			map[string]any{"value": "+44 7700 900000"}, map[string]any{"value": "+44 20 7946 0001"}})
		if p.str("nickName") != "JD" || p.JSON["title"] != nil {
			t.Errorf("projection: %s", p.Raw)
		}
	})

	s.run("case62_put_and_patch_read_back", func(t *testing.T, e *env) {
		id := e.newUser(t, "readback@example.com", nil)
		// Each write, then a GET that returns exactly what it wrote.
		steps := []struct {
			body  string
			check func(u map[string]any)
		}{
			{patch(`{"op":"add","path":"phoneNumbers","value":[{"value":"+1 555 0100","type":"work"}]}`), func(u map[string]any) {
				same(t, "phoneNumbers", u["phoneNumbers"], []any{map[string]any{"value": "+1 555 0100", "type": "work"}})
			}},
			{patch(`{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0101"}`), func(u map[string]any) {
				same(t, "phoneNumbers", u["phoneNumbers"], []any{map[string]any{"value": "+1 555 0100", "type": "work"}, map[string]any{"value": "+1 555 0101", "type": "mobile"}})
			}},
			{patch(`{"op":"Replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"}`), nil}, // noTarget below
			{patch(`{"op":"Add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"}`,
				`{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Springfield"}`), func(u map[string]any) {
				same(t, "addresses", u["addresses"], []any{map[string]any{"type": "work", "streetAddress": "1 Main St", "locality": "Springfield"}})
			}},
			{patch(`{"op":"replace","path":"name.middleName","value":"Marie"}`, `{"op":"add","path":"nickName","value":"Bee"}`,
				`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"77"}`), func(u map[string]any) {
				same(t, "name", u["name"], map[string]any{"givenName": "Given", "middleName": "Marie", "familyName": "Family"})
				if u["nickName"] != "Bee" || at(u, entURN, "costCenter") != "77" {
					t.Errorf("nickName, costCenter: %v", u)
				}
			}},
		}
		for i, st := range steps {
			r := e.do("PATCH", "/scim/v2/Users/"+id, st.body)
			if st.check == nil {
				isSCIMError(t, r, 400, "noTarget")
				continue
			}
			r.want(t, 200)
			g := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200)
			same(t, "PATCH answer and GET", attributesOf(r.JSON), attributesOf(g.JSON))
			st.check(g.JSON)
			if t.Failed() {
				t.Fatalf("step %d: %s", i, g.Raw)
			}
		}
		if m := e.member(t, id); m.Location != "Springfield" {
			t.Errorf("location %q", m.Location)
		}
		// Name parts never set are absent, not "".
		r := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"given.only","name":{"givenName":"Only"}}`).want(t, 201)
		same(t, "name", r.JSON["name"], map[string]any{"givenName": "Only"})
		if m := e.member(t, r.str("id")); m.DisplayName != "Only" {
			t.Errorf("shown name %q", m.DisplayName)
		}
	})

	s.run("case63_entra_add_string_and_active", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", entraCreateUser).want(t, 201).str("id")
		r := e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}`)).want(t, 200)
		if at(r.JSON, entURN, "department") != "Sales" || e.member(t, id).Department != "Sales" {
			t.Errorf("department: %s", r.Raw)
		}
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Replace","path":"userName","value":"renamed@contoso.example"}`,
			`{"op":"Replace","path":"active","value":"False"}`)).want(t, 200)
		if r.str("userName") != "renamed@contoso.example" || r.JSON["active"] != false {
			t.Errorf("userName and active: %s", r.Raw)
		}
		if m := e.member(t, id); m.UserName != "renamed@contoso.example" || m.Status != models.StatusDeactivated {
			t.Errorf("stored: %+v", m)
		}
		// And back, with both in one path-less replace.
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","value":{"userName":"back@contoso.example","active":true}}`)).want(t, 200)
		if m := e.member(t, id); m.UserName != "back@contoso.example" || m.Status != models.StatusInvited {
			t.Errorf("stored: %+v", m)
		}
	})

	s.run("case66_invited_are_active", func(t *testing.T, e *env) {
		ids := map[string]string{}
		for _, u := range []string{"pending@example.com", "noaddress"} {
			body := userBody(u, nil)
			if !strings.Contains(u, "@") {
				body = `{"schemas":["` + userURN + `"],"userName":"` + u + `"}`
			}
			r := e.do("POST", "/scim/v2/Users", body).want(t, 201)
			ids[u] = r.str("id")
			if r.JSON["active"] != true {
				t.Errorf("POST %s: %s", u, r.Raw)
			}
			if st := e.member(t, r.str("id")).Status; st != models.StatusInvited {
				t.Fatalf("%s is %s, want invited", u, st)
			}
			if g := e.do("GET", "/scim/v2/Users/"+r.str("id"), ""); g.JSON["active"] != true {
				t.Errorf("GET %s: %s", u, g.Raw)
			}
			l := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "`+strings.ToUpper(u)+`"`)+"&startIndex=1&count=100", "")
			checkList(t, l)
			if l.num("totalResults") != 1 || l.resources()[0]["active"] != true {
				t.Errorf("userName eq %s: %s", u, l.Raw)
			}
		}
		l := e.do("GET", "/scim/v2/Users?filter="+q(`active eq true and userName eq "noaddress"`), "")
		if l.num("totalResults") != 1 {
			t.Errorf("active eq true: %s", l.Raw)
		}
		// Filters on emails do not find the member without one.
		for _, f := range []string{`emails pr`, `emails.type eq "work"`, `emails.primary eq true`, `emails.value eq ""`} {
			l := e.do("GET", "/scim/v2/Users?filter="+q(f), "")
			checkList(t, l)
			if got := field(l, "userName"); slices.Contains(got, "noaddress") {
				t.Errorf("%s finds the member without an email: %v", f, got)
			}
		}
		// Okta's own request for a user it believes active: nothing to do.
		r := e.do("PATCH", "/scim/v2/Users/"+ids["pending@example.com"], patch(`{"op":"replace","value":{"active":true}}`)).want(t, 200)
		if r.JSON["active"] != true || e.member(t, ids["pending@example.com"]).Status != models.StatusInvited {
			t.Errorf("replace active true on an invited user: %s", r.Raw)
		}
	})

	s.run("case68_remove_optional", func(t *testing.T, e *env) {
		body := entraFullUser("remove.me@example.com")
		id := e.do("POST", "/scim/v2/Users", js(body)).want(t, 201).str("id")
		if !e.invited(t, id) {
			t.Fatal("not invited")
		}
		u := "/scim/v2/Users/" + id
		gone := func(what string, keys ...string) map[string]any {
			t.Helper()
			g := e.do("GET", u, "").want(t, 200)
			for _, k := range keys {
				var v any = g.JSON
				for _, part := range strings.Split(k, "/") {
					v, _ = v.(map[string]any)[part]
				}
				if v != nil {
					t.Errorf("%s: %s is still %v", what, k, v)
				}
			}
			return g.JSON
		}
		e.do("PATCH", u, patch(`{"op":"remove","path":"displayName"}`)).want(t, 200, 204)
		gone("remove displayName", "displayName")
		if m := e.member(t, id); m.DisplayName != "Ms. Jane Q. Doe" {
			t.Errorf("shown name without displayName: %q", m.DisplayName) // name.formatted
		}
		// It stays unassigned when later PATCHes change other things.
		e.do("PATCH", u, patch(`{"op":"replace","path":"title","value":"Principal"}`)).want(t, 200)
		gone("after another PATCH", "displayName")

		e.do("PATCH", u, patch(`{"op":"remove","path":"emails[type eq \"home\"]"}`, `{"op":"remove","path":"emails[type eq \"work\"].value"}`)).want(t, 200)
		gone("remove emails[type eq work].value", "emails")
		if m := e.member(t, id); m.Email != "" || e.invited(t, id) {
			t.Errorf("without emails the member keeps %q, invitation %v", m.Email, e.invited(t, id))
		}
		e.do("PATCH", u, patch(`{"op":"add","path":"emails","value":[{"value":"back@example.com","type":"work"}]}`)).want(t, 200)
		e.do("PATCH", u, patch(`{"op":"remove","path":"emails"}`)).want(t, 200)
		gone("remove emails", "emails")
		if m := e.member(t, id); m.Email != "" {
			t.Errorf("email %q", m.Email)
		}

		e.do("PATCH", u, patch(`{"op":"remove","path":"title"}`, `{"op":"remove","path":"name.givenName"}`, `{"op":"replace","path":"nickName","value":null}`,
			`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}`,
			`{"op":"remove","path":"phoneNumbers[type eq \"fax\"]"}`, `{"op":"remove","path":"externalId"}`,
			`{"op":"Remove","path":"addresses[type eq \"work\"]"}`)).want(t, 200)
		g := gone("remove optional attributes", "title", "name/givenName", "nickName", entURN+"/department", "externalId")
		if len(g["phoneNumbers"].([]any)) != 2 || at(g, "name", "familyName") != "Doe" || at(g, entURN, "costCenter") != "4130" {
			t.Errorf("removed more than asked: %v", g)
		}
		same(t, "addresses", g["addresses"], []any{map[string]any{"type": "home", "locality": "Bath"}})
		m := e.member(t, id)
		if m.Title != "" || m.GivenName != "" || m.Department != "" || m.ExternalID != nil || m.Location != "" {
			t.Errorf("stored: %+v", m)
		}

		// Required and read-only attributes: 400 mutability, nothing changes.
		version := m.Version
		for _, op := range []string{
			`{"op":"remove","path":"userName"}`, `{"op":"replace","path":"userName","value":null}`,
			`{"op":"remove","path":"active"}`, `{"op":"replace","path":"id","value":"x"}`,
			`{"op":"remove","path":"meta"}`, `{"op":"add","path":"groups","value":[{"value":"x"}]}`,
		} {
			isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"title","value":"Boss"}`, op)), 400, "mutability")
		}
		if m := e.member(t, id); m.Version != version || m.Title != "" {
			t.Errorf("a refused PATCH changed the user: %+v", m)
		}
		// A group's displayName is required too.
		gid := e.newGroup(t, "Keep")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"remove","path":"displayName"}`)), 400, "mutability")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","path":"displayName","value":null}`)), 400, "mutability")
	})

	s.run("member_from_the_browser", func(t *testing.T, e *env) {
		// A member invited in the browser has no stored document: SCIM shows
		// its columns, and the first write stores what the IdP sends.
		ctx := context.Background()
		admin, _, err := e.store.Membership(ctx, e.ws.ID, e.admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		roles, _ := e.store.Roles(ctx, e.ws.ID)
		m, _, err := e.store.Invite(ctx, models.MemberActor(admin), e.ws, models.InviteInput{Name: "Grace Hopper", Email: "grace@example.com", RoleID: roles[0].ID, Location: "Arlington"})
		if err != nil {
			t.Fatal(err)
		}
		g := e.do("GET", "/scim/v2/Users/"+m.ID, "").want(t, 200)
		same(t, "attributes from the columns", attributesOf(g.JSON), map[string]any{
			"userName": "grace@example.com", "displayName": "Grace Hopper", "active": true,
			"emails":    []any{map[string]any{"value": "grace@example.com", "type": "work", "primary": true}},
			"addresses": []any{map[string]any{"type": "work", "locality": "Arlington", "formatted": "Arlington", "primary": true}},
		})
		r := e.do("PATCH", "/scim/v2/Users/"+m.ID, patch(`{"op":"add","path":"title","value":"Rear Admiral"}`)).want(t, 200)
		if r.str("title") != "Rear Admiral" || r.str("displayName") != "Grace Hopper" || at(r.JSON, "addresses", 0, "locality") != "Arlington" {
			t.Errorf("first write: %s", r.Raw)
		}
		if got := e.member(t, m.ID); got.SCIMAttributes == "" || !got.SCIMManaged || got.Location != "Arlington" {
			t.Errorf("stored: %+v", got)
		}
	})

	s.run("patch_multi_valued", func(t *testing.T, e *env) {
		id := e.newUser(t, "multi@example.com", nil)
		u := "/scim/v2/Users/" + id
		// add appends; a new primary value makes the old one not primary.
		r := e.do("PATCH", u, patch(`{"op":"add","path":"emails","value":[{"value":"second@example.com","type":"other","primary":true}]}`)).want(t, 200)
		same(t, "emails", r.JSON["emails"], []any{map[string]any{"value": "multi@example.com", "type": "work"},
			map[string]any{"value": "second@example.com", "type": "other", "primary": true}})
		if m := e.member(t, id); m.Email != "second@example.com" {
			t.Errorf("the primary email is the address: %q", m.Email)
		}
		// replace with a filter that matches changes that value only.
		r = e.do("PATCH", u, patch(`{"op":"replace","path":"emails[value eq \"MULTI@example.com\"].type","value":"home"}`)).want(t, 200)
		if at(r.JSON, "emails", 0, "type") != "home" || at(r.JSON, "emails", 1, "type") != "other" {
			t.Errorf("filtered replace: %s", r.Raw)
		}
		// remove with a value list (Entra's form) takes those values out.
		r = e.do("PATCH", u, patch(`{"op":"Remove","path":"emails","value":[{"value":"second@example.com"}]}`)).want(t, 200)
		same(t, "emails", r.JSON["emails"], []any{map[string]any{"value": "multi@example.com", "type": "home"}})
		// A filter on a sub-attribute the attribute lacks is refused.
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"remove","path":"emails[colour eq \"red\"]"}`)), 400, "invalidFilter")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"add","path":"title","value":{"x":1}}`)), 400, "invalidValue")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"add","path":"emails","value":5}`)), 400, "invalidValue")
		// The attributes Muster only keeps follow the text rule of names.
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"add","path":"nickName","value":"Bo\u200bb"}`)), 400, "invalidValue")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"add","path":"phoneNumbers","value":[{"value":"+1\u202e555"}]}`)), 400, "invalidValue")
		r = e.do("PATCH", u, patch(`{"op":"add","path":"nickName","value":"Rene\u0301"}`)).want(t, 200)
		if r.str("nickName") != "Ren\u00e9" {
			t.Errorf("nickName is not NFC: %q", r.str("nickName"))
		}
	})
}
