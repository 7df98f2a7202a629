package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/internal/bounded"
	"github.com/muster-app/muster/models"
)

// The members page around its rows (the layout, the header, the filters,
// the count, the table's head, the pager) was a quarter of a view's CPU,
// spent in html/template on the same output view after view. So the page
// is rendered with a marker where the rows go (rowsHTML writes it when
// the data asks), split there, and the two halves kept under a key that
// names everything they show: who is signed in (their session's CSRF
// token, name, email, permissions, workspaces), the workspace, the
// address and htmx headers asked with, and the workspace's change counter
// the page was read under, which moves with every change to a member,
// their roles or a role, on any replica (models/members_page_cache.go).
// The rows are written anew on each view (member_row_html.go): they show
// times ("5 minutes ago") and invitations, which the counter does not
// cover. A kept shell is never served to another session, nor for
// another workspace; the "expired" filter (changes with the clock) and a
// store that keeps no pages are not kept.

// shellCacheMax bounds the shells kept (each some kB).
const shellCacheMax = 256

// rowsSlot, set in a page's data, has rowsHTML write rowsMarker instead
// of the rows; the marker holds random bytes, so no text a member
// typed can be taken for it (it is escaped anyway).
const rowsSlot = "RowsSlot"

var rowsMarker = func() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "<!--rows " + hex.EncodeToString(b) + "-->"
}()

type membersShell struct {
	before, after []byte
	rows          bool // the page has a table to put rows in
}

// shellCache keeps shells by membersShellKey; full, one shell at random
// makes room (bounded.Map).
type shellCache = bounded.Map[string, membersShell]

func newShellCache() *shellCache { return bounded.New[string, membersShell](shellCacheMax) }

// membersShellKey names what a members page shows around its rows, or is
// "" when the page is not to be kept. changes is the change counter the
// page (rows, counts, cursors) and roles were read under.
func (h *Handler) membersShellKey(c *fiber.Ctx, changes int64, status string, roles []models.Role) string {
	if changes < 0 || status == models.FilterExpired || h.store.NoMemberPageCache {
		return ""
	}
	acc, ws := account(c), workspace(c)
	csrf, _ := c.Locals(csrfLocal).(string)
	if acc == nil || ws == nil || csrf == "" {
		return ""
	}
	var k strings.Builder
	add := func(s ...string) {
		for _, x := range s {
			k.WriteString(x)
			k.WriteByte(0)
		}
	}
	add(csrf, acc.ID, acc.Name, acc.Email, ws.ID, ws.Name, ws.Slug, strconv.FormatInt(changes, 10),
		c.OriginalURL(), c.Get("HX-Request"), c.Get("HX-Target"), c.Get("HX-Boosted"), c.Get("HX-History-Restore-Request"))
	ps := make([]string, 0, len(perms(c)))
	for p, ok := range perms(c) {
		if ok {
			ps = append(ps, string(p))
		}
	}
	slices.Sort(ps)
	add(ps...)
	k.WriteByte(1)
	wss, _ := c.Locals(localWorkspaces).([]models.Workspace)
	for _, w := range wss {
		add(w.ID, w.Name, w.Slug)
	}
	k.WriteByte(1)
	for _, r := range roles {
		add(r.ID, r.Name)
	}
	return k.String()
}

// renderMembers renders the members page (members/index, or
// members/_results alone for htmx), its shell from the cache under key
// when kept there (key "" neither reads nor keeps one).
func (h *Handler) renderMembers(c *fiber.Ctx, key string, partialOnly bool, data fiber.Map, members []*models.Member) error {
	root := map[string]any{
		localPerms: perms(c), localWorkspace: workspace(c), "SelfURL": data["SelfURL"],
		localViewerID: c.Locals(localViewerID), localSoleAdmin: c.Locals(localSoleAdmin),
	}
	if key != "" {
		if s, ok := h.shells.Get(key); ok {
			h.writeShell(c, s, members, root)
			return nil
		}
	}
	render := func() error {
		if partialOnly {
			return partial(c, "members/_results", data)
		}
		return page(c, "members/index", data)
	}
	data[rowsSlot] = true
	if err := render(); err != nil {
		return err
	}
	body := c.Response().Body()
	var s membersShell
	switch bytes.Count(body, []byte(rowsMarker)) {
	case 0:
		s.before = bytes.Clone(body)
	case 1:
		i := bytes.Index(body, []byte(rowsMarker))
		s.before, s.after, s.rows = bytes.Clone(body[:i]), bytes.Clone(body[i+len(rowsMarker):]), true
	default: // not a page this cache knows: rendered whole
		delete(data, rowsSlot)
		return render()
	}
	if key != "" {
		h.shells.Put(key, s)
	}
	h.writeShell(c, s, members, root)
	return nil
}

// writeShell answers with shell s and the rows of members in it.
func (h *Handler) writeShell(c *fiber.Ctx, s membersShell, members []*models.Member, root map[string]any) {
	res := c.Response()
	res.Header.SetContentType(fiber.MIMETextHTMLCharsetUTF8)
	res.ResetBody()
	res.AppendBody(s.before)
	if s.rows {
		res.AppendBodyString(string(rowsHTML(h.store.Now(), members, root)))
		res.AppendBody(s.after)
	}
}

// rowsHTML writes a page of member rows (member_row_html.go) in one
// call instead of a template per row.
func rowsHTML(now time.Time, members []*models.Member, root map[string]any) template.HTML {
	var w htmlWriter
	w.b.Grow(rowSize * len(members))
	for _, m := range members {
		r := pageRow(now, m, root, false)
		w.row(&r)
	}
	return w.html()
}
