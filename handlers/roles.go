package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

func (h *Handler) rolesIndex(c *fiber.Ctx) error {
	// The list alone when it reloads itself (rolesRefresh: a change made
	// elsewhere, found by the page's poll).
	if isHTMX(c) && c.Get("HX-Target") == "roles-list" {
		sums, err := h.store.RoleSummaries(c.UserContext(), workspace(c).ID)
		if err != nil {
			return err
		}
		return partial(c, "roles/_list", fiber.Map{"Roles": sums})
	}
	poll, err := h.newChangesPoll(c, "roles")
	if err != nil {
		return err
	}
	sums, err := h.store.RoleSummaries(c.UserContext(), workspace(c).ID)
	if err != nil {
		return err
	}
	return page(c, "roles/index", fiber.Map{"Title": "Roles", "Roles": sums, "Catalog": models.Catalog, "Poll": poll})
}

// roleForm opens the role dialog: empty for a new role, filled for an edit.
func (h *Handler) roleForm(c *fiber.Ctx) error {
	data := fiber.Map{"Catalog": models.Catalog, "Form": fiber.Map{"perms": map[string]bool{string(models.PermViewMembers): true}}}
	if id := c.Params("rid"); id != "" {
		r, err := h.store.RoleByID(c.UserContext(), workspace(c).ID, id)
		if err != nil {
			return err
		}
		chosen := map[string]bool{}
		for _, p := range r.PermissionList() {
			chosen[string(p)] = true
		}
		data["Role"] = r
		data["Form"] = fiber.Map{"name": r.Name, "description": r.Description, "perms": chosen}
	}
	return partial(c, "roles/_dialog", data)
}

// saveRole creates (no :rid) or updates a role from the dialog; the roles
// list is swapped out of band.
func (h *Handler) saveRole(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	var perms []models.Permission
	chosen := map[string]bool{}
	for _, v := range c.Request().PostArgs().PeekMulti("perm") {
		perms = append(perms, models.Permission(v))
		chosen[string(v)] = true
	}
	in := models.RoleInput{Name: c.FormValue("name"), Description: c.FormValue("description"), Permissions: perms}
	var r *models.Role
	var err error
	id := c.Params("rid")
	if id == "" {
		r, err = h.store.CreateRole(ctx, actor(c), ws, in)
	} else {
		r, err = h.store.UpdateRole(ctx, actor(c), ws, id, in)
	}
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		data := fiber.Map{"Catalog": models.Catalog, "Errors": fields, "Form": fiber.Map{"name": in.Name, "description": in.Description, "perms": chosen}}
		if id != "" {
			if data["Role"], err = h.store.RoleByID(ctx, ws.ID, id); err != nil {
				return err
			}
		}
		c.Status(status)
		return partial(c, "roles/_dialog", data)
	}
	return h.rolesChanged(c, "Saved the role "+r.Name+".")
}

// rolesChanged closes the dialog and swaps the roles list out of band.
func (h *Handler) rolesChanged(c *fiber.Ctx, message string) error {
	sums, err := h.store.RoleSummaries(c.UserContext(), workspace(c).ID)
	if err != nil {
		return err
	}
	done(c, message)
	return partial(c, "roles/_list", fiber.Map{"Roles": sums, "OOB": true})
}

func (h *Handler) deleteRoleForm(c *fiber.Ctx) error {
	return h.deleteRoleDialog(c, fiber.StatusOK, nil)
}

func (h *Handler) deleteRoleDialog(c *fiber.Ctx, status int, errs map[string]string) error {
	sums, err := h.store.RoleSummaries(c.UserContext(), workspace(c).ID)
	if err != nil {
		return err
	}
	var target *models.RoleSummary
	var others []models.RoleSummary
	for i := range sums {
		if sums[i].ID == c.Params("rid") {
			target = &sums[i]
		} else {
			others = append(others, sums[i])
		}
	}
	if target == nil {
		return models.ErrNotFound
	}
	c.Status(status)
	return partial(c, "roles/_delete_dialog", fiber.Map{"Role": target, "Others": others, "Errors": errs, "MoveTo": c.FormValue("move_to")})
}

func (h *Handler) deleteRole(c *fiber.Ctx) error {
	r, moved, err := h.store.DeleteRole(c.UserContext(), actor(c), workspace(c), c.Params("rid"), c.FormValue("move_to"))
	if err != nil {
		if fields, _, status, ok := formErrors(err); ok && fields["move_to"] != "" {
			return h.deleteRoleDialog(c, status, fields)
		}
		return domainError(err)
	}
	msg := "Deleted the role " + r.Name + "."
	if moved > 0 {
		msg = "Deleted the role " + r.Name + "; its members have moved."
	}
	return h.rolesChanged(c, msg)
}
