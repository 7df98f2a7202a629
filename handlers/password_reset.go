package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// "Forgot password?": the form, the link's page, and an admin's way to send
// a member a link or clear their lost second factor.

// forgotSent is the one answer to a reset request, whether or not the email
// has an account.
const forgotSent = "If an account uses that email, we've sent it a link to set a new password. The link works for an hour."

func (h *Handler) forgotForm(c *fiber.Ctx) error {
	return page(c, "auth/forgot", fiber.Map{"Title": "Reset your password", "Form": fiber.Map{"email": c.Query("email")}})
}

func (h *Handler) forgot(c *fiber.Ctx) error {
	email := c.FormValue("email")
	err := h.store.RequestPasswordReset(c.UserContext(), email, c.IP())
	var rl *models.RateLimitedError
	var verr *models.ValidationError
	switch {
	case errors.As(err, &verr):
		c.Status(fiber.StatusUnprocessableEntity)
		return page(c, "auth/forgot", fiber.Map{"Title": "Reset your password", "Form": fiber.Map{"email": email}, "Errors": verr.Fields})
	case errors.As(err, &rl):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		c.Status(fiber.StatusTooManyRequests)
		return page(c, "auth/forgot", fiber.Map{"Title": "Reset your password", "Form": fiber.Map{"email": email},
			"Errors": map[string]string{"form": rl.Error()}})
	case err != nil:
		return err
	}
	h.opts.EmailQueued()
	return page(c, "auth/forgot", fiber.Map{"Title": "Reset your password", "Sent": forgotSent, "Form": fiber.Map{}})
}

// resetForm is the link's page. Opening it changes nothing: mail scanners
// that follow links must not use it up.
func (h *Handler) resetForm(c *fiber.Ctx) error {
	acc, err := h.store.PasswordResetAccount(c.UserContext(), c.Params("token"))
	if errors.Is(err, models.ErrNotFound) {
		return h.resetInvalid(c)
	} else if err != nil {
		return err
	}
	return page(c, "auth/reset", fiber.Map{"Title": "Set a new password", "Email": acc.Email, "Token": c.Params("token")})
}

func (h *Handler) resetInvalid(c *fiber.Ctx) error {
	c.Status(fiber.StatusNotFound)
	return page(c, "auth/reset", fiber.Map{"Title": "Link not valid", "Invalid": true})
}

func (h *Handler) reset(c *fiber.Ctx) error {
	token := c.Params("token")
	acc, err := h.store.ResetPassword(c.UserContext(), token, c.FormValue("password"), c.FormValue("confirm_password"))
	var verr *models.ValidationError
	switch {
	case errors.As(err, &verr):
		a, lerr := h.store.PasswordResetAccount(c.UserContext(), token)
		if lerr != nil {
			return h.resetInvalid(c)
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return page(c, "auth/reset", fiber.Map{"Title": "Set a new password", "Email": a.Email, "Token": token, "Errors": verr.Fields})
	case errors.Is(err, models.ErrNotFound):
		return h.resetInvalid(c)
	case err != nil:
		return err
	}
	// Every session ended, this browser's too if it had one: sign in afresh
	// (with the second factor, when there is one).
	h.clearSessionCookie(c)
	h.anonCSRF(c) // the sign-in form below is a signed-out one
	c.Set("HX-Push-Url", "/signin")
	c.Status(fiber.StatusOK)
	return page(c, "auth/signin", fiber.Map{"Title": "Sign in", "Form": fiber.Map{"email": acc.Email},
		"Notice": "Your password is changed, and you were signed out everywhere. Sign in with the new password."})
}

// memberSignInDialog shows an admin what they can do about a member's
// sign-in: send a reset link, clear a lost second factor.
func (h *Handler) memberSignInDialog(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m, err := h.store.MemberByID(ctx, workspace(c).ID, c.Params("id"))
	if err != nil {
		return err
	}
	if m.AccountID == nil || m.Status != models.StatusActive {
		return fiber.NewError(fiber.StatusConflict, m.DisplayName+" has no active account here.")
	}
	tf, err := h.store.TwoFactorOf(ctx, *m.AccountID)
	if err != nil {
		return err
	}
	return partial(c, "members/_signin_dialog", fiber.Map{"Member": m, "TwoFactor": tf})
}

func (h *Handler) sendPasswordReset(c *fiber.Ctx) error {
	m, err := h.store.SendPasswordReset(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	h.opts.EmailQueued()
	done(c, "Sent "+m.DisplayName+" a link to set a new password.")
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) resetTwoFactor(c *fiber.Ctx) error {
	m, err := h.store.ResetTwoFactor(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	done(c, "Turned off two-factor sign-in for "+m.DisplayName+" and signed them out. They can sign in with their password and set it up again.")
	return c.SendStatus(fiber.StatusNoContent)
}
