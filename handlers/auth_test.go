package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/models/modelstest"
)

func TestFirstRunGoesToSetup(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			c := newClient(t, app)
			for _, path := range []string{"/", "/signin"} {
				res := c.get(path)
				if res.StatusCode != http.StatusSeeOther || location(res) != "/setup" {
					t.Errorf("GET %s = %d %q, want a redirect to /setup", path, res.StatusCode, location(res))
				}
			}
			res := c.get("/setup")
			expectStatus(t, res, 200)

			// Bad input: every field says what is wrong, typed values stay.
			res = c.post("/setup", url.Values{"workspace": {"Acme"}, "name": {"Ada Lovelace"}, "email": {"ada@"}, "password": {"short"}})
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if v, _ := res.Doc.Find("#f-workspace").Attr("value"); v != "Acme" {
				t.Errorf("workspace value = %q, want it kept", v)
			}
			if v, _ := res.Doc.Find("#f-name").Attr("value"); v != "Ada Lovelace" {
				t.Errorf("name value = %q, want it kept", v)
			}
			if v, _ := res.Doc.Find("#f-password").Attr("value"); v != "" {
				t.Error("the password is echoed back into the page")
			}
			for _, id := range []string{"#f-email-error", "#f-password-error"} {
				if strings.TrimSpace(res.Doc.Find(id).Text()) == "" {
					t.Errorf("no inline error %s", id)
				}
			}
			if inv, _ := res.Doc.Find("#f-email").Attr("aria-invalid"); inv != "true" {
				t.Error("email field is not marked aria-invalid")
			}

			res = c.post("/setup", url.Values{"workspace": {"Acme"}, "name": {"Ada Lovelace"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}})
			if res.StatusCode != http.StatusSeeOther || location(res) != "/w/acme/members" {
				t.Fatalf("setup: %d %q", res.StatusCode, location(res))
			}
			res = c.get("/w/acme/members")
			expectStatus(t, res, 200)
			if got := res.Doc.Find("#members-rows tr").Length(); got != 1 {
				t.Errorf("members table has %d rows, want the admin alone", got)
			}
			if !strings.Contains(res.Doc.Find("#members-rows").Text(), "Ada Lovelace") {
				t.Error("the admin is not in the members table")
			}
			// Setup is closed now.
			if res := c.get("/setup"); location(res) != "/signin" {
				t.Errorf("GET /setup after setup: %d %q", res.StatusCode, location(res))
			}
			if n, _ := store.AccountCount(context.Background()); n != 1 {
				t.Errorf("%d accounts", n)
			}
		})
	}
}

func TestCSRFIsRequired(t *testing.T) {
	app, _ := newApp(t, "sqlite")
	c := newClient(t, app)
	c.get("/setup")
	form := url.Values{"workspace": {"Acme"}, "name": {"Ada"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}, "_csrf": {"forged"}}
	res := c.do(http.MethodPost, "/setup", form)
	expectStatus(t, res, http.StatusForbidden)
	// Without the cookie the right token alone is not enough either.
	token := c.csrf
	delete(c.cookies, "muster_csrf")
	form.Set("_csrf", token)
	expectStatus(t, c.do(http.MethodPost, "/setup", form), http.StatusForbidden)
	// The htmx header works as well as the hidden field.
	c2 := newClient(t, app)
	c2.get("/setup")
	form.Del("_csrf")
	res = c2.do(http.MethodPost, "/setup", form, "X-Csrf-Token", c2.csrf)
	expectStatus(t, res, http.StatusSeeOther)
}

func TestSignInAndOut(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			modelstest.SetUp(t, store)
			c := newClient(t, app)

			// Signed out, a workspace page sends you to sign in and back.
			res := c.get("/w/acme/members?q=ada")
			if res.StatusCode != http.StatusSeeOther || location(res) != "/signin?next=%2Fw%2Facme%2Fmembers%3Fq%3Dada" {
				t.Fatalf("signed out: %d %q", res.StatusCode, location(res))
			}
			// An htmx request gets 401 and the event sessionEnded: the page
			// (app.js) keeps an open dialog's input, or goes to sign in.
			res = c.get("/w/acme/members", "HX-Request", "true", "HX-Current-URL", "http://localhost/w/acme/members?status=active")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("HX-Trigger"), "sessionEnded") || res.Header.Get("HX-Reswap") != "none" {
				t.Errorf("htmx signed out: %d %v", res.StatusCode, res.Header)
			}

			c.get("/signin?next=/w/acme/members")
			wrongPassword := c.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"not the password"}, "next": {"/w/acme/members"}})
			unknownEmail := c.post("/signin", url.Values{"email": {"nobody@example.com"}, "password": {"not the password"}})
			expectStatus(t, wrongPassword, http.StatusUnprocessableEntity)
			expectStatus(t, unknownEmail, http.StatusUnprocessableEntity)
			msg1, msg2 := wrongPassword.Doc.Find("#form-error").Text(), unknownEmail.Doc.Find("#form-error").Text()
			if msg1 == "" || msg1 != msg2 {
				t.Errorf("messages differ or are empty: %q vs %q", msg1, msg2)
			}
			if v, _ := wrongPassword.Doc.Find("#f-email").Attr("value"); v != "ada@example.com" {
				t.Errorf("typed email not kept: %q", v)
			}
			if v, _ := wrongPassword.Doc.Find(`input[name=next]`).Attr("value"); v != "/w/acme/members" {
				t.Errorf("next lost: %q", v)
			}

			res = c.post("/signin", url.Values{"email": {"ADA@example.com"}, "password": {modelstest.AdminPassword}, "next": {"/w/acme/members?q=ada"}})
			if res.StatusCode != http.StatusSeeOther || location(res) != "/w/acme/members?q=ada" {
				t.Fatalf("sign in: %d %q", res.StatusCode, location(res))
			}
			if ck := res.Header.Get("Set-Cookie"); !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
				t.Errorf("session cookie flags: %s", ck)
			}
			expectStatus(t, c.get("/w/acme/members"), 200)
			oldSession := c.cookies["muster_session"]

			res = c.post("/signout", nil)
			if res.StatusCode != http.StatusSeeOther || location(res) != "/signin" {
				t.Fatalf("sign out: %d %q", res.StatusCode, location(res))
			}
			// The old cookie is worthless now.
			c.cookies["muster_session"] = oldSession
			if res := c.get("/w/acme/members"); res.StatusCode != http.StatusSeeOther {
				t.Errorf("old session still works: %d", res.StatusCode)
			}
		})
	}
}

func TestSignInRateLimited(t *testing.T) {
	app, store := newApp(t, "sqlite")
	modelstest.SetUp(t, store)
	c := newClient(t, app)
	c.get("/signin")
	var res *response
	for i := 0; i < 6; i++ {
		res = c.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"guess"}})
	}
	expectStatus(t, res, http.StatusTooManyRequests)
	if !strings.Contains(res.Doc.Find("#form-error").Text(), "Too many attempts") || res.Header.Get("Retry-After") == "" {
		t.Errorf("rate limit not explained: %q Retry-After %q", res.Doc.Find("#form-error").Text(), res.Header.Get("Retry-After"))
	}
}

func TestUnsafeNextIsIgnored(t *testing.T) {
	app, store := newApp(t, "sqlite")
	modelstest.SetUp(t, store)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", `/\evil.example`, "javascript:alert(1)"} {
		c := newClient(t, app)
		c.get("/signin")
		res := c.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {modelstest.AdminPassword}, "next": {next}})
		if location(res) != "/" {
			t.Errorf("next=%q redirected to %q", next, location(res))
		}
	}
}

func TestTamperedSessionSignsOutCleanly(t *testing.T) {
	app, store := newApp(t, "sqlite")
	modelstest.SetUp(t, store)
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	c.cookies["muster_session"] += "tampered"
	res := c.get("/w/acme/members")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(res), "/signin") {
		t.Fatalf("tampered cookie: %d %q", res.StatusCode, location(res))
	}
	if _, ok := c.cookies["muster_session"]; ok {
		t.Error("the tampered cookie was not cleared")
	}
	expectStatus(t, c.get("/signin"), 200)
}

// TestSignInWithBadBytes: a NUL or invalid UTF-8 in the email or password
// is answered with the form and its error, on both databases.
func TestSignInWithBadBytes(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			modelstest.SetUp(t, store)
			c := newClient(t, app)
			c.get("/signin")
			for _, f := range []url.Values{
				{"email": {"ada\x00@example.com"}, "password": {"guess"}},
				{"email": {"ada@example.com"}, "password": {"gu\x00ess"}},
				{"email": {"\xff@example.com"}, "password": {"\xfe"}},
			} {
				res := c.post("/signin", f)
				expectStatus(t, res, http.StatusUnprocessableEntity)
				if !strings.Contains(res.Doc.Find("#form-error").Text(), "don't match") {
					t.Errorf("%q: %q", f, res.Doc.Find("#form-error").Text())
				}
			}
		})
	}
}
