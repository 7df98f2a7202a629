package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// ownedToken makes an active member holding exactly perms (through a role
// of their own) and a SCIM token created by them.
func (e *env) ownedToken(name string, perms []models.Permission) (string, *models.Member) {
	e.t.Helper()
	ctx := context.Background()
	admin, _, err := e.store.Membership(ctx, e.ws.ID, e.admin.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	role, err := e.store.CreateRole(ctx, models.SystemActor, e.ws, models.RoleInput{Name: "Role " + name, Permissions: perms})
	if err != nil {
		e.t.Fatal(err)
	}
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
	_, link, err := e.store.Invite(ctx, models.MemberActor(admin), e.ws, models.InviteInput{Name: name, Email: email, RoleID: role.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	acc, _, err := e.store.AcceptInvite(ctx, link, models.AcceptInput{Name: name, Password: "a long enough password"})
	if err != nil {
		e.t.Fatal(err)
	}
	m, held, err := e.store.Membership(ctx, e.ws.ID, acc.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	token, _, err := e.store.CreateSCIMToken(ctx, models.MemberActor(m).WithPerms(held), e.ws, "Token of "+name)
	if err != nil {
		e.t.Fatal(err)
	}
	return token, m
}

var (
	view   = models.PermViewMembers
	invite = models.PermInviteMembers
	edit   = models.PermEditMembers
	remove = models.PermRemoveMembers
	roles  = models.PermManageRoles
)

// scimCall is one SCIM route and verb, the permissions it needs beyond
// none, and how to tell success.
type scimCall struct {
	name  string
	needs []models.Permission
	// do sends the request with token against fresh fixtures made with
	// the env's own (shell, all-permissions) token.
	do func(e *env, token string) *result
	// ok reports success; nil means any 2xx.
	ok func(r *result) bool
}

func (e *env) freshUser(t *testing.T) string {
	t.Helper()
	e.t = t
	n := fmt.Sprintf("target%d", nextFixture())
	r := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"`+n+`@example.com","name":{"givenName":"T","familyName":"`+n+`"},"active":true}`).want(t, 201)
	return r.str("id")
}

func (e *env) freshGroup(t *testing.T) string {
	t.Helper()
	e.t = t
	r := e.do("POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["%s"],"displayName":"Group %d"}`, groupURN, nextFixture())).want(t, 201)
	return r.str("id")
}

var fixtureN int

func nextFixture() int { fixtureN++; return fixtureN }

var scimCalls = []scimCall{
	{"GET /Users", []models.Permission{view}, func(e *env, tok string) *result { return e.doAs(tok, "GET", "/scim/v2/Users", "") }, nil},
	{"GET /Users/{id}", []models.Permission{view}, func(e *env, tok string) *result {
		return e.doAs(tok, "GET", "/scim/v2/Users/"+e.freshUser(e.t.(*testing.T)), "")
	}, nil},
	{"POST /Users/.search", []models.Permission{view}, func(e *env, tok string) *result {
		return e.doAs(tok, "POST", "/scim/v2/Users/.search", `{"schemas":["`+searchURN+`"],"filter":"userName sw \"t\""}`)
	}, nil},
	{"POST /Users", []models.Permission{invite}, func(e *env, tok string) *result {
		n := nextFixture()
		return e.doAs(tok, "POST", "/scim/v2/Users", fmt.Sprintf(`{"schemas":["%s"],"userName":"new%d@example.com","active":true}`, userURN, n))
	}, nil},
	{"PUT /Users/{id} (profile)", []models.Permission{edit}, func(e *env, tok string) *result {
		id := e.freshUser(e.t.(*testing.T))
		return e.doAs(tok, "PUT", "/scim/v2/Users/"+id, `{"schemas":["`+userURN+`"],"userName":"renamed-`+id+`@example.com","name":{"givenName":"Re","familyName":"Named"},"active":true}`)
	}, nil},
	{"PATCH /Users/{id} (name)", []models.Permission{edit}, func(e *env, tok string) *result {
		return e.doAs(tok, "PATCH", "/scim/v2/Users/"+e.freshUser(e.t.(*testing.T)), `{"schemas":["`+patchURN+`"],"Operations":[{"op":"replace","path":"name.familyName","value":"Changed"}]}`)
	}, nil},
	{"PATCH /Users/{id} (active false)", []models.Permission{remove}, func(e *env, tok string) *result {
		return e.doAs(tok, "PATCH", "/scim/v2/Users/"+e.freshUser(e.t.(*testing.T)), oktaDeactivate)
	}, func(r *result) bool { return r.Status == 200 && r.JSON["active"] == false }},
	{"PUT /Users/{id} (same profile, active false)", []models.Permission{remove}, func(e *env, tok string) *result {
		id := e.freshUser(e.t.(*testing.T))
		cur := e.do("GET", "/scim/v2/Users/"+id, "").want(e.t, 200)
		body := strings.Replace(cur.Raw, `"active":true`, `"active":false`, 1)
		return e.doAs(tok, "PUT", "/scim/v2/Users/"+id, body)
	}, func(r *result) bool { return r.Status == 200 && r.JSON["active"] == false }},
	{"PUT /Users/{id} (active false, and joins a group)", []models.Permission{remove, edit}, func(e *env, tok string) *result {
		// Memberships in groups (Okta's custom apps) change roles, which is
		// editing: a token that may only deactivate cannot add them.
		id, gid := e.freshUser(e.t.(*testing.T)), e.freshGroup(e.t.(*testing.T))
		cur := e.do("GET", "/scim/v2/Users/"+id, "").want(e.t, 200)
		body := strings.Replace(cur.Raw, `"active":true`, `"active":false`, 1)
		body = strings.Replace(body, `"groups":[`, `"groups":[{"value":"`+gid+`"},`, 1)
		return e.doAs(tok, "PUT", "/scim/v2/Users/"+id, body)
	}, func(r *result) bool { return r.Status == 200 && r.JSON["active"] == false }},
	{"DELETE /Users/{id}", []models.Permission{remove}, func(e *env, tok string) *result {
		return e.doAs(tok, "DELETE", "/scim/v2/Users/"+e.freshUser(e.t.(*testing.T)), "")
	}, nil},
	{"GET /Groups", []models.Permission{view}, func(e *env, tok string) *result { return e.doAs(tok, "GET", "/scim/v2/Groups", "") }, nil},
	{"GET /Groups/{id}", []models.Permission{view}, func(e *env, tok string) *result {
		return e.doAs(tok, "GET", "/scim/v2/Groups/"+e.freshGroup(e.t.(*testing.T)), "")
	}, nil},
	{"POST /Groups/.search", []models.Permission{view}, func(e *env, tok string) *result {
		return e.doAs(tok, "POST", "/scim/v2/Groups/.search", `{"schemas":["`+searchURN+`"],"filter":"displayName sw \"G\""}`)
	}, nil},
	{"POST /Groups", []models.Permission{roles}, func(e *env, tok string) *result {
		return e.doAs(tok, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["%s"],"displayName":"Pushed %d"}`, groupURN, nextFixture()))
	}, nil},
	{"PUT /Groups/{id} (rename)", []models.Permission{roles}, func(e *env, tok string) *result {
		return e.doAs(tok, "PUT", "/scim/v2/Groups/"+e.freshGroup(e.t.(*testing.T)), fmt.Sprintf(`{"schemas":["%s"],"displayName":"Renamed %d"}`, groupURN, nextFixture()))
	}, nil},
	{"PATCH /Groups/{id} (rename)", []models.Permission{roles}, func(e *env, tok string) *result {
		return e.doAs(tok, "PATCH", "/scim/v2/Groups/"+e.freshGroup(e.t.(*testing.T)), fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"replace","value":{"displayName":"Renamed %d"}}]}`, patchURN, nextFixture()))
	}, nil},
	{"PATCH /Groups/{id} (add member)", []models.Permission{edit}, func(e *env, tok string) *result {
		t := e.t.(*testing.T)
		gid, uid := e.freshGroup(t), e.freshUser(t)
		return e.doAs(tok, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["`+patchURN+`"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}]}`)
	}, nil},
	{"DELETE /Groups/{id}", []models.Permission{roles}, func(e *env, tok string) *result {
		return e.doAs(tok, "DELETE", "/scim/v2/Groups/"+e.freshGroup(e.t.(*testing.T)), "")
	}, nil},
	{"POST /Bulk (POST /Users)", []models.Permission{invite}, func(e *env, tok string) *result {
		n := nextFixture()
		return e.doAs(tok, "POST", "/scim/v2/Bulk", fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"method":"POST","path":"/Users","bulkId":"b%d","data":{"schemas":["%s"],"userName":"bulk%d@example.com"}}]}`, bulkReqURN, n, userURN, n))
	}, nil},
	{"GET /ServiceProviderConfig", nil, func(e *env, tok string) *result { return e.doAs(tok, "GET", "/scim/v2/ServiceProviderConfig", "") }, nil},
}

// TestTokenPermissionMatrix runs every SCIM route and verb with tokens whose
// owners hold different permissions: each is refused with a 403 SCIM Error
// exactly when the owner lacks what the browser asks for the same action.
func TestTokenPermissionMatrix(t *testing.T) {
	sets := []struct {
		name  string
		perms []models.Permission
	}{
		{"nothing", nil},
		// The review's case: view members and manage SCIM tokens.
		{"view and scim", []models.Permission{view, models.PermManageSCIM}},
		{"view and invite", []models.Permission{view, invite}},
		{"view and edit", []models.Permission{view, edit}},
		{"view and remove", []models.Permission{view, remove}},
		{"view and roles", []models.Permission{view, roles}},
		{"every permission", models.AllPermissions()},
	}
	each(t, func(t *testing.T, e *env) {
		for _, set := range sets {
			token, _ := e.ownedToken("Owner "+set.name, set.perms)
			for _, call := range scimCalls {
				t.Run(set.name+"/"+call.name, func(t *testing.T) {
					e.t = t
					r := call.do(e, token)
					allowed := true
					for _, p := range call.needs {
						allowed = allowed && slices.Contains(set.perms, p)
					}
					// A Bulk answers 200; the operation carries the status.
					if strings.HasPrefix(call.name, "POST /Bulk") && r.Status == 200 {
						ops, _ := r.JSON["Operations"].([]any)
						op, _ := ops[0].(map[string]any)
						if st := op["status"]; allowed != (st == "201") || (!allowed && st != "403") {
							t.Errorf("bulk operation status %v, allowed %v: %s", st, allowed, r.Raw)
						}
						return
					}
					if !allowed {
						isSCIMError(t, r, http.StatusForbidden, "")
						return
					}
					if r.Status >= 300 || (call.ok != nil && !call.ok(r)) {
						t.Errorf("allowed, got %d: %s", r.Status, r.Raw)
					}
				})
			}
		}
	})
}

// TestTokenCannotEditAdmin is the review's finding: a token made by a
// member who holds only "View members" and "Manage SCIM tokens" cannot
// change the Admin's name and email, deactivate or delete them, invite, or
// create roles, and the Admin is untouched.
func TestTokenCannotEditAdmin(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		token, _ := e.ownedToken("Mallory", []models.Permission{view, models.PermManageSCIM})
		ctx := context.Background()
		admin, _, _ := e.store.Membership(ctx, e.ws.ID, e.admin.ID)
		path := "/scim/v2/Users/" + admin.ID
		for _, body := range []string{
			`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"displayName":"Mallory","emails":[{"value":"mallory@evil.example","primary":true}]}}]}`,
			oktaDeactivate,
		} {
			isSCIMError(t, e.doAs(token, "PATCH", path, body), http.StatusForbidden, "")
		}
		isSCIMError(t, e.doAs(token, "PUT", path, `{"schemas":["`+userURN+`"],"userName":"mallory@evil.example","active":true}`), http.StatusForbidden, "")
		isSCIMError(t, e.doAs(token, "DELETE", path, ""), http.StatusForbidden, "")
		isSCIMError(t, e.doAs(token, "POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"Backdoor"}`), http.StatusForbidden, "")
		r := e.doAs(token, "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"eve@evil.example"}`)
		isSCIMError(t, r, http.StatusForbidden, "")
		if !strings.Contains(r.str("detail"), "Invite members") {
			t.Errorf("the 403 does not name the missing permission: %s", r.str("detail"))
		}
		m, err := e.store.MemberByID(ctx, e.ws.ID, admin.ID)
		if err != nil || m.DisplayName != "Ada Lovelace" || m.Email != "ada@example.com" || m.Status != models.StatusActive {
			t.Errorf("the Admin changed: %+v %v", m, err)
		}
	})
}

// TestTokenFollowsItsOwner: a token works with its owner's permissions as
// they are now, stops working (401 SCIM Error) when the owner is
// deactivated or removed, and its refusals are in the provisioning log.
func TestTokenFollowsItsOwner(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin, _, _ := e.store.Membership(ctx, e.ws.ID, e.admin.ID)
		ada := models.MemberActor(admin)
		token, grace := e.ownedToken("Grace Hopper", []models.Permission{view})
		e.doAs(token, "GET", "/scim/v2/Users", "").want(t, 200)
		isSCIMError(t, e.doAs(token, "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"x@example.com"}`), http.StatusForbidden, "")

		// Grace is made an Admin: her token can now invite.
		adminRole := roleID(t, e, "Admin")
		if _, err := e.store.UpdateMember(ctx, ada, e.ws, grace.ID, models.UpdateInput{Name: grace.DisplayName, RoleIDs: []string{adminRole}}); err != nil {
			t.Fatal(err)
		}
		e.doAs(token, "POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"x@example.com"}`).want(t, 201)

		// The identity provider takes Grace over: the SCIM page can now warn
		// that it may deactivate her, and with her her token.
		e.do("PATCH", "/scim/v2/Users/"+grace.ID, `{"schemas":["`+patchURN+`"],"Operations":[{"op":"replace","path":"title","value":"Admiral"}]}`).want(t, 200)
		if tokens, _ := e.store.SCIMTokens(ctx, e.ws.ID); !tokens[0].OwnerSCIMManaged || tokens[0].OwnerName != "Grace Hopper" {
			t.Errorf("owner not known as managed by the IdP: %+v", tokens[0])
		}
		if _, err := e.store.Deactivate(ctx, ada, e.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		r := e.doAs(token, "GET", "/scim/v2/Users", "")
		isSCIMError(t, r, http.StatusUnauthorized, "")
		if !strings.Contains(r.str("detail"), "Grace Hopper") || !strings.Contains(r.str("detail"), "deactivated") {
			t.Errorf("detail does not say why: %s", r.str("detail"))
		}
		tokens, _ := e.store.SCIMTokens(ctx, e.ws.ID)
		for _, tk := range tokens {
			if tk.HasOwner() && tk.Disabled() == "" {
				t.Errorf("token %s of a deactivated owner is not disabled", tk.Name)
			}
		}

		if _, err := e.store.Reactivate(ctx, ada, e.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		e.doAs(token, "GET", "/scim/v2/Users", "").want(t, 200)
		if _, err := e.store.RemoveMember(ctx, ada, e.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		r = e.doAs(token, "GET", "/scim/v2/Users", "")
		isSCIMError(t, r, http.StatusUnauthorized, "")
		if !strings.Contains(r.str("detail"), "removed") {
			t.Errorf("detail does not say the owner was removed: %s", r.str("detail"))
		}

		// The refusals are in the workspace's provisioning log.
		e.flushLog()
		pg, err := e.store.ListSCIMLog(ctx, e.ws.ID, models.SCIMLogQuery{Status: "401"})
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Entries) != 2 || pg.Entries[0].TokenName != "Token of Grace Hopper" || !strings.Contains(pg.Entries[0].Detail, "removed") {
			t.Errorf("401s in the log: %+v", pg.Entries)
		}
	})
}

func roleID(t *testing.T, e *env, name string) string {
	t.Helper()
	rs, err := e.store.Roles(context.Background(), e.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %s", name)
	return ""
}
