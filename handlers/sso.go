package handlers

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/sso"
)

// Single sign-on with OpenID Connect: the workspace's settings page (SSO),
// "Continue with SSO" from the sign-in page, the provider's callback, and
// the gate that keeps password sessions out of workspaces that enforce SSO
// (models/sso_access.go explains the rules).

// ssoStateCookie binds a sign-in's state to the browser that started it,
// so a callback URL handed to someone else does not sign them in.
const ssoStateCookie = "muster_sso"

func (h *Handler) ssoRedirectURL() string { return h.opts.BaseURL + "/sso/callback" }

// requireEveryPermission keeps single sign-on to those who hold every
// permission (Admins): the provider it trusts can sign in as any member,
// Admins included, so configuring it is as much as being one.
func requireEveryPermission(c *fiber.Ctx) error {
	if !perms(c).CanAll() {
		return fiber.NewError(fiber.StatusForbidden, "Only an Admin can set up single sign-on: the identity provider it trusts can sign in as any member.")
	}
	return nil
}

func (h *Handler) ssoIndex(c *fiber.Ctx) error {
	if err := requireEveryPermission(c); err != nil {
		return err
	}
	cfg, err := h.store.SSOConfigFor(c.UserContext(), workspace(c).ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	notice := ""
	if c.Query("done") == "tested" {
		notice = "Test connection succeeded. Below is what your identity provider said about you."
	}
	return h.ssoPage(c, fiber.StatusOK, cfg, h.ssoForm(cfg), nil, notice)
}

func (h *Handler) ssoPage(c *fiber.Ctx, status int, cfg *models.SSOConfig, form fiber.Map, errs map[string]string, notice string) error {
	ctx := c.UserContext()
	ws := workspace(c)
	roles, err := h.store.Roles(ctx, ws.ID)
	if err != nil {
		return err
	}
	admins, err := h.store.SSOAdmins(ctx, ws.ID)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Single sign-on", "Config": cfg, "Form": form, "Errors": errs, "Notice": notice,
		"RedirectURL": h.ssoRedirectURL(), "Roles": roles, "Admins": admins, "BaseURL": h.opts.BaseURL}
	if cfg != nil {
		data["Tested"] = h.store.SSOTestedWithin(cfg, models.SSOTestFreshness)
		breakGlass := map[string]bool{}
		for _, id := range cfg.BreakGlass {
			breakGlass[id] = true
		}
		data["BreakGlass"] = breakGlass
		// A break-glass admin deactivated, removed or demoted since
		// enforcement began leaves nobody with a working password.
		kept := false
		for _, a := range admins {
			kept = kept || breakGlass[a.ID]
		}
		data["NoBreakGlass"] = cfg.Enforced && !kept
		if cfg.TestClaims != "" {
			var claims map[string]any
			if json.Unmarshal([]byte(cfg.TestClaims), &claims) == nil {
				pretty, _ := json.MarshalIndent(claims, "", "  ")
				data["Claims"] = string(pretty)
			}
		}
	}
	c.Status(status)
	return page(c, "sso/index", data)
}

func (h *Handler) saveSSO(c *fiber.Ctx) error {
	if err := requireEveryPermission(c); err != nil {
		return err
	}
	ws := workspace(c)
	in := models.SSOInput{Issuer: c.FormValue("issuer"), ClientID: c.FormValue("client_id"), ClientSecret: c.FormValue("client_secret"),
		Domains: c.FormValue("domains"), JIT: c.FormValue("jit") != "", JITRoleID: c.FormValue("jit_role")}
	form := fiber.Map{"issuer": in.Issuer, "client_id": in.ClientID, "domains": in.Domains, "jit": in.JIT, "jit_role": in.JITRoleID}
	old, err := h.store.SSOConfigFor(c.UserContext(), ws.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	// Discovery first: an issuer that does not answer as an OpenID
	// provider is a mistake to point out now, not at the first sign-in.
	issuer := strings.TrimRight(strings.TrimSpace(in.Issuer), "/")
	if models.CheckIssuer(issuer) == "" {
		if _, derr := h.sso.Discover(c.UserContext(), issuer); derr != nil {
			return h.ssoPage(c, fiber.StatusUnprocessableEntity, old, form, map[string]string{"issuer": sso.Describe(derr)}, "")
		}
	}
	cfg, err := h.store.SaveSSOConfig(c.UserContext(), actor(c), ws, in)
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		return h.ssoPage(c, status, old, form, fields, "")
	}
	return h.ssoPage(c, fiber.StatusOK, cfg, form, nil, "Single sign-on settings saved.")
}

func (h *Handler) testSSO(c *fiber.Ctx) error {
	if err := requireEveryPermission(c); err != nil {
		return err
	}
	ws := workspace(c)
	cfg, err := h.store.SSOConfigFor(c.UserContext(), ws.ID)
	if errors.Is(err, models.ErrNotFound) {
		return fiber.NewError(fiber.StatusConflict, "Save the identity provider's settings first.")
	} else if err != nil {
		return err
	}
	return h.beginSSO(c, ws, cfg, models.SSOState{Purpose: models.SSOTestPurpose, AccountID: account(c).ID})
}

func (h *Handler) enforceSSO(c *fiber.Ctx) error {
	if err := requireEveryPermission(c); err != nil {
		return err
	}
	ws := workspace(c)
	var ids []string
	for _, v := range c.Request().PostArgs().PeekMulti("break_glass") {
		if id := strings.TrimSpace(string(v)); id != "" {
			ids = append(ids, id)
		}
	}
	enforce := c.FormValue("enforced") != ""
	cfg, err := h.store.SetSSOEnforcement(c.UserContext(), actor(c), ws, enforce, ids)
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		old, lerr := h.store.SSOConfigFor(c.UserContext(), ws.ID)
		if lerr != nil && !errors.Is(lerr, models.ErrNotFound) {
			return lerr
		}
		return h.ssoPage(c, status, old, h.ssoForm(old), fields, "")
	}
	notice := "Single sign-on is optional: members may still use passwords."
	if cfg.Enforced {
		notice = "Single sign-on is now required. Break-glass admins keep their passwords."
	}
	return h.ssoPage(c, fiber.StatusOK, cfg, h.ssoForm(cfg), nil, notice)
}

func (h *Handler) ssoForm(cfg *models.SSOConfig) fiber.Map {
	if cfg == nil {
		return fiber.Map{}
	}
	jitRole := ""
	if cfg.JITRoleID != nil {
		jitRole = *cfg.JITRoleID
	}
	return fiber.Map{"issuer": cfg.Issuer, "client_id": cfg.ClientID, "domains": cfg.Domains, "jit": cfg.JIT, "jit_role": jitRole}
}

// beginSSO keeps the state of a new sign-in and sends the browser to the provider.
func (h *Handler) beginSSO(c *fiber.Ctx, ws *models.Workspace, cfg *models.SSOConfig, st models.SSOState) error {
	secret, err := h.store.SSOClientSecret(cfg)
	if err != nil {
		return err
	}
	authURL, state, nonce, verifier, err := h.sso.Begin(c.UserContext(), sso.Conn{Issuer: cfg.Issuer, ClientID: cfg.ClientID,
		ClientSecret: secret, RedirectURL: h.ssoRedirectURL()})
	if err != nil {
		return fiber.NewError(fiber.StatusBadGateway, sso.Describe(err))
	}
	st.WorkspaceID, st.Nonce, st.Verifier = ws.ID, nonce, verifier
	if err := h.store.SaveSSOState(c.UserContext(), state, st); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: ssoStateCookie, Value: state, Path: "/sso/callback", HTTPOnly: true, SameSite: "Lax",
		Secure: h.opts.Secure, MaxAge: int(models.SSOStateLifetime / time.Second)})
	if c.Get("HX-Request") == "true" {
		return redirect(c, authURL)
	}
	// A form posted without htmx: the Content-Security-Policy's
	// form-action 'self' would stop a redirect to the provider's origin,
	// so a page sends the browser on instead.
	return page(c, "sso/redirect", fiber.Map{"Title": "Single sign-on", "URL": authURL})
}

// startSSO is "Continue with SSO": the workspace is found by the email's
// domain (the sign-in form), or named by slug (the "SSO required" page).
func (h *Handler) startSSO(c *fiber.Ctx) error {
	ctx := c.UserContext()
	email, next, slug := strings.TrimSpace(c.FormValue("email")), c.FormValue("next"), c.FormValue("workspace")
	fail := func(msg string) error {
		c.Status(fiber.StatusUnprocessableEntity)
		return page(c, "auth/signin", fiber.Map{"Title": "Sign in", "Next": next, "Errors": map[string]string{"email": msg}, "Form": fiber.Map{"email": email}})
	}
	if badText(email) || badText(slug) {
		return fail("That address holds a character Muster does not accept. Check it and try again.")
	}
	var ws *models.Workspace
	var err error
	if slug != "" {
		ws, err = h.store.WorkspaceBySlug(ctx, slug)
	} else {
		if email == "" {
			return fail("Enter your work email address to find your workspace's single sign-on.")
		}
		ws, err = h.store.SSOWorkspaceForEmail(ctx, email)
	}
	if errors.Is(err, models.ErrNotFound) {
		return fail("No workspace signs in " + email + " with single sign-on. Sign in with your password.")
	} else if err != nil {
		return err
	}
	cfg, err := h.store.SSOConfigFor(ctx, ws.ID)
	if errors.Is(err, models.ErrNotFound) {
		return fail(ws.Name + " has no single sign-on set up. Sign in with your password.")
	} else if err != nil {
		return err
	}
	return h.beginSSO(c, ws, cfg, models.SSOState{Purpose: models.SSOSignInPurpose, Next: safeNext(next)})
}

// ssoCallback is where the provider sends the browser back, for every
// workspace: the state says which workspace and why.
func (h *Handler) ssoCallback(c *fiber.Ctx) error {
	ctx := c.UserContext()
	state := c.Query("state")
	cookieState := c.Cookies(ssoStateCookie)
	c.Cookie(&fiber.Cookie{Name: ssoStateCookie, Value: "", Path: "/sso/callback", HTTPOnly: true, SameSite: "Lax",
		Secure: h.opts.Secure, Expires: time.Unix(1, 0), MaxAge: -1})
	st, err := h.store.TakeSSOState(ctx, state)
	if errors.Is(err, models.ErrSSOStateUnknown) {
		return h.ssoFailed(c, fiber.StatusBadRequest, nil, "This sign-in has already been used or has expired. Start again from the sign-in page.")
	} else if err != nil {
		return err
	}
	if cookieState == "" || cookieState != state {
		return h.ssoFailed(c, fiber.StatusBadRequest, nil, "This sign-in was started in another browser. Start again from the sign-in page.")
	}
	ws, err := h.store.WorkspaceByID(ctx, st.WorkspaceID)
	if err != nil {
		return err
	}
	if e := c.Query("error"); e != "" {
		return h.ssoFailed(c, fiber.StatusForbidden, ws, "The identity provider did not sign you in: "+truncateText(strings.TrimSpace(e+" "+c.Query("error_description")), 300))
	}
	cfg, err := h.store.SSOConfigFor(ctx, ws.ID)
	if errors.Is(err, models.ErrNotFound) {
		return h.ssoFailed(c, fiber.StatusForbidden, ws, ws.Name+" has no single sign-on set up.")
	} else if err != nil {
		return err
	}
	secret, err := h.store.SSOClientSecret(cfg)
	if err != nil {
		return err
	}
	id, claims, err := h.sso.Finish(ctx, sso.Conn{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: secret,
		RedirectURL: h.ssoRedirectURL()}, c.Query("code"), st.Nonce, st.Verifier)
	if err != nil {
		return h.ssoFailed(c, fiber.StatusForbidden, ws, sso.Describe(err))
	}
	if st.Purpose == models.SSOTestPurpose {
		return h.finishSSOTest(c, ws, st, claims)
	}
	acc, _, err := h.store.SSOSignIn(ctx, ws, *id)
	var refused *models.SSORefusedError
	var conflict *models.ConflictError
	switch {
	case errors.As(err, &refused):
		return h.ssoFailed(c, fiber.StatusForbidden, ws, refused.Message)
	case errors.As(err, &conflict):
		return h.ssoFailed(c, fiber.StatusConflict, ws, conflict.Message)
	case err != nil:
		return err
	}
	if old := c.Cookies(sessionCookie); old != "" {
		if err := h.store.DeleteSession(ctx, old); err != nil {
			return err
		}
	}
	token, err := h.store.CreateSSOSession(ctx, acc.ID, ws.ID, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	h.setSessionCookie(c, token)
	next := st.Next
	if next == "" || next == "/" || !strings.HasPrefix(next, "/w/"+ws.Slug+"/") {
		next = "/w/" + ws.Slug + "/members"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// finishSSOTest records a successful "Test connection": only the admin who
// started it, still allowed to manage the workspace, may finish it.
func (h *Handler) finishSSOTest(c *fiber.Ctx, ws *models.Workspace, st *models.SSOState, claims map[string]any) error {
	acc := account(c)
	if acc == nil || acc.ID != st.AccountID {
		return h.ssoFailed(c, fiber.StatusForbidden, ws, "Sign in as the admin who started the test, then run it again.")
	}
	m, ps, err := h.store.Membership(c.UserContext(), ws.ID, acc.ID)
	if err != nil || m.Status != models.StatusActive || !ps.Has(models.PermManageWorkspace) {
		return h.ssoFailed(c, fiber.StatusForbidden, ws, "You may no longer manage "+ws.Name+"'s settings.")
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	if err := h.store.RecordSSOTest(c.UserContext(), models.MemberActor(m), ws, string(b)); err != nil {
		return err
	}
	return c.Redirect("/w/"+ws.Slug+"/sso?done=tested#test", fiber.StatusSeeOther)
}

func (h *Handler) ssoFailed(c *fiber.Ctx, status int, ws *models.Workspace, msg string) error {
	c.Status(status)
	data := fiber.Map{"Title": "Single sign-on", "Message": msg}
	if ws != nil {
		data["WS"] = ws
	}
	return page(c, "sso/failed", data)
}

// requireSSO keeps a session out of a workspace it may not open: a
// password session where the workspace enforces SSO (unless the member is
// break-glass), or a session another workspace's provider opened.
func (h *Handler) requireSSO(c *fiber.Ctx) error {
	ws := workspace(c)
	gate, err := h.store.SSOGate(c.UserContext(), c.Cookies(sessionCookie), ws, member(c))
	if err != nil {
		return err
	}
	var msg string
	switch gate.Decision {
	case models.SSOGateOpen:
		return c.Next()
	case models.SSOGateRequired:
		msg = ws.Name + " requires single sign-on. Continue with SSO to open it."
	default:
		msg = "You signed in through " + gate.Via.Name + "'s single sign-on, which opens " + gate.Via.Name +
			" only. Continue with " + ws.Name + "'s single sign-on, or sign out and sign in with your password."
	}
	if isHTMX(c) {
		return fiber.NewError(fiber.StatusForbidden, msg)
	}
	hasSSO := true
	if _, err := h.store.SSOConfigFor(c.UserContext(), ws.ID); errors.Is(err, models.ErrNotFound) {
		hasSSO = false
	} else if err != nil {
		return err
	}
	c.Locals(localWorkspace, nil) // the header's navigation would lead to the same refusal
	c.Status(fiber.StatusForbidden)
	return page(c, "sso/required", fiber.Map{"Title": "Single sign-on required", "Message": msg, "WS": ws, "HasSSO": hasSSO,
		"Next": c.OriginalURL()})
}

// passwordBlockedBySSO: the account's every workspace requires single
// sign-on of it, so a password sign-in is refused with this message.
func (h *Handler) passwordBlockedBySSO(c *fiber.Ctx, acc *models.Account) (string, error) {
	ws, err := h.store.PasswordSignInBlocked(c.UserContext(), acc.ID)
	if err != nil || ws == nil {
		return "", err
	}
	return ws.Name + " requires single sign-on: use “Continue with SSO” instead of your password.", nil
}

// truncateText cuts s to at most n bytes without splitting a character.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
