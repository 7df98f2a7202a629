package handlers

import "github.com/gofiber/fiber/v2"

// accountRoutes are the password reset pages, the second sign-in step and
// the account page; the admin's actions on a member's sign-in are in
// workspaceRoutes (members.edit, like the rest of a member's record).
func (h *Handler) accountRoutes(app *fiber.App) {
	app.Get("/forgot", h.forgotForm)
	app.Post("/forgot", h.forgot)
	app.Get("/reset/:token", h.resetForm)
	app.Post("/reset/:token", h.reset)
	app.Get("/signin/code", h.secondStepForm)
	app.Post("/signin/code", h.secondStep)

	app.Get("/account", h.requireAccount, h.accountIndex)
	app.Post("/account/name", h.requireAccount, h.renameAccount)
	app.Post("/account/password", h.requireAccount, h.changePassword)
	app.Post("/account/sessions/end-others", h.requireAccount, h.endOtherSessions)
	app.Post("/account/two-factor/setup", h.requireAccount, h.beginTwoFactor)
	app.Post("/account/two-factor/enable", h.requireAccount, h.enableTwoFactor)
	app.Post("/account/two-factor/disable", h.requireAccount, h.disableTwoFactor)
}
