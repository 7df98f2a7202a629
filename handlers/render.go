package handlers

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// isHTMX reports whether a request wants a partial: htmx sent it, and it is
// neither a boosted navigation nor a history restore (those want whole pages).
func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true" && c.Get("HX-History-Restore-Request") != "true"
}

// page renders a whole page in the base layout.
func page(c *fiber.Ctx, name string, data fiber.Map) error {
	return c.Render(name, data)
}

// partial renders a template alone; the empty layout skips the base layout.
func partial(c *fiber.Ctx, name string, data fiber.Map) error {
	return c.Render(name, data, "")
}

// toast asks the page to show a message (app.js listens for showToast).
func toast(c *fiber.Ctx, kind, message string) {
	trigger(c, "showToast", map[string]string{"kind": kind, "message": message})
}

// trigger adds an event to the HX-Trigger header, keeping earlier ones.
func trigger(c *fiber.Ctx, event string, detail any) {
	events := map[string]any{}
	if prev := c.GetRespHeader("HX-Trigger"); prev != "" {
		_ = json.Unmarshal([]byte(prev), &events)
	}
	events[event] = detail
	b, _ := json.Marshal(events)
	c.Set("HX-Trigger", asciiJSON(b))
}

// asciiJSON escapes every non-ASCII character of JSON as \uXXXX: browsers
// read header values as Latin-1, so "José" would arrive as "JosÃ©".
func asciiJSON(b []byte) string {
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			sb.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&sb, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&sb, "\\u%04x", r)
		}
	}
	return sb.String()
}

// redirect sends the browser to url: htmx follows HX-Redirect with a full
// load (used when who is signed in changes), plain requests get a 303.
func redirect(c *fiber.Ctx, url string) error {
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", url)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

func canGiveAll(viewer models.PermissionSet, roles []models.Role) bool {
	for _, r := range roles {
		for _, p := range r.PermissionList() {
			if !viewer.Has(p) {
				return false
			}
		}
	}
	return true
}

type outcomeInfo struct{ Key, Label string }

// importOutcomes words what an import's preview found, in the order shown.
var importOutcomes = []outcomeInfo{
	{models.OutcomeInvite, "will be invited"}, {models.OutcomePending, "already invited"},
	{models.OutcomeDeactivated, "deactivated"}, {models.OutcomeMember, "already members (skipped)"},
	{models.OutcomeInvalid, "invalid"}, {models.OutcomeUnknownRole, "unknown role"},
	{models.OutcomeDuplicate, "duplicates in the file"},
}

func outcomeLabel(key string) string {
	for _, o := range importOutcomes {
		if o.Key == key {
			return o.Label
		}
	}
	return key
}

var actionLabels = map[string]string{
	"workspace.created": "Created the workspace", "workspace.updated": "Changed workspace settings",
	"member.joined": "Joined", "member.invited": "Invited", "member.updated": "Edited",
	"member.deactivated": "Deactivated", "member.reactivated": "Reactivated", models.ActionDeactivationUndone: "Reactivated (undid the deactivation)", "member.removed": "Removed",
	"invite.resent": "Resent the invitation", "invite.link_created": "Made a new invite link",
	"invite.revoked": "Revoked the invitation", "invite.accepted": "Accepted the invitation", "member.reinvited": "Invited again",
	"role.created": "Created the role", "role.updated": "Edited the role", "role.deleted": "Deleted the role",
	"demo.seeded": "Added demo members", "import.started": "Started an import", "import.completed": "Finished an import",
	"members.exported": "Exported members as CSV", "bulk.started": "Started a bulk change",
	"member.provisioned": "Provisioned", "scim_token.created": "Created the SCIM token", "scim_token.revoked": "Revoked the SCIM token",
	// Account changes, recorded in each workspace of the account (models/account_page.go).
	"account.password_reset_requested": "Asked for a password reset link", "account.password_reset_sent": "Sent a password reset link",
	"account.password_reset_link_created": "Made a password reset link (shell)", "account.password_reset": "Reset the password with a link",
	"account.password_changed": "Changed the password", "account.name_changed": "Changed the account name",
	"account.sessions_ended": "Signed out other sessions", "account.2fa_enabled": "Turned on two-factor sign-in",
	"account.2fa_disabled": "Turned off two-factor sign-in", "account.2fa_reset": "Reset two-factor sign-in",
	"account.recovery_code_used": "Signed in with a recovery code",
	"sso.configured":             "Configured single sign-on", "sso.tested": "Tested single sign-on", "sso.enforced": "Required single sign-on",
	"sso.enforcement_off": "Made single sign-on optional", "sso.break_glass_changed": "Changed the break-glass admins",
	"sso.signed_in": "Signed in with SSO", "sso.activated": "Joined through SSO", "sso.jit_joined": "Joined through SSO (just in time)",
}

// actorLabel names who acted in the audit log. A SCIM token acts under the
// name an admin gave it ("Okta"), which could be mistaken for a person's.
func actorLabel(kind, name string) string {
	if kind == "scim_token" {
		return name + " (SCIM token)"
	}
	return name
}

// templateFuncs are the views' functions; now is the store's clock, so
// "3 days ago" is measured on the clock the times were written with.
func templateFuncs(now func() time.Time, opts Options) template.FuncMap {
	return template.FuncMap{
		"version":      func() string { return opts.Version },
		"mailLogged":   func() bool { return opts.MailLogged },
		"ago":          func(t *time.Time) string { return ago(now(), t) },
		"datetime":     datetime,
		"initials":     initials,
		"number":       number,
		"sub":          func(a, b int) int { return a - b },
		"outcomes":     func() []outcomeInfo { return importOutcomes },
		"outcomeLabel": outcomeLabel,
		// canGive: may the viewer give this role (hold all its permissions)?
		"canGive": func(viewer models.PermissionSet, r models.Role) bool { return canGiveAll(viewer, []models.Role{r}) },
		// canGiveAll: may the viewer give (or take away) all these roles?
		"canGiveAll": canGiveAll,
		"ptr":        func(t time.Time) *time.Time { return &t },
		"title":      title,
		"lower":      strings.ToLower,
		// logTime and ms print the provisioning log's times and durations.
		"logTime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
		"ms": func(us int64) string {
			if us < 10000 {
				return fmt.Sprintf("%.1f ms", float64(us)/1000)
			}
			return fmt.Sprintf("%d ms", us/1000)
		},
		// actionLabel words an audit action for people; unknown ones show as they are.
		"actionLabel": func(action string) string {
			if l, ok := actionLabels[action]; ok {
				return l
			}
			return action
		},
		"actorLabel": actorLabel,
		// auditEntry words an audit event (audit_entries.go).
		"auditEntry": func(e models.AuditEvent) auditEntry { return newAuditEntry(&e) },
		// permLabel names a permission as the catalog does.
		"permLabel": func(p models.Permission) string {
			for _, info := range models.Catalog {
				if info.Name == p {
					return info.Label
				}
			}
			return string(p)
		},
		// field gathers what partials/field needs to draw one labelled input.
		"field": func(name, label, typ string, value any, errs map[string]string, autocomplete, hint string, autofocus bool) map[string]any {
			v, _ := value.(string)
			// After a failed submit app.js focuses the first field with an
			// error, so autofocus is only for a fresh form.
			return map[string]any{"Name": name, "Label": label, "Type": typ, "Value": v, "Error": errs[name],
				"Autocomplete": autocomplete, "Hint": hint, "Autofocus": autofocus && len(errs) == 0}
		},
		// readonly marks a field's input read-only: shown and sent with the
		// form, but not editable (a SCIM-managed member's name).
		"readonly": func(f map[string]any) map[string]any {
			f["Readonly"] = true
			return f
		},
		// row hands a member's row what it needs from the page: permissions
		// for its menu, the workspace for its URLs, and whether it is swapped
		// in out of band.
		"row": func(m *models.Member, root map[string]any, oob bool) memberRow {
			return pageRow(now(), m, root, oob)
		},
		// rowHTML writes a row (member_row_html.go) and rowsHTML a page of
		// them: one call instead of a template per row.
		"rowHTML": rowHTML,
		// With rowsSlot in the data, rowsHTML marks where the rows go
		// instead (members_shell.go).
		"rowsHTML": func(members []*models.Member, root map[string]any) template.HTML {
			if root[rowsSlot] == true {
				return template.HTML(rowsMarker)
			}
			return rowsHTML(now(), members, root)
		},
		// markNew marks a row added on top of the table, out of its sort.
		"markNew": func(r memberRow) memberRow { r.New = true; return r },
		// tokenRow hands a SCIM token's row the workspace slug for its URLs.
		"tokenRow": func(t models.SCIMToken, root map[string]any, oob bool) scimTokenRow {
			ws, _ := root[localWorkspace].(*models.Workspace)
			return scimTokenRow{T: t, Slug: ws.Slug, OOB: oob}
		},
		// roleChoice gathers what members/_role_choice needs; selected is the
		// set of chosen role ids.
		// Roles with a permission the viewer lacks are shown but cannot be
		// chosen (the server refuses them anyway).
		"roleChoice": func(typ string, roles []models.Role, selected map[string]bool, errs map[string]string, viewer models.PermissionSet) map[string]any {
			locked := map[string]bool{}
			for _, r := range roles {
				for _, p := range r.PermissionList() {
					if !viewer.Has(p) {
						locked[r.ID] = true
					}
				}
			}
			return map[string]any{"Type": typ, "Roles": roles, "Selected": selected, "Error": errs["role"], "Locked": locked}
		},
		"roleSelect": roleSelect,
		"sortHead": func(col, label string, sorts map[string]sortLink) map[string]any {
			return map[string]any{"Label": label, "Link": sorts[col]}
		},
	}
}

// number prints n with thousands separators: 100,000.
func number(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ago says how long before now t was, in the words people use in a table.
func ago(now time.Time, t *time.Time) string {
	if t == nil {
		return "Never"
	}
	d := now.Sub(*t)
	switch {
	case d < 2*time.Minute:
		return "Just now"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 2*time.Hour:
		return "1 hour ago"
	case d < 24*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	case d < 48*time.Hour:
		return "Yesterday"
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	default:
		return t.Format("Jan 2, 2006")
	}
}

func datetime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// initials for the avatar: "Ada Lovelace" → "AL".
func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		out = append(out, []rune(strings.ToUpper(f))[0])
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pageRow is m's row as the page root (a view's template data) shows it.
func pageRow(now time.Time, m *models.Member, root map[string]any, oob bool) memberRow {
	perms, _ := root[localPerms].(models.PermissionSet)
	ws, _ := root[localWorkspace].(*models.Workspace)
	viewerID, _ := root[localViewerID].(string)
	soleAdmin, _ := root[localSoleAdmin].(string)
	r := newMemberRow(now, m, perms, ws, viewerID, soleAdmin, oob)
	self, _ := root["SelfURL"].(string) // the table view the row is shown in
	r.PageURL = memberPageURL(r.Base, self, ws.Slug)
	return r
}
