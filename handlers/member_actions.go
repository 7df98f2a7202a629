package handlers

import (
	"maps"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

func (h *Handler) editForm(c *fiber.Ctx) error {
	ws := workspace(c)
	m, err := h.store.MemberByID(c.UserContext(), ws.ID, c.Params("id"))
	if err != nil {
		return err
	}
	roles, err := h.store.Roles(c.UserContext(), ws.ID)
	if err != nil {
		return err
	}
	chosen := map[string]bool{}
	for _, r := range m.Roles {
		chosen[r.ID] = true
	}
	form := fiber.Map{"name": m.DisplayName, "location": m.Location, "roles": chosen}
	// One role is a dropdown; a member with several opens with checkboxes.
	// "Give several roles" and "One role only" ask for the form again the
	// other way, with what was typed so far (editMode).
	several := len(m.Roles) > 1
	if mode := c.Query("several"); mode != "" {
		several = mode == "1"
		editMode(c, m, form)
	}
	data := fiber.Map{"Member": m, "Roles": roles, "Form": form, "Several": several}
	// Their roles decide what their SCIM tokens may do: say so.
	if data["Tokens"], err = h.store.ActiveSCIMTokensOwnedBy(c.UserContext(), ws.ID, m.ID); err != nil {
		return err
	}
	if m.SCIMManaged {
		data["Provider"] = h.identityProvider(c)
	}
	return partial(c, "members/_edit_dialog", data)
}

func (h *Handler) updateMember(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	roleIDs, chosen := selectedRoles(c)
	in := models.UpdateInput{Name: c.FormValue("name"), RoleIDs: roleIDs, Location: c.FormValue("location")}
	m, err := h.store.UpdateMember(ctx, actor(c), ws, c.Params("id"), in)
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		current, cerr := h.store.MemberByID(ctx, ws.ID, c.Params("id"))
		if cerr != nil {
			return cerr
		}
		roles, rerr := h.store.Roles(ctx, ws.ID)
		if rerr != nil {
			return rerr
		}
		form := fiber.Map{"name": in.Name, "location": in.Location, "roles": chosen}
		data := fiber.Map{"Member": current, "Roles": roles, "Errors": fields, "Form": form, "Several": c.FormValue("roles_mode") == "several"}
		if current.SCIMManaged {
			// Read-only fields show what the identity provider set, not a
			// change that cannot be fixed from here.
			form["name"], form["location"] = current.DisplayName, current.Location
			data["Provider"] = h.identityProvider(c)
		}
		c.Status(status)
		return partial(c, "members/_edit_dialog", data)
	}
	return h.rowChange(c, "Saved "+m.DisplayName+".", m.ID, false, nil)
}

func (h *Handler) deactivate(c *fiber.Ctx) error {
	// Deactivating the owner of SCIM tokens turns the tokens off: say so
	// first, and go on only once confirmed.
	if c.FormValue("confirm") == "" {
		tokens, err := h.store.ActiveSCIMTokensOwnedBy(c.UserContext(), workspace(c).ID, c.Params("id"))
		if err != nil {
			return err
		}
		if len(tokens) > 0 {
			m, err := h.store.MemberByID(c.UserContext(), workspace(c).ID, c.Params("id"))
			if err != nil {
				return err
			}
			data := fiber.Map{"Member": m, "Tokens": tokens}
			if !isHTMX(c) { // without JavaScript: the dialog as an open page
				data["Open"] = true
				return page(c, "members/_deactivate_dialog", data)
			}
			c.Set("HX-Retarget", "#dialog-slot")
			c.Set("HX-Reswap", "innerHTML")
			return partial(c, "members/_deactivate_dialog", data)
		}
	}
	m, err := h.store.Deactivate(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	return h.deactivated(c, m) // with Undo in the toast (undo.go)
}

func (h *Handler) reactivate(c *fiber.Ctx) error {
	m, err := h.store.Reactivate(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	msg := "Reactivated " + m.DisplayName + "."
	if m.Status == models.StatusInvited {
		h.opts.EmailQueued()
		msg = "Invited " + m.DisplayName + " again: they never joined, so they get a new link."
	}
	return h.rowChange(c, msg, m.ID, false, nil)
}

func (h *Handler) removeForm(c *fiber.Ctx) error {
	m, err := h.store.MemberByID(c.UserContext(), workspace(c).ID, c.Params("id"))
	if err != nil {
		return err
	}
	tokens, err := h.store.ActiveSCIMTokensOwnedBy(c.UserContext(), workspace(c).ID, m.ID)
	if err != nil {
		return err
	}
	return partial(c, "members/_remove_dialog", fiber.Map{"Member": m, "Tokens": tokens})
}

func (h *Handler) remove(c *fiber.Ctx) error {
	m, err := h.store.RemoveMember(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if fields, _, status, ok := formErrors(err); ok {
		// The dialog stays open and says why (the last active Admin, say),
		// and Cancel still closes it.
		if m, err = h.store.MemberByID(c.UserContext(), workspace(c).ID, c.Params("id")); err != nil {
			return err
		}
		c.Status(status)
		return partial(c, "members/_remove_dialog", fiber.Map{"Member": m, "Error": strings.Join(slices.Collect(maps.Values(fields)), " ")})
	}
	if err != nil {
		return domainError(err)
	}
	return h.rowChange(c, "Removed "+m.DisplayName+" from "+workspace(c).Name+".", m.ID, true, m)
}

// editMode keeps what the Edit form held when it switches between one
// role and several: its fields come along as query parameters.
func editMode(c *fiber.Ctx, m *models.Member, form fiber.Map) {
	args := c.Request().URI().QueryArgs()
	if !args.Has("name") {
		return // opened afresh
	}
	if !m.SCIMManaged { // the identity provider's values stay as they are
		form["name"], form["location"] = c.Query("name"), c.Query("location")
	}
	chosen := map[string]bool{}
	for _, v := range args.PeekMulti("role") {
		if id := strings.TrimSpace(string(v)); id != "" {
			chosen[id] = true
		}
	}
	form["roles"] = chosen
}
