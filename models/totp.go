package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"
)

// Two-factor sign-in with TOTP (RFC 6238: 6 digits, 30 seconds, SHA-1, what
// every authenticator app reads from a QR code), and recovery codes for a
// lost device.
//
// The secret is sealed with the store's SecretKey (secretbox.go), bound to
// the account, wherever a key is set (a running Muster always has one);
// totpSecret reads either form.
//
// Codes are checked against the store's clock (Store.Now), so tests can
// compute them for any moment.

const (
	totpIssuer     = "Muster"
	totpPeriod     = 30
	recoveryCodeN  = 10
	challengeTTL   = 5 * time.Minute
	challengeTries = 5
	// wrongCodesPerAccount bounds wrong codes per account across
	// challenges: a right password buys a new challenge, so five tries
	// each would otherwise add up without end.
	wrongCodesPerAccount = 10
	wrongCodeWindow      = 15 * time.Minute
	totpSkewPeriods      = 1 // a code from the step before or after is accepted too
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

type accountTOTP struct {
	bun.BaseModel `bun:"table:account_totp"`

	AccountID string     `bun:"account_id,pk"`
	Secret    string     `bun:"secret"`
	EnabledAt *time.Time `bun:"enabled_at"`
	LastStep  int64      `bun:"last_step"`
	CreatedAt time.Time  `bun:"created_at"`
}

type recoveryCode struct {
	bun.BaseModel `bun:"table:recovery_codes"`

	ID        string     `bun:"id,pk"`
	AccountID string     `bun:"account_id"`
	CodeHash  string     `bun:"code_hash"`
	UsedAt    *time.Time `bun:"used_at"`
}

type signinChallenge struct {
	bun.BaseModel `bun:"table:signin_challenges"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	Attempts  int       `bun:"attempts"`
	ExpiresAt time.Time `bun:"expires_at"`
	CreatedAt time.Time `bun:"created_at"`
}

// ErrInvalidCode is the answer to a wrong, reused or expired code.
var ErrInvalidCode = errors.New("that code is not valid")

// TwoFactor is an account's second factor as its page shows it.
type TwoFactor struct {
	Enabled       bool
	EnabledAt     *time.Time
	RecoveryLeft  int
	PendingSecret string // set while enrolling: the secret the QR code carries
}

// TwoFactorOf tells whether accountID has a second factor.
func (s *Store) TwoFactorOf(ctx context.Context, accountID string) (TwoFactor, error) {
	var t accountTOTP
	err := s.rdb.NewSelect().Model(&t).Where("account_id = ?", accountID).Scan(ctx)
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return TwoFactor{}, nil
	} else if err != nil {
		return TwoFactor{}, err
	}
	if t.EnabledAt == nil {
		secret, err := s.totpSecret(t)
		return TwoFactor{PendingSecret: secret}, err
	}
	n, err := s.rdb.NewSelect().Model((*recoveryCode)(nil)).Where("account_id = ? AND used_at IS NULL", accountID).Count(ctx)
	return TwoFactor{Enabled: true, EnabledAt: t.EnabledAt, RecoveryLeft: int(n)}, err
}

// TOTPKey is the otpauth key for a secret, which authenticator apps read
// from the QR code.
func TOTPKey(email, secret string) (*otp.Key, error) {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + email, RawQuery: v.Encode()}
	return otp.NewKeyFromURL(u.String())
}

// BeginTOTP starts enrolment: a new secret, not yet in force, replacing any
// earlier unfinished one. It returns the secret.
func (s *Store) BeginTOTP(ctx context.Context, acc *Account) (string, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: acc.Email, Period: totpPeriod, SecretSize: 20})
	if err != nil {
		return "", err
	}
	err = s.tx(ctx, func(tx bun.Tx) error {
		var t accountTOTP
		err := tx.NewSelect().Model(&t).Where("account_id = ?", acc.ID).Scan(ctx)
		if err == nil && t.EnabledAt != nil {
			return &ConflictError{Code: ConflictState, Message: "Two-factor sign-in is already on."}
		} else if err = notFound(err); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		stored, err := s.sealTOTP(key.Secret(), acc.ID)
		if err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&accountTOTP{AccountID: acc.ID, Secret: stored, CreatedAt: s.now()}).
			On("CONFLICT (account_id) DO UPDATE").Set("secret = EXCLUDED.secret, created_at = EXCLUDED.created_at, last_step = 0").Exec(ctx)
		return err
	})
	return key.Secret(), err
}

// EnableTOTP finishes enrolment with a code from the app: the factor is in
// force from now on, and the returned recovery codes are the only time they
// are shown (only their hashes are kept). The session holding current no
// longer counts as signed in with a password alone.
func (s *Store) EnableTOTP(ctx context.Context, acc *Account, current, code string) ([]string, error) {
	var codes []string
	err := s.tx(ctx, func(tx bun.Tx) error {
		var t accountTOTP
		if err := tx.NewSelect().Model(&t).Where("account_id = ?", acc.ID).Scan(ctx); err != nil {
			if errors.Is(notFound(err), ErrNotFound) {
				return &ConflictError{Code: ConflictState, Message: "Start again: scan a new QR code."}
			}
			return err
		}
		if t.EnabledAt != nil {
			return &ConflictError{Code: ConflictState, Message: "Two-factor sign-in is already on."}
		}
		secret, err := s.totpSecret(t)
		if err != nil {
			return err
		}
		step, ok := s.matchTOTP(secret, code, 0)
		if !ok {
			return &ValidationError{Fields: map[string]string{"code": "That code does not match. Check the time on your device and enter the current code."}}
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model((*accountTOTP)(nil)).Set("enabled_at = ?", now).Set("last_step = ?", step).
			Where("account_id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(ctx, tx, acc.ID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Session)(nil)).Set("password_only = ?", false).Where("id = ?", HashToken(current)).Exec(ctx); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, Actor{}, nil, "account.2fa_enabled", nil)
	})
	return codes, err
}

// newRecoveryCodes replaces an account's recovery codes with ten new ones.
func newRecoveryCodes(ctx context.Context, tx bun.Tx, accountID string) ([]string, error) {
	if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodeN)
	rows := make([]recoveryCode, recoveryCodeN)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for i := range codes {
		b := make([]byte, 7) // 56 bits: 11 characters, shown as two groups
		rand.Read(b)
		c := strings.ToLower(enc.EncodeToString(b))[:10]
		codes[i] = c[:5] + "-" + c[5:]
		rows[i] = recoveryCode{ID: newID(), AccountID: accountID, CodeHash: HashToken(c)}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return codes, err
}

// normalizeRecoveryCode drops what people add or mistype: spaces, dashes, case.
func normalizeRecoveryCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
}

// matchTOTP checks code against secret at the store's time, a step either
// side allowed, and only for steps after lastStep (a code is good once).
func (s *Store) matchTOTP(secret, code string, lastStep int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	now := s.now()
	base := now.Unix() / totpPeriod
	for d := int64(-totpSkewPeriods); d <= totpSkewPeriods; d++ {
		step := base + d
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// DisableTOTP turns the account's second factor off; the person confirms
// with their password.
func (s *Store) DisableTOTP(ctx context.Context, acc *Account, password string) error {
	if err := s.checkOwnPassword(ctx, acc.ID, password, "password", "That is not your password."); err != nil {
		return err
	}
	return s.tx(ctx, func(tx bun.Tx) error {
		// A workspace that requires two-factor keeps it on: sessions opened
		// with a code would otherwise go on without one.
		var requiring []string
		if err := tx.NewSelect().Model((*Workspace)(nil)).Column("w.name").
			Join("JOIN members AS m ON m.workspace_id = w.id").
			Where("m.account_id = ? AND m.status = ? AND w.require_2fa", acc.ID, StatusActive).Scan(ctx, &requiring); err != nil {
			return err
		}
		if len(requiring) > 0 {
			return &ConflictError{Code: ConflictState, Message: strings.Join(requiring, ", ") + " requires two-factor sign-in, so it stays on."}
		}
		n, err := clearTOTP(ctx, tx, acc.ID)
		if err != nil || n == 0 {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, Actor{}, nil, "account.2fa_disabled", nil)
	})
}

func clearTOTP(ctx context.Context, tx bun.Tx, accountID string) (int64, error) {
	res, err := tx.NewDelete().Model((*accountTOTP)(nil)).Where("account_id = ? AND enabled_at IS NOT NULL", accountID).Exec(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ResetTwoFactor is an admin's answer to a member who lost their device:
// the second factor and recovery codes are cleared, and the member's
// sessions end, so whoever holds them signs in again. The member can then
// sign in with their password and enrol again.
func (s *Store) ResetTwoFactor(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	var m *Member
	err := s.tx(ctx, func(tx bun.Tx) error {
		var acc *Account
		var err error
		if m, acc, err = s.memberAccount(ctx, tx, actor, ws, memberID, "reset their two-factor sign-in"); err != nil {
			return err
		}
		// The factor guards the account in every workspace it is in: one
		// workspace's admin must not lift it for the others, where two-
		// factor may be required. Then only the person (a recovery code)
		// or the operator (muster reset-password) can.
		others, err := tx.NewSelect().Model((*Member)(nil)).
			Where("account_id = ? AND workspace_id <> ? AND status = ?", acc.ID, ws.ID, StatusActive).Count(ctx)
		if err != nil {
			return err
		}
		if others > 0 {
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName + " also belongs to other workspaces, " +
				"so their two-factor sign-in cannot be reset from here: they can sign in with one of their recovery codes."}
		}
		n, err := clearTOTP(ctx, tx, acc.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName + " has no two-factor sign-in to reset."}
		}
		if _, err := endSessions(ctx, tx, acc.ID, ""); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, actor, ws, "account.2fa_reset", nil)
	})
	return m, err
}

// HasTwoFactor tells whether accountID must give a code after its password.
func (s *Store) HasTwoFactor(ctx context.Context, accountID string) (bool, error) {
	return s.rdb.NewSelect().Model((*accountTOTP)(nil)).Where("account_id = ? AND enabled_at IS NOT NULL", accountID).Exists(ctx)
}

// StartSecondStep follows a right password for an account with a second
// factor: no session yet, but a short-lived challenge whose token the
// browser keeps until it sends the code.
func (s *Store) StartSecondStep(ctx context.Context, accountID string) (string, error) {
	token := NewToken()
	now := s.now()
	_, err := s.db.NewInsert().Model(&signinChallenge{ID: HashToken(token), AccountID: accountID, ExpiresAt: now.Add(challengeTTL), CreatedAt: now}).Exec(ctx)
	return token, err
}

// SecondStepAccount tells whose challenge token is, while it is live.
func (s *Store) SecondStepAccount(ctx context.Context, token string) (*Account, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNotFound
	}
	var ch signinChallenge
	if err := s.rdb.NewSelect().Model(&ch).Where("id = ? AND expires_at > ? AND attempts < ?", HashToken(token), s.now(), challengeTries).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return s.AccountByID(ctx, ch.AccountID)
}

// CompleteSecondStep checks the code (from the app, or a recovery code)
// for a challenge and, when it is right, ends the challenge and opens the
// session, whose token it returns. A challenge allows five tries; after
// that, or after five minutes, it is ErrNotFound and the person starts
// again with their password (which the sign-in throttle counts).
func (s *Store) CompleteSecondStep(ctx context.Context, token, code, ip, userAgent string) (string, *Account, error) {
	var acc Account
	var usedRecovery bool
	// Both limits are taken before the code is looked at, each in one
	// statement, so concurrent guesses (on any database, from any number
	// of replicas) cannot outrun them: a try of this challenge, and a try
	// of this account's codes.
	var accountID string
	err := s.db.NewRaw(`UPDATE signin_challenges SET attempts = attempts + 1 WHERE id = ? AND expires_at > ? AND attempts < ? RETURNING account_id`,
		HashToken(token), s.now(), challengeTries).Scan(ctx, &accountID)
	if err != nil {
		return "", nil, notFound(err)
	}
	n, start, err := s.bumpCount(ctx, s.db, "code:"+accountID, wrongCodeWindow)
	if err != nil {
		return "", nil, err
	}
	if n > wrongCodesPerAccount {
		return "", nil, &RateLimitedError{RetryAfter: start.Add(wrongCodeWindow).Sub(s.now())}
	}
	err = s.tx(ctx, func(tx bun.Tx) error {
		var t accountTOTP
		if err := tx.NewSelect().Model(&t).Where("account_id = ? AND enabled_at IS NOT NULL", accountID).Scan(ctx); err != nil {
			return notFound(err)
		}
		secret, err := s.totpSecret(t)
		if err != nil {
			return err
		}
		if step, ok := s.matchTOTP(secret, code, t.LastStep); ok {
			// Only forward: a code used by a request that won the race
			// (or any earlier one) is not good twice.
			res, err := tx.NewUpdate().Model((*accountTOTP)(nil)).Set("last_step = ?", step).
				Where("account_id = ? AND last_step < ?", accountID, step).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrInvalidCode
			}
		} else {
			res, err := tx.NewUpdate().Model((*recoveryCode)(nil)).Set("used_at = ?", s.now()).
				Where("account_id = ? AND code_hash = ? AND used_at IS NULL", accountID, HashToken(normalizeRecoveryCode(code))).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrInvalidCode
			}
			usedRecovery = true
		}
		if err := tx.NewSelect().Model(&acc).Where("id = ?", accountID).Scan(ctx); err != nil {
			return notFound(err)
		}
		if _, err := tx.NewDelete().Model((*signinChallenge)(nil)).Where("id = ?", HashToken(token)).Exec(ctx); err != nil {
			return err
		}
		// A right code does not count against the account.
		if _, err := tx.NewUpdate().TableExpr("request_counts").Set("count = count - 1").Where("key = ? AND count > 0", "code:"+accountID).Exec(ctx); err != nil {
			return err
		}
		if usedRecovery {
			return s.auditAccount(ctx, tx, acc.ID, Actor{}, nil, "account.recovery_code_used", nil)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	if _, err := s.db.NewUpdate().Model((*Account)(nil)).Set("last_login_at = ?", now).Where("id = ?", acc.ID).Exec(ctx); err != nil {
		return "", nil, err
	}
	sess, err := s.CreateSession(ctx, acc.ID, ip, userAgent)
	return sess, &acc, err
}

// MarkPasswordOnly notes that the session holding token was opened with a
// password alone, so workspaces that require two-factor send it to enrol.
func (s *Store) MarkPasswordOnly(ctx context.Context, token string) error {
	_, err := s.db.NewUpdate().Model((*Session)(nil)).Set("password_only = ?", true).Where("id = ?", HashToken(token)).Exec(ctx)
	return err
}

// MustEnrol tells whether the session holding token must enrol a second
// factor before it may use workspace wsID: the workspace requires
// two-factor, the session was opened with a password alone, and the account
// still has no second factor (one enrolled in another browser lets this
// session through too: it was signed in before).
func (s *Store) MustEnrol(ctx context.Context, token, wsID string) (bool, error) {
	return s.rdb.NewSelect().TableExpr("sessions AS s").Join("JOIN workspaces AS w ON w.id = ?", wsID).
		Where("s.id = ? AND s.password_only AND w.require_2fa", HashToken(token)).
		Where("NOT EXISTS (SELECT 1 FROM account_totp AS t WHERE t.account_id = s.account_id AND t.enabled_at IS NOT NULL)").
		Exists(ctx)
}

// RequiresTwoFactor reads a workspace's "require two-factor" setting.
func (s *Store) RequiresTwoFactor(ctx context.Context, wsID string) (bool, error) {
	var on bool
	err := s.rdb.NewSelect().TableExpr("workspaces").Column("require_2fa").Where("id = ?", wsID).Scan(ctx, &on)
	return on, notFound(err)
}

// SetRequireTwoFactor changes whether members who sign in with a password
// must use a second factor in ws (single sign-on is left to the identity
// provider).
func (s *Store) SetRequireTwoFactor(ctx context.Context, actor Actor, ws *Workspace, on bool) error {
	return s.tx(ctx, func(tx bun.Tx) error {
		var before bool
		if err := tx.NewSelect().TableExpr("workspaces").Column("require_2fa").Where("id = ?", ws.ID).Scan(ctx, &before); err != nil {
			return notFound(err)
		}
		if before == on {
			return nil
		}
		if _, err := tx.NewUpdate().TableExpr("workspaces").Set("require_2fa = ?", on).Set("updated_at = ?", s.now()).Where("id = ?", ws.ID).Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "workspace.updated", "workspace", ws.ID, ws.Name, map[string]Change{"require_2fa": {before, on}})
	})
}

// sealTOTP is how a TOTP secret is stored: sealed when the store has a key.
func (s *Store) sealTOTP(secret, accountID string) (string, error) {
	if len(s.SecretKey) == 0 {
		return secret, nil
	}
	return s.seal(secret, "totp:"+accountID)
}

// totpSecret is t's secret, opened if it was sealed.
func (s *Store) totpSecret(t accountTOTP) (string, error) {
	if strings.HasPrefix(t.Secret, "v1:") {
		return s.open(t.Secret, "totp:"+t.AccountID)
	}
	return t.Secret, nil
}
