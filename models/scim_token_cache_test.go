package models_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// tokenOwnedByGrace makes Grace an active Admin and a token she owns.
func tokenOwnedByGrace(t *testing.T, f *inviteFixture) (token string, grace *models.Member) {
	t.Helper()
	m, link := f.invite(t, "Grace", "grace@example.com", "Admin")
	acc, _, err := f.s.AcceptInvite(f.ctx, link, models.AcceptInput{Name: "Grace", Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	grace, perms, err := f.s.Membership(f.ctx, f.ws.ID, acc.ID)
	if err != nil || grace.ID != m.ID {
		t.Fatal(err)
	}
	token, _, err = f.s.CreateSCIMToken(f.ctx, models.MemberActor(grace).WithPerms(perms), f.ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	return token, grace
}

func refused(err error) bool {
	var r *models.TokenRefusedError
	return errors.As(err, &r)
}

// TestSCIMTokenCacheAcrossReplicas: a token is served from memory (a
// revoke written behind the store's back goes unseen until the bound); a
// revoke through a store refuses the token there at once and on another
// replica once DefaultTokenCacheTTL has passed.
func TestSCIMTokenCacheAcrossReplicas(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		b := modelstest.Replica(t, s)
		token, _, err := s.CreateSCIMToken(f.ctx, f.actor, f.ws, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []*models.Store{s, b} {
			if _, ws, err := st.AuthenticateSCIM(f.ctx, token); err != nil || ws.ID != f.ws.ID {
				t.Fatalf("authenticate: %v", err)
			}
		}
		// No lookup while cached: a revoke the stores do not know of is
		// not seen before the bound, and is after it.
		if _, err := s.DB().ExecContext(f.ctx, "UPDATE scim_tokens SET revoked_at = ?", f.clock.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.AuthenticateSCIM(f.ctx, token); err != nil {
			t.Fatalf("cached token looked up again: %v", err)
		}
		f.clock.Add(models.DefaultTokenCacheTTL)
		if _, _, err := b.AuthenticateSCIM(f.ctx, token); !refused(err) {
			t.Fatalf("after the bound: %v, want refused", err)
		}

		// A revoke through the store: at once there, within the bound on
		// the other replica, under 100 concurrent requests.
		token2, tok2, err := s.CreateSCIMToken(f.ctx, f.actor, f.ws, "Entra")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []*models.Store{s, b} {
			if _, _, err := st.AuthenticateSCIM(f.ctx, token2); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _ = []*models.Store{s, b}[i%2].AuthenticateSCIM(f.ctx, token2)
			}()
		}
		if _, err := s.RevokeSCIMToken(f.ctx, f.actor, f.ws, tok2.ID); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if _, _, err := s.AuthenticateSCIM(f.ctx, token2); !refused(err) {
			t.Fatalf("same replica after revoke: %v, want refused", err)
		}
		f.clock.Add(models.DefaultTokenCacheTTL)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := []*models.Store{s, b}[i%2].AuthenticateSCIM(f.ctx, token2); !refused(err) {
					t.Errorf("replica %d after the bound: %v, want refused", i%2, err)
				}
			}()
		}
		wg.Wait()
	})
}

// TestSCIMTokenCacheOwnerChanges: deactivating a token's owner, or taking
// a permission from them, applies to the token's next request on the same
// store, cached or not.
func TestSCIMTokenCacheOwnerChanges(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		token, grace := tokenOwnedByGrace(t, f)
		tok, _, err := s.AuthenticateSCIM(f.ctx, token)
		if err != nil || !tok.OwnerPerms.Has(models.PermRemoveMembers) {
			t.Fatalf("authenticate: %v %v", err, tok)
		}
		// Member, not Admin: the token loses "remove members" at once.
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, grace.ID, models.UpdateInput{RoleIDs: []string{f.roles["Member"].ID}, RolesOnly: true}); err != nil {
			t.Fatal(err)
		}
		if tok, _, err = s.AuthenticateSCIM(f.ctx, token); err != nil || tok.OwnerPerms.Has(models.PermRemoveMembers) {
			t.Fatalf("after the role change: %v, perms %v", err, tok.OwnerPerms)
		}
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateSCIM(f.ctx, token); !refused(err) {
			t.Fatalf("owner deactivated: %v, want refused", err)
		}
	})
}

// TestSCIMTokenLastUsedAtMostOnceAMinute: requests note the token's use
// at most once a minute per replica, however many there are, so reads do
// not become writes.
func TestSCIMTokenLastUsedAtMostOnceAMinute(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		b := modelstest.Replica(t, s)
		token, tok, err := s.CreateSCIMToken(f.ctx, f.actor, f.ws, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		lastUsed := func() time.Time {
			t.Helper()
			var got models.SCIMToken
			if err := s.DB().NewSelect().Model(&got).Where("id = ?", tok.ID).Scan(f.ctx); err != nil || got.LastUsedAt == nil {
				t.Fatalf("last used: %v %v", err, got.LastUsedAt)
			}
			return got.LastUsedAt.UTC()
		}
		first := f.clock.Now().UTC().Truncate(time.Microsecond)
		if _, _, err := s.AuthenticateSCIM(f.ctx, token); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last used %v, want %v", got, first)
		}
		// 55 s of requests on both replicas, past many cache bounds: no write.
		for range 5 {
			f.clock.Add(11 * time.Second)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, _, err := []*models.Store{s, b}[i%2].AuthenticateSCIM(f.ctx, token); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if got := lastUsed(); !got.Equal(first) {
				t.Fatalf("at +%v: last used moved to %v", f.clock.Now().Sub(first), got)
			}
		}
		f.clock.Add(5 * time.Second)
		if _, _, err := b.AuthenticateSCIM(f.ctx, token); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.After(first) {
			t.Fatalf("a minute on: last used %v, want later than %v", got, first)
		}
	})
}
