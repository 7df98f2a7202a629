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
	var sess Session
	if err := s.rdb.NewSelect().Model(&sess).Where("id = ?", HashToken(token)).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
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
	return s.AccountByID(ctx, sess.AccountID)
}

// DeleteSession signs one browser out.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.NewDelete().Model((*Session)(nil)).Where("id = ?", HashToken(token)).Exec(ctx)
	return err
}
