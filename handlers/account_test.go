package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// lastResetToken reads the link token of the newest reset email to addr.
func lastResetToken(t *testing.T, s *models.Store, addr string) string {
	t.Helper()
	var m models.OutboxMessage
	if err := s.DB().NewSelect().Model(&m).Where("kind = ? AND to_addr = ?", models.KindPasswordReset, addr).
		Order("created_at DESC", "id DESC").Limit(1).Scan(context.Background()); err != nil {
		t.Fatalf("no reset email to %s: %v", addr, err)
	}
	var p models.PasswordResetPayload
	if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
		t.Fatal(err)
	}
	return p.Token
}

func totpCode(t *testing.T, s *models.Store, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, s.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestForgotPassword(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, store, _, admin := signedInAdmin(t, dialect)
			c := newClient(t, app)
			page := c.get("/signin")
			if href, _ := page.Doc.Find("#forgot-link").Attr("href"); href != "/forgot" {
				t.Fatalf("no Forgot password link on the sign-in page")
			}
			expectStatus(t, c.get("/forgot"), 200)
			known := c.post("/forgot", url.Values{"email": {"ada@example.com"}})
			expectStatus(t, known, 200)
			unknown := c.post("/forgot", url.Values{"email": {"nobody@example.com"}})
			expectStatus(t, unknown, 200)
			if a, b := known.Doc.Find("#forgot-sent").Text(), unknown.Doc.Find("#forgot-sent").Text(); a == "" || a != b {
				t.Errorf("the answers differ: %q and %q", a, b)
			}
			expectStatus(t, c.post("/forgot", url.Values{"email": {"not an email"}}), 422)

			token := lastResetToken(t, store, "ada@example.com")
			// Opening the link twice uses nothing up.
			expectStatus(t, c.get("/reset/"+token), 200)
			form := c.get("/reset/" + token)
			expectStatus(t, form, 200)
			if form.Doc.Find(`form[action="/reset/`+token+`"] #f-password`).Length() != 1 {
				t.Fatalf("no password form:\n%s", form.Body)
			}
			bad := c.post("/reset/"+token, url.Values{"password": {"a new long password"}, "confirm_password": {"something else"}})
			expectStatus(t, bad, 422)
			if bad.Doc.Find("#f-confirm_password[aria-invalid=true]").Length() != 1 {
				t.Errorf("no error on the confirmation")
			}
			done := c.post("/reset/"+token, url.Values{"password": {"a new long password"}, "confirm_password": {"a new long password"}})
			expectStatus(t, done, 200)
			if !strings.Contains(done.Doc.Find("#signin-notice").Text(), "signed out everywhere") {
				t.Errorf("after the reset:\n%.800s", done.Body)
			}
			expectStatus(t, c.post("/reset/"+token, url.Values{"password": {"again a password"}, "confirm_password": {"again a password"}}), 404)
			expectStatus(t, c.get("/reset/"+token), 404)
			// The admin's other session ended; the new password works.
			if res := admin.get("/w/acme/members"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(res), "/signin") {
				t.Errorf("the old session lives on: %d %s", res.StatusCode, location(res))
			}
			newClient(t, app).signIn("ada@example.com", "a new long password")
		})
	}
}

// TestForgotPasswordConcurrent sends 100 requests for one email at once
// through HTTP: exactly the limit get through, the rest are told to wait.
func TestForgotPasswordConcurrent(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, store := newApp(t, dialect)
			modelstest.SetUp(t, store)
			modelstest.FakeClock(store)
			c := newClient(t, app)
			c.get("/forgot")
			var wg sync.WaitGroup
			var mu sync.Mutex
			codes := map[int]int{}
			for i := 0; i < 100; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					form := url.Values{"email": {"ada@example.com"}, "_csrf": {c.csrf}}
					req := httptest.NewRequest(http.MethodPost, "/forgot", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					for name, value := range c.cookies {
						req.AddCookie(&http.Cookie{Name: name, Value: value})
					}
					res, err := app.Test(req, -1)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						codes[0]++
						return
					}
					res.Body.Close()
					codes[res.StatusCode]++
				}()
			}
			wg.Wait()
			if codes[200] != models.ResetsPerEmail || codes[429] != 100-models.ResetsPerEmail {
				t.Errorf("statuses %v, want %d × 200 and the rest 429", codes, models.ResetsPerEmail)
			}
			n, err := store.DB().NewSelect().Model((*models.OutboxMessage)(nil)).Where("kind = ?", models.KindPasswordReset).Count(context.Background())
			if err != nil || int(n) != models.ResetsPerEmail {
				t.Errorf("%d reset emails queued (%v)", n, err)
			}
		})
	}
}

func TestAccountPage(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, _, _, c := signedInAdmin(t, dialect)
			other := newClient(t, app)
			other.signIn("ada@example.com", modelstest.AdminPassword)
			members := c.get("/w/acme/members")
			if href, _ := members.Doc.Find("#account-link").Attr("href"); href != "/account" {
				t.Fatal("no link to the account page in the account menu")
			}
			page := c.get("/account")
			expectStatus(t, page, 200)
			if n := page.Doc.Find("#sessions tbody tr").Length(); n != 2 {
				t.Errorf("%d sessions listed, want 2", n)
			}
			if page.Doc.Find(`#sessions tr[aria-current=true]`).Length() != 1 {
				t.Error("this browser is not marked")
			}
			if !strings.Contains(page.Doc.Find("#workspaces").Text(), "Acme") {
				t.Error("workspaces not listed")
			}

			res := c.post("/account/name", url.Values{"name": {""}})
			expectStatus(t, res, 422)
			res = c.post("/account/name", url.Values{"name": {"Ada King"}})
			expectStatus(t, res, 200)
			if !strings.Contains(res.Doc.Find(".account-name").Text(), "Ada King") {
				t.Error("the header does not show the new name")
			}

			res = c.post("/account/password", url.Values{"current_password": {"wrong password"}, "new_password": {"a brand new password"}, "confirm_password": {"a brand new password"}})
			expectStatus(t, res, 422)
			if res.Doc.Find("#f-current_password[aria-invalid=true]").Length() != 1 {
				t.Error("no error on the current password")
			}
			res = c.post("/account/password", url.Values{"current_password": {modelstest.AdminPassword}, "new_password": {"a brand new password"}, "confirm_password": {"a brand new password"}})
			expectStatus(t, res, 200)
			if got := other.get("/w/acme/members"); got.StatusCode != http.StatusSeeOther {
				t.Errorf("the other session survived the password change: %d", got.StatusCode)
			}
			expectStatus(t, c.get("/w/acme/members"), 200)

			third := newClient(t, app)
			third.signIn("ada@example.com", "a brand new password")
			res = c.post("/account/sessions/end-others", nil)
			expectStatus(t, res, 200)
			if !strings.Contains(res.Body, "Signed out 1 other session.") {
				t.Error("no notice after signing out the others")
			}
			if got := third.get("/w/acme/members"); got.StatusCode != http.StatusSeeOther {
				t.Errorf("the other session survived: %d", got.StatusCode)
			}
			audit := c.get("/w/acme/audit")
			for _, label := range []string{"Changed the password", "Changed the account name", "Signed out other sessions"} {
				if !strings.Contains(audit.Body, label) {
					t.Errorf("audit log lacks %q", label)
				}
			}
		})
	}
}

// enrol turns on two-factor for the client's account through the account
// page and returns the secret and the recovery codes.
func enrol(t *testing.T, c *client, store *models.Store) (string, []string) {
	t.Helper()
	page := c.post("/account/two-factor/setup", nil)
	expectStatus(t, page, 200)
	secret, _ := page.Doc.Find("#totp-secret").Attr("data-secret")
	if src, _ := page.Doc.Find("#two-factor img").Attr("src"); secret == "" || !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("no secret or QR code:\n%s", page.Body)
	}
	expectStatus(t, c.post("/account/two-factor/enable", url.Values{"code": {"000000"}}), 422)
	res := c.post("/account/two-factor/enable", url.Values{"code": {totpCode(t, store, secret)}})
	expectStatus(t, res, 200)
	var codes []string
	res.Doc.Find("#recovery-codes code").Each(func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	return secret, codes
}

func TestTwoFactorSignIn(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, store, _, c := signedInAdmin(t, dialect)
			clock := modelstest.FakeClock(store)
			secret, codes := enrol(t, c, store)
			if again := c.get("/account"); !strings.Contains(again.Doc.Find("#two-factor-status").Text(), "10 unused recovery codes") || again.Doc.Find("#recovery-codes").Length() != 0 {
				t.Error("recovery codes shown twice, or status wrong")
			}

			b := newClient(t, app)
			b.get("/signin")
			res := b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {modelstest.AdminPassword}, "next": {"/w/acme/roles"}})
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(res), "/signin/code") {
				t.Fatalf("password step: %d %s", res.StatusCode, location(res))
			}
			// No session yet.
			if got := b.get("/w/acme/members"); got.StatusCode != http.StatusSeeOther {
				t.Fatalf("signed in before the code: %d", got.StatusCode)
			}
			expectStatus(t, b.get(location(res)), 200)
			expectStatus(t, b.post("/signin/code", url.Values{"code": {"123456"}, "next": {"/w/acme/roles"}}), 422)
			clock.Add(30 * time.Second) // the enrolment's code is spent
			res = b.post("/signin/code", url.Values{"code": {totpCode(t, store, secret)}, "next": {"/w/acme/roles"}})
			if res.StatusCode != http.StatusSeeOther || location(res) != "/w/acme/roles" {
				t.Fatalf("code step: %d %s", res.StatusCode, location(res))
			}
			expectStatus(t, b.get("/w/acme/members"), 200)

			// A recovery code instead.
			r := newClient(t, app)
			r.get("/signin")
			r.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {modelstest.AdminPassword}})
			res = r.post("/signin/code", url.Values{"code": {codes[0]}})
			expectStatus(t, res, http.StatusSeeOther)
			expectStatus(t, r.get("/w/acme/members"), 200)

			// Without a challenge, the code page sends back to the password.
			n := newClient(t, app)
			n.get("/signin")
			if res := n.post("/signin/code", url.Values{"code": {"123456"}}); res.StatusCode != 422 || res.Doc.Find("#f-password").Length() != 1 {
				t.Errorf("code without a password: %d", res.StatusCode)
			}
			audit := c.get("/w/acme/audit")
			for _, label := range []string{"Turned on two-factor sign-in", "Signed in with a recovery code"} {
				if !strings.Contains(audit.Body, label) {
					t.Errorf("audit log lacks %q", label)
				}
			}
		})
	}
}

func TestRequireTwoFactor(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, store, ws, c := signedInAdmin(t, dialect)
			adminM, _, _ := store.Membership(context.Background(), ws.ID, account(t, store, "ada@example.com"))
			joinedMember(t, store, ws, adminM, "Grace Hopper", "grace@example.com", "Member")
			settings := c.get("/w/acme/settings")
			if settings.Doc.Find(`#two-factor-setting input[name=require_2fa]`).Length() != 1 {
				t.Fatal("no two-factor setting")
			}
			expectStatus(t, c.post("/w/acme/settings/two-factor", url.Values{"require_2fa": {"on"}}), 200)
			if on, _ := store.RequiresTwoFactor(context.Background(), ws.ID); !on {
				t.Fatal("setting not saved")
			}
			g := newClient(t, app)
			g.signIn("grace@example.com", "a long enough password")
			res := g.get("/w/acme/members")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(res), "/account?enrol=acme") {
				t.Fatalf("a member without two-factor: %d %s", res.StatusCode, location(res))
			}
			if res := g.get("/w/acme/members", "HX-Request", "true"); res.Header.Get("HX-Redirect") == "" {
				t.Error("htmx requests are not sent to enrol")
			}
			page := g.get(location(res))
			expectStatus(t, page, 200)
			if page.Doc.Find("#enrol-required").Length() != 1 {
				t.Error("the account page does not say why")
			}
			modelstest.FakeClock(store)
			enrol(t, g, store)
			expectStatus(t, g.get("/w/acme/members"), 200)
		})
	}
}

func account(t *testing.T, s *models.Store, email string) string {
	t.Helper()
	var id string
	if err := s.DB().NewSelect().Model((*models.Account)(nil)).Column("id").Where("email = ?", email).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAdminSignInActions(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			app, store, ws, c := signedInAdmin(t, dialect)
			adminM, _, _ := store.Membership(context.Background(), ws.ID, account(t, store, "ada@example.com"))
			grace := joinedMember(t, store, ws, adminM, "Grace Hopper", "grace@example.com", "Member")
			g := newClient(t, app)
			g.signIn("grace@example.com", "a long enough password")
			modelstest.FakeClock(store)
			enrol(t, g, store)

			dlg := c.get("/w/acme/members/"+grace+"/signin", "HX-Request", "true")
			expectStatus(t, dlg, 200)
			if dlg.Doc.Find(`dialog form[hx-post$="/password-reset"]`).Length() != 1 || dlg.Doc.Find(`dialog form[hx-post$="/two-factor-reset"]`).Length() != 1 {
				t.Fatalf("dialog:\n%s", dlg.Body)
			}
			res := c.post("/w/acme/members/"+grace+"/password-reset", nil, "HX-Request", "true")
			expectStatus(t, res, 204)
			if !strings.Contains(res.Header.Get("HX-Trigger"), "Sent Grace Hopper a link") {
				t.Errorf("toast: %s", res.Header.Get("HX-Trigger"))
			}
			lastResetToken(t, store, "grace@example.com")
			res = c.post("/w/acme/members/"+grace+"/two-factor-reset", nil, "HX-Request", "true")
			expectStatus(t, res, 204)
			if has, _ := store.HasTwoFactor(context.Background(), account(t, store, "grace@example.com")); has {
				t.Error("two-factor survived the reset")
			}
			if got := g.get("/w/acme/members"); got.StatusCode != http.StatusSeeOther {
				t.Error("Grace's session survived the reset")
			}
			// Not twice, and no dialog for someone who has not joined.
			expectStatus(t, c.post("/w/acme/members/"+grace+"/two-factor-reset", nil, "HX-Request", "true"), 409)
			invited, _ := inviteGrace2(t, store, adminM, ws)
			expectStatus(t, c.get("/w/acme/members/"+invited+"/signin", "HX-Request", "true"), 409)
			audit := c.get("/w/acme/audit")
			for _, label := range []string{"Sent a password reset link", "Reset two-factor sign-in"} {
				if !strings.Contains(audit.Body, label) {
					t.Errorf("audit log lacks %q", label)
				}
			}
		})
	}
}

func inviteGrace2(t *testing.T, s *models.Store, by *models.Member, ws *models.Workspace) (string, string) {
	t.Helper()
	m, token, err := s.Invite(context.Background(), models.MemberActor(by), ws, models.InviteInput{Name: "Hedy", Email: "hedy@example.com", RoleID: memberRoleID(t, s, ws.ID, "Member")})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID, token
}
