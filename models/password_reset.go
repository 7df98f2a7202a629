package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Password reset: a link by email that works once, for an hour. Asking for
// one never tells whether the email has an account, and asking is limited
// per email and per client address, so the form can neither probe
// accounts nor flood someone's inbox.

const (
	// PasswordResetTTL is how long a reset link works.
	PasswordResetTTL = time.Hour
	resetWindow      = time.Hour
	// ResetsPerEmail and ResetsPerAddress bound "forgot password" requests
	// per hour, whether or not the email has an account.
	ResetsPerEmail   = 3
	ResetsPerAddress = 20
)

// KindPasswordReset is the outbox kind of password reset emails.
const KindPasswordReset = "password_reset"

type passwordReset struct {
	bun.BaseModel `bun:"table:password_resets,alias:pr"`

	ID          string     `bun:"id,pk"`
	AccountID   string     `bun:"account_id"`
	TokenHash   string     `bun:"token_hash"`
	ExpiresAt   time.Time  `bun:"expires_at"`
	UsedAt      *time.Time `bun:"used_at"`
	RequestedBy string     `bun:"requested_by"`
	CreatedAt   time.Time  `bun:"created_at"`
}

// PasswordResetPayload is what a reset email says; the outbox keeps it as
// JSON until the email is sent.
type PasswordResetPayload struct {
	Token       string    `json:"token"`
	Name        string    `json:"name"`
	RequestedBy string    `json:"requested_by"` // an admin's name, or "" when the person asked
	ExpiresAt   time.Time `json:"expires_at"`
}

// RequestPasswordReset is the "forgot password" form: when email has an
// account, a reset link is emailed to it. The answer is the same whether
// or not it has one; only a malformed email or a limit reached is an error.
func (s *Store) RequestPasswordReset(ctx context.Context, email, ip string) error {
	email = NormalizeEmail(strings.ToValidUTF8(email, "\uFFFD"))
	if msg := checkEmail(email); msg != "" {
		return &ValidationError{Fields: map[string]string{"email": msg}}
	}
	return s.tx(ctx, func(tx bun.Tx) error {
		// Counted first, for known and unknown emails alike.
		for _, k := range []struct {
			key   string
			limit int
			what  string
		}{
			{"email:" + truncate(email, 254), ResetsPerEmail, "Too many reset links were asked for this email."},
			{"ip:" + truncate(ip, 64), ResetsPerAddress, "Too many reset links were asked from your network."},
		} {
			if err := s.countResetRequest(ctx, tx, k.key, k.limit, k.what); err != nil {
				return err
			}
		}
		acc, err := accountByEmail(ctx, tx, email)
		if err == ErrNotFound {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := s.issueReset(ctx, tx, acc, "", true); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, Actor{Kind: "system", Name: "Password reset form"}, nil,
			"account.password_reset_requested", map[string]Change{"address": {nil, truncate(ip, 64)}})
	})
}

// countResetRequest counts one request under key and refuses it past limit.
func (s *Store) countResetRequest(ctx context.Context, tx bun.Tx, key string, limit int, what string) error {
	n, start, err := s.bumpCount(ctx, tx, key, resetWindow)
	if err != nil {
		return err
	}
	if n > limit {
		return &RateLimitedError{RetryAfter: start.Add(resetWindow).Sub(s.now()), What: what}
	}
	return nil
}

// bumpCount adds one to key's counter, starting a new window when the last
// one is over, and returns the count and when its window started. One
// upsert reads and bumps the counter: on PostgreSQL the row lock of ON
// CONFLICT orders concurrent requests, on SQLite the single writer does,
// so no two requests see the same count.
func (s *Store) bumpCount(ctx context.Context, db bun.IDB, key string, window time.Duration) (int, time.Time, error) {
	now := s.now()
	old := now.Add(-window)
	var row struct {
		Count       int       `bun:"count"`
		WindowStart time.Time `bun:"window_start"`
	}
	err := db.NewRaw(`INSERT INTO request_counts (key, count, window_start) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN request_counts.window_start <= ? THEN 1 ELSE request_counts.count + 1 END,
  window_start = CASE WHEN request_counts.window_start <= ? THEN EXCLUDED.window_start ELSE request_counts.window_start END
RETURNING count, window_start`, key, now, old, old).Scan(ctx, &row)
	return row.Count, row.WindowStart, err
}

// countOf reads key's counter in its current window (0 when over).
func (s *Store) countOf(ctx context.Context, db bun.IDB, key string, window time.Duration) (int, time.Time) {
	var row struct {
		Count       int       `bun:"count"`
		WindowStart time.Time `bun:"window_start"`
	}
	if err := db.NewSelect().TableExpr("request_counts").Column("count", "window_start").Where("key = ? AND window_start > ?", key, s.now().Add(-window)).Scan(ctx, &row); err != nil {
		return 0, time.Time{}
	}
	return row.Count, row.WindowStart
}

// issueReset writes a new reset link for acc and, when email is set, queues
// the email that carries it. by names an admin who sent it ("" for the
// person themselves).
func (s *Store) issueReset(ctx context.Context, tx bun.Tx, acc *Account, by string, email bool) (string, error) {
	now := s.now()
	token := NewToken()
	pr := &passwordReset{ID: newID(), AccountID: acc.ID, TokenHash: HashToken(token), ExpiresAt: now.Add(PasswordResetTTL),
		RequestedBy: truncate(by, 200), CreatedAt: now}
	if _, err := tx.NewInsert().Model(pr).Exec(ctx); err != nil {
		return "", err
	}
	if !email {
		return token, nil
	}
	payload, err := json.Marshal(PasswordResetPayload{Token: token, Name: acc.Name, RequestedBy: by, ExpiresAt: pr.ExpiresAt})
	if err != nil {
		return "", err
	}
	msg := &OutboxMessage{ID: newID(), Kind: KindPasswordReset, ToAddr: acc.Email, ToName: acc.Name,
		Payload: string(payload), NextAttemptAt: now, CreatedAt: now}
	_, err = tx.NewInsert().Model(msg).Exec(ctx)
	return token, err
}

// SendPasswordReset is an admin's "Send password reset link" on a member:
// the link goes to the member's account email.
func (s *Store) SendPasswordReset(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	var m *Member
	err := s.tx(ctx, func(tx bun.Tx) error {
		var acc *Account
		var err error
		if m, acc, err = s.memberAccount(ctx, tx, actor, ws, memberID, "send a password reset link"); err != nil {
			return err
		}
		if _, err := s.issueReset(ctx, tx, acc, actor.Name, true); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, actor, ws, "account.password_reset_sent", nil)
	})
	return m, err
}

// CreatePasswordResetLink makes a reset link for the account with email
// without sending it: `muster reset-password` prints it for an admin who is
// locked out and has no working email.
func (s *Store) CreatePasswordResetLink(ctx context.Context, email string) (string, *Account, error) {
	var token string
	var acc *Account
	err := s.tx(ctx, func(tx bun.Tx) error {
		var err error
		if acc, err = accountByEmail(ctx, tx, email); err != nil {
			return fmt.Errorf("no account has the email %q", NormalizeEmail(email))
		}
		if token, err = s.issueReset(ctx, tx, acc, "muster reset-password", false); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, Actor{Kind: "system", Name: "muster reset-password"}, nil, "account.password_reset_link_created", nil)
	})
	return token, acc, err
}

// PasswordResetAccount tells whose link token is, when it still works
// (unused, unexpired): the form's GET, which changes nothing.
func (s *Store) PasswordResetAccount(ctx context.Context, token string) (*Account, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNotFound
	}
	var pr passwordReset
	err := s.rdb.NewSelect().Model(&pr).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", HashToken(token), s.now()).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return s.AccountByID(ctx, pr.AccountID)
}

// ResetPassword uses a reset link: it sets the new password, ends every
// session of the account and every other reset link. A link works once,
// even when two requests use it at the same moment.
func (s *Store) ResetPassword(ctx context.Context, token, password, confirm string) (*Account, error) {
	v := validator{}
	checkPassword(v, "password", password)
	if password != confirm {
		v.add("confirm_password", "The two passwords differ.")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	var acc *Account
	err = s.tx(ctx, func(tx bun.Tx) error {
		var pr passwordReset
		// The UPDATE claims the link: of two concurrent uses, one changes
		// the row and the other finds nothing to change.
		err := tx.NewRaw("UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *",
			s.now(), HashToken(token), s.now()).Scan(ctx, &pr)
		if err != nil {
			return notFound(err)
		}
		var a Account
		if err := tx.NewSelect().Model(&a).Where("id = ?", pr.AccountID).Scan(ctx); err != nil {
			return notFound(err)
		}
		acc = &a
		return s.setPassword(ctx, tx, a.ID, hash, "", "account.password_reset")
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// PurgeResets deletes reset links and request counters that can no longer
// matter.
func (s *Store) PurgeResets(ctx context.Context) error {
	now := s.now()
	if _, err := s.db.NewDelete().Model((*passwordReset)(nil)).Where("expires_at < ?", now.Add(-24*time.Hour)).Exec(ctx); err != nil {
		return err
	}
	if _, err := s.db.NewDelete().TableExpr("request_counts").Where("window_start < ?", now.Add(-resetWindow)).Exec(ctx); err != nil {
		return err
	}
	_, err := s.db.NewDelete().Model((*signinChallenge)(nil)).Where("expires_at < ?", now).Exec(ctx)
	return err
}
