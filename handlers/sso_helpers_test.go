package handlers_test

import (
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/muster-app/muster/models"
)

var testSecretKey = []byte("0123456789abcdef0123456789abcdef")

// testIdP is a real OpenID Connect provider on loopback (mockoidc):
// discovery, authorization code flow with PKCE, signed ID tokens and its
// JWKS. tamper, when set, rewrites the ID token the token endpoint answers
// with (and may sign it with another key), to test what Muster refuses.
type testIdP struct {
	*mockoidc.MockOIDC
	mu     sync.Mutex
	tamper func(claims jwt.MapClaims) *rsa.PrivateKey
}

// startIdP runs a provider whose clock agrees with the store's: tokens it
// issues are valid by the clock Muster checks them with (go-oidc's Now is
// the store's), whatever day the test runs.
func startIdP(t testing.TB, store *models.Store) *testIdP {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{MockOIDC: m}
	if err := m.AddMiddleware(idp.tamperTokens); err != nil {
		t.Fatal(err)
	}
	// The provider's clock is the real one moved by an offset; the offset
	// to the store's clock, taken before it starts, keeps both in step.
	m.FastForward(store.Now().Sub(time.Now()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return idp
}

func (idp *testIdP) setTamper(fn func(claims jwt.MapClaims) *rsa.PrivateKey) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.tamper = fn
}

func (idp *testIdP) tamperTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idp.mu.Lock()
		tamper := idp.tamper
		idp.mu.Unlock()
		if r.URL.Path != mockoidc.TokenEndpoint || tamper == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if raw, ok := body["id_token"].(string); ok {
				claims := jwt.MapClaims{}
				tok, _, err := jwt.NewParser().ParseUnverified(raw, claims)
				if err == nil {
					key := tamper(claims)
					if key == nil {
						key = idp.Keypair.PrivateKey
					}
					nt := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
					nt.Header["kid"] = tok.Header["kid"]
					body["id_token"], _ = nt.SignedString(key)
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// user queues who the provider signs in next.
func (idp *testIdP) user(email string, verified bool, preferredUsername string) {
	idp.QueueUser(&mockoidc.MockUser{Subject: "sub-" + email + preferredUsername, Email: email, EmailVerified: verified, PreferredUsername: preferredUsername})
}

// follow asks the provider's authorization endpoint (which signs in the
// queued user without a form) and returns where it sends the browser
// back: Muster's callback, as a path for the app.
func (idp *testIdP) follow(t testing.TB, authURL string) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %d for %s", res.StatusCode, authURL)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || u.Path != "/sso/callback" {
		t.Fatalf("provider sent the browser to %q", res.Header.Get("Location"))
	}
	return u.RequestURI()
}
