package handlers

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// memberEventsShown bounds the audit history on a member's page; the rest
// is in the audit log.
const memberEventsShown = 10

// memberPage is what a member's page shows. Its actions are the row's "…"
// menu's (memberRow), under the same rules.
type memberPage struct {
	memberRow
	D *models.MemberDetails
	// The Role form: the workspace's roles, the chosen ones, whether they
	// are shown as checkboxes (several roles) or a dropdown, and errors.
	EditRoles bool
	Roles     []models.Role
	Selected  map[string]bool
	Several   bool
	Errors    map[string]string
	BackURL   string // the members table as the viewer left it
	Back      string // "?back=…" for links to other members' pages
	AuditURL  string // the audit log filtered to this member, for who may read it
	Source    string // where the member came from, in words
	// ManagerURL is the manager's page when the manager is a member here.
	ManagerURL string
}

func (h *Handler) memberPage(c *fiber.Ctx) error {
	if !looksLikeID(c.Params("id")) {
		return c.Next() // another route's path (/members/export.csv, say)
	}
	p, err := h.memberPageView(c, c.Params("id"))
	if err != nil {
		return err
	}
	return page(c, "members/show", fiber.Map{"Title": p.M.DisplayName, "P": p})
}

// memberRolesForm answers "Give several roles" and "One role only": the
// Role form again, as checkboxes or as a dropdown.
func (h *Handler) memberRolesForm(c *fiber.Ctx) error {
	p, err := h.memberPageView(c, c.Params("id"))
	if err != nil {
		return err
	}
	p.Several = c.Query("several") == "1"
	return partial(c, "members/_member_roles", fiber.Map{"P": p})
}

// saveMemberRoles is the page's Role form: the roles chosen replace the
// member's roles, through the same domain method as the Edit dialog.
func (h *Handler) saveMemberRoles(c *fiber.Ctx) error {
	ctx, ws, id := c.UserContext(), workspace(c), c.Params("id")
	ids, chosen := selectedRoles(c)
	m, err := h.store.UpdateMember(ctx, actor(c), ws, id, models.UpdateInput{RoleIDs: ids, RolesOnly: true})
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		p, perr := h.memberPageView(c, id)
		if perr != nil {
			return perr
		}
		p.Selected, p.Errors, p.Several = chosen, fields, c.FormValue("roles_mode") == "several"
		c.Status(status)
		if isHTMX(c) {
			return partial(c, "members/_member_roles", fiber.Map{"P": p})
		}
		return page(c, "members/show", fiber.Map{"Title": p.M.DisplayName, "P": p})
	}
	msg := "Saved: " + m.DisplayName + " has the role " + roleList(m.Roles) + "."
	if len(m.Roles) > 1 {
		msg = "Saved: " + m.DisplayName + " has the roles " + roleList(m.Roles) + "."
	}
	if !isHTMX(c) {
		return redirect(c, "/w/"+ws.Slug+"/members/"+m.ID+backQuery(c, ws.Slug))
	}
	return h.memberPageChange(c, msg, m.ID, false)
}

func roleList(roles []models.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// memberPageView gathers the page of member id for the viewer.
func (h *Handler) memberPageView(c *fiber.Ctx, id string) (*memberPage, error) {
	ctx, ws, viewer := c.UserContext(), workspace(c), perms(c)
	m, err := h.store.MemberByID(ctx, ws.ID, id)
	if err != nil {
		return nil, err
	}
	soleAdmin := ""
	if viewer.Has(models.PermRemoveMembers) {
		if soleAdmin, err = h.store.SoleActiveAdmin(ctx, ws.ID); err != nil {
			return nil, err
		}
	}
	limit := 0 // the audit history is for who may read the audit log
	if viewer.Has(models.PermViewAudit) {
		limit = memberEventsShown
	}
	d, err := h.store.MemberDetails(ctx, m, limit)
	if err != nil {
		return nil, err
	}
	p := &memberPage{memberRow: newMemberRow(h.store.Now(), m, viewer, ws, member(c).ID, soleAdmin, false), D: d,
		EditRoles: viewer.Has(models.PermEditMembers), Selected: map[string]bool{}, Several: len(m.Roles) > 1,
		BackURL: membersBackURL(c, ws.Slug), Source: sourceText(d.Source)}
	p.Back = backQuery(c, ws.Slug)
	for _, r := range m.Roles {
		p.Selected[r.ID] = true
	}
	if p.EditRoles {
		if p.Roles, err = h.store.Roles(ctx, ws.ID); err != nil {
			return nil, err
		}
	}
	if limit > 0 {
		p.AuditURL = "/w/" + ws.Slug + "/audit?member=" + url.QueryEscape(m.DisplayName)
	}
	if d.Directory.Manager != nil {
		p.ManagerURL = "/w/" + ws.Slug + "/members/" + d.Directory.Manager.ID + p.Back
	}
	return p, nil
}

// sourceText says where a member came from.
func sourceText(s models.MemberSource) string {
	by := actorLabel(s.ActorKind, s.ActorName)
	switch s.Kind {
	case models.SourceFounder:
		return "Created the workspace"
	case models.SourceInvited:
		return "Invited by " + by
	case models.SourceImport:
		return "CSV import " + s.Import + ", by " + by
	case models.SourceSCIM:
		if s.ActorKind == "scim_token" {
			return "Provisioned by the identity provider through the SCIM token " + s.ActorName
		}
		return "Provisioned through SCIM by " + by
	case models.SourceSSO:
		return "Joined with single sign-on (just in time)"
	}
	return "Not recorded"
}

// memberPageChange answers an action taken on a member's page: the page's
// main part as it is now, out of band, or, when the member is gone, the
// members table the viewer came from.
func (h *Handler) memberPageChange(c *fiber.Ctx, message, memberID string, removed bool) error {
	ws := workspace(c)
	if removed {
		trigger(c, "closeDialog", true)
		toast(c, "success", message)
		loc, _ := json.Marshal(map[string]string{"path": membersBackURL(c, ws.Slug), "target": "#main", "select": "#main", "swap": "outerHTML"})
		c.Set("HX-Location", string(loc))
		return c.SendStatus(fiber.StatusNoContent)
	}
	done(c, message)
	if pageMemberID(c, ws.Slug) != memberID {
		return c.SendStatus(fiber.StatusNoContent)
	}
	p, err := h.memberPageView(c, memberID)
	if err != nil {
		return err
	}
	p.OOB = true
	return partial(c, "members/_member", fiber.Map{"P": p})
}

// pageMemberID is the member whose page sent this request (htmx says
// which page it came from), or "".
func pageMemberID(c *fiber.Ctx, slug string) string {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	if err != nil {
		return ""
	}
	id, ok := strings.CutPrefix(u.Path, "/w/"+slug+"/members/")
	if !ok || !looksLikeID(id) {
		return ""
	}
	return id
}

// onMemberPage: the request came from a member's page, whose answer is
// the page rather than a table row.
func onMemberPage(c *fiber.Ctx) bool { return pageMemberID(c, workspace(c).Slug) != "" }

// membersBackURL is where "Back to members" goes: the table view given in
// back (or, for a page opened from the table without it, the view htmx
// says the request came from), if it is a members table of this
// workspace; otherwise the table's first view. Never another site.
func membersBackURL(c *fiber.Ctx, slug string) string {
	if u, ok := safeMembersURL(c.Query("back"), slug); ok {
		return u
	}
	if cur, err := url.Parse(c.Get("HX-Current-URL")); err == nil && cur.Path != "" {
		if u, ok := safeMembersURL(cur.Query().Get("back"), slug); ok && pageMemberIDOf(cur.Path, slug) {
			return u
		}
		if u, ok := safeMembersURL(cur.Path+"?"+cur.RawQuery, slug); ok {
			return u
		}
	}
	return "/w/" + slug + "/members"
}

// backQuery carries the way back to the table on to another page.
func backQuery(c *fiber.Ctx, slug string) string {
	back := membersBackURL(c, slug)
	if back == "/w/"+slug+"/members" {
		return ""
	}
	return "?back=" + url.QueryEscape(back)
}

func pageMemberIDOf(path, slug string) bool {
	id, ok := strings.CutPrefix(path, "/w/"+slug+"/members/")
	return ok && looksLikeID(id)
}

// safeMembersURL accepts raw only as a path on this site to the members
// table of workspace slug, and returns it rebuilt from its parts.
func safeMembersURL(raw, slug string) (string, bool) {
	if raw == "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n\t") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Path != "/w/"+slug+"/members" {
		return "", false
	}
	out := u.Path
	if q := u.Query().Encode(); q != "" {
		out += "?" + q
	}
	return out, true
}

// memberPageURL links a row's name to the member's page, carrying the
// table view (self) it was shown in.
func memberPageURL(base, self, slug string) string {
	if self == "" || self == "/w/"+slug+"/members" {
		return base
	}
	return base + "?back=" + url.QueryEscape(self)
}

// looksLikeID: a member id is a UUID.
func looksLikeID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case '0' <= r && r <= '9', 'a' <= r && r <= 'f', 'A' <= r && r <= 'F':
		default:
			return false
		}
	}
	return true
}

// roleOption is one role in a Role dropdown.
type roleOption struct {
	ID, Name       string
	Selected, Lock bool
}

// roleSelect gathers what members/_role_select needs: one role chosen of
// the workspace's, or none (a placeholder) when several or none are.
// Roles with a permission the viewer lacks cannot be chosen; when the
// member's one role is such a role, the viewer cannot change it at all.
func roleSelect(roles []models.Role, selected map[string]bool, errs map[string]string, viewer models.PermissionSet) map[string]any {
	opts := make([]roleOption, 0, len(roles))
	var chosen []string
	locked := ""
	for _, r := range roles {
		o := roleOption{ID: r.ID, Name: r.Name, Selected: selected[r.ID] && len(selected) == 1, Lock: !canGiveAll(viewer, []models.Role{r})}
		if selected[r.ID] {
			chosen = append(chosen, r.Name)
			if o.Lock && len(selected) == 1 {
				locked = r.ID
			}
		}
		opts = append(opts, o)
	}
	return map[string]any{"Options": opts, "Several": chosen, "Placeholder": len(selected) != 1, "Locked": locked, "Error": errs["role"]}
}

// withMemberSection adds the member's page as it is now, out of band, to
// an answer already rendered (err is that rendering's error).
func (h *Handler) withMemberSection(c *fiber.Ctx, memberID string, err error) error {
	if err != nil || pageMemberID(c, workspace(c).Slug) != memberID {
		return err
	}
	first := append([]byte(nil), c.Response().Body()...)
	p, err := h.memberPageView(c, memberID)
	if err != nil {
		return err
	}
	p.OOB = true
	if err := partial(c, "members/_member", fiber.Map{"P": p}); err != nil {
		return err
	}
	c.Response().SetBody(append(first, c.Response().Body()...))
	return nil
}

// By names who did e when it was not the member themselves (accepting an
// invitation, say): " by Ada Lovelace".
func (p *memberPage) By(e models.AuditEvent) string {
	if e.ActorID != nil && *e.ActorID == p.M.ID {
		return ""
	}
	return " by " + actorLabel(e.ActorKind, e.ActorName)
}
