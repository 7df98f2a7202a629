package models

import (
	"context"
	"encoding/base64"
	"errors"
	"time"
)

// KV is a fiber.Storage kept in the database, so that middleware state (the
// CSRF tokens) is shared by every replica instead of living in one process.
type KV struct {
	store  *Store
	prefix string
}

// KV returns the store's key-value table seen through a key prefix.
func (s *Store) KV(prefix string) *KV { return &KV{store: s, prefix: prefix} }

// Get returns nil, nil for a missing or expired key, as fiber.Storage asks.
func (k *KV) Get(key string) ([]byte, error) {
	var e kvEntry
	err := k.store.db.NewSelect().Model(&e).Where("key = ?", k.prefix+key).Scan(context.Background())
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if e.ExpiresAt != nil && !k.store.now().Before(*e.ExpiresAt) {
		return nil, k.Delete(key)
	}
	return base64.StdEncoding.DecodeString(e.Value)
}

// Set stores val under key; exp 0 keeps it until deleted.
//
// The CSRF middleware calls Set on every request to push the token's expiry
// forward. Rewriting the same value each time would turn every page view
// into a database write, so an unchanged value is only rewritten once half
// of its lifetime has passed.
func (k *KV) Set(key string, val []byte, exp time.Duration) error {
	now := k.store.now()
	e := &kvEntry{Key: k.prefix + key, Value: base64.StdEncoding.EncodeToString(val)}
	refreshBefore := now.Add(100 * 365 * 24 * time.Hour)
	if exp > 0 {
		t := now.Add(exp)
		e.ExpiresAt = &t
		refreshBefore = now.Add(exp / 2)
	}
	_, err := k.store.db.NewInsert().Model(e).
		On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value, expires_at = EXCLUDED.expires_at").
		Where("kv.value <> EXCLUDED.value OR kv.expires_at IS NULL OR kv.expires_at < ?", refreshBefore).
		Exec(context.Background())
	return err
}

// Delete removes key.
func (k *KV) Delete(key string) error {
	_, err := k.store.db.NewDelete().Model((*kvEntry)(nil)).Where("key = ?", k.prefix+key).Exec(context.Background())
	return err
}

// Reset removes every key under the prefix, and every expired key.
func (k *KV) Reset() error {
	_, err := k.store.db.NewDelete().Model((*kvEntry)(nil)).
		Where("key LIKE ? OR expires_at < ?", k.prefix+"%", k.store.now()).Exec(context.Background())
	return err
}

// Close is a no-op: the database belongs to the store.
func (k *KV) Close() error { return nil }

// PurgeExpired deletes expired key-value entries, sessions and old sign-in
// failure counters; the server runs it now and then.
func (s *Store) PurgeExpired(ctx context.Context) error {
	now := s.now()
	if _, err := s.db.NewDelete().Model((*kvEntry)(nil)).Where("expires_at < ?", now).Exec(ctx); err != nil {
		return err
	}
	if _, err := s.db.NewDelete().Model((*Session)(nil)).Where("expires_at < ?", now).Exec(ctx); err != nil {
		return err
	}
	_, err := s.db.NewDelete().Model((*loginAttempt)(nil)).Where("window_start < ?", now.Add(-loginWindow)).Exec(ctx)
	return err
}
