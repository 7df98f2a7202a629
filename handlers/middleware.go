package handlers

import (
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

const sessionCookie = "muster_session"

// Keys of c.Locals; PassLocalsToViews hands them to every template too.
const (
	localAccount    = "Account"
	localWorkspace  = "Workspace"
	localMember     = "Member"
	localPerms      = "Perms"
	localWorkspaces = "Workspaces"
	// For member rows (see noteRowContext); "Member" is not used for the
	// viewer there, as dialogs and rows pass the member they show under it.
	localSoleAdmin = "SoleAdmin"
	localViewerID  = "ViewerID"
	// The workspace's counters as loadWorkspace read them, when this
	// request has written nothing since (models.MemberQuery.Counters).
	localCounters = "WorkspaceCounters"
)

func account(c *fiber.Ctx) *models.Account {
	a, _ := c.Locals(localAccount).(*models.Account)
	return a
}

func workspace(c *fiber.Ctx) *models.Workspace {
	w, _ := c.Locals(localWorkspace).(*models.Workspace)
	return w
}

func member(c *fiber.Ctx) *models.Member {
	m, _ := c.Locals(localMember).(*models.Member)
	return m
}

func perms(c *fiber.Ctx) models.PermissionSet {
	p, _ := c.Locals(localPerms).(models.PermissionSet)
	return p
}

// loadSession finds who is signed in. A cookie that names no live session
// (tampered with, expired, signed out elsewhere) is cleared, so the browser
// is simply signed out.
func (h *Handler) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(sessionCookie)
	if token == "" {
		return c.Next()
	}
	acc, err := h.store.SessionAccount(c.UserContext(), token)
	switch {
	case errors.Is(err, models.ErrNotFound):
		h.clearSessionCookie(c)
		// Remember why, for the requests that follow (the sign-in page, a
		// dialog's save): the session cookie is gone after this one.
		why := h.store.SessionEndedReason(c.UserContext(), token)
		if why == "" {
			why = sessionExpired
		}
		c.Cookie(&fiber.Cookie{Name: endedCookie, Value: why, Path: "/", HTTPOnly: true, SameSite: "Lax",
			Secure: h.opts.Secure, MaxAge: 3600})
		c.Request().Header.SetCookie(endedCookie, why)
	case err != nil:
		return err
	default:
		c.Locals(localAccount, acc)
	}
	return c.Next()
}

func (h *Handler) setSessionCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, SameSite: "Lax",
		Secure: h.opts.Secure, Expires: time.Now().Add(30 * 24 * time.Hour)})
	c.ClearCookie(endedCookie) // a new session: whatever ended the last one is old news
}

func (h *Handler) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: "Lax",
		Secure: h.opts.Secure, Expires: time.Unix(1, 0), MaxAge: -1})
}

// endedCookie says why the last session ended, for an hour: "expired", or
// a reason of models.SessionEndedReason.
const (
	endedCookie    = "muster_ended"
	sessionExpired = "expired"
)

// endedMessage is what the sign-in page and an open dialog say about why
// the session ended; "" when it was not ended, or was signed out.
func endedMessage(why string) string {
	switch why {
	case models.SessionDeactivated:
		return "You were signed out because your access was turned off. If you think that is a mistake, ask an admin of your workspace."
	case models.SessionRemoved:
		return "You were signed out because you were removed from your workspace. If you think that is a mistake, ask one of its admins."
	case sessionExpired:
		return "Your session ended. Sign in again to go on."
	}
	return ""
}

// sessionEnded answers a request from within a page whose session is gone:
// 401, and the event sessionEnded with why (see app.js).
func sessionEnded(c *fiber.Ctx) error {
	why := c.Cookies(endedCookie)
	if endedMessage(why) == "" {
		why = sessionExpired
	}
	trigger(c, "sessionEnded", fiber.Map{"message": endedMessage(why)})
	c.Set("HX-Reswap", "none")
	return c.SendStatus(fiber.StatusUnauthorized)
}

// requireAccount sends signed-out visitors to sign in, and back here
// afterwards. A request from within a page (htmx) instead gets 401 and the
// event sessionEnded: the page keeps what was typed in an open dialog and
// offers to sign in again, then to retry.
func (h *Handler) requireAccount(c *fiber.Ctx) error {
	if account(c) != nil {
		return c.Next()
	}
	if isHTMX(c) {
		return sessionEnded(c)
	}
	next := c.OriginalURL()
	if isHTMX(c) {
		// A partial's URL is no place to come back to; the page is.
		next = c.Get("HX-Current-URL")
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		}
	}
	return redirect(c, "/signin?next="+url.QueryEscape(next))
}

// loadWorkspace resolves /w/:slug for the signed-in account. A workspace the
// account is not in answers 404, as if it did not exist: slugs are not to
// be probed.
func (h *Handler) loadWorkspace(c *fiber.Ctx) error {
	ctx := c.UserContext()
	// The header's switcher lists the workspaces the account is active in;
	// the one asked for is nearly always among them, which saves reading
	// it again. Otherwise (deactivated here, or not a member) read it.
	wss, err := h.store.WorkspacesForAccount(ctx, account(c).ID)
	if err != nil {
		return err
	}
	var ws *models.Workspace
	for i := range wss {
		if wss[i].Slug == c.Params("slug") {
			ws = &wss[i]
			break
		}
	}
	if ws == nil {
		if ws, err = h.store.WorkspaceBySlug(ctx, c.Params("slug")); err != nil {
			return err
		}
	}
	m, ps, counters, err := h.store.MembershipAt(ctx, ws.ID, account(c).ID)
	if err != nil {
		return err
	}
	switch m.Status {
	case models.StatusActive:
	case models.StatusDeactivated:
		return fiber.NewError(fiber.StatusForbidden, "Your access to "+ws.Name+" has been deactivated. Ask one of its admins if this is a mistake.")
	default:
		return models.ErrNotFound
	}
	seen := m.LastSeenAt
	if err := h.store.TouchMember(ctx, m); err != nil {
		return err
	}
	if m.LastSeenAt == seen { // nothing written: the counters still hold for this request
		c.Locals(localCounters, &counters)
	}
	c.Locals(localWorkspace, ws)
	c.Locals(localMember, m)
	c.Locals(localPerms, ps)
	c.Locals(localWorkspaces, wss)
	return c.Next()
}

// require refuses members whose roles do not grant p.
func require(p models.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !perms(c).Has(p) {
			return fiber.NewError(fiber.StatusForbidden, "")
		}
		return c.Next()
	}
}
