package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"
)

// PasswordParams are the argon2id costs for new hashes: OWASP's
// recommended minimum for argon2id (19 MiB, 2 passes, 1 lane; Password
// Storage Cheat Sheet). The earlier 64 MiB in 1 pass cost about as much
// time, but each sign-in took the server's peak memory up by some 100 MiB
// (the hash's block plus what the collector let pile up behind it), past
// the 150 MiB it otherwise stays under at 100,000 members. Tests lower
// them; existing hashes carry their own parameters and keep verifying.
var PasswordParams = defaultPasswordParams()

func defaultPasswordParams() *argon2id.Params {
	return &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

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

func hashPassword(pw string) (hash string, err error) {
	err = withHashSlot(context.Background(), func() (e error) { hash, e = argon2id.CreateHash(pw, PasswordParams); return e })
	return hash, err
}

// hashSlots bounds how many password hashes run at once. Each argon2id
// hash holds PasswordParams.Memory and keeps Parallelism cores busy, so
// more at once than the cores allow buys no speed, only memory: 30
// concurrent sign-ins once took the server to 1.95 GB.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/int(PasswordParams.Parallelism)))

// hashWaiting counts hashes waiting for a slot: a storm of sign-ins.
var hashWaiting atomic.Int32

// withHashSlot runs fn, a password hash, once a slot is free.
func withHashSlot(ctx context.Context, fn func() error) error {
	select {
	case hashSlots <- struct{}{}:
	default:
		hashWaiting.Add(1)
		select {
		case hashSlots <- struct{}{}:
			hashWaiting.Add(-1)
		case <-ctx.Done():
			hashWaiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-hashSlots }()
	err := fn()
	// A finished hash leaves its PasswordParams.Memory as garbage, and in
	// a storm the next hash takes as much again before the collector's
	// pacing comes round: 200 sign-ins at 64 MiB a hash took the process
	// 390 MiB above its start with two slots, and more on a busy machine.
	// Collecting before the slot is given back keeps it near the slots'
	// memory, for a few milliseconds of a hash's tens.
	if hashWaiting.Load() > 0 {
		runtime.GC()
	}
	return err
}

// dummyHash is compared against when an email is unknown, so a wrong email
// costs as much time as a wrong password and timing does not reveal
// accounts. It is written, not hashed: comparing costs what the
// parameters say whatever the stored key is, and hashing it when the
// package loaded held 64 MiB in every process from its start (the
// server's resident memory began at 79 MiB). A random key matches no
// password that could be typed; a match would still be refused.
func dummyHash() string {
	p := PasswordParams
	salt, key := make([]byte, p.SaltLength), make([]byte, p.KeyLength)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Sign-in throttling, kept in the database so it holds across replicas.
const (
	loginWindow        = 15 * time.Minute
	maxFailuresPerUser = 5
	maxFailuresPerIP   = 30
)

// Authenticate checks an email and password. Every attempt is counted per
// account and per client address before the password is checked, in one
// atomic statement, so concurrent guesses (from any number of replicas)
// cannot outrun the limit: past it the answer is *RateLimitedError and no
// password is hashed. A success takes its attempts back.
func (s *Store) Authenticate(ctx context.Context, email, password, ip string) (*Account, error) {
	// No account has an address that is not UTF-8 or holds a NUL; as
	// U+FFFD it can still be looked up and counted (PostgreSQL refuses
	// such bytes).
	email = NormalizeEmail(strings.ReplaceAll(strings.ToValidUTF8(email, "\uFFFD"), "\x00", "\uFFFD"))
	emailKey, ipKey := "email:"+truncate(email, 254), "ip:"+truncate(ip, 64)
	var wait time.Duration
	for key, limit := range map[string]int{emailKey: maxFailuresPerUser, ipKey: maxFailuresPerIP} {
		w, err := s.countAttempt(ctx, key, limit)
		if err != nil {
			return nil, err
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return nil, &RateLimitedError{RetryAfter: wait}
	}
	var acc Account
	err := s.rdb.NewSelect().Model(&acc).Where("email = ?", email).Scan(ctx)
	hash := acc.PasswordHash
	if err != nil {
		if err = notFound(err); !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		hash = dummyHash()
	}
	var ok bool
	if herr := withHashSlot(ctx, func() (e error) { ok, e = argon2id.ComparePasswordAndHash(password, hash); return e }); herr != nil && ctx.Err() != nil {
		return nil, herr
	}
	if err != nil || !ok {
		return nil, ErrInvalidCredentials
	}
	now := s.now()
	err = s.tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("last_login_at = ?", now).Where("id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*loginAttempt)(nil)).Where("key = ?", emailKey).Exec(ctx); err != nil {
			return err
		}
		// A shared office address is not held back by its people's
		// successful sign-ins.
		_, err := tx.NewUpdate().Model((*loginAttempt)(nil)).Set("failures = failures - 1").Where("key = ? AND failures > 0", ipKey).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	acc.LastLoginAt = &now
	return &acc, nil
}

// countAttempt counts one sign-in attempt against key, in one statement
// (a fresh window when the last one ended), and returns how long key must
// wait when the attempt is over limit, or 0 when it may be checked.
func (s *Store) countAttempt(ctx context.Context, key string, limit int) (time.Duration, error) {
	now := s.now()
	ended := now.Add(-loginWindow)
	var failures int
	var start time.Time
	err := s.db.NewRaw(`INSERT INTO login_attempts (key, failures, window_start) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_attempts.window_start <= ? THEN 1 ELSE login_attempts.failures + 1 END,
			window_start = CASE WHEN login_attempts.window_start <= ? THEN excluded.window_start ELSE login_attempts.window_start END
		RETURNING failures, window_start`, key, now, ended, ended).Scan(ctx, &failures, &start)
	if err != nil || failures <= limit {
		return 0, err
	}
	return start.Add(loginWindow).Sub(now), nil
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
	n, err := s.rdb.NewSelect().Model((*Account)(nil)).Count(ctx)
	return int(n), err
}

// AccountByID loads one account.
func (s *Store) AccountByID(ctx context.Context, id string) (*Account, error) {
	var acc Account
	if err := s.rdb.NewSelect().Model(&acc).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &acc, nil
}
