package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// home sends each visitor where they belong: setup on a fresh install,
// sign-in when signed out, otherwise their first workspace.
func (h *Handler) home(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if account(c) == nil {
		n, err := h.store.AccountCount(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return c.Redirect("/setup", fiber.StatusSeeOther)
		}
		return c.Redirect("/signin", fiber.StatusSeeOther)
	}
	wss, err := h.store.WorkspacesForAccount(ctx, account(c).ID)
	if err != nil {
		return err
	}
	if len(wss) == 0 {
		return c.Redirect("/workspaces/new", fiber.StatusSeeOther)
	}
	return c.Redirect("/w/"+wss[0].Slug+"/members", fiber.StatusSeeOther)
}

func (h *Handler) setupForm(c *fiber.Ctx) error {
	n, err := h.store.AccountCount(c.UserContext())
	if err != nil {
		return err
	}
	if n > 0 {
		return c.Redirect("/signin", fiber.StatusSeeOther)
	}
	return page(c, "auth/setup", fiber.Map{"Title": "Set up Muster", "Form": fiber.Map{}})
}

func (h *Handler) setup(c *fiber.Ctx) error {
	in := models.SetupInput{
		WorkspaceName: c.FormValue("workspace"), Name: c.FormValue("name"),
		Email: c.FormValue("email"), Password: c.FormValue("password"),
	}
	acc, ws, err := h.store.Setup(c.UserContext(), in)
	var verr *models.ValidationError
	switch {
	case errors.As(err, &verr):
		c.Status(fiber.StatusUnprocessableEntity)
		return page(c, "auth/setup", fiber.Map{"Title": "Set up Muster", "Errors": verr.Fields,
			"Form": fiber.Map{"workspace": in.WorkspaceName, "name": in.Name, "email": in.Email}})
	case errors.Is(err, models.ErrAlreadySetUp):
		return redirect(c, "/signin")
	case err != nil:
		return err
	}
	return h.afterPassword(c, acc, "/w/"+ws.Slug+"/members")
}

func (h *Handler) startSession(c *fiber.Ctx, acc *models.Account) error {
	token, err := h.store.CreateSession(c.UserContext(), acc.ID, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	h.setSessionCookie(c, token)
	return nil
}

func (h *Handler) signInForm(c *fiber.Ctx) error {
	if account(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	n, err := h.store.AccountCount(c.UserContext())
	if err != nil {
		return err
	}
	if n == 0 {
		return c.Redirect("/setup", fiber.StatusSeeOther)
	}
	return page(c, "auth/signin", fiber.Map{"Title": "Sign in", "Next": c.Query("next"), "Form": fiber.Map{},
		"Ended": endedMessage(c.Cookies(endedCookie))})
}

func (h *Handler) signIn(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), c.FormValue("next")
	fail := func(status int, fields map[string]string) error {
		c.Status(status)
		return page(c, "auth/signin", fiber.Map{"Title": "Sign in", "Next": next, "Errors": fields, "Form": fiber.Map{"email": email}})
	}
	if strings.TrimSpace(email) == "" || c.FormValue("password") == "" {
		fields := map[string]string{}
		if strings.TrimSpace(email) == "" {
			fields["email"] = "Enter your email address."
		}
		if c.FormValue("password") == "" {
			fields["password"] = "Enter your password."
		}
		return fail(fiber.StatusUnprocessableEntity, fields)
	}
	acc, err := h.store.Authenticate(c.UserContext(), email, c.FormValue("password"), c.IP())
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &rl):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		return fail(fiber.StatusTooManyRequests, map[string]string{"form": rl.Error()})
	case errors.Is(err, models.ErrInvalidCredentials):
		return fail(fiber.StatusUnprocessableEntity, map[string]string{"form": "That email and password don't match. Check both and try again."})
	case err != nil:
		return err
	}
	if msg, err := h.passwordBlockedBySSO(c, acc); err != nil {
		return err
	} else if msg != "" {
		return fail(fiber.StatusUnprocessableEntity, map[string]string{"form": msg})
	}
	return h.afterPassword(c, acc, next) // the second step, when the account has one
}

func (h *Handler) signOut(c *fiber.Ctx) error {
	if token := c.Cookies(sessionCookie); token != "" {
		if err := h.store.DeleteSession(c.UserContext(), token); err != nil {
			return err
		}
	}
	h.clearSessionCookie(c)
	c.ClearCookie(endedCookie) // signed out on purpose: nothing to explain
	return redirect(c, "/signin")
}

// safeNext keeps the after-sign-in destination on this site: only a local
// path, never "//evil.example" or "https://…".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/"
	}
	return next
}
