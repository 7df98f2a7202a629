package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// CSRF tokens are derived, not stored: a page view writes nothing.
//
//   - Signed in, the token is "s." + HMAC(key, session): every page of a
//     session carries the same token, every replica with the same
//     MUSTER_SECRET_KEY checks it without asking the database, and it dies
//     with its session (sign-out, expiry, an admin ending it).
//   - Signed out (sign-in, setup, forgot, an invitation), it is "a." +
//     HMAC(key, nonce), the nonce being a random value in the HttpOnly
//     muster_csrf cookie, which lasts csrfAnonLife from the last page view.
//
// A token for another session, another nonce or another key is refused; so
// is one without its cookie. The key is derived from Store.SecretKey.
const (
	csrfCookie   = "muster_csrf"
	csrfAnonLife = 12 * time.Hour
	csrfLocal    = "csrf"
)

var errCSRF = errors.New("csrf token missing or invalid")

type csrfKeys struct {
	mu       sync.Mutex
	fromKey  []byte // the SecretKey sub was derived from
	sub      []byte
	fallback []byte // no SecretKey (tests): one key per process
}

// key derives the CSRF key from the store's SecretKey, again only when
// the key changes.
func (k *csrfKeys) key(secret []byte) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(secret) == 0 {
		if k.fallback == nil {
			k.fallback = make([]byte, 32)
			rand.Read(k.fallback)
		}
		return k.fallback
	}
	if k.sub == nil || !hmac.Equal(k.fromKey, secret) {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("muster csrf key v1"))
		k.fromKey, k.sub = append([]byte(nil), secret...), m.Sum(nil)
	}
	return k.sub
}

func (h *Handler) csrfToken(kind, binding string) string {
	m := hmac.New(sha256.New, h.csrfKeys.key(h.store.SecretKey))
	m.Write([]byte(kind + "\x00" + binding))
	return kind + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfBinding is what this request's token must be bound to: the session
// when signed in, else the cookie's nonce ("" if there is none).
func (h *Handler) csrfBinding(c *fiber.Ctx) (kind, binding string) {
	if account(c) != nil {
		return "s", models.HashToken(c.Cookies(sessionCookie))
	}
	return "a", c.Cookies(csrfCookie)
}

// csrf checks the token of every unsafe request and puts this request's
// token in c.Locals("csrf") for the page's forms and <body hx-headers>.
func (h *Handler) csrf(c *fiber.Ctx) error {
	kind, binding := h.csrfBinding(c)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
	default:
		if c.Protocol() == "https" && !refererMatchesHost(c) {
			return h.csrfRefused(c, "")
		}
		sent, _ := csrfFromHeaderOrForm(c)
		if binding == "" || !hmac.Equal([]byte(sent), []byte(h.csrfToken(kind, binding))) {
			return h.csrfRefused(c, sent)
		}
	}
	if kind == "a" {
		h.anonCSRF(c)
	} else {
		c.Locals(csrfLocal, h.csrfToken(kind, binding))
	}
	return c.Next()
}

// anonCSRF gives the request a signed-out token: the nonce cookie's (made
// now if there is none), its life slid forward, which costs no write.
// A handler that ends the session and renders a signed-out form in the same
// response calls it too.
func (h *Handler) anonCSRF(c *fiber.Ctx) {
	nonce := c.Cookies(csrfCookie)
	if nonce == "" || len(nonce) > 100 {
		nonce = models.NewToken()
	}
	// The browser's clock, not the store's (tests move that one).
	c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: nonce, Path: "/", HTTPOnly: true, SameSite: "Lax",
		Secure: h.opts.Secure, Expires: time.Now().Add(csrfAnonLife)})
	c.Vary(fiber.HeaderCookie)
	c.Locals(csrfLocal, h.csrfToken("a", nonce))
}

// csrfRefused answers a request whose token does not hold. From within a
// page (htmx): a session that ended meanwhile gets sessionEnded (the page
// offers to sign in and retry); otherwise csrfExpired, and app.js fetches a
// fresh token and sends the form once more.
func (h *Handler) csrfRefused(c *fiber.Ctx, sent string) error {
	if isHTMX(c) {
		if account(c) == nil && (c.Cookies(sessionCookie) != "" || strings.HasPrefix(sent, "s.")) {
			// Signed out meanwhile (in another tab, or the session
			// expired): the form was made for a session that is gone. A
			// visitor who was never signed in (an old sign-in or
			// invitation page) just gets a fresh token.
			return sessionEnded(c)
		}
		trigger(c, "csrfExpired", true)
		c.Set("HX-Reswap", "none")
		return c.SendStatus(fiber.StatusForbidden)
	}
	return fiber.NewError(fiber.StatusForbidden, "This form has expired. Reload the page and try again.")
}

// refererMatchesHost: over HTTPS an unsafe request must come from a page of
// this host (as Fiber's CSRF middleware checked).
func refererMatchesHost(c *fiber.Ctx) bool {
	u, err := url.Parse(strings.ToLower(c.Get(fiber.HeaderReferer)))
	return err == nil && u.Scheme == c.Protocol() && u.Host == c.Hostname()
}

// csrfFromHeaderOrForm takes the token from htmx's header, or from the hidden
// field of a form sent without JavaScript.
func csrfFromHeaderOrForm(c *fiber.Ctx) (string, bool) {
	if t := c.Get("X-Csrf-Token"); t != "" {
		return t, true
	}
	if t := c.FormValue("_csrf"); t != "" {
		return t, true
	}
	return "", false
}
