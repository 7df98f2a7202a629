package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// newWorkspaceForm opens the "New workspace" dialog (or a page without htmx).
func (h *Handler) newWorkspaceForm(c *fiber.Ctx) error {
	data := fiber.Map{"Title": "New workspace", "Form": fiber.Map{}, "InDialog": isHTMX(c)}
	if isHTMX(c) {
		return partial(c, "workspaces/_new_dialog", data)
	}
	return page(c, "workspaces/new", data)
}

func (h *Handler) createWorkspace(c *fiber.Ctx) error {
	name := c.FormValue("name")
	ws, err := h.store.CreateWorkspace(c.UserContext(), account(c), name)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		c.Status(fiber.StatusUnprocessableEntity)
		data := fiber.Map{"Title": "New workspace", "Errors": verr.Fields, "Form": fiber.Map{"name": name}, "InDialog": isHTMX(c)}
		if isHTMX(c) {
			return partial(c, "workspaces/_new_dialog", data)
		}
		return page(c, "workspaces/new", data)
	}
	if err != nil {
		return err
	}
	return redirect(c, "/w/"+ws.Slug+"/members")
}
