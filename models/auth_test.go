package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func TestAuthenticate(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := modelstest.SetUp(t, s)
		got, err := s.Authenticate(ctx, "  ADA@example.com", modelstest.AdminPassword, "10.0.0.1")
		if err != nil || got.ID != acc.ID || got.LastLoginAt == nil {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", "wrong password!", "10.0.0.1"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Errorf("wrong password: %v", err)
		}
		// An unknown email gets exactly the same answer.
		if _, err := s.Authenticate(ctx, "nobody@example.com", "wrong password!", "10.0.0.1"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Errorf("unknown email: %v", err)
		}
	})
}

func TestSignInThrottling(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		for i := 0; i < 5; i++ {
			if _, err := s.Authenticate(ctx, "ada@example.com", "guess", "10.0.0.2"); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// Locked out now, even with the right password.
		_, err := s.Authenticate(ctx, "ada@example.com", modelstest.AdminPassword, "10.0.0.3")
		var rl *models.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > 15*time.Minute {
			t.Fatalf("sixth attempt: %v, want RateLimitedError", err)
		}
		// Another account from another address is not affected.
		if _, err := s.Authenticate(ctx, "someone@example.com", "guess", "10.0.0.4"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Errorf("other account: %v", err)
		}
		// After the window the right password works again.
		clock.Add(16 * time.Minute)
		if _, err := s.Authenticate(ctx, "ada@example.com", modelstest.AdminPassword, "10.0.0.3"); err != nil {
			t.Errorf("after the window: %v", err)
		}

		// Per address: many accounts guessed from one address.
		for i := 0; i < 30; i++ {
			_, _ = s.Authenticate(ctx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com", "guess", "10.9.9.9")
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", modelstest.AdminPassword, "10.9.9.9"); !errors.As(err, &rl) {
			t.Errorf("address over its limit: %v, want RateLimitedError", err)
		}
	})
}

func TestSessions(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		token, err := s.CreateSession(ctx, acc.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.SessionAccount(ctx, token); err != nil || got.ID != acc.ID {
			t.Fatalf("SessionAccount = %v, %v", got, err)
		}
		if _, err := s.SessionAccount(ctx, token+"x"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("tampered token: %v", err)
		}
		// Used within two weeks, the session slides on.
		clock.Add(10 * 24 * time.Hour)
		if _, err := s.SessionAccount(ctx, token); err != nil {
			t.Errorf("after 10 days of use: %v", err)
		}
		clock.Add(15 * 24 * time.Hour)
		if _, err := s.SessionAccount(ctx, token); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("after 15 idle days: %v, want ErrNotFound", err)
		}
		token2, _ := s.CreateSession(ctx, acc.ID, "127.0.0.1", "test")
		if err := s.DeleteSession(ctx, token2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionAccount(ctx, token2); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("signed-out session: %v", err)
		}
	})
}

func TestKVStorage(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		clock := modelstest.FakeClock(s)
		kv := s.KV("csrf:")
		if v, err := kv.Get("missing"); v != nil || err != nil {
			t.Errorf("missing key: %q %v", v, err)
		}
		if err := kv.Set("a", []byte{0, 1, 2, 255}, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := kv.Set("a", []byte("again"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if v, err := kv.Get("a"); string(v) != "again" || err != nil {
			t.Errorf("Get = %q %v", v, err)
		}
		if v, _ := s.KV("other:").Get("a"); v != nil {
			t.Error("prefixes are not separate")
		}
		// Setting the same value again within half its lifetime keeps the
		// expiry (no write); past that, it is pushed forward.
		clock.Add(20 * time.Minute)
		if err := kv.Set("a", []byte("again"), time.Hour); err != nil {
			t.Fatal(err)
		}
		clock.Add(45 * time.Minute)
		if v, _ := kv.Get("a"); v != nil {
			t.Error("an early refresh moved the expiry")
		}
		if err := kv.Set("a", []byte("again"), time.Hour); err != nil {
			t.Fatal(err)
		}
		clock.Add(35 * time.Minute)
		if err := kv.Set("a", []byte("again"), time.Hour); err != nil {
			t.Fatal(err)
		}
		clock.Add(40 * time.Minute)
		if v, _ := kv.Get("a"); string(v) != "again" {
			t.Errorf("a refresh past half the lifetime did not extend it: %q", v)
		}
		clock.Add(2 * time.Hour)
		if v, _ := kv.Get("a"); v != nil {
			t.Error("expired value returned")
		}
		if err := s.PurgeExpired(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
