package handlers

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// The provisioning log: every SCIM request, newest first, with filters in
// the URL (status, failures only, member, token, time) and each entry's
// request and response in a dialog.

// logTimeLayout is what <input type="datetime-local"> sends; times are UTC.
const logTimeLayout = "2006-01-02T15:04"

// scimLogFilters are the log page's filters as they appear in the URL.
type scimLogFilters struct {
	Status, Member, Token, Since, Until string
	Failures                            bool
}

func scimLogFiltersOf(c *fiber.Ctx) scimLogFilters {
	return scimLogFilters{Status: c.Query("status"), Member: strings.TrimSpace(c.Query("member")), Token: c.Query("token"),
		Since: c.Query("since"), Until: c.Query("until"), Failures: c.Query("failures") != ""}
}

func (f scimLogFilters) query(after string) models.SCIMLogQuery {
	q := models.SCIMLogQuery{Status: f.Status, Failures: f.Failures, Member: f.Member, TokenID: f.Token, After: after}
	if t, err := time.Parse(logTimeLayout, f.Since); err == nil {
		q.Since = &t
	}
	if t, err := time.Parse(logTimeLayout, f.Until); err == nil {
		q.Until = &t
	}
	return q
}

func (f scimLogFilters) url(slug, after string) string {
	v := url.Values{}
	for k, val := range map[string]string{"status": f.Status, "member": f.Member, "token": f.Token, "since": f.Since, "until": f.Until, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.Failures {
		v.Set("failures", "1")
	}
	u := "/w/" + slug + "/scim/log"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// scimLogIndex is the log page, or only its results for the filters' and
// pager's requests.
func (h *Handler) scimLogIndex(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	f := scimLogFiltersOf(c)
	after := c.Query("after")
	pg, err := h.store.ListSCIMLog(ctx, ws.ID, f.query(after))
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Provisioning log", "F": f, "Page": pg, "Older": after != "", "FirstURL": f.url(ws.Slug, ""),
		"Statuses": models.SCIMLogStatuses}
	if pg.Next != "" {
		data["NextURL"] = f.url(ws.Slug, pg.Next)
	}
	if f.Member != "" {
		// A member's history, from their row: name them, though they may
		// have been removed since.
		if m, err := h.store.MemberByID(ctx, ws.ID, f.Member); err == nil {
			data["MemberName"] = m.DisplayName
		}
	}
	if isHTMX(c) && c.Get("HX-Target") == "scim-log-results" {
		return partial(c, "scim/_log_results", data)
	}
	tokens, err := h.store.SCIMTokens(ctx, ws.ID)
	if err != nil {
		return err
	}
	data["Tokens"] = tokens
	// This process's writer: off, or entries it could not record.
	data["LogOff"], data["Dropped"] = h.opts.SCIMLog == nil, h.opts.SCIMLog.Dropped()
	return page(c, "scim/log", data)
}

// scimLogEntry shows one entry: the request and the response, and for a
// /Bulk request how many of its operations failed.
func (h *Handler) scimLogEntry(c *fiber.Ctx) error {
	ctx, ws := c.UserContext(), workspace(c)
	e, err := h.store.SCIMLogEntryByID(ctx, ws.ID, c.Params("lid"))
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Provisioning log entry", "E": e}
	if strings.EqualFold(strings.Trim(strings.SplitN(e.Path, "?", 2)[0], "/"), "bulk") {
		total, failed, err := h.store.SCIMLogOperations(ctx, ws.ID, e.ID)
		if err != nil {
			return err
		}
		data["Ops"], data["OpsFailed"] = total, failed
	}
	if e.TargetKind == "member" && e.TargetID != "" {
		data["MemberURL"] = scimLogFilters{Member: e.TargetID}.url(ws.Slug, "")
	}
	if isHTMX(c) {
		return partial(c, "scim/_log_entry_dialog", data)
	}
	return page(c, "scim/log_entry", data)
}
