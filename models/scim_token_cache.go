package models

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// An identity provider sends every request with the same bearer token, and
// finding what it reaches took three queries (the token, its workspace, its
// owner's status and roles). So a store keeps what it found, by the token's
// hash, and serves it again while both of these hold:
//
//   - No change that could refuse a token or narrow what it may do has been
//     made through this store since the entry was read. Such changes (a
//     revoke; a member deactivated, removed, reactivated or given other
//     roles; a role edited or deleted; the workspace edited) bump a
//     generation when their audit event is built, before their COMMIT, and
//     again once the transaction has ended: an entry read from the database
//     between the two bumps, while the change was not yet visible, is
//     dropped by the second. So on the replica that made the change it
//     takes effect on the next request.
//   - The entry is younger than Store.TokenCacheTTL (store clock). Another
//     replica's change reaches this one within that bound: replicas share
//     nothing but the database, and the bound costs one lookup per token per
//     TTL instead of a query per request to learn whether anything changed.
//
// Refusals and unknown tokens are not kept: they read the database each
// time, as before.

// DefaultTokenCacheTTL bounds how long a SCIM token another replica
// revoked (or whose owner it deactivated) keeps working here.
const DefaultTokenCacheTTL = time.Second

// tokenCacheMax bounds the entries kept; past it the cache starts over.
const tokenCacheMax = 10000

type tokenCache struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry // by token hash
	gen     atomic.Uint64
}

type tokenEntry struct {
	tok    SCIMToken
	ws     Workspace
	gen    uint64
	loaded time.Time
}

func (s *Store) tokenCacheTTL() time.Duration {
	if s.TokenCacheTTL == 0 {
		return DefaultTokenCacheTTL
	}
	return s.TokenCacheTTL
}

// cachedToken returns copies of a live entry's token and workspace.
func (c *tokenCache) get(hash string, now time.Time, ttl time.Duration) (*SCIMToken, *Workspace, *tokenEntry) {
	if ttl < 0 {
		return nil, nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[hash]
	if e == nil {
		return nil, nil, nil
	}
	if e.gen != c.gen.Load() || now.Before(e.loaded) || now.Sub(e.loaded) >= ttl {
		delete(c.entries, hash)
		return nil, nil, nil
	}
	t, ws := e.tok, e.ws
	return &t, &ws, e
}

// put keeps what a lookup that started at generation gen found.
func (c *tokenCache) put(hash string, gen uint64, now time.Time, t *SCIMToken, ws *Workspace) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() { // something changed while we read
		return
	}
	if c.entries == nil || len(c.entries) >= tokenCacheMax {
		c.entries = map[string]*tokenEntry{}
	}
	c.entries[hash] = &tokenEntry{tok: *t, ws: *ws, gen: gen, loaded: now}
}

// claimLastUsed tells whether this request should note the token's use
// (at most once per lastUsedPrecision), and marks it noted so that
// concurrent requests do not write too.
func (c *tokenCache) claimLastUsed(e *tokenEntry, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.tok.LastUsedAt != nil && now.Sub(*e.tok.LastUsedAt) < lastUsedPrecision {
		return false
	}
	e.tok.LastUsedAt = &now
	return true
}

// authChange drops every entry: called when an audit event is built for a
// change that may refuse a token or narrow it (see above).
func (c *tokenCache) authChange(action string, changes map[string]Change) {
	switch action {
	case "scim_token.revoked", "member.deactivated", "member.removed", "member.reactivated", "member.deactivation_undone",
		"role.updated", "role.deleted", "workspace.updated":
	case "member.updated":
		_, roles := changes["roles"]
		_, status := changes["status"]
		if !roles && !status {
			return
		}
	default:
		return
	}
	c.gen.Add(1)
}

// settle bumps the generation again if it moved since start (gen at the
// beginning of a transaction that has now ended), dropping entries read
// while the change was not yet committed.
func (c *tokenCache) settle(start uint64) {
	if c.gen.Load() != start {
		c.gen.Add(1)
	}
}

// AuthenticateSCIM finds the workspace a bearer token reaches, and the
// token's owner's current permissions, from the cache when it can (see
// above). Unknown tokens are ErrNotFound; a revoked token, or one whose
// owner is no longer an active member, is a *TokenRefusedError.
func (s *Store) AuthenticateSCIM(ctx context.Context, token string) (*SCIMToken, *Workspace, error) {
	hash := HashToken(token)
	now := s.now()
	ttl := s.tokenCacheTTL()
	if t, ws, e := s.tokens.get(hash, now, ttl); e != nil {
		if s.tokens.claimLastUsed(e, now) {
			s.noteTokenUsed(ctx, t.ID, now)
			t.LastUsedAt = &now
		}
		return t, ws, nil
	}
	gen := s.tokens.gen.Load()
	t, ws, err := s.lookupSCIMToken(ctx, token, hash)
	if err != nil {
		return nil, nil, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedPrecision {
		s.noteTokenUsed(ctx, t.ID, now)
		t.LastUsedAt = &now
	}
	if ttl >= 0 {
		s.tokens.put(hash, gen, now, t, ws)
	}
	return t, ws, nil
}

// noteTokenUsed writes a token's "last used" time. Best effort: while a
// large /Bulk holds SQLite's write lock, a read must not fail only because
// "last used" could not be noted; the next request a minute on tries again.
func (s *Store) noteTokenUsed(ctx context.Context, id string, now time.Time) {
	wait, cancel := context.WithTimeout(context.WithoutCancel(ctx), 100*time.Millisecond)
	defer cancel()
	_, _ = s.db.NewUpdate().Model((*SCIMToken)(nil)).Set("last_used_at = ?", now).Where("id = ?", id).Exec(wait)
}
