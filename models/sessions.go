package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Sessions last two weeks from their last use, and 30 days at most.
const (
	sessionIdle    = 14 * 24 * time.Hour
	sessionMaxAge  = 30 * 24 * time.Hour
	sessionRefresh = 5 * time.Minute
)

// Why a session ended before its time, as SessionEndedReason tells.
const (
	SessionDeactivated = "deactivated" // an admin or the identity provider turned the access off
	SessionRemoved     = "removed"     // an admin removed the member from the workspace
	sessionEndedKey    = "session-ended:"
)

// SessionEndedReason tells why the session of token was ended by someone
// else (SessionDeactivated or SessionRemoved), or "" when it was not, so
// that the person is told why they were signed out.
func (s *Store) SessionEndedReason(ctx context.Context, token string) string {
	if token == "" || len(token) > 100 {
		return ""
	}
	v, _ := s.KV(sessionEndedKey).Get(HashToken(token))
	return string(v)
}

// NewToken returns 32 random bytes, URL-safe; only its hash is ever stored.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how tokens are looked up: SHA-256, hex.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession signs an account in and returns the cookie's token.
func (s *Store) CreateSession(ctx context.Context, accountID, ip, userAgent string) (string, error) {
	token := NewToken()
	now := s.now()
	userAgent, ip = truncate(userAgent, 300), truncate(ip, 64)
	sess := &Session{ID: HashToken(token), AccountID: accountID, IP: ip, UserAgent: userAgent,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(sessionIdle)}
	_, err := s.db.NewInsert().Model(sess).Exec(ctx)
	return token, err
}

// SessionAccount returns the account behind a session token, sliding the
// session's expiry forward at most every few minutes (not on every request).
// An unknown, tampered or expired token is ErrNotFound.
func (s *Store) SessionAccount(ctx context.Context, token string) (*Account, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNotFound
	}
	// The session and its account in one prepared statement: this runs on
	// every page view.
	var rows []sessionAccount
	if err := s.queryPrepared(ctx, &rows, "SELECT s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, "+
		"s.expires_at AS s_expires_at, a.id, a.email, a.name, a.password_hash, a.created_at, a.last_login_at "+
		"FROM sessions AS s JOIN accounts AS a ON a.id = s.account_id WHERE s.id = ?", HashToken(token)); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	r := rows[0]
	sess := Session{ID: HashToken(token), AccountID: r.ID, CreatedAt: r.SCreatedAt, LastSeenAt: r.SLastSeenAt, ExpiresAt: r.SExpiresAt}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.CreatedAt.Add(sessionMaxAge)) {
		_, _ = s.db.NewDelete().Model(&sess).WherePK().Exec(ctx)
		return nil, ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) > sessionRefresh {
		expires := now.Add(sessionIdle)
		if _, err := s.db.NewUpdate().Model(&sess).Set("last_seen_at = ?", now).Set("expires_at = ?", expires).WherePK().Exec(ctx); err != nil {
			return nil, err
		}
	}
	acc := Account{ID: r.ID, Email: r.Email, Name: r.Name, PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt}
	return &acc, nil
}

// sessionAccount is a row of SessionAccount's query.
type sessionAccount struct {
	SCreatedAt   time.Time  `bun:"s_created_at"`
	SLastSeenAt  time.Time  `bun:"s_last_seen_at"`
	SExpiresAt   time.Time  `bun:"s_expires_at"`
	ID           string     `bun:"id"`
	Email        string     `bun:"email"`
	Name         string     `bun:"name"`
	PasswordHash string     `bun:"password_hash"`
	CreatedAt    time.Time  `bun:"created_at"`
	LastLoginAt  *time.Time `bun:"last_login_at"`
}

// DeleteSession signs one browser out.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.NewDelete().Model((*Session)(nil)).Where("id = ?", HashToken(token)).Exec(ctx)
	return err
}
