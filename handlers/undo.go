package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// undoToast replaces the success toast of an action with one that offers
// Undo: app.js draws the button, which posts the audit event's id to url.
func undoToast(c *fiber.Ctx, message, url, eventID string) {
	trigger(c, "showToast", map[string]any{"kind": "success", "message": message,
		"undo": map[string]string{"url": url, "event": eventID}})
}

// deactivated answers a deactivation: the row, and a toast with Undo when
// there is a deactivation of this viewer's to undo.
func (h *Handler) deactivated(c *fiber.Ctx, m *models.Member) error {
	msg := "Deactivated " + m.DisplayName + ". Their access ended at once."
	if err := h.rowChange(c, msg, m.ID, false, nil); err != nil {
		return err
	}
	ev, err := h.store.DeactivationToUndo(c.UserContext(), actor(c), workspace(c).ID, m.ID)
	if err != nil || ev == "" {
		return nil // the toast without Undo; Reactivate stays in the row
	}
	undoToast(c, msg, "/w/"+workspace(c).Slug+"/members/"+m.ID+"/undo-deactivate", ev)
	return nil
}

// undoDeactivate is the toast's Undo: the member active again, unless the
// Undo no longer applies (then a toast says why).
func (h *Handler) undoDeactivate(c *fiber.Ctx) error {
	m, err := h.store.UndoDeactivate(c.UserContext(), actor(c), workspace(c), c.Params("id"), c.FormValue("event"))
	if err != nil {
		return domainError(err)
	}
	return h.rowChange(c, "Undone: "+m.DisplayName+" is active again. They sign in again to get back in.", m.ID, false, nil)
}
