package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

var testSecretKey = []byte("0123456789abcdef0123456789abcdef")

type ssoFixture struct {
	*inviteFixture
	cfg *models.SSOConfig
}

// newSSOFixture: Acme with an identity provider for acme.test.
func newSSOFixture(t *testing.T, s *models.Store) *ssoFixture {
	t.Helper()
	s.SecretKey = testSecretKey
	f := newInviteFixture(t, s)
	cfg, err := s.SaveSSOConfig(f.ctx, f.actor, f.ws, models.SSOInput{Issuer: "https://idp.acme.test", ClientID: "muster",
		ClientSecret: "s3cret-value", Domains: "acme.test, example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return &ssoFixture{inviteFixture: f, cfg: cfg}
}

func (f *ssoFixture) provision(t *testing.T, userName, email string) *models.Member {
	t.Helper()
	tok := models.Actor{Kind: "scim_token", ID: "0196f0e0-0000-7000-8000-0000000000ab", Name: "Entra"}
	m, err := f.s.CreateSCIMUser(f.ctx, tok, f.ws, models.SCIMUser{UserName: userName, Email: email, DisplayName: "Grace Hopper", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != models.StatusInvited {
		t.Fatalf("provisioned member is %s, want invited", m.Status)
	}
	return m
}

func lastAction(t *testing.T, s *models.Store, wsID string) string {
	t.Helper()
	evs, err := s.AuditEvents(context.Background(), wsID, 1)
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit: %v %v", evs, err)
	}
	return evs[0].Action
}

func TestSSOConfigSealsSecret(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		if strings.Contains(f.cfg.SecretSealed, "s3cret") || !strings.HasPrefix(f.cfg.SecretSealed, "v1:") {
			t.Fatalf("secret stored as %q", f.cfg.SecretSealed)
		}
		var raw string
		if err := s.DB().NewSelect().Table("sso_configs").Column("client_secret_sealed").Scan(f.ctx, &raw); err != nil || strings.Contains(raw, "s3cret") {
			t.Fatalf("database holds %q (%v)", raw, err)
		}
		got, err := s.SSOClientSecret(f.cfg)
		if err != nil || got != "s3cret-value" {
			t.Fatalf("opened %q, %v", got, err)
		}
		if lastAction(t, s, f.ws.ID) != "sso.configured" {
			t.Fatal("no sso.configured audit event")
		}
		// An empty secret keeps the stored one; a new issuer clears the test.
		if err := s.RecordSSOTest(f.ctx, f.actor, f.ws, `{"sub":"1"}`); err != nil {
			t.Fatal(err)
		}
		cfg, err := s.SaveSSOConfig(f.ctx, f.actor, f.ws, models.SSOInput{Issuer: "https://other.acme.test", ClientID: "muster", Domains: "acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SSOClientSecret(cfg); got != "s3cret-value" || cfg.TestedAt != nil {
			t.Fatalf("secret %q, tested %v", got, cfg.TestedAt)
		}
		// Another key cannot open it.
		s.SecretKey = []byte("fedcba9876543210fedcba9876543210")
		if _, err := s.SSOClientSecret(cfg); err == nil {
			t.Fatal("opened with the wrong key")
		}
	})
}

func TestSSOConfigValidation(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		var verr *models.ValidationError
		_, err := s.SaveSSOConfig(f.ctx, f.actor, f.ws, models.SSOInput{Issuer: "http://idp.example.com", ClientID: "", Domains: "not a domain!"})
		if !errors.As(err, &verr) || verr.Fields["issuer"] == "" || verr.Fields["client_id"] == "" || verr.Fields["domains"] == "" {
			t.Fatalf("want issuer, client_id and domains errors, got %v", err)
		}
		_, err = s.SaveSSOConfig(f.ctx, f.actor, f.ws, models.SSOInput{Issuer: "https://idp.acme.test", ClientID: "muster", Domains: "acme.test", JIT: true, JITRoleID: f.roles["Admin"].ID})
		if !errors.As(err, &verr) || verr.Fields["jit_role"] == "" {
			t.Fatalf("JIT with the Admin role: want a jit_role error, got %v", err)
		}
		// A domain belongs to one workspace.
		globex, err := s.CreateWorkspace(f.ctx, f.adminA, "Globex")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SaveSSOConfig(f.ctx, f.actor, globex, models.SSOInput{Issuer: "https://idp.globex.test", ClientID: "g", ClientSecret: "x", Domains: "acme.test"})
		if !errors.As(err, &verr) || !strings.Contains(verr.Fields["domains"], "acme.test") {
			t.Fatalf("want the domain refused, got %v", err)
		}
		ws, err := s.SSOWorkspaceForEmail(f.ctx, "Someone@ACME.test")
		if err != nil || ws.ID != f.ws.ID {
			t.Fatalf("domain lookup: %v %v", ws, err)
		}
		if _, err := s.SSOWorkspaceForEmail(f.ctx, "a@nowhere.test"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown domain: %v", err)
		}
		s.SecretKey = nil
		if _, err := s.SaveSSOConfig(f.ctx, f.actor, globex, models.SSOInput{Issuer: "https://idp.globex.test", ClientID: "g", ClientSecret: "x"}); !errors.Is(err, models.ErrNoSecretKey) {
			t.Fatalf("without a key: %v", err)
		}
	})
}

func TestSSOStateIsSingleUse(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		st := models.SSOState{WorkspaceID: f.ws.ID, Purpose: models.SSOSignInPurpose, Nonce: "n", Verifier: "v"}
		if err := s.SaveSSOState(f.ctx, "state-1", st); err != nil {
			t.Fatal(err)
		}
		got, err := s.TakeSSOState(f.ctx, "state-1")
		if err != nil || *got != st {
			t.Fatalf("take: %+v %v", got, err)
		}
		if _, err := s.TakeSSOState(f.ctx, "state-1"); !errors.Is(err, models.ErrSSOStateUnknown) {
			t.Fatalf("replayed state: %v", err)
		}
		if err := s.SaveSSOState(f.ctx, "state-2", st); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(models.SSOStateLifetime)
		if _, err := s.TakeSSOState(f.ctx, "state-2"); !errors.Is(err, models.ErrSSOStateUnknown) {
			t.Fatalf("expired state: %v", err)
		}
	})
}

func TestSSOSignInActivatesProvisionedMemberByUPN(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		m := f.provision(t, "GHopper@acme.test", "grace@acme.test")
		// Entra: no email_verified, the UPN as preferred_username.
		acc, got, err := s.SSOSignIn(f.ctx, f.ws, models.SSOIdentity{Subject: "x", Email: "grace@acme.test", UserNames: []string{"ghopper@ACME.test"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != m.ID || got.Status != models.StatusActive || acc.Email != "grace@acme.test" || acc.PasswordHash != "" {
			t.Fatalf("member %+v, account %+v", got, acc)
		}
		if _, err := s.Authenticate(f.ctx, "grace@acme.test", "", "127.0.0.1"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("an SSO-made account has no password: %v", err)
		}
		evs, _ := s.AuditEvents(f.ctx, f.ws.ID, 2)
		if evs[0].Action != "sso.signed_in" || evs[1].Action != "sso.activated" {
			t.Fatalf("audit %s, %s", evs[0].Action, evs[1].Action)
		}
		// The second time, the same member and account.
		acc2, got2, err := s.SSOSignIn(f.ctx, f.ws, models.SSOIdentity{Email: "grace@acme.test", EmailVerified: true})
		if err != nil || acc2.ID != acc.ID || got2.ID != m.ID {
			t.Fatalf("again: %v %v %v", acc2, got2, err)
		}
	})
}

func TestSSOSignInRefusals(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		refused := func(what string, id models.SSOIdentity, reason string) {
			t.Helper()
			var r *models.SSORefusedError
			if _, _, err := s.SSOSignIn(f.ctx, f.ws, id); !errors.As(err, &r) || r.Reason != reason {
				t.Fatalf("%s: want %s, got %v", what, reason, err)
			}
		}
		f.provision(t, "grace", "grace@acme.test")
		refused("unverified email", models.SSOIdentity{Email: "grace@acme.test"}, models.SSOUnverified)
		refused("stranger", models.SSOIdentity{Email: "nobody@acme.test", EmailVerified: true}, models.SSONotMember)
		// A member of another workspace only is no member here.
		globex, err := s.CreateWorkspace(f.ctx, f.adminA, "Globex")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Invite(f.ctx, f.actor, globex, models.InviteInput{Name: "Wile", Email: "wile@globex.test", RoleID: mustRole(t, s, globex, "Member")}); err != nil {
			t.Fatal(err)
		}
		refused("another workspace's member", models.SSOIdentity{Email: "wile@globex.test", EmailVerified: true}, models.SSONotMember)
		// Deactivated.
		m, _ := f.invite(t, "Dee", "dee@acme.test", "Member")
		if _, _, err := s.SSOSignIn(f.ctx, f.ws, models.SSOIdentity{Email: "dee@acme.test", EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, m.ID); err != nil {
			t.Fatal(err)
		}
		refused("deactivated", models.SSOIdentity{Email: "dee@acme.test", EmailVerified: true}, models.SSODeactivated)
		// Someone who already has a Muster account (a password, other
		// workspaces) is never handed to this workspace's provider: an
		// admin could otherwise invite their address, point SSO at a
		// provider of their own and sign in as them.
		if _, err := s.CreateAccount(f.ctx, "Victor", "victor@acme.test", "a long enough password"); err != nil {
			t.Fatal(err)
		}
		invited, _ := f.invite(t, "Victor", "victor@acme.test", "Member")
		refused("an existing account", models.SSOIdentity{Email: "victor@acme.test", EmailVerified: true}, models.SSOAccountExists)
		if m, err := s.MemberByID(f.ctx, f.ws.ID, invited.ID); err != nil || m.Status != models.StatusInvited || m.AccountID != nil {
			t.Errorf("the invited member was linked: %+v %v", m, err)
		}
	})
}

func TestSSOJustInTime(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		id := models.SSOIdentity{Email: "new@acme.test", EmailVerified: true, Name: "New Person"}
		var r *models.SSORefusedError
		if _, _, err := s.SSOSignIn(f.ctx, f.ws, id); !errors.As(err, &r) {
			t.Fatalf("JIT off: %v", err)
		}
		if _, err := s.SaveSSOConfig(f.ctx, f.actor, f.ws, models.SSOInput{Issuer: f.cfg.Issuer, ClientID: f.cfg.ClientID, Domains: "acme.test",
			JIT: true, JITRoleID: f.roles["Member"].ID}); err != nil {
			t.Fatal(err)
		}
		_, m, err := s.SSOSignIn(f.ctx, f.ws, id)
		if err != nil || m.Status != models.StatusActive || m.DisplayName != "New Person" {
			t.Fatalf("JIT: %+v %v", m, err)
		}
		_, ps, err := s.Membership(f.ctx, f.ws.ID, *m.AccountID)
		if err != nil || !ps.Has(models.PermViewMembers) || ps.Has(models.PermManageWorkspace) {
			t.Fatalf("JIT permissions %v %v", ps, err)
		}
		evs, _ := s.AuditEvents(f.ctx, f.ws.ID, 2)
		if evs[1].Action != "sso.jit_joined" {
			t.Fatalf("audit %s", evs[1].Action)
		}
		// Other domains, and unverified addresses, never join.
		for _, id := range []models.SSOIdentity{{Email: "x@elsewhere.test", EmailVerified: true}, {Email: "y@acme.test"}} {
			if _, _, err := s.SSOSignIn(f.ctx, f.ws, id); !errors.As(err, &r) {
				t.Fatalf("%v joined: %v", id, err)
			}
		}
	})
}

func TestSSOEnforcement(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		var verr *models.ValidationError
		if _, err := s.SetSSOEnforcement(f.ctx, f.actor, f.ws, true, []string{f.admin.ID}); !errors.As(err, &verr) || verr.Fields["enforced"] == "" {
			t.Fatalf("untested: %v", err)
		}
		if err := s.RecordSSOTest(f.ctx, f.actor, f.ws, "{}"); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(61 * time.Minute)
		if _, err := s.SetSSOEnforcement(f.ctx, f.actor, f.ws, true, []string{f.admin.ID}); !errors.As(err, &verr) || verr.Fields["enforced"] == "" {
			t.Fatalf("tested over an hour ago: %v", err)
		}
		if err := s.RecordSSOTest(f.ctx, f.actor, f.ws, "{}"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetSSOEnforcement(f.ctx, f.actor, f.ws, true, nil); !errors.As(err, &verr) || verr.Fields["break_glass"] == "" {
			t.Fatalf("no break-glass admin: %v", err)
		}
		// Bob, an active Member, and Ada, the break-glass Admin.
		bob, tok := f.invite(t, "Bob", "bob@acme.test", "Member")
		bobAcc, _, err := s.AcceptInvite(f.ctx, tok, models.AcceptInput{Name: "Bob", Password: "bob password 1"})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := s.SetSSOEnforcement(f.ctx, f.actor, f.ws, true, []string{f.admin.ID})
		if err != nil || !cfg.Enforced {
			t.Fatal(err)
		}
		if lastAction(t, s, f.ws.ID) != "sso.enforced" {
			t.Fatal("no sso.enforced event")
		}
		// Bob's password opens nothing; Ada's still opens Acme.
		if ws, err := s.PasswordSignInBlocked(f.ctx, bobAcc.ID); err != nil || ws == nil || ws.ID != f.ws.ID {
			t.Fatalf("bob: %v %v", ws, err)
		}
		if ws, err := s.PasswordSignInBlocked(f.ctx, f.adminA.ID); err != nil || ws != nil {
			t.Fatalf("ada: %v %v", ws, err)
		}
		bobM, _, _ := s.Membership(f.ctx, f.ws.ID, bobAcc.ID)
		pw, _ := s.CreateSession(f.ctx, bobAcc.ID, "", "")
		if g, err := s.SSOGate(f.ctx, pw, f.ws, bobM); err != nil || g.Decision != models.SSOGateRequired {
			t.Fatalf("bob's password session: %+v %v", g, err)
		}
		adaPW, _ := s.CreateSession(f.ctx, f.adminA.ID, "", "")
		if g, err := s.SSOGate(f.ctx, adaPW, f.ws, f.admin); err != nil || g.Decision != models.SSOGateOpen {
			t.Fatalf("break-glass: %+v %v", g, err)
		}
		ssoTok, err := s.CreateSSOSession(f.ctx, bobAcc.ID, f.ws.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if g, err := s.SSOGate(f.ctx, ssoTok, f.ws, bobM); err != nil || g.Decision != models.SSOGateOpen {
			t.Fatalf("bob's SSO session: %+v %v", g, err)
		}
		// The session Acme's provider opened does not open Globex.
		globex, _ := s.CreateWorkspace(f.ctx, f.adminA, "Globex")
		adaSSO, _ := s.CreateSSOSession(f.ctx, f.adminA.ID, f.ws.ID, "", "")
		gm, _, _ := s.Membership(f.ctx, globex.ID, f.adminA.ID)
		if g, err := s.SSOGate(f.ctx, adaSSO, globex, gm); err != nil || g.Decision != models.SSOGateElsewhere || g.Via.ID != f.ws.ID {
			t.Fatalf("elsewhere: %+v %v", g, err)
		}
		// Bob in a second, non-enforcing workspace may sign in with his password.
		if _, _, err := s.Invite(f.ctx, f.actor, globex, models.InviteInput{Name: "Bob", Email: "bob@acme.test", RoleID: mustRole(t, s, globex, "Member")}); err != nil {
			t.Fatal(err)
		}
		_ = bob
		if _, err := s.SetSSOEnforcement(f.ctx, f.actor, f.ws, false, nil); err != nil {
			t.Fatal(err)
		}
		if lastAction(t, s, f.ws.ID) != "sso.enforcement_off" {
			t.Fatal("no sso.enforcement_off event")
		}
	})
}

func mustRole(t *testing.T, s *models.Store, ws *models.Workspace, name string) string {
	t.Helper()
	roles, err := s.Roles(context.Background(), ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %s", name)
	return ""
}

// Two sign-ins of one provisioned person at the same moment (a double
// click, two tabs) make one account and one activation.
func TestSSOSignInConcurrentActivation(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		m := f.provision(t, "grace", "grace@acme.test")
		id := models.SSOIdentity{Email: "grace@acme.test", EmailVerified: true}
		accs := make(chan string, 2)
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				acc, _, err := s.SSOSignIn(f.ctx, f.ws, id)
				if err != nil {
					errs <- err
					return
				}
				accs <- acc.ID
			}()
		}
		var ids []string
		for range 2 {
			select {
			case a := <-accs:
				ids = append(ids, a)
			case err := <-errs:
				t.Fatalf("concurrent sign-in: %v", err)
			}
		}
		if ids[0] != ids[1] {
			t.Fatalf("two accounts: %v", ids)
		}
		got, err := s.MemberByID(f.ctx, f.ws.ID, m.ID)
		if err != nil || got.Status != models.StatusActive || *got.AccountID != ids[0] {
			t.Fatalf("member %+v %v", got, err)
		}
		evs, _ := s.AuditEvents(f.ctx, f.ws.ID, 10)
		n := 0
		for _, e := range evs {
			if e.Action == "sso.activated" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d activations", n)
		}
	})
}

// A state is handed out once even to 100 callbacks at the same moment (a
// replayed callback racing the real one, several replicas).
func TestSSOStateTakenOnceUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newSSOFixture(t, s)
		if err := s.SaveSSOState(f.ctx, "raced", models.SSOState{WorkspaceID: f.ws.ID, Purpose: models.SSOSignInPurpose}); err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 100)
		for range 100 {
			go func() {
				_, err := s.TakeSSOState(f.ctx, "raced")
				got <- err
			}()
		}
		won := 0
		for range 100 {
			switch err := <-got; {
			case err == nil:
				won++
			case !errors.Is(err, models.ErrSSOStateUnknown):
				t.Fatalf("take: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d callbacks got the state", won)
		}
	})
}
