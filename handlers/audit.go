package handlers

import (
	"encoding/csv"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

func auditQuery(c *fiber.Ctx) models.AuditQuery {
	return models.AuditQuery{ActorID: c.Query("actor"), Action: c.Query("action"), Target: strings.TrimSpace(c.Query("member")), Before: c.Query("before")}
}

func auditURL(slug string, q models.AuditQuery, before string) string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": q.ActorID, "action": q.Action, "member": q.Target, "before": before} {
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
	q := auditQuery(c)
	pg, err := h.store.ListAudit(ctx, ws.ID, q)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Audit log", "Q": q, "Page": pg, "Newest": q.Before != ""}
	first := q
	first.Before = ""
	data["FirstURL"] = auditURL(ws.Slug, first, "")
	data["CSVURL"] = strings.Replace(auditURL(ws.Slug, first, ""), "/audit", "/audit.csv", 1)
	if pg.Next != "" {
		data["NextURL"] = auditURL(ws.Slug, q, pg.Next)
	}
	if isHTMX(c) && c.Get("HX-Target") == "audit-results" {
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
	q := auditQuery(c)
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
			for _, ch := range e.ChangeList() {
				changes = append(changes, ch.Field+": "+ch.Before+" → "+ch.After)
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
