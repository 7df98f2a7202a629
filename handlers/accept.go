package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// acceptForm shows what an invitation link is for. It never uses the link:
// mail scanners open links too.
func (h *Handler) acceptForm(c *fiber.Ctx) error {
	d, err := h.store.LookupInvite(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	if d.State != models.LinkValid {
		return h.invalidLink(c, d.State, d.Workspace)
	}
	return h.acceptPage(c, d, fiber.StatusOK, nil, fiber.Map{"name": d.Member.DisplayName})
}

func (h *Handler) acceptPage(c *fiber.Ctx, d *models.InviteDetails, status int, errs map[string]string, form fiber.Map) error {
	acc := account(c)
	c.Status(status)
	return page(c, "invite/accept", fiber.Map{"Title": "Join " + d.Workspace.Name, "D": d, "Token": c.Params("token"),
		"Errors": errs, "Form": form, "Mismatch": acc != nil && acc.Email != d.Member.Email,
		"Expires": formatDate(d.Invite.ExpiresAt)})
}

// accept uses the link: signed in as the invited email, by signing in, or by
// creating an account; then the person lands in the workspace.
func (h *Handler) accept(c *fiber.Ctx) error {
	ctx, token := c.UserContext(), c.Params("token")
	d, err := h.store.LookupInvite(ctx, token)
	if err != nil {
		return err
	}
	if d.State != models.LinkValid {
		return h.invalidLink(c, d.State, d.Workspace)
	}
	in := models.AcceptInput{Account: account(c), Name: c.FormValue("name"), Password: c.FormValue("password")}
	if in.Account == nil && d.HasAccount {
		acc, err := h.store.Authenticate(ctx, d.Member.Email, in.Password, c.IP())
		var rl *models.RateLimitedError
		switch {
		case errors.As(err, &rl):
			return h.acceptPage(c, d, fiber.StatusTooManyRequests, map[string]string{"form": rl.Error()}, nil)
		case errors.Is(err, models.ErrInvalidCredentials):
			return h.acceptPage(c, d, fiber.StatusUnprocessableEntity, map[string]string{"password": "That password is not right. Try again."}, nil)
		case err != nil:
			return err
		}
		in.Account = acc
	}
	acc, ws, err := h.store.AcceptInvite(ctx, token, in)
	var linkErr *models.InviteLinkError
	switch {
	case errors.As(err, &linkErr):
		return h.invalidLink(c, linkErr.State, d.Workspace)
	case err != nil:
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		return h.acceptPage(c, d, status, fields, fiber.Map{"name": in.Name})
	}
	if account(c) == nil || account(c).ID != acc.ID {
		// Signed in by a password: the second step, when the account has one.
		return h.afterPassword(c, acc, "/w/"+ws.Slug+"/members")
	}
	return redirect(c, "/w/"+ws.Slug+"/members")
}

// invalidLink says plainly why a link does not work and what to do.
func (h *Handler) invalidLink(c *fiber.Ctx, state string, ws *models.Workspace) error {
	who := "the person who invited you"
	if ws != nil {
		who = "an admin of " + ws.Name
	}
	data := fiber.Map{"Title": "Invitation", "Next": "/signin", "NextLabel": "Go to sign in"}
	status := fiber.StatusGone
	switch state {
	case models.LinkExpired:
		data["Heading"], data["Explain"] = "This invitation has expired", "Invitation links work for a limited time. Ask "+who+" to resend your invitation; the new email will have a fresh link."
	case models.LinkAccepted:
		data["Heading"], data["Explain"] = "This invitation has already been used", "You have joined already: sign in to get to "+workspaceName(ws)+". If it wasn't you who used it, tell "+who+"."
		if acc := account(c); acc != nil && ws != nil {
			// Signed in already: where to go, not how to sign in.
			if _, _, err := h.store.Membership(c.UserContext(), ws.ID, acc.ID); err == nil {
				data["Explain"] = "You joined " + ws.Name + " with it: it is one of your workspaces."
				data["Next"], data["NextLabel"] = "/w/"+ws.Slug+"/members", "Go to "+ws.Name
			} else {
				data["Explain"] = "Someone joined " + ws.Name + " with it, and you are signed in as " + acc.Email + ", who is not a member. If the invitation was meant for you, ask " + who + " to invite " + acc.Email + "."
				data["Next"], data["NextLabel"] = "/", "Go to your workspaces"
			}
		}
	case models.LinkSuperseded:
		data["Heading"], data["Explain"] = "This link has been replaced", "A newer invitation was sent to you, and only the newest link works. Use the link in the latest email, or ask "+who+" to resend it."
	case models.LinkRevoked:
		data["Heading"], data["Explain"] = "This invitation was withdrawn", "It can no longer be used. If you think that is a mistake, ask "+who+" to invite you again."
	default:
		status = fiber.StatusNotFound
		data["Heading"], data["Explain"] = "This invitation link doesn't work", "Check that you copied the whole link from the email. If it still doesn't work, ask the person who invited you to resend the invitation."
	}
	c.Status(status)
	return page(c, "invite/invalid", data)
}

func workspaceName(ws *models.Workspace) string {
	if ws == nil {
		return "your workspace"
	}
	return ws.Name
}
