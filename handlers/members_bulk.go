package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// Bulk actions on the members table's selection (members_bulk.go): the bulk
// bar's buttons post the selection (ids, or all=1 with the view's query
// from the filter form) to …/confirm, which answers a dialog counting what
// will happen and what will be skipped, and why; its form posts the same
// selection to run it. The rules are the domain's (models/bulk.go).

// bulkRequest reads a bulk action's selection and role from the form.
// The view of "all matching" is read as the members table reads its URL.
func bulkRequest(c *fiber.Ctx, action string) models.BulkRequest {
	req := models.BulkRequest{Action: action, RoleID: strings.TrimSpace(c.FormValue("to_role"))}
	for _, v := range c.Request().PostArgs().PeekMulti("id") {
		req.Sel.IDs = append(req.Sel.IDs, string(v))
	}
	if c.FormValue("all") == "1" {
		req.Sel.All = true
		v := membersView{Q: strings.TrimSpace(c.FormValue("q")), Status: c.FormValue("status"), Role: c.FormValue("role"),
			Sort: c.FormValue("sort"), Dir: c.FormValue("dir")}
		v = v.normalized()
		req.Sel.View = models.MemberQuery{Search: v.Q, Status: v.Status, RoleID: v.Role, Sort: v.Sort, Desc: v.Dir == "desc"}
	}
	return req
}

// normalized keeps a view's values within what the table accepts.
func (v membersView) normalized() membersView {
	if len(v.Q) > 200 {
		v.Q = v.Q[:200]
	}
	switch v.Status {
	case models.StatusActive, models.StatusInvited, models.StatusDeactivated:
	default:
		v.Status = ""
	}
	if _, ok := models.MemberSorts[v.Sort]; !ok {
		v.Sort = "name"
	}
	if v.Dir != "desc" {
		v.Dir = "asc"
	}
	return v
}

// bulkTitles words each action for its dialog and button.
var bulkTitles = map[string]struct{ Title, Verb, Done, NotApplicable string }{
	models.BulkRole:       {"Change role", "Change role", "Changed the role of", "Have this role already"},
	models.BulkResend:     {"Resend invitations", "Resend", "Resent the invitations of", "Not waiting for an invitation, or no email address"},
	models.BulkDeactivate: {"Deactivate members", "Deactivate", "Deactivated", "Not active"},
	models.BulkReactivate: {"Reactivate members", "Reactivate", "Reactivated", "Not deactivated"},
	models.BulkRemove:     {"Remove members", "Remove", "Removed", ""},
}

func members(n int) string {
	if n == 1 {
		return "1 member"
	}
	return number(n) + " members"
}

// bulkConfirm answers the confirmation dialog: what the action would do.
func (h *Handler) bulkConfirm(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return h.bulkDialog(c, action, fiber.StatusOK, nil)
	}
}

// bulkDialog renders the dialog for the request in c, with the plan
// counted afresh, and errs (a refused run) above it.
func (h *Handler) bulkDialog(c *fiber.Ctx, action string, status int, errs map[string]string) error {
	ctx, ws := c.UserContext(), workspace(c)
	req := bulkRequest(c, action)
	data := fiber.Map{"Action": action, "Words": bulkTitles[action], "Req": req, "Errors": errs}
	if action == models.BulkRole {
		roles, err := h.store.Roles(ctx, ws.ID)
		if err != nil {
			return err
		}
		data["Roles"] = roles
	}
	plan, err := h.store.PlanBulk(ctx, actor(c), ws, req)
	if fields, _, st, ok := formErrors(err); ok {
		if errs == nil {
			errs = fields
		}
		data["Errors"] = errs
		// Choosing the role comes first: that is no error yet.
		if action == models.BulkRole && req.RoleID == "" && status == fiber.StatusOK && fields["selection"] == "" {
			delete(fields, "role")
		} else if status == fiber.StatusOK {
			status = st
		}
	} else if err != nil {
		return err
	} else {
		data["Plan"] = plan
	}
	c.Status(status)
	return partial(c, "members/_bulk_dialog", data)
}

// bulkRun confirms: a small selection is acted on now (the dialog closes,
// the table reloads), a large one starts a job whose progress the dialog
// follows.
func (h *Handler) bulkRun(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, ws := c.UserContext(), workspace(c)
		req := bulkRequest(c, action)
		// Nothing would happen: say so in the dialog rather than run.
		plan, err := h.store.PlanBulk(ctx, actor(c), ws, req)
		if fields, _, status, ok := formErrors(err); ok {
			return h.bulkDialog(c, action, status, fields)
		} else if err != nil {
			return err
		}
		if plan.Apply == 0 {
			return h.bulkDialog(c, action, fiber.StatusUnprocessableEntity,
				map[string]string{"form": "Nothing to do: every selected member is skipped, for the reasons below."})
		}
		res, err := h.store.RunBulk(ctx, actor(c), ws, req)
		if fields, _, status, ok := formErrors(err); ok {
			return h.bulkDialog(c, action, status, fields)
		} else if err != nil {
			return err
		}
		trigger(c, "bulkDone", true)
		if res.Job != nil {
			h.opts.ImportStarted()
			return partial(c, "members/_bulk_progress", fiber.Map{"Job": res.Job, "Dialog": true, "Words": bulkTitles[action]})
		}
		if res.Changed > 0 && (action == models.BulkResend || action == models.BulkReactivate) {
			h.opts.EmailQueued()
		}
		msg := bulkTitles[action].Done + " " + members(res.Changed) + "."
		if res.Skipped+res.Failed > 0 {
			msg += " " + number(res.Skipped+res.Failed) + " skipped."
		}
		done(c, msg)
		trigger(c, "membersRefresh", true)
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// bulkProgress is polled by the dialog while a bulk job runs; each poll
// also reloads the table, as the import's does.
func (h *Handler) bulkProgress(c *fiber.Ctx) error {
	job, err := h.store.BulkJob(c.UserContext(), workspace(c).ID, c.Params("iid"))
	if err != nil {
		return err
	}
	data := fiber.Map{"Job": job, "Words": bulkTitles[job.Action]}
	if job.Status == models.ImportDone {
		if data["Skips"], err = h.store.BulkJobSkips(c.UserContext(), job.ID); err != nil {
			return err
		}
		if job.Action == models.BulkResend || job.Action == models.BulkReactivate {
			h.opts.EmailQueued()
		}
	}
	trigger(c, "membersRefresh", true)
	return partial(c, "members/_bulk_progress", data)
}
