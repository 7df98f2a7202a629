package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// headerSince carries a page's change token: the page sends it with its
// requests that change something, and learns the token after its own
// change in the answer (see watchChanges).
const headerSince = "X-Muster-Since"

// changesPoll is what partials/changes_poll needs: where the page asks
// whether its workspace changed, and the token it has seen.
type changesPoll struct{ URL, Since string }

// newChangesPoll reads the workspace's change token for a page about to
// show members or roles: read before the page's data, so a change between
// the two reloads the page once too often rather than never.
func (h *Handler) newChangesPoll(c *fiber.Ctx, what string) (changesPoll, error) {
	ws := workspace(c)
	tok, err := h.store.ChangeToken(c.UserContext(), ws.ID)
	return changesPoll{URL: "/w/" + ws.Slug + "/" + what + "/changes", Since: tok}, err
}

// changesPollAt is newChangesPoll for a page whose data was read under
// the change counter changes (models.MemberPage.Changes), read before it:
// the token ChangeToken would have given then.
func changesPollAt(slug, what string, changes int64) changesPoll {
	return changesPoll{URL: "/w/" + slug + "/" + what + "/changes", Since: strconv.FormatInt(changes, 10)}
}

// membersChanges and rolesChanges answer the members and roles pages'
// polls (every few seconds while the page is in sight): 204 while the
// workspace's change token is still since, otherwise the poller with the
// new token and an event that reloads the page's table or list for the
// view it shows. What an identity provider, an import or another admin
// changes so shows up without a reload.
func (h *Handler) membersChanges(c *fiber.Ctx) error {
	return h.pollChanges(c, "members", "membersRefresh")
}

func (h *Handler) rolesChanges(c *fiber.Ctx) error {
	return h.pollChanges(c, "roles", "rolesRefresh")
}

func (h *Handler) pollChanges(c *fiber.Ctx, what, event string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	poll, err := h.newChangesPoll(c, what)
	if err != nil {
		// A poll that failed says nothing; the next one asks again (an
		// error would put a toast on the page every few seconds).
		h.log.Warn("read the change token", "workspace", workspace(c).ID, "err", err)
		return c.SendStatus(fiber.StatusNoContent)
	}
	if c.Query("since") == poll.Since {
		return c.SendStatus(fiber.StatusNoContent)
	}
	trigger(c, event, true)
	c.Set(headerSince, poll.Since)
	return partial(c, "partials/changes_poll", fiber.Map{"Poll": poll})
}

// watchChanges runs a page's change (any method but GET) under a
// models.ChangeWatch when the page sent its change token: if the change
// was the only one to the workspace since that token, the answer carries
// the token after it, and the page takes it, so it does not reload its
// table for a change it has already swapped in itself (which would also
// undo what the page did with that change: a new row shown on top, the
// focus on a row's menu).
func (h *Handler) watchChanges(c *fiber.Ctx) error {
	since := c.Get(headerSince)
	if since == "" || c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	ctx, w := models.WatchChanges(c.UserContext(), workspace(c).ID, since)
	c.SetUserContext(ctx)
	if err := c.Next(); err != nil {
		return err
	}
	if tok, ok := w.Token(); ok && c.Response().StatusCode() < fiber.StatusMultipleChoices {
		c.Set(headerSince, tok)
	}
	return nil
}
