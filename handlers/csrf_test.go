package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// statementCounter counts the statements a store's database runs, and
// which of them write.
type statementCounter struct {
	mu            sync.Mutex
	reads, writes int
	texts         []string
}

func (s *statementCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	return ctx
}

func (s *statementCounter) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := strings.ToUpper(strings.TrimSpace(e.Query))
	if strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "WITH") && !strings.Contains(q, "INSERT") && !strings.Contains(q, "UPDATE") && !strings.Contains(q, "DELETE") {
		s.reads++
	} else {
		s.writes++
	}
	s.texts = append(s.texts, e.Query)
}

// countStatements counts every statement store runs from now on,
// prepared ones (PreparedHook) included.
func countStatements(store *models.Store) *statementCounter {
	counter := &statementCounter{}
	store.AddQueryHook(counter)
	store.PreparedHook = func(q string) { counter.AfterQuery(context.Background(), &bun.QueryEvent{Query: q}) }
	return counter
}

func (s *statementCounter) reset() (reads, writes int, texts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reads, writes, texts = s.reads, s.writes, s.texts
	s.reads, s.writes, s.texts = 0, 0, nil
	return
}

// TestNoWriteOnPageView: viewing the members page, whole or its results,
// writes nothing to the database (the CSRF token is derived, last-seen
// times move at most every few minutes).
func TestNoWriteOnPageView(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			modelstest.FakeClock(store)
			modelstest.SetUp(t, store)
			counter := &statementCounter{}
			store.AddQueryHook(counter)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			c.get("/w/acme/members") // the first view notes the member as seen
			for _, target := range []string{"/w/acme/members", "/w/acme/members?q=lovelace", "/w/acme/roles"} {
				counter.reset()
				expectStatus(t, c.get(target), http.StatusOK)
				reads, writes, texts := counter.reset()
				if writes != 0 {
					t.Errorf("GET %s: %d writes among %d statements:\n%s", target, writes, reads+writes, strings.Join(texts, "\n"))
				}
				t.Logf("GET %s: %d statements", target, reads+writes)
			}
			// Signed out pages neither.
			anon := newClient(t, app)
			counter.reset()
			expectStatus(t, anon.get("/signin"), http.StatusOK)
			if _, writes, texts := counter.reset(); writes != 0 {
				t.Errorf("GET /signin: %d writes:\n%s", writes, strings.Join(texts, "\n"))
			}
		})
	}
}

// TestCSRFAcrossReplicas: a form from one server is accepted by another
// with the same secret key, without either storing the token; a token of
// another session, a forged one, or one from a server with another key is
// refused.
func TestCSRFAcrossReplicas(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			key := []byte("0123456789abcdef0123456789abcdef")
			app, store := newApp(t, d)
			store.SecretKey = key
			modelstest.SetUp(t, store)
			replica := modelstest.Replica(t, store)
			replica.SecretKey = key
			app2 := handlers.New(handlers.Options{Store: replica})

			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			c.get("/w/acme/settings")
			if !strings.HasPrefix(c.csrf, "s.") {
				t.Fatalf("signed-in token %q", c.csrf)
			}
			settings := url.Values{"name": {"Acme Two"}}
			// The same browser on the other replica.
			c2 := &client{t: t, app: app2, cookies: c.cookies, csrf: c.csrf}
			res := c2.do(http.MethodPost, "/w/acme/settings", url.Values{"name": {"Acme Two"}, "_csrf": {c.csrf}})
			if res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnauthorized || res.StatusCode >= 500 {
				t.Fatalf("the other replica refused the token: %d\n%.500s", res.StatusCode, res.Body)
			}

			// Another browser, another session: its own token only.
			other := newClient(t, app)
			other.signIn("ada@example.com", modelstest.AdminPassword)
			expectStatus(t, other.get("/w/acme/settings"), http.StatusOK)
			if other.csrf == c.csrf || other.csrf == "" {
				t.Fatal("two sessions share a token")
			}
			own := other.csrf
			settings.Set("_csrf", c.csrf)
			expectStatus(t, other.do(http.MethodPost, "/w/acme/settings", settings), http.StatusForbidden)
			settings.Set("_csrf", own[:len(own)-2]+"xx")
			expectStatus(t, other.do(http.MethodPost, "/w/acme/settings", settings), http.StatusForbidden)
			settings.Set("_csrf", "s.forged")
			expectStatus(t, other.do(http.MethodPost, "/w/acme/settings", settings), http.StatusForbidden)
			// From within a page, a stale token asks for a fresh one.
			res = other.do(http.MethodPost, "/w/acme/settings", settings, "HX-Request", "true")
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Header.Get("HX-Trigger"), "csrfExpired") {
				t.Errorf("stale token from htmx: %d %q", res.StatusCode, res.Header.Get("HX-Trigger"))
			}

			// A server with another key refuses this one's tokens.
			stranger := modelstest.Replica(t, store)
			stranger.SecretKey = []byte("fedcba9876543210fedcba9876543210")
			c3 := &client{t: t, app: handlers.New(handlers.Options{Store: stranger}), cookies: c.cookies}
			expectStatus(t, c3.do(http.MethodPost, "/w/acme/settings", url.Values{"name": {"Acme Three"}, "_csrf": {c.csrf}}), http.StatusForbidden)

			// Signed out, the token dies with the session; a signed-out
			// form's token is bound to its cookie.
			token := c.csrf
			c.post("/signout", nil)
			res = c.do(http.MethodPost, "/w/acme/settings", url.Values{"name": {"Acme Four"}, "_csrf": {token}}, "HX-Request", "true")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("HX-Trigger"), "sessionEnded") {
				t.Errorf("a signed-out session's token from htmx: %d %q", res.StatusCode, res.Header.Get("HX-Trigger"))
			}
			anon := newClient(t, app)
			anon.get("/signin")
			if !strings.HasPrefix(anon.csrf, "a.") || anon.csrf == c.csrf {
				t.Fatalf("signed-out token %q", anon.csrf)
			}
			// Accepted by the other replica as well.
			a2 := &client{t: t, app: app2, cookies: anon.cookies, csrf: anon.csrf}
			res = a2.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {modelstest.AdminPassword}})
			expectStatus(t, res, http.StatusSeeOther)
		})
	}
}
