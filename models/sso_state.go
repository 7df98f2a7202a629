package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// SSOState is what a sign-in started here must find again when the
// identity provider sends the browser back: which workspace, why, and the
// nonce and PKCE verifier the answer is checked against. It lives in the
// database (the kv table), so any replica can finish what another began,
// and TakeSSOState hands it out once.
type SSOState struct {
	WorkspaceID string `json:"w"`
	Purpose     string `json:"p"` // SSOSignInPurpose or SSOTestPurpose
	Nonce       string `json:"n"`
	Verifier    string `json:"v"`
	Next        string `json:"x,omitempty"`
	// AccountID: who started a test; only they may finish it.
	AccountID string `json:"a,omitempty"`
}

// Purposes of a single sign-on round trip.
const (
	SSOSignInPurpose = "signin"
	SSOTestPurpose   = "test"
)

// SSOStateLifetime bounds how long someone may take at their provider.
const SSOStateLifetime = 10 * time.Minute

const ssoStatePrefix = "sso-state:"

// SaveSSOState keeps st under the random state value sent to the provider.
func (s *Store) SaveSSOState(ctx context.Context, state string, st SSOState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	exp := s.now().Add(SSOStateLifetime)
	_, err = s.db.NewInsert().Model(&kvEntry{Key: ssoStatePrefix + HashToken(state), Value: base64.StdEncoding.EncodeToString(b), ExpiresAt: &exp}).Exec(ctx)
	return err
}

// ErrSSOStateUnknown: the state was never issued, was used already, or expired.
var ErrSSOStateUnknown = errors.New("sign-in state unknown, used or expired")

// TakeSSOState returns the state saved under state and deletes it in the
// same statement: of two requests carrying one state (a replayed callback,
// a double click, two replicas), exactly one gets it.
func (s *Store) TakeSSOState(ctx context.Context, state string) (*SSOState, error) {
	if state == "" || len(state) > 200 {
		return nil, ErrSSOStateUnknown
	}
	var e kvEntry
	err := s.db.NewDelete().Model(&e).Where("key = ?", ssoStatePrefix+HashToken(state)).Returning("*").Scan(ctx)
	if err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil, ErrSSOStateUnknown
		}
		return nil, err
	}
	if e.Key == "" || e.ExpiresAt == nil || !s.now().Before(*e.ExpiresAt) {
		return nil, ErrSSOStateUnknown
	}
	b, err := base64.StdEncoding.DecodeString(e.Value)
	if err != nil {
		return nil, err
	}
	var st SSOState
	return &st, json.Unmarshal(b, &st)
}
