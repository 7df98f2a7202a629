package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// client drives the app through app.Test like a browser: it keeps cookies
// and knows the page's CSRF token.
type client struct {
	t       testing.TB
	app     *fiber.App
	cookies map[string]string
	csrf    string
}

func newApp(t testing.TB, dialect string) (*fiber.App, *models.Store) {
	t.Helper()
	store := modelstest.Open(t, dialect)
	return handlers.New(handlers.Options{Store: store}), store
}

func newClient(t testing.TB, app *fiber.App) *client {
	return &client{t: t, app: app, cookies: map[string]string{}}
}

type response struct {
	*http.Response
	Body string
	Doc  *goquery.Document
}

// do sends a request; headers come in pairs ("HX-Request", "true").
func (c *client) do(method, target string, form url.Values, headers ...string) *response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.app.Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	if v, ok := doc.Find(`input[name=_csrf]`).Attr("value"); ok {
		c.csrf = v
	} else if h, ok := doc.Find(`body[hx-headers]`).Attr("hx-headers"); ok {
		// A whole page carries its token for htmx, as a browser reads it.
		var hx struct {
			Token string `json:"X-Csrf-Token"`
		}
		if json.Unmarshal([]byte(h), &hx) == nil && hx.Token != "" {
			c.csrf = hx.Token
		}
	}
	return &response{Response: res, Body: string(b), Doc: doc}
}

func (c *client) get(target string, headers ...string) *response {
	return c.do(http.MethodGet, target, nil, headers...)
}

// post sends a form with the current CSRF token in its hidden field.
func (c *client) post(target string, form url.Values, headers ...string) *response {
	if form == nil {
		form = url.Values{}
	}
	if c.csrf != "" && form.Get("_csrf") == "" {
		form.Set("_csrf", c.csrf)
	}
	return c.do(http.MethodPost, target, form, headers...)
}

// signIn signs in through the form.
func (c *client) signIn(email, password string) *response {
	c.t.Helper()
	c.get("/signin")
	res := c.post("/signin", url.Values{"email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d", email, res.StatusCode)
	}
	// The browser follows the redirect, and the page it lands on carries
	// the signed-in session's CSRF token (tokens are bound to the session).
	next := res
	for i := 0; i < 5 && next.StatusCode/100 == 3 && strings.HasPrefix(next.Header.Get("Location"), "/"); i++ {
		next = c.get(next.Header.Get("Location"))
	}
	return res
}

func expectStatus(t testing.TB, res *response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%.1500s", res.Request.Method, res.Request.URL, res.StatusCode, want, res.Body)
	}
}

func location(res *response) string { return res.Header.Get("Location") }

// signedInAdmin starts the app on dialect with the standard workspace and
// returns a client signed in as its admin, on the members page.
func signedInAdmin(t *testing.T, dialect string) (*fiber.App, *models.Store, *models.Workspace, *client) {
	t.Helper()
	app, store := newApp(t, dialect)
	_, ws := modelstest.SetUp(t, store)
	c := newClient(t, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	c.get("/w/acme/members")
	return app, store, ws, c
}

// inviteGrace has the workspace's admin (acc) invite Grace with the Member
// role, through the domain layer, and returns her member and link token.
func inviteGrace(t *testing.T, store *models.Store, acc *models.Account, ws *models.Workspace) (*models.Member, string) {
	t.Helper()
	ctx := context.Background()
	admin, _, err := store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, token, err := store.Invite(ctx, models.MemberActor(admin), ws, models.InviteInput{Name: "Grace", Email: "grace@example.com", RoleID: memberRoleID(t, store, ws.ID, "Member")})
	if err != nil {
		t.Fatal(err)
	}
	return m, token
}
