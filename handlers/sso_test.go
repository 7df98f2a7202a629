package handlers_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

type ssoSetup struct {
	store *models.Store
	ws    *models.Workspace
	admin *client
	idp   *testIdP
	newC  func() *client
}

// newSSOSetup: Acme (admin Ada) with its identity provider connected for example.com.
func newSSOSetup(t *testing.T, dialect string) *ssoSetup {
	t.Helper()
	app, store := newApp(t, dialect)
	store.SecretKey = testSecretKey
	_, ws := modelstest.SetUp(t, store)
	idp := startIdP(t, store)
	admin := newClient(t, app)
	admin.signIn("ada@example.com", modelstest.AdminPassword)
	admin.get("/w/acme/sso")
	res := admin.post("/w/acme/sso", url.Values{"issuer": {idp.Issuer()}, "client_id": {idp.ClientID},
		"client_secret": {idp.ClientSecret}, "domains": {"example.com"}})
	expectStatus(t, res, http.StatusOK)
	if !strings.Contains(res.Doc.Find("#sso-notice").Text(), "saved") {
		t.Fatalf("no saved notice:\n%.2000s", res.Body)
	}
	if strings.Contains(res.Body, idp.ClientSecret) {
		t.Fatal("the page shows the client secret")
	}
	return &ssoSetup{store: store, ws: ws, admin: admin, idp: idp, newC: func() *client { return newClient(t, app) }}
}

// signInWithSSO is "Continue with SSO" for email, through the provider and back.
func (s *ssoSetup) signInWithSSO(t *testing.T, c *client, email string) *response {
	t.Helper()
	c.get("/signin")
	res := c.post("/sso/start", url.Values{"email": {email}})
	return c.get(s.idp.follow(t, providerURL(t, res)))
}

func (s *ssoSetup) provision(t *testing.T, userName, email string) *models.Member {
	t.Helper()
	tok := models.Actor{Kind: "scim_token", ID: "0196f0e0-0000-7000-8000-0000000000ab", Name: "Entra"}
	m, err := s.store.CreateSCIMUser(context.Background(), tok, s.ws, models.SCIMUser{UserName: userName, Email: email, DisplayName: "Grace Hopper", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSSOSettingsDiscoveryAndTestConnection(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			s := newSSOSetup(t, d)
			page := s.admin.get("/w/acme/sso")
			if v, _ := page.Doc.Find("#sso-redirect-url").Attr("value"); v != "http://localhost:8080/sso/callback" {
				t.Fatalf("redirect URL %q", v)
			}
			// An issuer that is no OpenID provider is refused when saved.
			res := s.admin.post("/w/acme/sso", url.Values{"issuer": {"http://127.0.0.1:1"}, "client_id": {"x"}, "domains": {"example.com"}})
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if !strings.Contains(res.Doc.Find("#f-issuer-error").Text(), "OpenID configuration") {
				t.Fatalf("no discovery error:\n%.2000s", res.Body)
			}
			// Test connection signs the admin in at the provider and shows its claims.
			s.idp.user("ada@example.com", true, "ada")
			res = s.admin.post("/w/acme/sso/test", nil)
			res = s.admin.get(s.idp.follow(t, providerURL(t, res)))
			expectStatus(t, res, http.StatusSeeOther)
			res = s.admin.get(location(res))
			expectStatus(t, res, http.StatusOK)
			if claims := res.Doc.Find("#sso-claims pre").Text(); !strings.Contains(claims, `"email": "ada@example.com"`) || !strings.Contains(claims, `"email_verified": true`) {
				t.Fatalf("claims shown: %q", claims)
			}
			cfg, err := s.store.SSOConfigFor(context.Background(), s.ws.ID)
			if err != nil || cfg.TestedAt == nil {
				t.Fatalf("test not recorded: %v", err)
			}
			audit := s.admin.get("/w/acme/audit").Body
			for _, label := range []string{"Configured single sign-on", "Tested single sign-on"} {
				if !strings.Contains(audit, label) {
					t.Errorf("audit log lacks %q", label)
				}
			}
		})
	}
}

func TestSSOSignInActivatesProvisionedMember(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			s := newSSOSetup(t, d)
			m := s.provision(t, "grace.hopper@example.com", "grace@example.com")
			// Entra: the UPN in preferred_username, no email_verified.
			s.idp.user("grace@example.com", false, "Grace.Hopper@example.com")
			grace := s.newC()
			res := s.signInWithSSO(t, grace, "grace@example.com")
			expectStatus(t, res, http.StatusSeeOther)
			if location(res) != "/w/acme/members" {
				t.Fatalf("sent to %q", location(res))
			}
			expectStatus(t, grace.get("/w/acme/members"), http.StatusOK)
			got, err := s.store.MemberByID(context.Background(), s.ws.ID, m.ID)
			if err != nil || got.Status != models.StatusActive || got.AccountID == nil {
				t.Fatalf("member after SSO: %+v %v", got, err)
			}
			// The session opens Acme only: it cannot reach a workspace of
			// Grace's that Acme's provider has no say in.
			if !strings.Contains(s.admin.get("/w/acme/audit").Body, "Joined through SSO") {
				t.Error("audit log lacks the SSO join")
			}
		})
	}
}

func TestSSORefusesBadTokensAndStrangers(t *testing.T) {
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			s := newSSOSetup(t, d)
			ctx := context.Background()
			s.provision(t, "grace", "grace@example.com")
			// Wile is a member of Globex, whose own provider signs in globex.test.
			acc := adaAccount(t, s.store)
			globex, err := s.store.CreateWorkspace(ctx, acc, "Globex")
			if err != nil {
				t.Fatal(err)
			}
			gAdmin, _, _ := s.store.Membership(ctx, globex.ID, acc.ID)
			roles, _ := s.store.Roles(ctx, globex.ID)
			if _, _, err := s.store.Invite(ctx, models.MemberActor(gAdmin), globex, models.InviteInput{Name: "Wile", Email: "wile@globex.test", RoleID: roles[len(roles)-1].ID}); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name   string
				user   func()
				tamper func(jwt.MapClaims) *rsa.PrivateKey
				status int
				says   string
			}{
				{"bad signature", func() { s.idp.user("grace@example.com", true, "") },
					func(jwt.MapClaims) *rsa.PrivateKey { return otherKey }, http.StatusForbidden, "did not verify"},
				{"wrong audience", func() { s.idp.user("grace@example.com", true, "") },
					func(c jwt.MapClaims) *rsa.PrivateKey { c["aud"] = "another-app"; return nil }, http.StatusForbidden, "did not verify"},
				{"expired token", func() { s.idp.user("grace@example.com", true, "") },
					func(c jwt.MapClaims) *rsa.PrivateKey { c["exp"] = c["iat"].(float64) - 60; return nil }, http.StatusForbidden, "expired"},
				{"unverified email", func() { s.idp.user("grace@example.com", false, "") }, nil, http.StatusForbidden, "did not confirm your email"},
				{"another workspace's user", func() { s.idp.user("wile@globex.test", true, "wile@globex.test") }, nil, http.StatusForbidden, "is not a member of Acme"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.user()
					s.idp.setTamper(tc.tamper)
					defer s.idp.setTamper(nil)
					c := s.newC()
					res := s.signInWithSSO(t, c, "grace@example.com")
					expectStatus(t, res, tc.status)
					if msg := res.Doc.Find("#sso-failed-message").Text(); !strings.Contains(msg, tc.says) {
						t.Fatalf("message %q, want it to say %q", msg, tc.says)
					}
					if _, ok := c.cookies["muster_session"]; ok {
						t.Fatal("signed in anyway")
					}
				})
			}
			t.Run("replayed state", func(t *testing.T) {
				s.idp.user("grace@example.com", true, "")
				c := s.newC()
				c.get("/signin")
				res := c.post("/sso/start", url.Values{"email": {"grace@example.com"}})
				callback := s.idp.follow(t, providerURL(t, res))
				expectStatus(t, c.get(callback), http.StatusSeeOther)
				again := c.get(callback)
				expectStatus(t, again, http.StatusBadRequest)
				if !strings.Contains(again.Doc.Find("#sso-failed-message").Text(), "already been used") {
					t.Fatalf("replay: %q", again.Doc.Find("#sso-failed-message").Text())
				}
			})
			t.Run("callback in another browser", func(t *testing.T) {
				s.idp.user("grace@example.com", true, "")
				c := s.newC()
				c.get("/signin")
				res := c.post("/sso/start", url.Values{"email": {"grace@example.com"}})
				callback := s.idp.follow(t, providerURL(t, res))
				other := s.newC()
				expectStatus(t, other.get(callback), http.StatusBadRequest)
			})
			t.Run("unknown domain", func(t *testing.T) {
				c := s.newC()
				c.get("/signin")
				res := c.post("/sso/start", url.Values{"email": {"someone@nowhere.test"}})
				expectStatus(t, res, http.StatusUnprocessableEntity)
				if !strings.Contains(res.Doc.Find("#f-email-error").Text(), "No workspace") {
					t.Fatalf("%.1500s", res.Body)
				}
			})
		})
	}
}

func TestSSOEnforcementRefusesPasswords(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			s := newSSOSetup(t, d)
			ctx := context.Background()
			ada, _, _ := s.store.Membership(ctx, s.ws.ID, adaAccount(t, s.store).ID)
			// Bob has a password and is an active member.
			roles, _ := s.store.Roles(ctx, s.ws.ID)
			_, tok, err := s.store.Invite(ctx, models.MemberActor(ada), s.ws, models.InviteInput{Name: "Bob", Email: "bob@example.com", RoleID: roles[len(roles)-1].ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.store.AcceptInvite(ctx, tok, models.AcceptInput{Name: "Bob", Password: "bob's password"}); err != nil {
				t.Fatal(err)
			}
			// Enforcement needs a successful test first.
			res := s.admin.post("/w/acme/sso/enforce", url.Values{"enforced": {"on"}, "break_glass": {ada.ID}})
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if !strings.Contains(res.Body, "Test connection") {
				t.Fatalf("%.2000s", res.Body)
			}
			s.idp.user("ada@example.com", true, "")
			res = s.admin.post("/w/acme/sso/test", nil)
			s.admin.get(s.idp.follow(t, providerURL(t, res)))
			s.admin.get("/w/acme/sso")
			res = s.admin.post("/w/acme/sso/enforce", url.Values{"enforced": {"on"}, "break_glass": {ada.ID}})
			expectStatus(t, res, http.StatusOK)
			// Bob's password is refused; Ada, break-glass, gets in.
			bob := s.newC()
			bob.get("/signin")
			res = bob.post("/signin", url.Values{"email": {"bob@example.com"}, "password": {"bob's password"}})
			expectStatus(t, res, http.StatusUnprocessableEntity)
			if !strings.Contains(res.Doc.Find("#form-error").Text(), "requires single sign-on") {
				t.Fatalf("%.1500s", res.Body)
			}
			ada2 := s.newC()
			ada2.signIn("ada@example.com", modelstest.AdminPassword)
			expectStatus(t, ada2.get("/w/acme/members"), http.StatusOK)
			// Through SSO, Bob gets in.
			s.idp.user("bob@example.com", true, "")
			res = s.signInWithSSO(t, bob, "bob@example.com")
			expectStatus(t, res, http.StatusSeeOther)
			expectStatus(t, bob.get("/w/acme/members"), http.StatusOK)
			if !strings.Contains(s.admin.get("/w/acme/audit").Body, "Required single sign-on") {
				t.Error("audit log lacks the enforcement")
			}
		})
	}
}

func adaAccount(t *testing.T, store *models.Store) *models.Account {
	t.Helper()
	acc, err := store.Authenticate(context.Background(), "ada@example.com", modelstest.AdminPassword, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// providerURL is where Muster sends the browser to sign in: the link of the
// page a plain form post gets (it refreshes to it at once).
func providerURL(t *testing.T, res *response) string {
	t.Helper()
	expectStatus(t, res, http.StatusOK)
	href, ok := res.Doc.Find("#sso-continue-link").Attr("href")
	if !ok {
		t.Fatalf("no link to the provider:\n%.1500s", res.Body)
	}
	return href
}

// An account in two workspaces, one of which requires SSO: the password
// still signs in, the enforcing workspace shows "Single sign-on required"
// with Continue with SSO, the other opens; a session Acme's provider
// opened does not open the other workspace.
func TestSSOEnforcementAcrossWorkspaces(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			s := newSSOSetup(t, d)
			ctx := context.Background()
			adaAcc := adaAccount(t, s.store)
			ada, _, _ := s.store.Membership(ctx, s.ws.ID, adaAcc.ID)
			globex, err := s.store.CreateWorkspace(ctx, adaAcc, "Globex")
			if err != nil {
				t.Fatal(err)
			}
			gAda, _, _ := s.store.Membership(ctx, globex.ID, adaAcc.ID)
			invite := func(ws *models.Workspace, actor *models.Member) string {
				roles, _ := s.store.Roles(ctx, ws.ID)
				_, tok, err := s.store.Invite(ctx, models.MemberActor(actor), ws, models.InviteInput{Name: "Bob", Email: "bob@example.com", RoleID: roles[len(roles)-1].ID})
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			bobAcc, _, err := s.store.AcceptInvite(ctx, invite(s.ws, ada), models.AcceptInput{Name: "Bob", Password: "bob's password"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.store.AcceptInvite(ctx, invite(globex, gAda), models.AcceptInput{Account: bobAcc}); err != nil {
				t.Fatal(err)
			}
			if err := s.store.RecordSSOTest(ctx, models.MemberActor(ada), s.ws, "{}"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.store.SetSSOEnforcement(ctx, models.MemberActor(ada), s.ws, true, []string{ada.ID}); err != nil {
				t.Fatal(err)
			}
			bob := s.newC()
			bob.signIn("bob@example.com", "bob's password")
			res := bob.get("/w/acme/members")
			expectStatus(t, res, http.StatusForbidden)
			if res.Doc.Find("#sso-continue").Length() != 1 || !strings.Contains(res.Doc.Find("#sso-required-message").Text(), "requires single sign-on") {
				t.Fatalf("%.2000s", res.Body)
			}
			expectStatus(t, bob.get("/w/globex/members"), http.StatusOK)
			// Continue with SSO from that page: the workspace is named, not guessed.
			s.idp.user("bob@example.com", true, "")
			res = bob.post("/sso/start", url.Values{"workspace": {"acme"}, "next": {"/w/acme/members"}})
			res = bob.get(s.idp.follow(t, providerURL(t, res)))
			expectStatus(t, res, http.StatusSeeOther)
			expectStatus(t, bob.get("/w/acme/members"), http.StatusOK)
			res = bob.get("/w/globex/members")
			expectStatus(t, res, http.StatusForbidden)
			if !strings.Contains(res.Doc.Find("#sso-required-message").Text(), "opens Acme only") {
				t.Fatalf("%.2000s", res.Body)
			}
		})
	}
}
