package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// resetToken reads the token of the newest password reset email queued for to.
func resetToken(t *testing.T, s *models.Store, to string) string {
	t.Helper()
	var msgs []models.OutboxMessage
	if err := s.DB().NewSelect().Model(&msgs).Where("kind = ? AND to_addr = ?", models.KindPasswordReset, to).Order("created_at DESC", "id DESC").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatalf("no reset email to %s", to)
	}
	var p models.PasswordResetPayload
	if err := json.Unmarshal([]byte(msgs[0].Payload), &p); err != nil {
		t.Fatal(err)
	}
	return p.Token
}

func countResetEmails(t *testing.T, s *models.Store, to string) int {
	t.Helper()
	n, err := s.DB().NewSelect().Model((*models.OutboxMessage)(nil)).Where("kind = ? AND to_addr = ?", models.KindPasswordReset, to).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func auditActions(t *testing.T, s *models.Store, wsID string) map[string]int {
	t.Helper()
	evs, err := s.AuditEvents(context.Background(), wsID, 200)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range evs {
		out[e.Action]++
	}
	return out
}

func TestPasswordReset(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		other, err := s.CreateSession(ctx, acc.ID, "10.0.0.1", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		// Unknown emails get the same answer and no email.
		if err := s.RequestPasswordReset(ctx, "nobody@example.com", "10.0.0.1"); err != nil {
			t.Fatalf("unknown email: %v", err)
		}
		if err := s.RequestPasswordReset(ctx, "ADA@example.com ", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if n := countResetEmails(t, s, "ada@example.com"); n != 1 {
			t.Fatalf("%d reset emails, want 1", n)
		}
		token := resetToken(t, s, "ada@example.com")
		// Looking at the link changes nothing, however often.
		for i := 0; i < 2; i++ {
			if got, err := s.PasswordResetAccount(ctx, token); err != nil || got.ID != acc.ID {
				t.Fatalf("PasswordResetAccount = %v, %v", got, err)
			}
		}
		var verr *models.ValidationError
		if _, err := s.ResetPassword(ctx, token, "short", "short"); !errors.As(err, &verr) {
			t.Fatalf("short password: %v", err)
		}
		if _, err := s.ResetPassword(ctx, token, "a new long password", "another one!!"); !errors.As(err, &verr) || verr.Fields["confirm_password"] == "" {
			t.Fatalf("confirm differs: %v", err)
		}
		if _, err := s.ResetPassword(ctx, token, "a new long password", "a new long password"); err != nil {
			t.Fatal(err)
		}
		// Single use; every session ended; the new password works.
		if _, err := s.ResetPassword(ctx, token, "yet another password", "yet another password"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second use: %v", err)
		}
		if _, err := s.SessionAccount(ctx, other); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("session survived the reset: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", "a new long password", "10.0.0.1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		// A link expires after an hour.
		if err := s.RequestPasswordReset(ctx, "ada@example.com", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		token = resetToken(t, s, "ada@example.com")
		clock.Add(time.Hour + time.Second)
		if _, err := s.PasswordResetAccount(ctx, token); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("expired link: %v", err)
		}
		if _, err := s.ResetPassword(ctx, token, "a new long password", "a new long password"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("expired link used: %v", err)
		}
		acts := auditActions(t, s, ws.ID)
		if acts["account.password_reset_requested"] != 2 || acts["account.password_reset"] != 1 {
			t.Errorf("audit: %v", acts)
		}
	})
}

// TestPasswordResetRateUnderConcurrency sends 100 requests for one email at
// once: exactly the limit get an email, on both databases.
func TestPasswordResetRateUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		modelstest.SetUp(t, s)
		modelstest.FakeClock(s)
		var wg sync.WaitGroup
		var mu sync.Mutex
		limited, other := 0, []error{}
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				err := s.RequestPasswordReset(ctx, "ada@example.com", fmt.Sprintf("10.1.%d.%d", i/250, i%250))
				var rl *models.RateLimitedError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.As(err, &rl):
					limited++
				case err != nil:
					other = append(other, err)
				}
			}(i)
		}
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("errors: %v", other)
		}
		if n := countResetEmails(t, s, "ada@example.com"); n != models.ResetsPerEmail || limited != 100-models.ResetsPerEmail {
			t.Errorf("%d emails and %d refused, want %d and %d", n, limited, models.ResetsPerEmail, 100-models.ResetsPerEmail)
		}
		// Per address: one address asking for many emails.
		wg = sync.WaitGroup{}
		limited = 0
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				err := s.RequestPasswordReset(ctx, fmt.Sprintf("someone%d@example.com", i), "10.2.0.1")
				var rl *models.RateLimitedError
				mu.Lock()
				defer mu.Unlock()
				if errors.As(err, &rl) {
					limited++
				} else if err != nil {
					other = append(other, err)
				}
			}(i)
		}
		wg.Wait()
		if len(other) > 0 || limited != 100-models.ResetsPerAddress {
			t.Errorf("per address: %d refused, want %d; errors %v", limited, 100-models.ResetsPerAddress, other)
		}
	})
}

func TestAdminPasswordResetAndCommand(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin, ws := modelstest.SetUp(t, s)
		adminM, perms, err := s.Membership(ctx, ws.ID, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		actor := models.MemberActor(adminM).WithPerms(perms)
		// Admin sends a link to themselves here (any joined member works the same).
		if _, err := s.SendPasswordReset(ctx, actor, ws, adminM.ID); err != nil {
			t.Fatal(err)
		}
		if n := countResetEmails(t, s, "ada@example.com"); n != 1 {
			t.Fatalf("%d emails", n)
		}
		// Someone who lacks the member's permissions may not.
		weak := models.MemberActor(adminM).WithPerms(models.PermissionSet{models.PermEditMembers: true})
		var cerr *models.ConflictError
		if _, err := s.SendPasswordReset(ctx, weak, ws, adminM.ID); !errors.As(err, &cerr) {
			t.Errorf("without the Admin's permissions: %v", err)
		}
		token, acc, err := s.CreatePasswordResetLink(ctx, "Ada@Example.com")
		if err != nil || acc.ID != admin.ID {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, token, "recovered password", "recovered password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreatePasswordResetLink(ctx, "nobody@example.com"); err == nil {
			t.Error("link for an unknown email")
		}
		acts := auditActions(t, s, ws.ID)
		if acts["account.password_reset_sent"] != 1 || acts["account.password_reset_link_created"] != 1 || acts["account.password_reset"] != 1 {
			t.Errorf("audit: %v", acts)
		}
	})
}

func TestAccountPage(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		here, _ := s.CreateSession(ctx, acc.ID, "10.0.0.1", "Firefox")
		there, _ := s.CreateSession(ctx, acc.ID, "10.0.0.2", "Chrome")
		list, err := s.AccountSessions(ctx, acc.ID, here)
		if err != nil || len(list) != 2 {
			t.Fatalf("sessions: %v %v", list, err)
		}
		current := 0
		for _, x := range list {
			if x.Current {
				current++
				if x.UserAgent != "Firefox" {
					t.Errorf("current is %+v", x)
				}
			}
		}
		if current != 1 {
			t.Errorf("%d current sessions", current)
		}
		if n, err := s.EndOtherSessions(ctx, acc, here); err != nil || n != 1 {
			t.Fatalf("EndOtherSessions = %d, %v", n, err)
		}
		if _, err := s.SessionAccount(ctx, there); !errors.Is(err, models.ErrNotFound) {
			t.Error("the other session lives on")
		}
		if _, err := s.SessionAccount(ctx, here); err != nil {
			t.Error("this session ended")
		}
		renamed, err := s.RenameAccount(ctx, acc, "  Augusta Ada King ")
		if err != nil || renamed.Name != "Augusta Ada King" {
			t.Fatalf("rename: %+v %v", renamed, err)
		}
		var verr *models.ValidationError
		if _, err := s.RenameAccount(ctx, acc, " "); !errors.As(err, &verr) {
			t.Errorf("empty name: %v", err)
		}
		there, _ = s.CreateSession(ctx, acc.ID, "10.0.0.2", "Chrome")
		if err := s.ChangePassword(ctx, acc, here, "wrong", "a brand new password", "a brand new password"); !errors.As(err, &verr) || verr.Fields["current_password"] == "" {
			t.Errorf("wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, acc, here, modelstest.AdminPassword, "a brand new password", "a brand new password"); err != nil {
			t.Fatal(err)
		}
		// Guessing the password from an open session stops after ten tries.
		for i := 0; i < 9; i++ {
			_ = s.ChangePassword(ctx, acc, here, "guess", "another new password", "another new password")
		}
		var rl *models.RateLimitedError
		if err := s.ChangePassword(ctx, acc, here, "a brand new password", "another new password", "another new password"); !errors.As(err, &rl) {
			t.Errorf("after ten wrong passwords: %v", err)
		}
		if _, err := s.SessionAccount(ctx, there); !errors.Is(err, models.ErrNotFound) {
			t.Error("other session survived the password change")
		}
		if _, err := s.SessionAccount(ctx, here); err != nil {
			t.Error("this session ended with the password change")
		}
		acts := auditActions(t, s, ws.ID)
		if acts["account.sessions_ended"] != 1 || acts["account.name_changed"] != 1 || acts["account.password_changed"] != 1 {
			t.Errorf("audit: %v", acts)
		}
	})
}

// code computes the TOTP code for secret at the store's time.
func code(t *testing.T, s *models.Store, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, s.Now().Add(offset), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTwoFactor(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		s.SecretKey = []byte("0123456789abcdef0123456789abcdef") // as a running Muster has
		here, _ := s.CreateSession(ctx, acc.ID, "10.0.0.1", "Firefox")
		if err := s.MarkPasswordOnly(ctx, here); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRequireTwoFactor(ctx, models.SystemActor, ws, true); err != nil {
			t.Fatal(err)
		}
		if must, err := s.MustEnrol(ctx, here, ws.ID); err != nil || !must {
			t.Fatalf("MustEnrol = %v, %v", must, err)
		}
		secret, err := s.BeginTOTP(ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if key, err := models.TOTPKey(acc.Email, secret); err != nil || key.Secret() != secret || key.Issuer() != "Muster" {
			t.Fatalf("key: %v %v", key, err)
		}
		var stored string
		if err := s.DB().NewSelect().Table("account_totp").Column("secret").Where("account_id = ?", acc.ID).Scan(ctx, &stored); err != nil ||
			!strings.HasPrefix(stored, "v1:") || strings.Contains(stored, secret) {
			t.Errorf("the TOTP secret is stored as %q (%v), want it sealed", stored, err)
		}
		var verr *models.ValidationError
		if _, err := s.EnableTOTP(ctx, acc, here, "000000"); !errors.As(err, &verr) {
			t.Fatalf("wrong code: %v", err)
		}
		codes, err := s.EnableTOTP(ctx, acc, here, code(t, s, secret, 0))
		if err != nil || len(codes) != 10 {
			t.Fatalf("enable: %v %v", codes, err)
		}
		if must, _ := s.MustEnrol(ctx, here, ws.ID); must {
			t.Error("still must enrol after enrolling")
		}
		elsewhere, _ := s.CreateSession(ctx, acc.ID, "10.0.0.3", "Safari")
		_ = s.MarkPasswordOnly(ctx, elsewhere)
		if must, _ := s.MustEnrol(ctx, elsewhere, ws.ID); must {
			t.Error("a password-only session must enrol an account that has enrolled")
		}
		tf, err := s.TwoFactorOf(ctx, acc.ID)
		if err != nil || !tf.Enabled || tf.RecoveryLeft != 10 {
			t.Fatalf("TwoFactorOf = %+v, %v", tf, err)
		}
		// The code used to enrol cannot sign in: a code works once.
		ch, err := s.StartSecondStep(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CompleteSecondStep(ctx, ch, code(t, s, secret, 0), "10.0.0.1", "Firefox"); !errors.Is(err, models.ErrInvalidCode) {
			t.Errorf("replayed code: %v", err)
		}
		clock.Add(30 * time.Second)
		sess, got, err := s.CompleteSecondStep(ctx, ch, code(t, s, secret, 0), "10.0.0.1", "Firefox")
		if err != nil || got.ID != acc.ID {
			t.Fatalf("second step: %v", err)
		}
		if _, err := s.SessionAccount(ctx, sess); err != nil {
			t.Error("no session after the code")
		}
		// The challenge is gone once used.
		if _, err := s.SecondStepAccount(ctx, ch); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("challenge lives on: %v", err)
		}
		// A recovery code works once, in any case and with or without its dash.
		ch, _ = s.StartSecondStep(ctx, acc.ID)
		if _, _, err := s.CompleteSecondStep(ctx, ch, " "+codes[3][:5]+codes[3][6:]+" ", "10.0.0.1", "Firefox"); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		ch, _ = s.StartSecondStep(ctx, acc.ID)
		if _, _, err := s.CompleteSecondStep(ctx, ch, codes[3], "10.0.0.1", "Firefox"); !errors.Is(err, models.ErrInvalidCode) {
			t.Errorf("reused recovery code: %v", err)
		}
		// Five wrong tries end a challenge.
		for i := 0; i < 4; i++ {
			_, _, _ = s.CompleteSecondStep(ctx, ch, "000000", "", "")
		}
		if _, _, err := s.CompleteSecondStep(ctx, ch, codes[4], "", ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("after five tries: %v", err)
		}
		// Wrong codes add up across challenges: six so far, ten lock the account's second step.
		ch, _ = s.StartSecondStep(ctx, acc.ID)
		for i := 0; i < 4; i++ {
			_, _, _ = s.CompleteSecondStep(ctx, ch, "000000", "", "")
		}
		ch, _ = s.StartSecondStep(ctx, acc.ID)
		var rl *models.RateLimitedError
		if _, _, err := s.CompleteSecondStep(ctx, ch, codes[4], "", ""); !errors.As(err, &rl) {
			t.Errorf("after ten wrong codes: %v", err)
		}
		clock.Add(16 * time.Minute)
		ch, _ = s.StartSecondStep(ctx, acc.ID)
		if _, _, err := s.CompleteSecondStep(ctx, ch, codes[4], "", ""); err != nil {
			t.Errorf("after the window: %v", err)
		}
		// An admin resets the factor of someone who lost their device; not
		// while the account is also active in another workspace, which may
		// require two-factor and whose admins did not agree.
		adminM, _, _ := s.Membership(ctx, ws.ID, acc.ID)
		other, err := s.CreateWorkspace(ctx, acc, "Hobby")
		if err != nil {
			t.Fatal(err)
		}
		var cerr *models.ConflictError
		if _, err := s.ResetTwoFactor(ctx, models.MemberActor(adminM), ws, adminM.ID); !errors.As(err, &cerr) || !strings.Contains(cerr.Message, "other workspaces") {
			t.Errorf("reset from one of two workspaces: %v", err)
		}
		if on, _ := s.HasTwoFactor(ctx, acc.ID); !on {
			t.Fatal("one workspace's admin lifted the factor for the other")
		}
		// Once Hobby no longer counts (her access there is off), it may.
		if _, err := s.DB().NewUpdate().Table("members").Set("status = ?", models.StatusDeactivated).
			Where("workspace_id = ? AND account_id = ?", other.ID, acc.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetTwoFactor(ctx, models.MemberActor(adminM), ws, adminM.ID); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.HasTwoFactor(ctx, acc.ID); on {
			t.Error("factor survived the reset")
		}
		if _, err := s.SessionAccount(ctx, sess); !errors.Is(err, models.ErrNotFound) {
			t.Error("sessions survived the reset")
		}
		if _, err := s.ResetTwoFactor(ctx, models.MemberActor(adminM), ws, adminM.ID); !errors.As(err, &cerr) {
			t.Errorf("second reset: %v", err)
		}
		// Turning it off oneself takes the password.
		secret, _ = s.BeginTOTP(ctx, acc)
		if _, err := s.EnableTOTP(ctx, acc, here, code(t, s, secret, 0)); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableTOTP(ctx, acc, "wrong"); !errors.As(err, &verr) {
			t.Errorf("disable with a wrong password: %v", err)
		}
		// Not while a workspace of theirs requires it: sessions opened with a
		// code would go on without one.
		if err := s.DisableTOTP(ctx, acc, modelstest.AdminPassword); !errors.As(err, &cerr) || !strings.Contains(cerr.Message, "requires two-factor") {
			t.Errorf("disable where it is required: %v", err)
		}
		if err := s.SetRequireTwoFactor(ctx, models.SystemActor, ws, false); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableTOTP(ctx, acc, modelstest.AdminPassword); err != nil {
			t.Fatal(err)
		}
		acts := auditActions(t, s, ws.ID)
		if acts["account.2fa_enabled"] != 2 || acts["account.2fa_reset"] != 1 || acts["account.2fa_disabled"] != 1 || acts["account.recovery_code_used"] != 2 || acts["workspace.updated"] != 2 {
			t.Errorf("audit: %v", acts)
		}
	})
}

// TestSecondStepUnderConcurrency: twenty requests at once with the same
// right code on one challenge sign in exactly once, on both databases.
func TestSecondStepUnderConcurrency(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := modelstest.SetUp(t, s)
		modelstest.FakeClock(s)
		here, _ := s.CreateSession(ctx, acc.ID, "10.0.0.1", "Firefox")
		secret, err := s.BeginTOTP(ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnableTOTP(ctx, acc, here, code(t, s, secret, 0)); err != nil {
			t.Fatal(err)
		}
		ch, err := s.StartSecondStep(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		next := code(t, s, secret, 30*time.Second) // the next step's code: enrolling used this one's
		var wg sync.WaitGroup
		var ok atomic.Int64
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := s.CompleteSecondStep(ctx, ch, next, "10.0.0.2", "test"); err == nil {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Errorf("%d sign-ins with one code, want 1", ok.Load())
		}
	})
}
