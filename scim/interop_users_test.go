package scim_test

// scim-interop.md cases 8–14 (create and read) and 28–38 (update and
// delete) of Users.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// noPassword fails when a response carries a password in any form.
func noPassword(t *testing.T, r *result) {
	t.Helper()
	if strings.Contains(strings.ToLower(r.Raw), "password") || strings.Contains(r.Raw, "1mz050nq") {
		t.Errorf("the response carries a password: %s", r.Raw)
	}
}

func TestInteropUsersCreate(t *testing.T) {
	s := newSuite(t)
	s.run("case08_okta_create", func(t *testing.T, e *env) {
		// Okta's body, plus an id of its own choosing, which is ignored.
		body := strings.Replace(oktaCreateUser, `"schemas"`, `"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "schemas"`, 1)
		r := e.do("POST", "/scim/v2/Users", body).want(t, 201)
		id := r.str("id")
		if id == "" || id == "23a35c27-23d3-4c03-b4c5-6443c09e7173" {
			t.Fatalf("id %q: the server assigns ids", id)
		}
		if loc := r.Header.Get("Location"); loc == "" || loc != r.str("meta.location") || !strings.HasSuffix(loc, "/scim/v2/Users/"+id) {
			t.Errorf("Location %q, meta.location %q", loc, r.str("meta.location"))
		}
		if r.str("meta.created") == "" || r.str("meta.lastModified") == "" || r.str("meta.resourceType") != "User" {
			t.Errorf("meta: %v", r.JSON["meta"])
		}
		if r.Header.Get("ETag") != r.str("meta.version") || r.str("meta.version") == "" {
			t.Errorf("ETag %q, meta.version %q", r.Header.Get("ETag"), r.str("meta.version"))
		}
		noPassword(t, r)
		if r.str("userName") != "test.user@okta.local" || r.str("externalId") != "00ujl29u0le5T6Aj10h7" ||
			r.str("displayName") != "Test User" || r.str("locale") != "en-US" || r.str("name.givenName") != "Test" ||
			at(r.JSON, "emails", 0, "value") != "test.user@okta.local" || at(r.JSON, "emails", 0, "type") != "work" || r.JSON["active"] != true {
			t.Errorf("attributes not kept: %s", r.Raw)
		}
		// The store agrees; a new user gets the Member role and an invite.
		m := e.member(t, id)
		if m.Status != models.StatusInvited || !m.SCIMManaged || m.ExternalID == nil || *m.ExternalID != "00ujl29u0le5T6Aj10h7" || m.Locale != "en-US" {
			t.Errorf("stored member: %+v", m)
		}
		equal(t, "roles", e.roles(t, id), []string{"Member"})
		g := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200)
		noPassword(t, g)
		if g.str("userName") != "test.user@okta.local" || g.str("meta.location") != r.str("meta.location") {
			t.Errorf("GET after POST: %s", g.Raw)
		}

		// groups is read-only in RFC 7643, but Okta's custom apps send
		// memberships there (case 58): they are applied, with the check of a
		// group push, so a token whose creator could not give Admin cannot
		// grant it this way either.
		admin := e.roleID(t, "Admin")
		limited, _ := e.ownedToken("Limited Owner", []models.Permission{models.PermViewMembers, models.PermInviteMembers, models.PermEditMembers})
		isSCIMError(t, e.doAs(limited, "POST", "/scim/v2/Users", userBody("sneaky@example.com", map[string]any{"groups": []any{map[string]any{"value": admin, "display": "Admin"}}})), 400, "invalidValue")
		if r := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "sneaky@example.com"`), ""); r.num("totalResults") != 0 {
			t.Errorf("the refused user exists: %s", r.Raw)
		}
	})

	s.run("case09_entra_create", func(t *testing.T, e *env) {
		r := e.do("POST", "/scim/v2/Users", entraCreateUser).want(t, 201)
		id := r.str("id")
		if r.str("userName") != "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1" || r.str("externalId") != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" ||
			r.str("name.familyName") != "familyName" || r.str("name.givenName") != "givenName" || r.JSON["active"] != true {
			t.Errorf("response: %s", r.Raw)
		}
		if v, _ := at(r.JSON, "emails", 0, "value").(string); !strings.EqualFold(v, "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com") {
			t.Errorf("email %q", v)
		}
		if r.Header.Get("Location") != r.str("meta.location") {
			t.Errorf("Location %q, meta.location %q", r.Header.Get("Location"), r.str("meta.location"))
		}
		// Entra sends "roles": [] with every user; it means "no app roles
		// assigned", and the member still gets the built-in Member role.
		equal(t, "roles", e.roles(t, id), []string{"Member"})

		// Entra's default attribute mappings: phone numbers, a full work
		// address, preferredLanguage, the enterprise extension. What Muster
		// does not keep is accepted; the work address's locality is the
		// location.
		full := `{"schemas":["` + userURN + `","` + entURN + `"],"externalId":"e-full","userName":"Full.User@contoso.example","active":true,` +
			`"displayName":"Full User","title":"Engineer","preferredLanguage":"en-US","emails":[{"primary":true,"type":"work","value":"full.user@contoso.example"}],` +
			`"meta":{"resourceType":"User"},"name":{"formatted":"Full User","familyName":"User","givenName":"Full"},` +
			`"phoneNumbers":[{"type":"work","value":"+1 555 0100"},{"type":"mobile","value":"+1 555 0101"},{"type":"fax","value":"+1 555 0102"}],` +
			`"addresses":[{"type":"work","formatted":"1 Main St, Springfield","streetAddress":"1 Main St","locality":"Springfield","region":"IL","postalCode":"62701","country":"US","primary":true}],` +
			`"` + entURN + `":{"employeeNumber":"1001","department":"Platform","organization":"Contoso","division":"R&D","costCenter":"42"},"roles":[]}`
		r = e.do("POST", "/scim/v2/Users", full).want(t, 201)
		if r.str("title") != "Engineer" || at(r.JSON, "addresses", 0, "locality") != "Springfield" || at(r.JSON, entURN, "department") != "Platform" {
			t.Errorf("Entra's full user: %s", r.Raw)
		}
		if m := e.member(t, r.str("id")); m.Location != "Springfield" || m.EmployeeNumber != "1001" {
			t.Errorf("stored: %+v", m)
		}

		// The client's meta is ignored, whatever it says.
		body := strings.Replace(userBody("meta@example.com", nil), `"active"`,
			`"meta":{"resourceType":"Group","created":"2018-03-27T19:59:26Z","lastModified":"2018-03-27T19:59:26Z","location":"Users/48af03ac28ad4fb88478","version":"W/\"99\""},"active"`, 1)
		r = e.do("POST", "/scim/v2/Users", body).want(t, 201)
		if strings.HasPrefix(r.str("meta.created"), "2018") || r.str("meta.resourceType") != "User" ||
			!strings.HasSuffix(r.str("meta.location"), "/Users/"+r.str("id")) || r.str("meta.version") == `W/"99"` {
			t.Errorf("client meta was kept: %v", r.JSON["meta"])
		}
	})

	s.run("case10_pascal_case", func(t *testing.T, e *env) {
		ada := e.adaID(t)
		body := `{"schemas":["` + userURN + `","` + entURN + `"],"UserName":"Pascal.Case@example.com","Active":true,` +
			`"DisplayName":"Pascal Case","ExternalId":"ext-pascal",` +
			`"Emails":[{"Primary":true,"Type":"work","Value":"pascal.case@example.com"}],"Name":{"GivenName":"Pascal","FamilyName":"Case"},` +
			`"` + entURN + `":{"Department":"Research","EmployeeNumber":"7","Manager":{"Value":"` + ada + `"}}}`
		r := e.do("POST", "/scim/v2/Users", body).want(t, 201)
		if r.str("userName") != "Pascal.Case@example.com" || r.JSON["active"] != true || r.str("displayName") != "Pascal Case" ||
			r.str("externalId") != "ext-pascal" || r.str("name.givenName") != "Pascal" || at(r.JSON, "emails", 0, "primary") != true {
			t.Errorf("canonical attributes: %s", r.Raw)
		}
		for _, k := range []string{"UserName", "Active", "Emails", "Name", "DisplayName"} {
			if _, ok := r.JSON[k]; ok {
				t.Errorf("response keeps the client's casing %q: %s", k, r.Raw)
			}
		}
		if at(r.JSON, entURN, "department") != "Research" || at(r.JSON, entURN, "employeeNumber") != "7" || at(r.JSON, entURN, "manager", "value") != ada {
			t.Errorf("enterprise extension: %v", r.JSON[entURN])
		}
		m := e.member(t, r.str("id"))
		if m.Department != "Research" || m.ManagerID != ada || m.EmployeeNumber != "7" {
			t.Errorf("stored: %+v", m)
		}
	})

	s.run("case11_username_case_conflict", func(t *testing.T, e *env) {
		e.newUser(t, "case.user@example.com", nil)
		body := userBody("CASE.User@Example.COM", map[string]any{"emails": []any{map[string]any{"value": "other@example.com", "type": "work", "primary": true}}})
		r := e.do("POST", "/scim/v2/Users", body)
		isSCIMError(t, r, 409, "uniqueness")
		if !strings.Contains(r.str("detail"), "userName") {
			t.Errorf("detail %q does not say what is taken", r.str("detail"))
		}
		list := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "case.user@example.com"`), "")
		checkList(t, list)
		if list.num("totalResults") != 1 {
			t.Errorf("the conflicting user was created: %s", list.Raw)
		}
		// A taken email or externalId is a conflict too.
		isSCIMError(t, e.do("POST", "/scim/v2/Users", userBody("someone.else", map[string]any{
			"emails": []any{map[string]any{"value": "CASE.USER@example.com", "type": "work"}}})), 409, "uniqueness")
	})

	s.run("case12_invalid_bodies", func(t *testing.T, e *env) {
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"emails":[{"value":"x@example.com","type":"work"}],"active":true}`), 400, "invalidValue")
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"x@example.com",`), 400, "invalidSyntax")
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `not json`), 400, "invalidSyntax")
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `[]`), 400, "invalidSyntax")
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"userName":"x@example.com","emails":[{"value":"x@example.com"}]}`), 400, "invalidSyntax")
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"x@example.com","active":5}`), 400, "invalidValue")
		list := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "x@example.com"`), "")
		checkList(t, list)
		if list.num("totalResults") != 0 {
			t.Errorf("a refused body created a user: %s", list.Raw)
		}
	})

	s.run("case13_string_booleans", func(t *testing.T, e *env) {
		// Decision: string booleans are accepted (Entra sends them).
		r := e.do("POST", "/scim/v2/Users", strings.Replace(userBody("str.true@example.com", nil), `"active":true`, `"active":"True"`, 1)).want(t, 201)
		if r.JSON["active"] != true || e.member(t, r.str("id")).Status != models.StatusInvited {
			t.Errorf(`"True": %s`, r.Raw)
		}
		r = e.do("POST", "/scim/v2/Users", strings.Replace(userBody("str.false@example.com", nil), `"active":true`, `"active":"False"`, 1)).want(t, 201)
		if r.JSON["active"] != false || e.member(t, r.str("id")).Status != models.StatusDeactivated {
			t.Errorf(`"False": %s`, r.Raw)
		}
	})

	s.run("case14_get_user", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", oktaCreateUser).want(t, 201).str("id")
		r := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200)
		for _, k := range []string{"schemas", "id", "userName", "name", "displayName", "emails", "active", "meta", "externalId", "locale", "roles", "groups"} {
			if _, ok := r.JSON[k]; !ok {
				t.Errorf("GET lacks %s: %s", k, r.Raw)
			}
		}
		if at(r.JSON, "schemas", 0) != userURN || r.str("id") != id {
			t.Errorf("GET: %s", r.Raw)
		}
		noPassword(t, r)
		nf := e.do("GET", "/scim/v2/Users/0196f0e0-0000-7000-8000-000000000000", "")
		isSCIMError(t, nf, 404, "")
		if nf.str("status") != "404" {
			t.Errorf("status %q", nf.str("status"))
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Users/not-a-uuid", ""), 404, "")
	})
}

// browse requests a page of the browser UI with a session cookie.
func (e *env) browse(t *testing.T, session, path string) int {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(&http.Cookie{Name: "muster_session", Value: session})
	res, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// accepted provisions a user and accepts their invitation as a new
// account, signed in: it returns the member id, the account and a session.
func (e *env) accepted(t *testing.T, userName string) (string, *models.Account, string) {
	t.Helper()
	ctx := context.Background()
	id := e.newUser(t, userName, nil)
	link, _, err := e.store.NewInviteLink(ctx, models.SystemActor, e.ws, id)
	if err != nil {
		t.Fatal(err)
	}
	acc, _, err := e.store.AcceptInvite(ctx, link, models.AcceptInput{Name: "Grace Hopper", Password: modelstest.AdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	session, err := e.store.CreateSession(ctx, acc.ID, "192.0.2.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if e.member(t, id).Status != models.StatusActive {
		t.Fatal("accepted member is not active")
	}
	return id, acc, session
}

func TestInteropUsersUpdate(t *testing.T) {
	s := newSuite(t)
	s.run("case28_okta_put", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", oktaCreateUser).want(t, 201).str("id")
		gid := e.newGroup(t, "Support", id)
		before := e.member(t, id).Version
		// Okta's PUT: full body with the user's id and meta; no displayName,
		// locale or externalId, so those are cleared. No roles: kept.
		body := strings.ReplaceAll(oktaPutUser, oktaU2, id)
		r := e.do("PUT", "/scim/v2/Users/"+id, body).want(t, 200)
		if r.str("name.givenName") != "Another" || r.str("name.familyName") != "User" || r.str("userName") != "test.user@okta.local" {
			t.Errorf("PUT result: %s", r.Raw)
		}
		for _, k := range []string{"locale", "externalId"} {
			if _, ok := r.JSON[k]; ok {
				t.Errorf("%s was left out of the PUT but is still there: %s", k, r.Raw)
			}
		}
		// displayName was left out: it is unassigned (RFC 7643 §4.1 makes it
		// optional), and the members table shows the name instead.
		if _, ok := r.JSON["displayName"]; ok {
			t.Errorf("displayName was left out of the PUT but is still there: %s", r.Raw)
		}
		if at(r.JSON, "name", "middleName") != "Excited" || at(r.JSON, "emails", 0, "display") != "test.user@okta.local" {
			t.Errorf("the PUT's attributes are not returned as sent: %s", r.Raw)
		}
		noPassword(t, r)
		m := e.member(t, id)
		if m.Locale != "" || m.ExternalID != nil || m.GivenName != "Another" || m.Version <= before || m.DisplayName != "Another User" {
			t.Errorf("stored after PUT: %+v", m)
		}
		equal(t, "roles kept by a PUT without roles", e.roles(t, id), []string{"Member", "Support"})
		equal(t, "group members", e.groupMembers(t, gid), []string{id})
		if r.Header.Get("Location") != r.str("meta.location") || r.Header.Get("ETag") != r.str("meta.version") {
			t.Errorf("headers: Location %q ETag %q, meta %v", r.Header.Get("Location"), r.Header.Get("ETag"), r.JSON["meta"])
		}
		// The URL names the user; an id in the body does not.
		other := e.newUser(t, "other@example.com", nil)
		e.do("PUT", "/scim/v2/Users/"+id, strings.ReplaceAll(oktaPutUser, oktaU2, other)).want(t, 200)
		if e.member(t, other).GivenName != "Given" {
			t.Error("a PUT changed the user its body's id named")
		}
		// Okta's OIN apps send profile updates as a path-less PATCH.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","value":{"name":{"givenName":"Patched","familyName":"Person"},`+
			`"emails":[{"primary":true,"value":"patched@okta.local","type":"work"}],"displayName":"Patched Person","active":true}}`)).want(t, 200)
		if r.str("name.givenName") != "Patched" || r.str("displayName") != "Patched Person" || at(r.JSON, "emails", 0, "value") != "patched@okta.local" {
			t.Errorf("Okta path-less profile PATCH: %s", r.Raw)
		}
		equal(t, "roles kept by a PATCH", e.roles(t, id), []string{"Member", "Support"})
		// PUT with roles sets them.
		e.do("PUT", "/scim/v2/Users/"+id, strings.Replace(body, `"active"`, `"roles":[{"value":"Member"}],"active"`, 1)).want(t, 200)
		equal(t, "roles set by PUT", e.roles(t, id), []string{"Member"})
		// A userName that is taken.
		taken := strings.Replace(body, `"userName": "test.user@okta.local"`, `"userName": "OTHER@example.com"`, 1)
		isSCIMError(t, e.do("PUT", "/scim/v2/Users/"+id, taken), 409, "uniqueness")
		isSCIMError(t, e.do("PUT", "/scim/v2/Users/0196f0e0-0000-7000-8000-000000000000", body), 404, "")
	})

	s.run("case29_okta_deactivate", func(t *testing.T, e *env) {
		id, acc, session := e.accepted(t, "grace@example.com")
		home := "/w/" + e.ws.Slug + "/members"
		if code := e.browse(t, session, home); code != 200 {
			t.Fatalf("before: the member's session gets %d", code)
		}
		r := e.do("PATCH", "/scim/v2/Users/"+id, oktaDeactivate).want(t, 200)
		if r.JSON["active"] != false || r.str("userName") != "grace@example.com" || r.str("id") != id {
			t.Errorf("PATCH answers the resource: %s", r.Raw)
		}
		if g := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200); g.JSON["active"] != false {
			t.Errorf("GET after deactivation: %s", g.Raw)
		}
		if m := e.member(t, id); m.Status != models.StatusDeactivated {
			t.Errorf("status %q", m.Status)
		}
		// Sessions end at once, and signing in again does not get back in.
		if _, err := e.store.SessionAccount(context.Background(), session); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("session survives deactivation: %v", err)
		}
		if code := e.browse(t, session, home); code == 200 {
			t.Error("the old session still opens the workspace")
		}
		again, err := e.store.CreateSession(context.Background(), acc.ID, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if code := e.browse(t, again, home); code != 403 {
			t.Errorf("a new sign-in gets %d, want 403", code)
		}
		// Okta's reactivation.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","value":{"active":true}}`)).want(t, 200)
		if r.JSON["active"] != true || e.member(t, id).Status != models.StatusActive {
			t.Errorf("reactivate: %s", r.Raw)
		}
		if code := e.browse(t, again, home); code != 200 {
			t.Errorf("after reactivation: %d", code)
		}
	})

	s.run("case29_last_admin_kept", func(t *testing.T, e *env) {
		// Decision: the last active Admin cannot be deactivated, removed or
		// stripped of Admin: 400 mutability with a detail.
		ada := e.adaID(t)
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+ada, oktaDeactivate), 400, "mutability")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+ada, patch(`{"op":"remove","path":"roles[value eq \"Admin\"]"}`)), 400, "mutability")
		isSCIMError(t, e.do("DELETE", "/scim/v2/Users/"+ada, ""), 400, "mutability")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+e.roleID(t, "Admin"), patch(`{"op":"remove","path":"members[value eq \"`+ada+`\"]"}`)), 400, "mutability")
		if m := e.member(t, ada); m.Status != models.StatusActive {
			t.Errorf("Ada: %s", m.Status)
		}
		equal(t, "Ada's roles", e.roles(t, ada), []string{"Admin"})
		// With a second active Admin, the first can go.
		id, _, _ := e.accepted(t, "second.admin@example.com")
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"add","path":"roles","value":[{"value":"Admin"}]}`)).want(t, 200)
		e.do("PATCH", "/scim/v2/Users/"+ada, oktaDeactivate).want(t, 200)
	})

	s.run("case30_entra_string_false", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", entraCreateUser).want(t, 201).str("id")
		r := e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Replace","path":"active","value":"False"}`)).want(t, 200, 204)
		if r.Status == 200 && r.JSON["active"] != false {
			t.Errorf("PATCH: %s", r.Raw)
		}
		if e.member(t, id).Status != models.StatusDeactivated {
			t.Error("not deactivated")
		}
		if g := e.do("GET", "/scim/v2/Users/"+id, ""); g.JSON["active"] != false {
			t.Errorf("GET: %s", g.Raw)
		}
		// "True" brings them back; never having accepted, they are invited.
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Replace","path":"active","value":"True"}`)).want(t, 200)
		if st := e.member(t, id).Status; st != models.StatusInvited {
			t.Errorf("reactivated: %s", st)
		}
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Replace","path":"active","value":"maybe"}`)), 400, "invalidValue")
	})

	s.run("case31_entra_multi_op", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", entraCreateUser).want(t, 201).str("id")
		r := e.do("PATCH", "/scim/v2/Users/"+id, entraUpdateUser).want(t, 200)
		emails, _ := r.JSON["emails"].([]any)
		if len(emails) != 1 {
			t.Fatalf("the work email was appended, not updated: %s", r.Raw)
		}
		if v, _ := at(emails, 0, "value").(string); !strings.EqualFold(v, "updatedEmail@microsoft.com") || at(emails, 0, "type") != "work" {
			t.Errorf("email: %v", emails)
		}
		if r.str("name.familyName") != "updatedFamilyName" || r.str("name.givenName") != "givenName" ||
			r.str("userName") != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" || r.JSON["active"] != false {
			t.Errorf("PATCH result: %s", r.Raw)
		}
		m := e.member(t, id)
		if !strings.EqualFold(m.Email, "updatedEmail@microsoft.com") || m.FamilyName != "updatedFamilyName" || m.Status != models.StatusDeactivated ||
			m.UserName != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" {
			t.Errorf("stored: %+v", m)
		}
		// More of Entra's one-op-per-attribute forms.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(
			`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"42"}`,
			`{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Berlin"}`,
			`{"op":"Add","path":"title","value":"Engineer"}`,
			`{"op":"Replace","path":"displayName","value":"Given Updated"}`,
			`{"op":"Add","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"}`,
			`{"op":"Replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"}`,
			`{"op":"Add","path":"preferredLanguage","value":"en-US"}`,
			`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization","value":"Contoso"}`)).want(t, 200)
		if at(r.JSON, entURN, "employeeNumber") != "42" || at(r.JSON, "addresses", 0, "locality") != "Berlin" || r.str("title") != "Engineer" || r.str("displayName") != "Given Updated" {
			t.Errorf("single-attribute ops: %s", r.Raw)
		}
		if m := e.member(t, id); m.Location != "Berlin" || m.EmployeeNumber != "42" || m.Title != "Engineer" {
			t.Errorf("stored: %+v", m)
		}
	})

	s.run("case32_entra_flagged_pathless", func(t *testing.T, e *env) {
		id := e.do("POST", "/scim/v2/Users", entraCreateUser).want(t, 201).str("id")
		body := patch(`{"op":"replace","value":{"displayName":"Flag Ged","name.givenName":"Flag","name.familyName":"Ged",` +
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1234",` +
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Ops","active":false}}`)
		r := e.do("PATCH", "/scim/v2/Users/"+id+"?aadOptscim062020", body).want(t, 200)
		if r.str("displayName") != "Flag Ged" || r.str("name.givenName") != "Flag" || r.str("name.familyName") != "Ged" ||
			at(r.JSON, entURN, "employeeNumber") != "1234" || at(r.JSON, entURN, "department") != "Ops" || r.JSON["active"] != false {
			t.Errorf("not every key applied: %s", r.Raw)
		}
		m := e.member(t, id)
		if m.DisplayName != "Flag Ged" || m.GivenName != "Flag" || m.FamilyName != "Ged" || m.EmployeeNumber != "1234" || m.Department != "Ops" || m.Status != models.StatusDeactivated {
			t.Errorf("stored: %+v", m)
		}
		// The extension as a nested object, and name as an object.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"},"name":{"givenName":"Nested"}}}`)).want(t, 200)
		if at(r.JSON, entURN, "department") != "Sales" || r.str("name.givenName") != "Nested" || r.str("name.familyName") != "Ged" {
			t.Errorf("nested: %s", r.Raw)
		}
	})

	s.run("case33_add_work_email", func(t *testing.T, e *env) {
		// Decision: with no work email, the add creates one (RFC 7644
		// §3.5.2.1) beside the home one; the member's address stays the
		// primary one. Without any email, the work one becomes the address.
		id := e.newUser(t, "homer@example.com", map[string]any{"emails": []any{map[string]any{"value": "homer@home.example", "type": "home", "primary": true}}})
		r := e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Add","path":"emails[type eq \"work\"].value","value":"homer@work.example"}`)).want(t, 200)
		want := []any{map[string]any{"value": "homer@home.example", "type": "home", "primary": true}, map[string]any{"value": "homer@work.example", "type": "work"}}
		if js(r.JSON["emails"]) != js(want) {
			t.Errorf("emails: %s", r.Raw)
		}
		if m := e.member(t, id); m.Email != "homer@home.example" || m.EmailType != "home" {
			t.Errorf("stored: %s %s", m.Email, m.EmailType)
		}
		// The same add again changes that work email: no second one.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Add","path":"emails[type eq \"work\"].value","value":"simpson@work.example"}`)).want(t, 200)
		if emails, _ := r.JSON["emails"].([]any); len(emails) != 2 || at(emails, 1, "value") != "simpson@work.example" {
			t.Errorf("emails after a second add: %s", r.Raw)
		}
		// Removing the home email leaves the work one as the address.
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"remove","path":"emails[type eq \"home\"]"}`)).want(t, 200)
		if m := e.member(t, id); m.Email != "simpson@work.example" || m.EmailType != "work" {
			t.Errorf("stored after removing the home email: %s %s", m.Email, m.EmailType)
		}
	})

	s.run("case34_manager", func(t *testing.T, e *env) {
		ada := e.adaID(t)
		id := e.newUser(t, "report@example.com", nil)
		path := `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"`
		r := e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","path":`+path+`,"value":{"value":"`+ada+`"}}`)).want(t, 200)
		if at(r.JSON, entURN, "manager", "value") != ada || e.member(t, id).ManagerID != ada {
			t.Errorf("manager set: %s", r.Raw)
		}
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"remove","path":`+path+`}`)).want(t, 200)
		if at(r.JSON, entURN, "manager") != nil || e.member(t, id).ManagerID != "" {
			t.Errorf("manager removed: %s", r.Raw)
		}
		// Decision: a bare id is normalised to {value: id}.
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"Replace","path":`+path+`,"value":"`+ada+`"}`)).want(t, 200)
		if at(r.JSON, entURN, "manager", "value") != ada {
			t.Errorf("bare manager in PATCH: %s", r.Raw)
		}
		r = e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`","`+entURN+`"],"userName":"bare@example.com","`+entURN+`":{"manager":"`+ada+`"}}`).want(t, 201)
		if at(r.JSON, entURN, "manager", "value") != ada {
			t.Errorf("bare manager in POST: %s", r.Raw)
		}
		// manager.value as a path.
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"`+id+`"}`)).want(t, 200)
		if e.member(t, id).ManagerID != id {
			t.Error("manager.value not applied")
		}
	})

	s.run("case35_roles", func(t *testing.T, e *env) {
		id, _, _ := e.accepted(t, "roles@example.com")
		r := e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"add","path":"roles","value":[{"value":"admin","display":"Admin","type":"WindowsAzureActiveDirectoryRole","primary":true}]}`)).want(t, 200)
		equal(t, "after add", e.roles(t, id), []string{"Admin", "Member"})
		if !strings.Contains(js(r.JSON["roles"]), `"Admin"`) {
			t.Errorf("response roles: %v", r.JSON["roles"])
		}
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"remove","path":"roles[value eq \"admin\"]"}`)).want(t, 200)
		equal(t, "after remove", e.roles(t, id), []string{"Member"})
		r = e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"replace","path":"roles","value":[]}`)).want(t, 200)
		equal(t, "after replace []", e.roles(t, id), nil)
		if l, ok := r.JSON["roles"].([]any); !ok || len(l) != 0 {
			t.Errorf("response roles: %v", r.JSON["roles"])
		}
		// Decision: roles are role names; an unknown one becomes a role
		// without permissions (case 61 tests it further).
		e.do("PATCH", "/scim/v2/Users/"+id, patch(`{"op":"add","path":"roles","value":[{"value":"Astronaut"}]}`)).want(t, 200)
		equal(t, "after adding an unknown role", e.roles(t, id), []string{"Astronaut"})
		// Roles at creation, by name in any case.
		r = e.do("POST", "/scim/v2/Users", userBody("born.admin@example.com", map[string]any{"roles": []any{map[string]any{"value": "ADMIN"}}})).want(t, 201)
		equal(t, "created with roles", e.roles(t, r.str("id")), []string{"Admin"})
	})

	s.run("case36_patch_rejections", func(t *testing.T, e *env) {
		id := e.newUser(t, "reject@example.com", nil)
		before := e.member(t, id).Version
		u := "/scim/v2/Users/" + id
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"remove"}`)), 400, "noTarget")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"delete","path":"title"}`)), 400, "invalidValue")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"foo","value":"x"}`)), 400, "invalidPath")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"urn:example:nope:foo","value":"x"}`)), 400, "invalidPath")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"id","value":"x"}`)), 400, "")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"meta.created","value":"x"}`)), 400, "")
		isSCIMError(t, e.do("PATCH", u, patch()), 400, "")
		isSCIMError(t, e.do("PATCH", u, `{"schemas":["`+patchURN+`"]}`), 400, "")
		isSCIMError(t, e.do("PATCH", u, `{"schemas":["`+userURN+`"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`), 400, "")
		isSCIMError(t, e.do("PATCH", u, `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`), 400, "")
		isSCIMError(t, e.do("PATCH", u, `{"schemas":`), 400, "invalidSyntax")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/0196f0e0-0000-7000-8000-000000000000", patch(`{"op":"replace","path":"title","value":"x"}`)), 404, "")
		// A refused request changes nothing, not even its valid ops.
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"title","value":"Boss"}`, `{"op":"replace","path":"foo","value":"x"}`)), 400, "invalidPath")
		if m := e.member(t, id); m.Version != before || m.Title != "" {
			t.Errorf("a refused PATCH changed the member: version %d→%d, title %q", before, m.Version, m.Title)
		}
	})

	s.run("case37_patch_conflicts", func(t *testing.T, e *env) {
		id := e.newUser(t, "first@example.com", nil)
		e.newUser(t, "second@example.com", nil)
		u := "/scim/v2/Users/" + id
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"remove","path":"userName"}`)), 400, "")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"emails[type eq \"home\"].value","value":"h@example.com"}`)), 400, "noTarget")
		isSCIMError(t, e.do("PATCH", u, patch(`{"op":"replace","path":"userName","value":"SECOND@example.com"}`)), 409, "uniqueness")
		if m := e.member(t, id); m.UserName != "first@example.com" || m.Email != "first@example.com" {
			t.Errorf("stored: %+v", m)
		}
	})

	s.run("case38_delete_user", func(t *testing.T, e *env) {
		id, _, session := e.accepted(t, "leaver@example.com")
		r := e.do("DELETE", "/scim/v2/Users/"+id, "").want(t, 204)
		if r.Raw != "" {
			t.Errorf("204 with a body: %q", r.Raw)
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Users/"+id, ""), 404, "")
		isSCIMError(t, e.do("DELETE", "/scim/v2/Users/"+id, ""), 404, "")
		if _, err := e.store.SCIMUserByID(context.Background(), e.ws.ID, id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("store: %v", err)
		}
		if _, err := e.store.SessionAccount(context.Background(), session); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("session survives removal: %v", err)
		}
	})
}
