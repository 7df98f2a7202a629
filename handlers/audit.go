package handlers

import (
	"encoding/csv"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// auditView is the audit log's filters as the URL carries them.
type auditView struct {
	Q        models.AuditQuery
	From, To string // dates, YYYY-MM-DD, in UTC, both included
	// DateError says what is wrong with From or To; nothing is listed then.
	DateError      string
	FromBad, ToBad bool
}

func auditQuery(c *fiber.Ctx) auditView {
	v := auditView{Q: models.AuditQuery{ActorID: c.Query("actor"), Action: c.Query("action"), Target: strings.TrimSpace(c.Query("member")), Before: c.Query("before")},
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to"))}
	v.Q.From, v.Q.Until, v.DateError, v.FromBad, v.ToBad = auditRange(v.From, v.To)
	return v
}

func auditURL(slug string, av auditView, before string) string {
	q := av.Q
	v := url.Values{}
	for k, val := range map[string]string{"actor": q.ActorID, "action": q.Action, "member": q.Target, "from": av.From, "to": av.To, "before": before} {
		if val != "" {
			v.Set(k, val)
		}
	}
	u := "/w/" + slug + "/audit"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// auditIndex is the audit log, newest first, with filters in the URL.
func (h *Handler) auditIndex(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	av := auditQuery(c)
	q := av.Q
	pg := &models.AuditPage{}
	if av.DateError == "" {
		var err error
		if pg, err = h.store.ListAudit(ctx, ws.ID, q); err != nil {
			return err
		}
	} else {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	data := fiber.Map{"Title": "Audit log", "Q": q, "View": av, "Page": pg, "Newest": q.Before != ""}
	first := av
	first.Q.Before = ""
	data["FirstURL"] = auditURL(ws.Slug, first, "")
	data["CSVURL"] = strings.Replace(auditURL(ws.Slug, first, ""), "/audit", "/audit.csv", 1)
	if pg.Next != "" {
		data["NextURL"] = auditURL(ws.Slug, av, pg.Next)
	}
	if isHTMX(c) && c.Get("HX-Target") == "audit-results" {
		data["Partial"] = true // the CSV link follows the filters, out of band
		return partial(c, "audit/_results", data)
	}
	actors, actions, err := h.store.AuditFilters(ctx, ws.ID)
	if err != nil {
		return err
	}
	data["Actors"], data["Actions"] = actors, actions
	return page(c, "audit/index", data)
}

// auditCSV exports every event the filters match, newest first.
func (h *Handler) auditCSV(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	av := auditQuery(c)
	if av.DateError != "" {
		return fiber.NewError(fiber.StatusBadRequest, av.DateError)
	}
	q := av.Q
	q.Before, q.Limit = "", 1000
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ws.Slug+`-audit-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	if err := w.Write([]string{"time", "actor", "action", "target", "changes"}); err != nil {
		return err
	}
	for {
		pg, err := h.store.ListAudit(ctx, ws.ID, q)
		if err != nil {
			return err
		}
		for _, e := range pg.Events {
			var changes []string
			for _, d := range newAuditEntry(&e).Details {
				changes = append(changes, d.text())
			}
			if err := w.Write([]string{e.CreatedAt.UTC().Format(time.RFC3339), csvSafe(actorLabel(e.ActorKind, e.ActorName)), e.Action, csvSafe(e.TargetName), csvSafe(strings.Join(changes, "; "))}); err != nil {
				return err
			}
		}
		if pg.Next == "" {
			break
		}
		q.Before = pg.Next
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula: names and
// changes come from people and identity providers.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditRange reads the date range filter: from and to are days in UTC,
// both included, so the events are those from from's midnight until the
// midnight after to. A date that is not one, or a to before from, is
// refused with a message saying which.
func auditRange(from, to string) (since, until time.Time, msg string, fromBad, toBad bool) {
	day := func(s, which string) (time.Time, string) {
		if s == "" {
			return time.Time{}, ""
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			if len(s) > 20 {
				s = s[:20] + "…"
			}
			return time.Time{}, "The " + which + " date “" + s + "” is not a date: use YYYY-MM-DD, as in 2026-11-23."
		}
		return t, ""
	}
	var err1, err2 string
	since, err1 = day(from, "from")
	until, err2 = day(to, "to")
	switch {
	case err1 != "":
		return time.Time{}, time.Time{}, err1, true, false
	case err2 != "":
		return time.Time{}, time.Time{}, err2, false, true
	case !since.IsZero() && !until.IsZero() && until.Before(since):
		return time.Time{}, time.Time{}, "The to date (" + to + ") is before the from date (" + from + "): swap them, or pick a later to date.", false, true
	}
	if !until.IsZero() {
		until = until.AddDate(0, 0, 1)
	}
	return since, until, "", false, false
}
