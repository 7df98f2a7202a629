package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// route is one workspace page or action and the permission it needs. Every
// route under /w/:slug is declared here, so what each one requires can be
// read (and tested) in one place.
type route struct {
	Method  string
	Path    string // below /w/:slug
	Perm    models.Permission
	Handler fiber.Handler
}

func (h *Handler) workspaceRoutes() []route {
	return []route{
		{fiber.MethodGet, "/members", models.PermViewMembers, h.membersIndex},
		{fiber.MethodGet, "/members/changes", models.PermViewMembers, h.membersChanges},
		// Export and bulk actions (members_export.go, members_bulk.go): each
		// bulk action needs the permission of its single-member route. They
		// come before /members/:id…, which would take "bulk" or "export.csv"
		// for an id.
		{fiber.MethodGet, "/members/export.csv", models.PermViewMembers, h.exportMembers},
		{fiber.MethodPost, "/members/bulk/role/confirm", models.PermEditMembers, h.bulkConfirm(models.BulkRole)},
		{fiber.MethodPost, "/members/bulk/role", models.PermEditMembers, h.bulkRun(models.BulkRole)},
		{fiber.MethodPost, "/members/bulk/resend/confirm", models.PermInviteMembers, h.bulkConfirm(models.BulkResend)},
		{fiber.MethodPost, "/members/bulk/resend", models.PermInviteMembers, h.bulkRun(models.BulkResend)},
		{fiber.MethodPost, "/members/bulk/deactivate/confirm", models.PermRemoveMembers, h.bulkConfirm(models.BulkDeactivate)},
		{fiber.MethodPost, "/members/bulk/deactivate", models.PermRemoveMembers, h.bulkRun(models.BulkDeactivate)},
		{fiber.MethodPost, "/members/bulk/reactivate/confirm", models.PermRemoveMembers, h.bulkConfirm(models.BulkReactivate)},
		{fiber.MethodPost, "/members/bulk/reactivate", models.PermRemoveMembers, h.bulkRun(models.BulkReactivate)},
		{fiber.MethodPost, "/members/bulk/remove/confirm", models.PermRemoveMembers, h.bulkConfirm(models.BulkRemove)},
		{fiber.MethodPost, "/members/bulk/remove", models.PermRemoveMembers, h.bulkRun(models.BulkRemove)},
		{fiber.MethodGet, "/members/bulk/jobs/:iid", models.PermViewMembers, h.bulkProgress},
		{fiber.MethodGet, "/members/invite", models.PermInviteMembers, h.inviteForm},
		{fiber.MethodPost, "/members/invite", models.PermInviteMembers, h.invite},
		{fiber.MethodPost, "/members/:id/resend", models.PermInviteMembers, h.resendInvite},
		{fiber.MethodPost, "/members/:id/link", models.PermInviteMembers, h.inviteLink},
		{fiber.MethodGet, "/members/:id/revoke", models.PermInviteMembers, h.revokeForm},
		{fiber.MethodPost, "/members/:id/revoke", models.PermInviteMembers, h.revokeInvite},
		{fiber.MethodPost, "/members/:id/invite-again", models.PermInviteMembers, h.inviteAgain},
		{fiber.MethodGet, "/members/:id/edit", models.PermEditMembers, h.editForm},
		{fiber.MethodPost, "/members/:id/edit", models.PermEditMembers, h.updateMember},
		{fiber.MethodPost, "/members/:id/deactivate", models.PermRemoveMembers, h.deactivate},
		{fiber.MethodPost, "/members/:id/reactivate", models.PermRemoveMembers, h.reactivate},
		{fiber.MethodPost, "/members/:id/undo-deactivate", models.PermRemoveMembers, h.undoDeactivate},
		{fiber.MethodGet, "/members/:id/remove", models.PermRemoveMembers, h.removeForm},
		{fiber.MethodPost, "/members/:id/remove", models.PermRemoveMembers, h.remove},
		{fiber.MethodGet, "/members/import", models.PermInviteMembers, h.importForm},
		{fiber.MethodGet, "/members/import/example.csv", models.PermInviteMembers, h.importExample},
		{fiber.MethodPost, "/members/import", models.PermInviteMembers, h.importPreview},
		{fiber.MethodPost, "/imports/:iid/start", models.PermInviteMembers, h.importStart},
		{fiber.MethodGet, "/imports/:iid", models.PermInviteMembers, h.importProgress},
		{fiber.MethodGet, "/imports/:iid/failed.csv", models.PermInviteMembers, h.importFailedCSV},
		{fiber.MethodGet, "/roles", models.PermManageRoles, h.rolesIndex},
		{fiber.MethodGet, "/roles/changes", models.PermManageRoles, h.rolesChanges},
		{fiber.MethodGet, "/roles/new", models.PermManageRoles, h.roleForm},
		{fiber.MethodPost, "/roles", models.PermManageRoles, h.saveRole},
		{fiber.MethodGet, "/roles/:rid/edit", models.PermManageRoles, h.roleForm},
		{fiber.MethodPost, "/roles/:rid/edit", models.PermManageRoles, h.saveRole},
		{fiber.MethodGet, "/roles/:rid/delete", models.PermManageRoles, h.deleteRoleForm},
		{fiber.MethodPost, "/roles/:rid/delete", models.PermManageRoles, h.deleteRole},
		{fiber.MethodGet, "/scim", models.PermManageSCIM, h.scimIndex},
		{fiber.MethodGet, "/scim/tokens/new", models.PermManageSCIM, h.scimTokenForm},
		{fiber.MethodPost, "/scim/tokens", models.PermManageSCIM, h.createSCIMToken},
		{fiber.MethodGet, "/scim/tokens/:tid/revoke", models.PermManageSCIM, h.revokeSCIMTokenForm},
		{fiber.MethodPost, "/scim/tokens/:tid/revoke", models.PermManageSCIM, h.revokeSCIMToken},
		{fiber.MethodGet, "/scim/log", models.PermManageSCIM, h.scimLogIndex},
		{fiber.MethodGet, "/scim/log/:lid", models.PermManageSCIM, h.scimLogEntry},
		{fiber.MethodGet, "/audit", models.PermViewAudit, h.auditIndex},
		{fiber.MethodGet, "/audit.csv", models.PermViewAudit, h.auditCSV},
		{fiber.MethodGet, "/settings", models.PermManageWorkspace, h.settingsForm},
		{fiber.MethodPost, "/settings", models.PermManageWorkspace, h.saveSettings},
		// A member's sign-in (password_reset.go): members.edit, as editing the member is.
		{fiber.MethodGet, "/members/:id/signin", models.PermEditMembers, h.memberSignInDialog},
		{fiber.MethodPost, "/members/:id/password-reset", models.PermEditMembers, h.sendPasswordReset},
		{fiber.MethodPost, "/members/:id/two-factor-reset", models.PermEditMembers, h.resetTwoFactor},
		{fiber.MethodPost, "/settings/two-factor", models.PermManageWorkspace, h.saveTwoFactorSetting},
		{fiber.MethodGet, "/sso", models.PermManageWorkspace, h.ssoIndex},
		{fiber.MethodPost, "/sso", models.PermManageWorkspace, h.saveSSO},
		{fiber.MethodPost, "/sso/test", models.PermManageWorkspace, h.testSSO},
		{fiber.MethodPost, "/sso/enforce", models.PermManageWorkspace, h.enforceSSO},
		// A member's page (member_page.go), last: /members/:id would match
		// /members/invite; it passes anything but a member id on.
		{fiber.MethodGet, "/members/:id", models.PermViewMembers, h.memberPage},
		{fiber.MethodGet, "/members/:id/roles", models.PermEditMembers, h.memberRolesForm},
		{fiber.MethodPost, "/members/:id/roles", models.PermEditMembers, h.saveMemberRoles},
	}
}

func (h *Handler) routes(app *fiber.App) {
	app.Get("/", h.home)
	app.Get("/setup", h.setupForm)
	app.Post("/setup", h.setup)
	app.Get("/signin", h.signInForm)
	app.Post("/signin", h.signIn)
	app.Post("/signout", h.signOut)
	h.accountRoutes(app)
	app.Get("/invite/:token", h.acceptForm)
	app.Post("/invite/:token", h.accept)
	app.Post("/sso/start", h.startSSO)
	app.Get("/sso/callback", h.ssoCallback)

	// Not a Group("", …): a group's middleware would run for every path.
	app.Get("/workspaces/new", h.requireAccount, h.newWorkspaceForm)
	app.Post("/workspaces", h.requireAccount, h.createWorkspace)

	w := app.Group("/w/:slug", h.requireAccount, h.loadWorkspace, h.requireSSO, h.requireEnrolment, h.watchChanges)
	w.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/w/"+c.Params("slug")+"/members", fiber.StatusSeeOther) })
	for _, r := range h.workspaceRoutes() {
		w.Add(r.Method, r.Path, require(r.Perm), r.Handler)
	}
}

// RouteInfo names one workspace route and the permission it needs.
type RouteInfo struct {
	Method, Path string
	Perm         models.Permission
}

// WorkspaceRoutes lists every route under /w/:slug with its permission, for
// tests and documentation.
func WorkspaceRoutes() []RouteInfo {
	var out []RouteInfo
	for _, r := range (&Handler{}).workspaceRoutes() {
		out = append(out, RouteInfo{r.Method, "/w/:slug" + r.Path, r.Perm})
	}
	return out
}
