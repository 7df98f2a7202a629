package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserSSOActivatesProvisionedMember: Entra provisions Grace over
// SCIM (invited, no email sent); she never opens an invitation link but
// signs in with "Continue with SSO", and is an active member at once.
func TestBrowserSSOActivatesProvisionedMember(t *testing.T) {
	bt := newBrowserTest(t)
	bt.store.SecretKey = testSecretKey
	ctx := context.Background()
	_, ws := modelstest.SetUp(t, bt.store)
	idp := startIdP(t, bt.store)
	if _, err := bt.store.SaveSSOConfig(ctx, models.SystemActor, ws, models.SSOInput{Issuer: idp.Issuer(), ClientID: idp.ClientID,
		ClientSecret: idp.ClientSecret, Domains: "example.com"}); err != nil {
		t.Fatal(err)
	}
	tok := models.Actor{Kind: "scim_token", ID: "0196f0e0-0000-7000-8000-0000000000ab", Name: "Entra"}
	m, err := bt.store.CreateSCIMUser(ctx, tok, ws, models.SCIMUser{UserName: "ghopper@example.com", Email: "grace@example.com",
		DisplayName: "Grace Hopper", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	// Entra sends the UPN, and no email_verified.
	idp.user("grace@example.com", false, "ghopper@example.com")

	bt.do("open sign-in", chromedp.Navigate(bt.base+"/signin"))
	bt.fill("#f-email", "grace@example.com")
	bt.click("#sso-start")
	bt.waitPath("/w/acme/members")
	if got := bt.text("#members-table"); !strings.Contains(got, "Grace Hopper") {
		t.Fatalf("members page: %q", got)
	}
	got, err := bt.store.MemberByID(ctx, ws.ID, m.ID)
	if err != nil || got.Status != models.StatusActive {
		t.Fatalf("Grace after SSO: %+v %v", got, err)
	}
}

// TestBrowserSSOEnforcement: the admin connects the provider on the SSO
// page, runs Test connection (and sees the claims), requires SSO naming
// herself break-glass; Bob's password is then refused while Ada's works.
func TestBrowserSSOEnforcement(t *testing.T) {
	bt := newBrowserTest(t)
	bt.store.SecretKey = testSecretKey
	ctx := context.Background()
	_, ws := modelstest.SetUp(t, bt.store)
	idp := startIdP(t, bt.store)
	ada := adaAccount(t, bt.store)
	adaM, _, _ := bt.store.Membership(ctx, ws.ID, ada.ID)
	roles, _ := bt.store.Roles(ctx, ws.ID)
	_, inv, err := bt.store.Invite(ctx, models.MemberActor(adaM), ws, models.InviteInput{Name: "Bob", Email: "bob@example.com", RoleID: roles[len(roles)-1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bt.store.AcceptInvite(ctx, inv, models.AcceptInput{Name: "Bob", Password: "bob's password"}); err != nil {
		t.Fatal(err)
	}

	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
	bt.click(`nav a[href="/w/acme/sso"]`)
	bt.waitPath("/w/acme/sso")
	bt.fill("#f-issuer", idp.Issuer())
	bt.fill("#f-client_id", idp.ClientID)
	bt.fill("#f-client_secret", idp.ClientSecret)
	bt.fill("#f-domains", "example.com")
	bt.click(`#sso-form button[type=submit]`)
	bt.waitTrue("the saved notice", `document.querySelector("#sso-notice") && document.querySelector("#sso-test-button")`)

	idp.user("ada@example.com", true, "ada")
	bt.click("#sso-test-button")
	bt.waitTrue("the claims", `(document.querySelector("#sso-claims pre") || {}).textContent?.includes("ada@example.com")`)
	bt.do("scroll to the test", chromedp.ScrollIntoView(chromedp.CSS("#sso-provider-title")))
	bt.screenshotForDocs("sso-settings.png")

	bt.click("#f-enforced")
	bt.click(`input[name=break_glass][value="` + adaM.ID + `"]`)
	bt.click(`#sso-enforce-form button[type=submit]`)
	bt.waitTrue("enforcement on", `(document.querySelector("#sso-notice") || {}).textContent?.includes("now required")`)

	bob := bt.newPrivateTab("bob")
	bob.do("open sign-in", chromedp.Navigate(bt.base+"/signin"))
	bob.fill("#f-email", "bob@example.com")
	bob.fill("#f-password", "bob's password")
	bob.click(`form[action="/signin"] button[type=submit]`)
	bob.waitTrue("the refusal", `(document.querySelector("#form-error") || {}).textContent?.includes("requires single sign-on")`)
	if p := bob.location().Path; p != "/signin" {
		t.Fatalf("Bob is at %s", p)
	}
	// Continue with SSO takes him in.
	idp.user("bob@example.com", true, "")
	bob.click("#sso-start")
	bob.waitPath("/w/acme/members")

	breakGlass := bt.newPrivateTab("ada-again")
	breakGlass.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")
}
