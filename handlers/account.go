package handlers

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// The account page: each signed-in person's name, password, second factor,
// sessions and workspaces. Every form on it posts to its own address and
// gets the whole page back, with that section's errors or a notice.

// accountView is what views/account/index shows besides the account itself.
type accountView struct {
	Section    string            // the section the notice or errors belong to
	Notice     string            // what just happened
	Errors     map[string]string // field errors of Section's form
	Name       string            // the name field's value
	Enrol      string            // the workspace that sent the person here to enrol
	Recovery   []string          // recovery codes, shown once right after enrolment
	ShowSecret bool              // the enrolment step is open
}

func (h *Handler) accountPage(c *fiber.Ctx, status int, v accountView) error {
	ctx := c.UserContext()
	acc := account(c)
	sessions, err := h.store.AccountSessions(ctx, acc.ID, c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	wss, err := h.store.WorkspacesForAccount(ctx, acc.ID)
	if err != nil {
		return err
	}
	tf, err := h.store.TwoFactorOf(ctx, acc.ID)
	if err != nil {
		return err
	}
	if v.Name == "" {
		v.Name = acc.Name
	}
	if v.Enrol == "" {
		v.Enrol = c.Query("enrol")
	}
	data := fiber.Map{"Title": "Your account", "V": v, "TwoFactor": tf, "MySessions": sessionRows(sessions), "MyWorkspaces": wss,
		"E": map[string]map[string]string{v.Section: v.Errors}}
	if tf.PendingSecret != "" {
		key, err := models.TOTPKey(acc.Email, tf.PendingSecret)
		if err != nil {
			return err
		}
		img, err := key.Image(200, 200)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		// A data: URI: the CSP allows img-src data:, and the secret never
		// travels in a URL that a log could keep.
		// template.URL: html/template refuses data: URIs it did not see made.
		data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()))
		data["Secret"] = groupSecret(tf.PendingSecret)
		data["RawSecret"] = tf.PendingSecret
	}
	// A boosted form's answer would leave its POST address in the address
	// bar, which has no page to reload.
	c.Set("HX-Push-Url", "/account")
	c.Status(status)
	return page(c, "account/index", data)
}

// groupSecret writes a secret in groups of four, easier to type into an app.
func groupSecret(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

type sessionRow struct {
	models.AccountSession
	Device string
}

func sessionRows(ss []models.AccountSession) []sessionRow {
	out := make([]sessionRow, len(ss))
	for i, s := range ss {
		out[i] = sessionRow{AccountSession: s, Device: deviceLabel(s.UserAgent)}
	}
	return out
}

// deviceLabel names a browser from its user agent, as "Firefox on Linux":
// enough to recognise one's own devices, without a user-agent database.
func deviceLabel(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	browser := "A browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Chrome (headless)"},
		{"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}

func (h *Handler) accountIndex(c *fiber.Ctx) error {
	return h.accountPage(c, fiber.StatusOK, accountView{})
}

// accountResult re-renders the page after a form: with its errors when the
// domain refused the input, with a notice when it went through.
func (h *Handler) accountResult(c *fiber.Ctx, section string, err error, v accountView, notice string) error {
	v.Section = section
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		v.Errors = fields
		return h.accountPage(c, status, v)
	}
	v.Notice = notice
	return h.accountPage(c, fiber.StatusOK, v)
}

func (h *Handler) renameAccount(c *fiber.Ctx) error {
	acc, err := h.store.RenameAccount(c.UserContext(), account(c), c.FormValue("name"))
	if err == nil {
		c.Locals(localAccount, acc)
	}
	return h.accountResult(c, "profile", err, accountView{Name: c.FormValue("name")}, "Your name is saved.")
}

func (h *Handler) changePassword(c *fiber.Ctx) error {
	err := h.store.ChangePassword(c.UserContext(), account(c), c.Cookies(sessionCookie),
		c.FormValue("current_password"), c.FormValue("new_password"), c.FormValue("confirm_password"))
	return h.accountResult(c, "password", err, accountView{}, "Your password is changed. Your other sessions were signed out.")
}

func (h *Handler) endOtherSessions(c *fiber.Ctx) error {
	n, err := h.store.EndOtherSessions(c.UserContext(), account(c), c.Cookies(sessionCookie))
	msg := "You were signed in nowhere else."
	switch n {
	case 0:
	case 1:
		msg = "Signed out 1 other session."
	default:
		msg = "Signed out " + strconv.Itoa(n) + " other sessions."
	}
	return h.accountResult(c, "sessions", err, accountView{}, msg)
}

func (h *Handler) beginTwoFactor(c *fiber.Ctx) error {
	_, err := h.store.BeginTOTP(c.UserContext(), account(c))
	return h.accountResult(c, "two-factor", err, accountView{Enrol: c.FormValue("enrol")}, "")
}

func (h *Handler) enableTwoFactor(c *fiber.Ctx) error {
	codes, err := h.store.EnableTOTP(c.UserContext(), account(c), c.Cookies(sessionCookie), c.FormValue("code"))
	return h.accountResult(c, "two-factor", err, accountView{Recovery: codes, Enrol: c.FormValue("enrol")},
		"Two-factor sign-in is on. From now on you sign in with your password and a code from your app.")
}

func (h *Handler) disableTwoFactor(c *fiber.Ctx) error {
	err := h.store.DisableTOTP(c.UserContext(), account(c), c.FormValue("password"))
	return h.accountResult(c, "two-factor", err, accountView{}, "Two-factor sign-in is off.")
}

// saveTwoFactorSetting is the settings page's "require two-factor" switch.
func (h *Handler) saveTwoFactorSetting(c *fiber.Ctx) error {
	on := c.FormValue("require_2fa") != ""
	if err := h.store.SetRequireTwoFactor(c.UserContext(), actor(c), workspace(c), on); err != nil {
		return err
	}
	msg := "Two-factor sign-in is no longer required."
	if on {
		msg = "Two-factor sign-in is required: members who sign in with a password set it up before they continue."
	}
	ws := workspace(c)
	c.Set("HX-Push-Url", "/w/"+ws.Slug+"/settings")
	return h.settingsPage(c, fiber.StatusOK, nil, fiber.Map{"name": ws.Name, "slug": ws.Slug,
		"invite_expiry": strconv.Itoa(ws.InviteExpiryHours), "invites_per_hour": strconv.Itoa(ws.InvitesPerHour), "scim_invites": ws.SCIMInvites}, msg)
}
