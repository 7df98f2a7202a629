package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// inviteForm opens the Invite dialog with the Member role chosen.
func (h *Handler) inviteForm(c *fiber.Ctx) error {
	roles, err := h.store.Roles(c.UserContext(), workspace(c).ID)
	if err != nil {
		return err
	}
	chosen := map[string]bool{}
	for _, r := range roles {
		if r.Builtin == "member" {
			chosen[r.ID] = true
		}
	}
	return partial(c, "members/_invite_dialog", fiber.Map{"Roles": roles, "Form": fiber.Map{"roles": chosen}})
}

// invite sends an invitation. Save closes the dialog; Save and Add Another
// answers a fresh form (role and location kept) with a notice. Either way
// the new row arrives out of band.
func (h *Handler) invite(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	roleIDs, chosen := selectedRoles(c)
	raw := c.FormValue("email")
	in := models.InviteInput{Name: c.FormValue("name"), Email: raw, Location: c.FormValue("location")}
	if len(roleIDs) > 0 {
		in.RoleID = roleIDs[0]
	}
	// Several addresses: each gets its own result (invite_many.go).
	list, listErr := inviteList(raw)
	if len(list) > 1 {
		return h.inviteMany(c, list, in, raw, chosen)
	} else if len(list) == 1 {
		in.Email = list[0].Email
		if strings.TrimSpace(in.Name) == "" {
			in.Name = list[0].Name // "Grace Hopper <grace@example.com>"
		}
	}
	var m *models.Member
	var err error
	if listErr != "" {
		err = &models.ValidationError{Fields: map[string]string{"email": listErr}}
	} else {
		m, _, err = h.store.Invite(ctx, actor(c), ws, in)
	}
	if err != nil {
		fields, conflict, status, ok := formErrors(err)
		if !ok {
			return err
		}
		roles, rerr := h.store.Roles(ctx, ws.ID)
		if rerr != nil {
			return rerr
		}
		c.Status(status)
		return partial(c, "members/_invite_form", fiber.Map{"Roles": roles, "Errors": fields, "Conflict": conflict,
			"Form": fiber.Map{"name": c.FormValue("name"), "email": raw, "location": in.Location, "roles": chosen}})
	}
	h.opts.EmailQueued()
	membersChanged(c)
	data := fiber.Map{"Member": m, "Inserted": fitsView(c, m)}
	if c.FormValue("action") == "another" {
		roles, err := h.store.Roles(ctx, ws.ID)
		if err != nil {
			return err
		}
		data["ShowForm"] = true
		data["Roles"] = roles
		data["Notice"] = "Invited " + m.DisplayName + ". Add the next person."
		data["Form"] = fiber.Map{"location": in.Location, "roles": chosen}
	} else {
		done(c, "Invited "+m.DisplayName+"."+h.emailNote(" They will get an email."))
	}
	return partial(c, "members/_invite_response", data)
}

// emailNote is what a toast says about the email an action queued: sent,
// or, where no SMTP server is set, that the link is to be passed on by hand.
func (h *Handler) emailNote(sent string) string {
	if h.opts.MailLogged {
		return " Email is not set up here: copy the invite link from their row's … menu and send it yourself."
	}
	return sent
}

func (h *Handler) resendInvite(c *fiber.Ctx) error {
	m, err := h.store.ResendInvite(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	h.opts.EmailQueued()
	if fromResults(c) {
		return h.resendFromResults(c, m)
	}
	if h.opts.MailLogged {
		return h.rowChange(c, "Made a new invitation for "+m.Email+". Earlier links no longer work."+h.emailNote(""), m.ID, false, nil)
	}
	return h.rowChange(c, "Sent a new invitation to "+m.Email+". Earlier links no longer work.", m.ID, false, nil)
}

// inviteLink shows a new link to pass on by hand (no email is sent).
func (h *Handler) inviteLink(c *fiber.Ctx) error {
	ws := workspace(c)
	token, inv, err := h.store.NewInviteLink(c.UserContext(), actor(c), ws, c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	m, err := h.store.MemberByID(c.UserContext(), ws.ID, inv.MemberID)
	if err != nil {
		return err
	}
	data := fiber.Map{"Member": m, "Updated": true, "Link": h.opts.BaseURL + "/invite/" + token, "Expires": formatDate(inv.ExpiresAt)}
	if onMemberPage(c) {
		data["Updated"] = false // no row there: the page's own part follows
		return h.withMemberSection(c, m.ID, partial(c, "members/_link_dialog", data))
	}
	return partial(c, "members/_link_dialog", data)
}

func (h *Handler) revokeInvite(c *fiber.Ctx) error {
	m, err := h.store.RevokeInvite(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	return h.rowChange(c, "Revoked the invitation for "+m.Email+".", m.ID, true, m)
}
