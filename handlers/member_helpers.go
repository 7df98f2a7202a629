package handlers

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// actor is who the audit log names for this request, limited to granting
// the permissions they hold.
func actor(c *fiber.Ctx) models.Actor { return models.MemberActor(member(c)).WithPerms(perms(c)) }

// done closes the open dialog, shows a toast and swaps nothing but the
// out-of-band rows in the body.
func done(c *fiber.Ctx, message string) {
	trigger(c, "closeDialog", true)
	toast(c, "success", message)
	c.Set("HX-Reswap", "none")
}

// rowChange answers an action on one member: the toast, and the row as it
// is now (or its removal), out of band.
func (h *Handler) rowChange(c *fiber.Ctx, message, memberID string, removed bool, m *models.Member) error {
	if onMemberPage(c) { // the member's page has no row: it shows the page as it is now
		return h.memberPageChange(c, message, memberID, removed)
	}
	if !removed {
		var err error
		if m, err = h.store.MemberByID(c.UserContext(), workspace(c).ID, memberID); err != nil {
			return err
		}
	}
	if err := h.noteRowContext(c); err != nil {
		return err
	}
	done(c, message)
	membersChanged(c)
	return partial(c, "members/_row_oob", fiber.Map{"Member": m, "Removed": removed || !fitsView(c, m), "Updated": true})
}

// noteRowContext tells the member rows to be rendered who is looking and
// who the workspace's only active Admin is, if it has one, so that those
// rows' menus show Deactivate and Remove disabled with the reason rather
// than offering what would fail. Only a viewer who may remove members
// needs it.
func (h *Handler) noteRowContext(c *fiber.Ctx) error {
	return h.noteRowContextAt(c, -1)
}

// noteRowContextAt is noteRowContext for a page read under the change
// counter changes (negative: none): the sole Admin is kept under it
// (models.Store.SoleActiveAdminAt).
func (h *Handler) noteRowContextAt(c *fiber.Ctx, changes int64) error {
	if !perms(c).Has(models.PermRemoveMembers) {
		return nil
	}
	id, err := h.store.SoleActiveAdminAt(c.UserContext(), workspace(c).ID, changes)
	if err != nil {
		return err
	}
	c.Locals(localSoleAdmin, id)
	c.Locals(localViewerID, member(c).ID)
	return nil
}

// membersChanged tells the page that who is in the workspace changed, so
// the count (or an empty state) reloads for the view it shows.
func membersChanged(c *fiber.Ctx) { trigger(c, "membersChanged", true) }

// domainError turns what the domain layer refused into an HTTP error whose
// message people can act on (a toast for htmx requests).
func domainError(err error) error {
	var conflict *models.ConflictError
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &conflict):
		return fiber.NewError(fiber.StatusConflict, conflict.Message)
	case errors.As(err, &rl):
		return fiber.NewError(fiber.StatusTooManyRequests, rl.Error())
	}
	return err
}

// formErrors maps a domain refusal onto a form: field messages, and the
// conflict itself so the form can offer its way out. ok is false for
// errors that are not about the input.
func formErrors(err error) (fields map[string]string, conflict *models.ConflictError, status int, ok bool) {
	var verr *models.ValidationError
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &verr):
		return verr.Fields, nil, fiber.StatusUnprocessableEntity, true
	case errors.As(err, &conflict):
		field := conflict.Field
		if field == "" {
			field = "form"
		}
		return map[string]string{field: conflict.Message}, conflict, fiber.StatusUnprocessableEntity, true
	case errors.As(err, &rl):
		return map[string]string{"form": rl.Error()}, nil, fiber.StatusTooManyRequests, true
	}
	return nil, nil, 0, false
}

// selectedRoles reads the role checkboxes or radio of a form.
func selectedRoles(c *fiber.Ctx) ([]string, map[string]bool) {
	var ids []string
	set := map[string]bool{}
	for _, v := range c.Request().PostArgs().PeekMulti("role") {
		id := strings.TrimSpace(string(v))
		if id != "" && !set[id] {
			ids = append(ids, id)
			set[id] = true
		}
	}
	return ids, set
}

func formatDate(t time.Time) string { return t.UTC().Format("Monday, January 2, 2006 at 15:04 UTC") }
