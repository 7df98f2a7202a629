package scim_test

// Limits and bad input (issue 12, item 7): NUL in filters and values,
// invalid UTF-8, invisible characters, NFC, oversized request lines and
// headers, the PATCH operation limit, and the invitation budget.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/scim"
)

func TestLimitsAndBadInput(t *testing.T) {
	s := newSuite(t)
	s.run("nul_in_filters", func(t *testing.T, e *env) {
		e.newUser(t, "nul@example.com", map[string]any{"externalId": "ext-1"})
		e.newGroup(t, "Nul")
		for _, f := range []string{
			// the one-row lookups IdPs send before every write
			"userName eq \"a\x00b\"", "externalId eq \"\x00\"", "id eq \"a\x00\"",
			// the general parser
			"title eq \"a\x00b\"", "emails.value co \"\x00\"", "userName eq \"a\" or displayName eq \"\x00\"",
			// not UTF-8
			"userName eq \"a\xffb\"", "title eq \"\xff\"",
		} {
			isSCIMError(t, e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(f), ""), 400, "invalidFilter")
			if utf8.ValidString(f) { // JSON would carry invalid bytes as U+FFFD
				isSCIMError(t, e.do("POST", "/scim/v2/Users/.search", js(map[string]any{"schemas": []string{searchURN}, "filter": f})), 400, "invalidFilter")
			}
		}
		for _, f := range []string{"displayName eq \"\x00\"", "externalId eq \"a\x00\"", "members[value eq \"\x00\"]", "id eq \"\x00\""} {
			isSCIMError(t, e.do("GET", "/scim/v2/Groups?filter="+url.QueryEscape(f), ""), 400, "invalidFilter")
		}
		// The one-row lookup still works.
		if r := e.do("GET", "/scim/v2/Users?filter="+q(`userName eq "NUL@example.com"`), "").want(t, 200); r.num("totalResults") != 1 {
			t.Errorf("lookup: %s", r.Raw)
		}
	})

	s.run("nul_in_values", func(t *testing.T, e *env) {
		uid := e.newUser(t, "v@example.com", nil)
		gid := e.newGroup(t, "Values")
		for _, body := range map[string]string{
			"userName":    `{"schemas":["` + userURN + `"],"userName":"a\u0000b"}`,
			"email":       `{"schemas":["` + userURN + `"],"userName":"ab","emails":[{"value":"a\u0000b@example.com","primary":true}]}`,
			"givenName":   `{"schemas":["` + userURN + `"],"userName":"ab","name":{"givenName":"A\u0000"}}`,
			"displayName": `{"schemas":["` + userURN + `"],"userName":"ab","displayName":"\u0000"}`,
			"roles":       `{"schemas":["` + userURN + `"],"userName":"ab","roles":[{"value":"R\u0000"}]}`,
		} {
			isSCIMError(t, e.do("POST", "/scim/v2/Users", body), 400, "invalidValue")
			isSCIMError(t, e.do("PUT", "/scim/v2/Users/"+uid, strings.Replace(body, `"userName":"ab"`, `"userName":"v@example.com"`, 1)), 400, "invalidValue")
		}
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"G\u0000"}`), 400, "invalidValue")
		isSCIMError(t, e.do("PUT", "/scim/v2/Groups/"+gid, `{"schemas":["`+groupURN+`"],"displayName":"G\u0000"}`), 400, "invalidValue")
		if r := e.do("GET", "/scim/v2/Users?count=0", ""); r.num("totalResults") != 2 {
			t.Errorf("users: %s", r.Raw)
		}
	})

	s.run("invalid_utf8_body", func(t *testing.T, e *env) {
		for _, body := range []string{
			"{\"schemas\":[\"" + userURN + "\"],\"userName\":\"jos\xe9\"}", // Latin-1 é
			"{\"schemas\":[\"" + userURN + "\"],\"userName\":\"ok\",\"name\":{\"givenName\":\"\xff\"}}",
		} {
			isSCIMError(t, e.do("POST", "/scim/v2/Users", body), 400, "invalidValue")
		}
		isSCIMError(t, e.do("POST", "/scim/v2/Groups", "{\"schemas\":[\""+groupURN+"\"],\"displayName\":\"\xc3\"}"), 400, "invalidValue")
		b := e.do("POST", "/scim/v2/Bulk", "{\"schemas\":[\""+bulkReqURN+"\"],\"Operations\":[{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"a\",\"data\":{\"schemas\":[\""+userURN+"\"],\"userName\":\"\xff\"}}]}")
		isSCIMError(t, b, 400, "invalidValue")
		if r := e.do("GET", "/scim/v2/Users?count=0", ""); r.num("totalResults") != 1 {
			t.Errorf("users: %s", r.Raw)
		}
	})

	s.run("invisible_characters", func(t *testing.T, e *env) {
		for attr, body := range map[string]string{
			"userName zero-width": `{"schemas":["` + userURN + `"],"userName":"ada\u200b@example.com","emails":[{"value":"z@example.com","primary":true}]}`,
			"userName bidi":       `{"schemas":["` + userURN + `"],"userName":"\u202eada","emails":[{"value":"z@example.com","primary":true}]}`,
			"email zero-width":    `{"schemas":["` + userURN + `"],"userName":"z1","emails":[{"value":"z\ufeff@example.com","primary":true}]}`,
			"displayName bidi":    `{"schemas":["` + userURN + `"],"userName":"z@example.com","displayName":"Ada \u2067x\u2069"}`,
			"familyName joiner":   `{"schemas":["` + userURN + `"],"userName":"z@example.com","name":{"familyName":"Love\u200dlace"}}`,
		} {
			r := e.do("POST", "/scim/v2/Users", body)
			isSCIMError(t, r, 400, "invalidValue")
			if !strings.Contains(r.str("detail"), "invisible") {
				t.Errorf("%s: %s", attr, r.Raw)
			}
		}
		uid := e.newUser(t, "fine@example.com", nil)
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"replace","path":"name.givenName","value":"A\u200bda"}`)), 400, "invalidValue")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Users/"+uid, patch(`{"op":"replace","path":"userName","value":"fine\u200e@example.com"}`)), 400, "invalidValue")
		gid := e.newGroup(t, "Plain")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patch(`{"op":"replace","path":"displayName","value":"Pl\u202eain"}`)), 400, "invalidValue")
		// Scripts that need a joiner keep it in names.
		r := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"fa@example.com","name":{"givenName":"می\u200cخواهم","familyName":"x"}}`).want(t, 201)
		if r.str("name.givenName") != "می\u200cخواهم" {
			t.Errorf("givenName: %s", r.Raw)
		}
	})

	s.run("nfc_username_and_email", func(t *testing.T, e *env) {
		// "josé" sent decomposed (e + U+0301) is stored composed.
		r := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"jose\u0301","emails":[{"value":"jose\u0301@example.com","primary":true}],"externalId":"e1"}`).want(t, 201)
		id := r.str("id")
		if r.str("userName") != "jos\u00e9" || at(r.JSON, "emails", 0, "value") != "jos\u00e9@example.com" {
			t.Errorf("stored: %s", r.Raw)
		}
		// Composed, it is the same person: 409, whichever attribute.
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"jos\u00e9","emails":[{"value":"other@example.com"}]}`), 409, "uniqueness")
		isSCIMError(t, e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"other","emails":[{"value":"jos\u00e9@example.com"}]}`), 409, "uniqueness")
		// And filters find it either way.
		for _, f := range []string{"userName eq \"jos\u00e9\"", "userName eq \"jose\u0301\"", "emails.value eq \"jose\u0301@example.com\"", "userName sw \"jose\u0301\""} {
			l := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(f), "").want(t, 200)
			if len(l.resources()) != 1 || l.resources()[0]["id"] != id {
				t.Errorf("%s: %s", f, l.Raw)
			}
		}
	})

	s.run("patch_max_operations", func(t *testing.T, e *env) {
		spc := e.do("GET", "/scim/v2/ServiceProviderConfig", "").want(t, 200)
		max, ok := at(spc.JSON, "patch", "maxOperations").(float64)
		if !ok || int(max) != scim.MaxPatchOperations {
			t.Fatalf("patch.maxOperations: %s", spc.Raw)
		}
		uid := e.newUser(t, "ops@example.com", nil)
		op := `{"op":"replace","path":"title","value":"T"}`
		ops := make([]string, scim.MaxPatchOperations)
		for i := range ops {
			ops[i] = op
		}
		e.do("PATCH", "/scim/v2/Users/"+uid, patch(ops...)).want(t, 200)
		r := e.do("PATCH", "/scim/v2/Users/"+uid, patch(append(ops, `{"op":"replace","path":"title","value":"Too many"}`)...))
		isSCIMError(t, r, 413, "")
		if !strings.Contains(r.str("detail"), fmt.Sprint(scim.MaxPatchOperations)) {
			t.Errorf("detail does not name the limit: %s", r.Raw)
		}
		gid := e.newGroup(t, "Ops")
		isSCIMError(t, e.do("PATCH", "/scim/v2/Groups/"+gid, patch(append(ops, op)...)), 413, "")
		if u := e.do("GET", "/scim/v2/Users/"+uid, ""); u.str("title") != "T" {
			t.Errorf("the refused PATCH changed the user: %s", u.Raw)
		}
	})

	s.run("content_type_without_charset", func(t *testing.T, e *env) {
		// Requests with the registered type as is, or with a charset.
		for i, ct := range []string{"application/scim+json", "application/scim+json; charset=utf-8", "application/json"} {
			r := e.do("POST", "/scim/v2/Users", userBody(fmt.Sprintf("ct%d@example.com", i), nil), "Content-Type", ct).want(t, 201)
			// Responses: exactly the registered type, which has no parameters.
			if got := r.Header.Get("Content-Type"); got != "application/scim+json" {
				t.Errorf("response Content-Type %q", got)
			}
		}
		for _, r := range []*result{e.do("GET", "/scim/v2/Users/nope", ""), e.do("GET", "/scim/v2/Nope", ""), e.do("GET", "/scim/v2/ServiceProviderConfig", "")} {
			if got := r.Header.Get("Content-Type"); got != "application/scim+json" {
				t.Errorf("%d: Content-Type %q", r.Status, got)
			}
		}
	})

	s.run("scim_creates_spare_the_invite_budget", func(t *testing.T, e *env) {
		// Three invitations an hour for people; an IdP pushes ten users.
		ctx := context.Background()
		ws, err := e.store.UpdateWorkspace(ctx, models.SystemActor, e.ws, models.SettingsInput{Name: e.ws.Name, Slug: e.ws.Slug,
			InviteExpiryHours: e.ws.InviteExpiryHours, InvitesPerHour: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			e.newUser(t, fmt.Sprintf("pushed%d@example.com", i), nil)
		}
		ada, err := e.store.SCIMUserByID(ctx, ws.ID, e.adaID(t))
		if err != nil {
			t.Fatal(err)
		}
		member := e.roleID(t, "Member")
		for i := range 3 {
			if _, _, err := e.store.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: "P", Email: fmt.Sprintf("p%d@example.com", i), RoleID: member}); err != nil {
				t.Fatalf("browser invite %d after 10 SCIM creates: %v", i, err)
			}
		}
	})
}

// A request line or headers longer than the server reads are refused before
// routing; a SCIM client still gets a SCIM Error, and a browser Fiber's page.
func TestOversizedRequestHead(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go e.app.Listener(ln)
		defer ln.Close()
		limit := e.app.Config().ReadBufferSize
		send := func(head string) (*http.Response, []byte) {
			t.Helper()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprint(conn, head)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		long := url.QueryEscape(`userName eq "` + strings.Repeat("x", limit) + `"`)
		for name, c := range map[string]struct {
			head   string
			status int
		}{
			"request line": {"GET /scim/v2/Users?filter=" + long + " HTTP/1.1\r\nHost: muster.example.com\r\nAuthorization: Bearer " + e.token + "\r\n\r\n", http.StatusRequestURITooLong},
			"header":       {"GET /scim/v2/Users HTTP/1.1\r\nHost: muster.example.com\r\nAuthorization: Bearer " + e.token + "\r\nX-Padding: " + strings.Repeat("p", limit) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
			"bare prefix":  {"GET /scim/v2 HTTP/1.1\r\nX-Padding: " + strings.Repeat("p", limit) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		} {
			res, b := send(c.head)
			var body map[string]any
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("%s: not JSON (%d): %s", name, res.StatusCode, b)
			}
			out := &result{Status: res.StatusCode, Header: res.Header, Raw: string(b), JSON: body}
			isSCIMError(t, out, c.status, "")
			if !strings.Contains(out.str("detail"), fmt.Sprint(limit)) {
				t.Errorf("%s: the detail does not name the limit: %s", name, b)
			}
		}
		// Not SCIM: Fiber's own answer, unchanged.
		res, b := send("GET /w/acme/members HTTP/1.1\r\nHost: muster.example.com\r\nX-Padding: " + strings.Repeat("p", limit) + "\r\n\r\n")
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || strings.Contains(res.Header.Get("Content-Type"), "scim") {
			t.Errorf("browser: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		// The server still serves.
		r := e.do("GET", "/scim/v2/Users?count=0", "").want(t, 200)
		if r.num("totalResults") != 1 {
			t.Errorf("after: %s", r.Raw)
		}
	})
}
