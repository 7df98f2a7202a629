package scim_test

// scim-interop.md cases 1–7: auth, transport and discovery.

import (
	"context"

	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/scim"
)

func TestInteropTransport(t *testing.T) {
	s := newSuite(t)
	s.run("case01_no_authorization", func(t *testing.T, e *env) {
		r := e.doAs("", "GET", "/scim/v2/Users", "")
		isSCIMError(t, r, 401, "")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
		}
	})

	s.run("case02_bad_or_foreign_token", func(t *testing.T, e *env) {
		ctx := context.Background()
		// Not a bearer token at all, a made-up one, and one of Muster's
		// shape that was never issued: 401, never 200 or an empty list.
		for _, h := range []string{"non-token", "Bearer", "Basic dXNlcjpwYXNz", "Bearer nope", "Bearer muster_scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
			isSCIMError(t, e.doAs("", "GET", "/scim/v2/Users", "", "Authorization", h), 401, "")
		}
		// Tenant B. Muster's SCIM URL names no tenant (the token picks the
		// workspace), so "B's token on A's URL" means: B's token never
		// reaches A's members.
		aliceA := e.newUser(t, "alice@a.example", nil)
		wsB, err := e.store.CreateWorkspace(ctx, e.admin, "Beta")
		if err != nil {
			t.Fatal(err)
		}
		tokenB, tokB, err := e.store.CreateSCIMToken(ctx, models.SystemActor, wsB, "Okta B")
		if err != nil {
			t.Fatal(err)
		}
		list := e.doAs(tokenB, "GET", "/scim/v2/Users?filter="+q(`userName eq "alice@a.example"`), "")
		checkList(t, list)
		if list.num("totalResults") != 0 {
			t.Errorf("B's token sees A's member: %s", list.Raw)
		}
		isSCIMError(t, e.doAs(tokenB, "GET", "/scim/v2/Users/"+aliceA, ""), 404, "")
		isSCIMError(t, e.doAs(tokenB, "PATCH", "/scim/v2/Users/"+aliceA, oktaDeactivate), 404, "")
		isSCIMError(t, e.doAs(tokenB, "DELETE", "/scim/v2/Users/"+aliceA, ""), 404, "")
		if e.member(t, aliceA).Status == "deactivated" {
			t.Error("B's token deactivated A's member")
		}
		// A revoked token stops at once.
		if _, err := e.store.RevokeSCIMToken(ctx, models.SystemActor, wsB, tokB.ID); err != nil {
			t.Fatal(err)
		}
		isSCIMError(t, e.doAs(tokenB, "GET", "/scim/v2/Users", ""), 401, "")
	})

	s.run("case03_application_json", func(t *testing.T, e *env) {
		for i, ct := range []string{"application/json", "application/json; charset=utf-8", "application/scim+json"} {
			r := e.do("POST", "/scim/v2/Users", userBody("ct"+string(rune('a'+i))+"@example.com", nil), "Content-Type", ct)
			r.want(t, 201)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/scim+json") {
				t.Errorf("response Content-Type %q", r.Header.Get("Content-Type"))
			}
		}
	})

	s.alone("case04_every_error_is_scim_json", func(t *testing.T, e *env) {
		isSCIMError(t, e.do("GET", "/scim/v2/Nope", ""), 404, "")
		isSCIMError(t, e.do("GET", "/scim/v2/Users/a/b", ""), 404, "")
		r := e.do("DELETE", "/scim/v2/Users", "")
		isSCIMError(t, r, 405, "")
		if r.Header.Get("Allow") == "" {
			t.Error("405 without Allow")
		}
		isSCIMError(t, e.do("PUT", "/scim/v2/ServiceProviderConfig", "{}"), 405, "")
		// Over SCIM's maxPayloadSize (answered by the SCIM service) and over
		// Fiber's BodyLimit (answered by the app's error handler).
		r = e.do("POST", "/scim/v2/Users", `{"x":"`+strings.Repeat("a", scim.MaxPayloadSize)+`"}`)
		isSCIMError(t, r, 413, "")
		if !strings.Contains(r.str("detail"), "maxPayloadSize") {
			t.Errorf("413 detail does not name the limit: %s", r.str("detail"))
		}
		// Fiber refuses a body over its BodyLimit before any handler runs.
		r = e.liveTooLarge(t, "/scim/v2/Users")
		isSCIMError(t, r, 413, "")
		if !strings.Contains(r.str("detail"), "maxPayloadSize") {
			t.Errorf("Fiber's 413 detail does not name the limit: %s", r.str("detail"))
		}
		// A 500: the database is gone. Still SCIM JSON, no internals.
		// (The provisioning log is written first; it cannot be after.)
		e.flushLog()
		if err := e.store.Close(); err != nil { // the reader pool too
			t.Fatal(err)
		}
		r = e.do("GET", "/scim/v2/Users", "")
		isSCIMError(t, r, 500, "")
		if strings.Contains(strings.ToLower(r.Raw), "sql") {
			t.Errorf("500 leaks internals: %s", r.Raw)
		}
	})

	s.run("case05_service_provider_config", func(t *testing.T, e *env) {
		r := e.do("GET", "/scim/v2/ServiceProviderConfig", "").want(t, 200)
		for _, k := range []string{"patch", "filter", "bulk", "sort", "etag"} {
			if at(r.JSON, k, "supported") != true {
				t.Errorf("%s.supported is not true: %s", k, r.Raw)
			}
		}
		if at(r.JSON, "changePassword", "supported") != false {
			t.Errorf("changePassword: %s", r.Raw)
		}
		if n, _ := at(r.JSON, "filter", "maxResults").(float64); int(n) != scim.MaxResults || n <= 0 {
			t.Errorf("filter.maxResults %v, want %d", n, scim.MaxResults)
		}
		if n, _ := at(r.JSON, "bulk", "maxOperations").(float64); int(n) != scim.MaxOperations {
			t.Errorf("bulk.maxOperations %v, want %d", n, scim.MaxOperations)
		}
		n, _ := at(r.JSON, "bulk", "maxPayloadSize").(float64)
		if int(n) != scim.MaxPayloadSize || int(n) >= e.app.Config().BodyLimit {
			t.Errorf("bulk.maxPayloadSize %v: want %d, below Fiber's BodyLimit %d", n, scim.MaxPayloadSize, e.app.Config().BodyLimit)
		}
		if at(r.JSON, "authenticationSchemes", 0, "type") != "oauthbearertoken" {
			t.Errorf("authenticationSchemes: %s", r.Raw)
		}
		// What is advertised is what is built: sort, etag and bulk are
		// exercised by cases 26, 51 and 52–56.
	})

	s.run("case06_resource_types", func(t *testing.T, e *env) {
		r := e.do("GET", "/scim/v2/ResourceTypes", "")
		checkList(t, r)
		byID := map[string]map[string]any{}
		for _, rt := range r.resources() {
			byID[rt["id"].(string)] = rt
		}
		u, g := byID["User"], byID["Group"]
		if u == nil || g == nil || len(byID) != 2 {
			t.Fatalf("resource types: %s", r.Raw)
		}
		if u["endpoint"] != "/Users" || u["schema"] != userURN || at(u, "schemaExtensions", 0, "schema") != entURN {
			t.Errorf("User: %v", u)
		}
		if g["endpoint"] != "/Groups" || g["schema"] != groupURN {
			t.Errorf("Group: %v", g)
		}
		one := e.do("GET", "/scim/v2/ResourceTypes/User", "").want(t, 200)
		if one.str("id") != "User" || one.JSON["Resources"] != nil {
			t.Errorf("single ResourceType: %s", one.Raw)
		}
		isSCIMError(t, e.do("GET", "/scim/v2/ResourceTypes/X", ""), 404, "")
	})

	s.run("case07_schemas", func(t *testing.T, e *env) {
		r := e.do("GET", "/scim/v2/Schemas", "")
		checkList(t, r)
		equal(t, "schema ids", field(r, "id"), sorted(userURN, groupURN, entURN))
		one := e.do("GET", "/scim/v2/Schemas/"+userURN, "").want(t, 200)
		if one.str("id") != userURN {
			t.Errorf("User schema: %s", one.Raw)
		}
		if attrs, _ := one.JSON["attributes"].([]any); len(attrs) == 0 {
			t.Errorf("User schema without attributes: %s", one.Raw)
		}
		isSCIMError(t, e.do("GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Nope", ""), 404, "")
	})
}
