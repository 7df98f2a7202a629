package handlers

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/csvimport"
	"github.com/muster-app/muster/models"
)

// maxImportFile bounds an uploaded CSV; 10,000 rows fit in far less.
const maxImportFile = 5 << 20

// importForm opens the Import dialog: upload a CSV or paste addresses.
func (h *Handler) importForm(c *fiber.Ctx) error {
	return h.importDialog(c, fiber.StatusOK, nil, fiber.Map{})
}

func (h *Handler) importDialog(c *fiber.Ctx, status int, errs map[string]string, form fiber.Map) error {
	roles, err := h.store.Roles(c.UserContext(), workspace(c).ID)
	if err != nil {
		return err
	}
	if form["role"] == nil {
		for _, r := range roles {
			if r.Builtin == "member" {
				form["role"] = r.ID
			}
		}
	}
	c.Status(status)
	return partial(c, "members/_import_dialog", fiber.Map{"Roles": roles, "Errors": errs, "Form": form})
}

// importExample is a CSV to start from.
func (h *Handler) importExample(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="muster-import-example.csv"`)
	return c.SendString("email,name,role,location\nada@example.com,Ada Lovelace,Admin,London\ngrace@example.com,Grace Hopper,Member,Arlington\nalan@example.com,Alan Turing,,Manchester\n")
}

// importPreview parses the upload or the pasted list and shows what would
// happen to each row; nothing but the preview is stored.
func (h *Handler) importPreview(c *fiber.Ctx) error {
	form := fiber.Map{"role": c.FormValue("role"), "list": c.FormValue("list")}
	fail := func(msg string) error {
		return h.importDialog(c, fiber.StatusUnprocessableEntity, map[string]string{"file": msg}, form)
	}
	var rows []csvimport.Row
	var err error
	source := "pasted list"
	if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
		if fh.Size > maxImportFile {
			return fail("This file is larger than 5 MB. Split it into smaller files.")
		}
		f, oerr := fh.Open()
		if oerr != nil {
			return oerr
		}
		defer f.Close()
		source = fh.Filename
		rows, err = csvimport.ParseCSV(io.LimitReader(f, maxImportFile))
	} else if c.FormValue("list") != "" {
		rows, err = csvimport.ParseList(c.FormValue("list"))
	} else {
		return fail("Choose a CSV file, or paste email addresses.")
	}
	var perr *csvimport.Error
	if errors.As(err, &perr) {
		return fail(perr.Msg)
	} else if err != nil {
		return err
	}
	inputs := make([]models.ImportInput, len(rows))
	for i, r := range rows {
		inputs[i] = models.ImportInput{Line: r.Line, Email: r.Email, Name: r.Name, Role: r.Role, Location: r.Location, TooLong: r.TooLong}
	}
	p, err := h.store.PreviewImport(c.UserContext(), actor(c), workspace(c), source, inputs, c.FormValue("role"))
	if err != nil {
		if fields, _, status, ok := formErrors(err); ok {
			return h.importDialog(c, status, fields, form)
		}
		return err
	}
	shown, err := h.store.ImportRows(c.UserContext(), p.Import.ID, true, 200)
	if err != nil {
		return err
	}
	return partial(c, "members/_import_preview", fiber.Map{"P": p, "Rows": shown})
}

// importStart confirms the preview; the job runs in the background and the
// dialog follows its progress.
func (h *Handler) importStart(c *fiber.Ctx) error {
	im, err := h.store.StartImport(c.UserContext(), actor(c), workspace(c), c.Params("iid"),
		c.FormValue("resend_pending") == "on", c.FormValue("reactivate") == "on")
	if err != nil {
		return domainError(err)
	}
	h.opts.ImportStarted()
	return partial(c, "members/_import_progress", fiber.Map{"Import": im})
}

// importProgress is polled by the dialog while the job runs; each poll also
// tells the page to reload the members it shows.
func (h *Handler) importProgress(c *fiber.Ctx) error {
	im, err := h.store.ImportByID(c.UserContext(), workspace(c).ID, c.Params("iid"))
	if err != nil {
		return err
	}
	trigger(c, "membersRefresh", true)
	if im.Status == models.ImportDone {
		h.opts.EmailQueued()
	}
	return partial(c, "members/_import_progress", fiber.Map{"Import": im})
}

// importFailedCSV is the rows that did not work, with the reason, in the
// import's own columns: fix and upload again.
func (h *Handler) importFailedCSV(c *fiber.Ctx) error {
	im, err := h.store.ImportByID(c.UserContext(), workspace(c).ID, c.Params("iid"))
	if err != nil {
		return err
	}
	rows, err := h.store.FailedImportRows(c.UserContext(), im.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="failed-rows.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	w.Write([]string{"email", "name", "role", "location", "line", "reason"})
	for _, r := range rows {
		w.Write([]string{csvSafe(r.Email), csvSafe(r.Name), csvSafe(r.RoleName), csvSafe(r.Location), strconv.Itoa(r.Line), csvSafe(r.ResultMessage)})
	}
	w.Flush()
	return w.Error()
}
