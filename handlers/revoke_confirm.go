package handlers

import "github.com/gofiber/fiber/v2"

// revokeForm asks before revoking an invitation. Deactivate offers Undo
// instead, but a revoked link is dead for good: an Undo would have to send
// a new link (a second email, the first one's link still dead), which is
// no undo. So Revoke is confirmed first, as Remove is.
func (h *Handler) revokeForm(c *fiber.Ctx) error {
	m, err := h.store.MemberByID(c.UserContext(), workspace(c).ID, c.Params("id"))
	if err != nil {
		return err
	}
	return partial(c, "members/_revoke_dialog", fiber.Map{"Member": m})
}
