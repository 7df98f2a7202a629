package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// The second step of a password sign-in. After a right password, an account
// with two-factor gets no session yet: a short-lived challenge whose token
// sits in its own cookie, and a page asking for the code. The session is
// created only when the code is right.

const challengeCookie = "muster_signin_step"

// afterPassword continues a sign-in whose password was right: to the code
// page when the account has two-factor, otherwise straight into a session
// marked as opened by a password alone (workspaces that require two-factor
// send it to enrol).
func (h *Handler) afterPassword(c *fiber.Ctx, acc *models.Account, next string) error {
	ctx := c.UserContext()
	has, err := h.store.HasTwoFactor(ctx, acc.ID)
	if err != nil {
		return err
	}
	if has {
		token, err := h.store.StartSecondStep(ctx, acc.ID)
		if err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{Name: challengeCookie, Value: token, Path: "/signin", HTTPOnly: true, SameSite: "Lax",
			Secure: h.opts.Secure, Expires: time.Now().Add(10 * time.Minute)})
		return redirect(c, "/signin/code?next="+url.QueryEscape(safeNext(next)))
	}
	token, err := h.store.CreateSession(ctx, acc.ID, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	if err := h.store.MarkPasswordOnly(ctx, token); err != nil {
		return err
	}
	h.setSessionCookie(c, token)
	return redirect(c, safeNext(next))
}

func (h *Handler) clearChallengeCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: challengeCookie, Value: "", Path: "/signin", HTTPOnly: true, SameSite: "Lax",
		Secure: h.opts.Secure, Expires: time.Unix(1, 0), MaxAge: -1})
}

func (h *Handler) codePage(c *fiber.Ctx, status int, errs map[string]string) error {
	c.Status(status)
	return page(c, "auth/code", fiber.Map{"Title": "Two-factor sign-in", "Next": c.Query("next", c.FormValue("next")), "Errors": errs})
}

// restartSignIn sends someone whose challenge is gone (expired, too many
// tries, signed in elsewhere) back to the password.
func (h *Handler) restartSignIn(c *fiber.Ctx, next string) error {
	h.clearChallengeCookie(c)
	c.Status(fiber.StatusUnprocessableEntity)
	return page(c, "auth/signin", fiber.Map{"Title": "Sign in", "Next": next, "Form": fiber.Map{},
		"Errors": map[string]string{"form": "Your sign-in timed out or had too many wrong codes. Sign in again."}})
}

func (h *Handler) secondStepForm(c *fiber.Ctx) error {
	if account(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	if _, err := h.store.SecondStepAccount(c.UserContext(), c.Cookies(challengeCookie)); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return c.Redirect("/signin", fiber.StatusSeeOther)
		}
		return err
	}
	return h.codePage(c, fiber.StatusOK, nil)
}

func (h *Handler) secondStep(c *fiber.Ctx) error {
	next := c.FormValue("next")
	code := c.FormValue("code")
	if code == "" {
		return h.codePage(c, fiber.StatusUnprocessableEntity, map[string]string{"code": "Enter the code from your authenticator app."})
	}
	token, _, err := h.store.CompleteSecondStep(c.UserContext(), c.Cookies(challengeCookie), code, c.IP(), c.Get(fiber.HeaderUserAgent))
	var rl *models.RateLimitedError
	switch {
	case errors.Is(err, models.ErrInvalidCode):
		return h.codePage(c, fiber.StatusUnprocessableEntity, map[string]string{"code": "That code doesn't match. Enter the current code from your app, or a recovery code."})
	case errors.As(err, &rl):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		return h.codePage(c, fiber.StatusTooManyRequests, map[string]string{"form": rl.Error()})
	case errors.Is(err, models.ErrNotFound):
		return h.restartSignIn(c, next)
	case err != nil:
		return err
	}
	h.clearChallengeCookie(c)
	h.setSessionCookie(c, token)
	return redirect(c, safeNext(next))
}

// requireEnrolment sends a session opened with a password alone away from a
// workspace that requires two-factor, to set it up on the account page.
func (h *Handler) requireEnrolment(c *fiber.Ctx) error {
	if !workspace(c).Require2FA { // read this request: no need to ask again
		return c.Next()
	}
	must, err := h.store.MustEnrol(c.UserContext(), c.Cookies(sessionCookie), workspace(c).ID)
	if err != nil {
		return err
	}
	if must {
		return redirect(c, "/account?enrol="+url.QueryEscape(workspace(c).Slug)+"#two-factor")
	}
	return c.Next()
}
