package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// inviteExpiryChoices are the invitation lifetimes offered, in hours.
var inviteExpiryChoices = []struct {
	Hours int
	Label string
}{{24, "1 day"}, {72, "3 days"}, {168, "7 days"}, {336, "14 days"}, {720, "30 days"}}

func (h *Handler) settingsForm(c *fiber.Ctx) error {
	ws := workspace(c)
	return h.settingsPage(c, fiber.StatusOK, nil, fiber.Map{"name": ws.Name, "slug": ws.Slug,
		"invite_expiry": strconv.Itoa(ws.InviteExpiryHours), "invites_per_hour": strconv.Itoa(ws.InvitesPerHour), "scim_invites": ws.SCIMInvites}, "")
}

func (h *Handler) settingsPage(c *fiber.Ctx, status int, errs map[string]string, form fiber.Map, notice string) error {
	require2FA, err := h.store.RequiresTwoFactor(c.UserContext(), workspace(c).ID)
	if err != nil {
		return err
	}
	c.Status(status)
	return page(c, "settings/index", fiber.Map{"Title": "Settings", "Errors": errs, "Form": form, "Notice": notice,
		"ExpiryChoices": inviteExpiryChoices, "Require2FA": require2FA})
}

func (h *Handler) saveSettings(c *fiber.Ctx) error {
	ws := workspace(c)
	expiry, _ := strconv.Atoi(c.FormValue("invite_expiry"))
	perHour, _ := strconv.Atoi(c.FormValue("invites_per_hour"))
	// An unticked checkbox sends nothing: absent is off.
	scimInvites := c.FormValue("scim_invites") != ""
	form := fiber.Map{"name": c.FormValue("name"), "slug": c.FormValue("slug"), "invite_expiry": c.FormValue("invite_expiry"), "invites_per_hour": c.FormValue("invites_per_hour"), "scim_invites": scimInvites}
	updated, err := h.store.UpdateWorkspace(c.UserContext(), actor(c), ws, models.SettingsInput{
		Name: c.FormValue("name"), Slug: c.FormValue("slug"), InviteExpiryHours: expiry, InvitesPerHour: perHour, SCIMInvites: &scimInvites})
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		return h.settingsPage(c, status, fields, form, "")
	}
	if updated.Slug != ws.Slug {
		return redirect(c, "/w/"+updated.Slug+"/settings")
	}
	c.Locals(localWorkspace, updated)
	return h.settingsPage(c, fiber.StatusOK, nil, form, "Settings saved.")
}
