package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// exportMembers streams the members of the view the URL describes
// (search, filters, sort) as CSV: a keyset walk a page at a time, written
// as it is read, so 100,000 members never sit in memory. It needs
// members.view, as the table does: it holds what the table shows, plus
// when each person was invited and joined. The export is one audit event.
func (h *Handler) exportMembers(c *fiber.Ctx) error {
	ws := workspace(c)
	v := parseMembersView(c)
	if v.Role != "" {
		if _, err := h.store.RoleByID(c.UserContext(), ws.ID, v.Role); err != nil {
			v.Role = "" // as the table: an unknown role filters nothing
		}
	}
	walk, err := h.store.ExportMembers(c.UserContext(), actor(c), ws,
		models.MemberQuery{Search: v.Q, Status: v.Status, RoleID: v.Role, Sort: v.Sort, Desc: v.Dir == "desc"})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ws.Slug+`-members-`+h.store.Now().UTC().Format("2006-01-02")+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	log := h.log
	// The writer runs after the handler has returned, when the request's
	// context is gone: the walk gets one of its own.
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		w := csv.NewWriter(bw)
		_ = w.Write([]string{"name", "email", "roles", "location", "status", "source", "invited_at", "joined_at", "last_seen"})
		err := walk(context.Background(), func(rows []models.ExportRow) error {
			for _, r := range rows {
				if err := w.Write([]string{csvSafe(r.Name), csvSafe(r.Email), csvSafe(strings.Join(r.Roles, "; ")), csvSafe(r.Location),
					r.Status, r.Source, csvTime(r.InvitedAt), csvTime(r.JoinedAt), csvTime(r.LastSeen)}); err != nil {
					return err
				}
			}
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			return bw.Flush() // a page at a time to the client
		})
		w.Flush()
		if err != nil {
			log.Error("members export", "workspace", ws.Slug, "err", err)
		}
	})
	return nil
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
