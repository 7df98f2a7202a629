package handlers_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserForgotPassword: "Forgot password?" on the sign-in page, the
// email through a real SMTP server, the link, a new password, and signing
// in with it.
func TestBrowserForgotPassword(t *testing.T) {
	bt := newBrowserTest(t, withMail())
	modelstest.SetUp(t, bt.store)

	bt.do("open sign-in", chromedp.Navigate(bt.base+"/signin"))
	bt.click("#forgot-link")
	bt.waitPath("/forgot")
	bt.expectAccessible("/forgot")
	bt.fill("#f-email", "ada@example.com")
	bt.click(`form[action="/forgot"] button[type=submit]`)
	bt.waitTrue("the confirmation", `!!document.querySelector("#forgot-sent")`)
	if got := bt.text("#forgot-sent"); !strings.HasPrefix(got, "If an account uses that email") {
		t.Errorf("confirmation says %q", got)
	}

	msg := bt.mail.WaitFor(t, "ada@example.com", browserStepTimeout)
	link := msg.Link(bt.base + "/reset/")
	if link == "" || msg.Subject != "Reset your Muster password" {
		t.Fatalf("no reset link in the email %q:\n%s", msg.Subject, msg.Text)
	}
	bt.do("open the link", chromedp.Navigate(link))
	bt.waitTrue("the reset form", `document.readyState === "complete" && !!document.querySelector("#f-password")`)
	bt.expectAccessible("/reset/…")
	bt.fill("#f-password", "a password from the email")
	bt.fill("#f-confirm_password", "a password from the email")
	bt.click(`form[action^="/reset/"] button[type=submit]`)
	bt.waitTrue("the sign-in page with a notice", `!!document.querySelector("#signin-notice")`)
	if got := bt.location().Path; got != "/signin" {
		t.Errorf("after the reset the address is %s", got)
	}
	bt.fill("#f-email", "ada@example.com")
	bt.fill("#f-password", "a password from the email")
	bt.click(`form[action="/signin"] button[type=submit]`)
	bt.waitPath("/w/acme/members")

	// The link worked once.
	bt.do("open the link again", chromedp.Navigate(link))
	bt.waitTrue("the invalid link page", `document.readyState === "complete" && document.querySelector("h1")?.textContent === "This link doesn't work"`)
}

// TestBrowserTwoFactor: enrol from the account page (the code computed from
// the secret the page shows, at the store's time), then sign in with the
// password and a code.
func TestBrowserTwoFactor(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			if dialect == "postgres" && len(modelstest.Dialects()) < 2 {
				t.Skip("MUSTER_TEST_POSTGRES_URL not set")
			}
			bt := newBrowserTest(t, onDatabase(dialect))
			modelstest.SetUp(t, bt.store)
			bt.clock.Stop() // codes are computed for the server's moment
			code := func() string {
				c, err := totp.GenerateCodeCustom(bt.secret(), bt.store.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
			bt.click("details.menu.account summary")
			bt.click("#account-link")
			bt.waitPath("/account")
			bt.click(`form[action="/account/two-factor/setup"] button`)
			bt.waitTrue("the QR code", `!!document.querySelector("#two-factor img[src^='data:image/png']") && !!document.querySelector("#totp-secret")`)
			if ok := browserEval[bool](bt, `document.querySelector("#two-factor img").naturalWidth > 0`); !ok {
				t.Error("the QR code image does not load (CSP?)")
			}
			bt.expectAccessible("/account while enrolling")
			bt.fill("#f-code", code())
			bt.click(`form[action="/account/two-factor/enable"] button`)
			bt.waitTrue("the recovery codes", `document.querySelectorAll("#recovery-codes code").length === 10`)
			bt.expectAccessible("/account with recovery codes")
			if got := bt.location().Path; got != "/account" {
				t.Errorf("after enrolling the address is %s", got)
			}

			bt.click("details.menu.account summary")
			bt.click("#signout")
			bt.waitPath("/signin")
			bt.fill("#f-email", "ada@example.com")
			bt.fill("#f-password", modelstest.AdminPassword)
			bt.click(`form[action="/signin"] button[type=submit]`)
			bt.waitPath("/signin/code")
			bt.expectAccessible("/signin/code")
			bt.advanceClock(30 * time.Second) // the enrolment's code is spent
			bt.fill("#f-code", code())
			bt.click(`form[action="/signin/code"] button[type=submit]`)
			bt.waitPath("/w/acme/members")
		})
	}
}

// secret is the TOTP secret the account page shows while enrolling, kept
// once read (the page moves on after the code).
func (bt *browserTest) secret() string {
	bt.t.Helper()
	if s := browserEval[string](bt, `document.querySelector("#totp-secret")?.dataset.secret ?? ""`); s != "" {
		secrets.Store(bt, s)
		return s
	}
	s, ok := secrets.Load(bt)
	if !ok {
		bt.t.Fatal("no TOTP secret seen")
	}
	return s.(string)
}

var secrets sync.Map // *browserTest → the secret it saw
