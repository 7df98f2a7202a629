// Package sso speaks OpenID Connect to a workspace's identity provider:
// discovery, the authorization code flow with PKCE, state and nonce, and
// the ID token's verification (signature, issuer, audience, expiry), all
// through github.com/coreos/go-oidc and golang.org/x/oauth2. What the
// verified token means for Muster (who is signed in) is models' business.
package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/muster-app/muster/models"
)

// Client talks to identity providers.
type Client struct {
	// HTTP reaches the providers; a 10-second timeout if nil.
	HTTP *http.Client
	// Now is the clock ID tokens' expiry is checked against (the store's).
	Now func() time.Time

	mu        sync.Mutex
	providers map[string]cachedProvider
}

type cachedProvider struct {
	p       *oidc.Provider
	fetched time.Time
}

// discoveryTTL: how long a provider's discovery document is reused. Its keys
// are fetched again by go-oidc when a token names a key it does not know.
const discoveryTTL = 10 * time.Minute

// Conn is one workspace's provider as configured.
type Conn struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
}

func (c *Client) ctx(ctx context.Context) context.Context {
	h := c.HTTP
	if h == nil {
		h = &http.Client{Timeout: 10 * time.Second}
	}
	return oidc.ClientContext(ctx, h)
}

// Discover reads the provider's /.well-known/openid-configuration (cached).
func (c *Client) Discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	c.mu.Lock()
	cp, ok := c.providers[issuer]
	c.mu.Unlock()
	if ok && time.Since(cp.fetched) < discoveryTTL {
		return cp.p, nil
	}
	p, err := oidc.NewProvider(c.ctx(ctx), issuer)
	if err != nil {
		return nil, &Error{Kind: "discovery", Message: "Could not read the OpenID configuration at " + issuer +
			"/.well-known/openid-configuration: " + withoutBody(err)}
	}
	c.mu.Lock()
	if c.providers == nil {
		c.providers = map[string]cachedProvider{}
	}
	c.providers[issuer] = cachedProvider{p: p, fetched: time.Now()}
	c.mu.Unlock()
	return p, nil
}

// Error is a failed exchange with the provider, worded for the person.
type Error struct {
	Kind    string // discovery, exchange, token, nonce, provider
	Message string
}

func (e *Error) Error() string { return e.Message }

func (c *Client) config(p *oidc.Provider, conn Conn) *oauth2.Config {
	return &oauth2.Config{ClientID: conn.ClientID, ClientSecret: conn.ClientSecret, RedirectURL: conn.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// Begin starts a sign-in: it returns the provider's URL to send the
// browser to, with a fresh state, nonce and PKCE verifier, which the
// caller keeps (models.SaveSSOState) for Finish.
func (c *Client) Begin(ctx context.Context, conn Conn) (authURL, state, nonce, verifier string, err error) {
	p, err := c.Discover(ctx, conn.Issuer)
	if err != nil {
		return "", "", "", "", err
	}
	state, nonce, verifier = models.NewToken(), models.NewToken(), oauth2.GenerateVerifier()
	authURL = c.config(p, conn).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return authURL, state, nonce, verifier, nil
}

// Finish exchanges the code for tokens and verifies the ID token:
// signature against the provider's published keys, issuer, audience (our
// client ID), expiry on c.Now, and the nonce. It returns what the token
// says about the person, and all its claims (for "Test connection").
func (c *Client) Finish(ctx context.Context, conn Conn, code, nonce, verifier string) (*models.SSOIdentity, map[string]any, error) {
	p, err := c.Discover(ctx, conn.Issuer)
	if err != nil {
		return nil, nil, err
	}
	tok, err := c.config(p, conn).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, nil, &Error{Kind: "exchange", Message: "The identity provider refused to complete the sign-in: " +
				strings.TrimSpace(re.ErrorCode+" "+re.ErrorDescription)}
		}
		return nil, nil, &Error{Kind: "exchange", Message: "Could not reach the identity provider's token endpoint: " + err.Error()}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil, &Error{Kind: "token", Message: "The identity provider sent no ID token. Is it an OpenID Connect app with the openid scope?"}
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	idt, err := p.VerifierContext(c.ctx(ctx), &oidc.Config{ClientID: conn.ClientID, Now: now}).Verify(c.ctx(ctx), raw)
	if err != nil {
		return nil, nil, &Error{Kind: "token", Message: "The ID token did not verify: " + err.Error()}
	}
	if idt.Nonce != nonce {
		return nil, nil, &Error{Kind: "nonce", Message: "The ID token was not issued for this sign-in (nonce mismatch)."}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, nil, &Error{Kind: "token", Message: "The ID token's claims are not readable: " + err.Error()}
	}
	id := &models.SSOIdentity{Subject: idt.Subject, Email: str(claims["email"]), EmailVerified: truthy(claims["email_verified"]),
		Name: str(claims["name"])}
	for _, k := range []string{"preferred_username", "upn"} {
		if u := str(claims[k]); u != "" {
			id.UserNames = append(id.UserNames, u)
		}
	}
	return id, claims, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// truthy reads email_verified, which some providers send as the string "true".
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	default:
		return false
	}
}

// Describe words an error from Begin or Finish for the page.
func Describe(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return fmt.Sprint(err)
}

// withoutBody words a discovery failure without what the server answered:
// go-oidc puts a non-200 answer's body in its error ("404 Not Found: …"),
// and the issuer is any URL an admin types, so the page would show
// whatever an internal address answers. The status says enough.
func withoutBody(err error) string {
	msg := err.Error()
	if len(msg) >= 3 && msg[0] >= '1' && msg[0] <= '5' && msg[1] >= '0' && msg[1] <= '9' && msg[2] >= '0' && msg[2] <= '9' {
		if status, _, ok := strings.Cut(msg, ": "); ok {
			return status
		}
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}
