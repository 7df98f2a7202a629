package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"
)

// PasswordParams are the argon2id costs for new hashes. Tests lower them;
// existing hashes carry their own parameters and keep verifying.
var PasswordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// MinPasswordLength follows NIST SP 800-63B: length matters, composition rules do not.
const MinPasswordLength = 10

func checkPassword(v validator, field, pw string) {
	switch {
	case len(pw) < MinPasswordLength:
		v.add(field, "Use at least 10 characters.")
	case len(pw) > 256:
		v.add(field, "Use at most 256 characters.")
	}
}

func hashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, PasswordParams) }

// dummyHash is compared against when an email is unknown, so a wrong email
// costs as much time as a wrong password and timing does not reveal accounts.
var dummyHash, _ = argon2id.CreateHash("muster-dummy-password", PasswordParams)

// Sign-in throttling, kept in the database so it holds across replicas.
const (
	loginWindow        = 15 * time.Minute
	maxFailuresPerUser = 5
	maxFailuresPerIP   = 30
)

// Authenticate checks an email and password. Failures are counted per
// account and per client address; past the limit it answers
// *RateLimitedError without checking the password at all.
func (s *Store) Authenticate(ctx context.Context, email, password, ip string) (*Account, error) {
	// No account has an address that is not UTF-8; as U+FFFD it can still
	// be looked up and counted (PostgreSQL refuses invalid bytes).
	email = NormalizeEmail(strings.ToValidUTF8(email, "\uFFFD"))
	keys := map[string]int{"email:" + truncate(email, 254): maxFailuresPerUser, "ip:" + truncate(ip, 64): maxFailuresPerIP}
	for key, limit := range keys {
		if wait := s.lockedOut(ctx, key, limit); wait > 0 {
			return nil, &RateLimitedError{RetryAfter: wait}
		}
	}
	var acc Account
	err := s.db.NewSelect().Model(&acc).Where("email = ?", email).Scan(ctx)
	hash := acc.PasswordHash
	if err != nil {
		if err = notFound(err); !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		hash = dummyHash
	}
	ok, cerr := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil || cerr != nil || !ok {
		for key := range keys {
			if ferr := s.recordFailure(ctx, key); ferr != nil {
				return nil, ferr
			}
		}
		return nil, ErrInvalidCredentials
	}
	now := s.now()
	if _, err := s.db.NewUpdate().Model((*Account)(nil)).Set("last_login_at = ?", now).Where("id = ?", acc.ID).Exec(ctx); err != nil {
		return nil, err
	}
	acc.LastLoginAt = &now
	_, err = s.db.NewDelete().Model((*loginAttempt)(nil)).Where("key = ?", "email:"+email).Exec(ctx)
	return &acc, err
}

// lockedOut returns how long key must still wait, or 0.
func (s *Store) lockedOut(ctx context.Context, key string, limit int) time.Duration {
	var a loginAttempt
	if err := s.db.NewSelect().Model(&a).Where("key = ?", key).Scan(ctx); err != nil {
		return 0
	}
	end := a.WindowStart.Add(loginWindow)
	if a.Failures < limit || !s.now().Before(end) {
		return 0
	}
	return end.Sub(s.now())
}

func (s *Store) recordFailure(ctx context.Context, key string) error {
	now := s.now()
	return s.tx(ctx, func(tx bun.Tx) error {
		var a loginAttempt
		err := tx.NewSelect().Model(&a).Where("key = ?", key).Scan(ctx)
		if err = notFound(err); errors.Is(err, ErrNotFound) {
			_, err = tx.NewInsert().Model(&loginAttempt{Key: key, Failures: 1, WindowStart: now}).
				On("CONFLICT (key) DO UPDATE").Set("failures = EXCLUDED.failures, window_start = EXCLUDED.window_start").Exec(ctx)
			return err
		} else if err != nil {
			return err
		}
		if !now.Before(a.WindowStart.Add(loginWindow)) {
			a.Failures, a.WindowStart = 0, now
		}
		a.Failures++
		_, err = tx.NewUpdate().Model(&a).WherePK().Exec(ctx)
		return err
	})
}

// CreateAccount adds a person who can sign in. Accepting an invitation
// creates accounts this way; Setup creates the first one.
func (s *Store) CreateAccount(ctx context.Context, name, email, password string) (*Account, error) {
	acc, err := s.newAccount(validator{}, name, email, password)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx bun.Tx) error {
		if n, err := tx.NewSelect().Model((*Account)(nil)).Where("email = ?", acc.Email).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return &ConflictError{Field: "email", Message: "An account with this email already exists. Sign in instead."}
		}
		_, err := tx.NewInsert().Model(acc).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// newAccount validates a new account's fields (adding to v, which may hold
// errors of other fields already) and hashes its password.
func (s *Store) newAccount(v validator, name, email, password string) (*Account, error) {
	name, email = cleanName(name), NormalizeEmail(email)
	checkName(v, "name", name, "your name", 200)
	if msg := checkEmail(email); msg != "" {
		v.add("email", msg)
	}
	checkPassword(v, "password", password)
	if err := v.err(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	return &Account{ID: newID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: s.now()}, nil
}

// AccountCount tells whether Muster has been set up yet.
func (s *Store) AccountCount(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*Account)(nil)).Count(ctx)
	return int(n), err
}

// AccountByID loads one account.
func (s *Store) AccountByID(ctx context.Context, id string) (*Account, error) {
	var acc Account
	if err := s.db.NewSelect().Model(&acc).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &acc, nil
}
