package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/csvimport"
	"github.com/muster-app/muster/models"
)

// inviteList reads the Invite dialog's email field as the import reads a
// pasted list: addresses separated by commas, semicolons, spaces or lines,
// "Name <address>" forms included. An empty field is an empty list; a list
// the parser refuses as a whole comes back as its message.
func inviteList(raw string) ([]csvimport.Row, string) {
	if strings.TrimSpace(raw) == "" {
		return nil, ""
	}
	rows, err := csvimport.ParseList(raw)
	var perr *csvimport.Error
	if errors.As(err, &perr) {
		return nil, perr.Msg
	}
	return rows, ""
}

// inviteResultRow is one line of a multi-address invite's results.
type inviteResultRow struct {
	ID, Email, Kind, Label, Message string
	ResendURL                       string // a pending invitation: resend it from here
}

var inviteResultLabels = map[string]string{
	models.InviteResultInvited:     "Invited",
	models.InviteResultMember:      "Already a member",
	models.InviteResultPending:     "Pending invitation",
	models.InviteResultDeactivated: "Deactivated",
	models.InviteResultInvalid:     "Invalid",
	models.InviteResultLimited:     "Not sent",
}

// inviteMany invites several addresses with one role and location and
// keeps the dialog open with each address's result. Save keeps the
// addresses that could not be invited (invalid, over the limit) in the
// field to correct; Save and Add Another clears it. Save closes the dialog
// with a toast, as for one person, when every address was invited. When
// nobody was invited the answer is 422 (429 when the limit refused them
// all), as a single address's error is.
func (h *Handler) inviteMany(c *fiber.Ctx, list []csvimport.Row, in models.InviteInput, raw string, chosen map[string]bool) error {
	ctx, ws := c.UserContext(), workspace(c)
	form := fiber.Map{"name": in.Name, "email": raw, "location": in.Location, "roles": chosen}
	fail := func(status int, fields map[string]string) error {
		roles, err := h.store.Roles(ctx, ws.ID)
		if err != nil {
			return err
		}
		c.Status(status)
		return partial(c, "members/_invite_form", fiber.Map{"Roles": roles, "Errors": fields, "Form": form})
	}
	if strings.TrimSpace(in.Name) != "" {
		return fail(fiber.StatusUnprocessableEntity, map[string]string{"name": "Leave the name empty to invite several people: each is named from their address " +
			"(or write “Name <address>”)."})
	}
	addrs := make([]models.InviteAddress, len(list))
	for i, r := range list {
		addrs[i] = models.InviteAddress{Email: r.Email, Name: r.Name}
	}
	results, err := h.store.InviteMany(ctx, actor(c), ws, models.InviteManyInput{Addresses: addrs, RoleID: in.RoleID, Location: in.Location})
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		return fail(status, fields)
	}
	var rows []inviteResultRow
	var inserted []*models.Member
	var retry []string
	invited, limited := 0, 0
	for i, r := range results {
		row := inviteResultRow{ID: "invite-result-" + strconv.Itoa(i), Email: r.Email, Kind: r.Outcome, Label: inviteResultLabels[r.Outcome], Message: r.Message}
		switch r.Outcome {
		case models.InviteResultInvited:
			invited++
			row.Message = "As " + r.Name + "."
			if fitsView(c, r.Member) {
				inserted = append(inserted, r.Member)
			}
		case models.InviteResultPending:
			if r.Member != nil && r.Member.CanBeInvited() {
				row.ResendURL = "/w/" + ws.Slug + "/members/" + r.Member.ID + "/resend"
			}
		case models.InviteResultLimited:
			limited++
			retry = append(retry, r.Email)
		case models.InviteResultInvalid:
			retry = append(retry, r.Email)
		}
		rows = append(rows, row)
	}
	if invited > 0 {
		h.opts.EmailQueued()
		membersChanged(c)
	}
	summary := "Invited " + strconv.Itoa(invited) + " of " + strconv.Itoa(len(results)) + "."
	data := fiber.Map{"InsertedRows": inserted}
	if c.FormValue("action") != "another" && invited == len(results) {
		done(c, "Invited "+strconv.Itoa(invited)+" people."+h.emailNote(" They will get an email."))
		return partial(c, "members/_invite_response", data)
	}
	roles, err := h.store.Roles(ctx, ws.ID)
	if err != nil {
		return err
	}
	form["email"] = ""
	if c.FormValue("action") == "another" {
		summary += " Add the next people."
	} else if len(retry) > 0 {
		form["email"] = strings.Join(retry, "\n")
		summary += " The addresses that were not invited are back in the field."
	}
	data["ShowForm"], data["Roles"], data["Form"], data["Results"], data["Notice"] = true, roles, form, rows, summary
	// Nobody invited: the request failed as a single address's would,
	// over the limit or for its input; the results say why for each.
	switch {
	case invited == 0 && limited == len(results):
		c.Status(fiber.StatusTooManyRequests)
	case invited == 0:
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return partial(c, "members/_invite_response", data)
}

// resendFromResults answers a "Resend?" in a multi-address invite's
// results: that line, now resent, and the member's row out of band; the
// dialog stays open.
func (h *Handler) resendFromResults(c *fiber.Ctx, m *models.Member) error {
	row := inviteResultRow{ID: c.Get("HX-Target"), Email: m.Email, Kind: models.InviteResultInvited, Label: "Invitation resent",
		Message: "Earlier links no longer work." + h.emailNote("")}
	toast(c, "success", "Sent a new invitation to "+m.Email+".")
	fresh, err := h.store.MemberByID(c.UserContext(), workspace(c).ID, m.ID)
	if err != nil {
		return err
	}
	if err := h.noteRowContext(c); err != nil {
		return err
	}
	membersChanged(c)
	if err := partial(c, "members/_invite_result", fiber.Map{"ID": row.ID, "Email": row.Email, "Kind": row.Kind, "Label": row.Label, "Message": row.Message}); err != nil {
		return err
	}
	body := append([]byte(nil), c.Response().Body()...)
	if err := partial(c, "members/_row_oob", fiber.Map{"Member": fresh, "Removed": !fitsView(c, fresh), "Updated": true}); err != nil {
		return err
	}
	c.Response().SetBody(append(body, c.Response().Body()...))
	return nil
}

// fromResults: the request comes from a line of the Invite dialog's results.
func fromResults(c *fiber.Ctx) bool { return strings.HasPrefix(c.Get("HX-Target"), "invite-result-") }

// fitsStatus reports whether m shows under the members table's status
// filter st ("" is every member but revoked invitations).
func fitsStatus(st string, m *models.Member) bool {
	switch st {
	case "":
		return m.Status != models.StatusRevoked
	case models.FilterExpired:
		return m.Status == models.StatusInvited && m.InviteExpired
	}
	return st == m.Status
}

// inviteAgain is a revoked invitation's "Invite again": a fresh one to the
// same person with the same roles.
func (h *Handler) inviteAgain(c *fiber.Ctx) error {
	m, err := h.store.InviteAgain(c.UserContext(), actor(c), workspace(c), c.Params("id"))
	if err != nil {
		return domainError(err)
	}
	h.opts.EmailQueued()
	return h.rowChange(c, "Invited "+m.Email+" again."+h.emailNote(" They will get an email."), m.ID, false, nil)
}
