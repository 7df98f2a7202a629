package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

const membersPerPage = 50

// membersView is the members table's state as the URL carries it, so a view
// can be bookmarked and Back restores it.
type membersView struct {
	Q, Status, Role, Sort, Dir, After, Before string
	Offset                                    int // rows before this page, for "51–100 of …"
	// Page, when the URL names one (?page=N), is where the page starts
	// instead of a cursor; PageNotice says when it was not a page there is.
	Page       int
	PageNotice string
}

func parseMembersView(c *fiber.Ctx) membersView {
	v := membersView{
		Q: strings.TrimSpace(c.Query("q")), Status: c.Query("status"), Role: c.Query("role"),
		Sort: c.Query("sort"), Dir: c.Query("dir"), After: c.Query("after"), Before: c.Query("before"),
	}
	if len(v.Q) > 200 {
		v.Q = v.Q[:200]
	}
	if !slices.Contains(models.MemberStatusFilters, v.Status) {
		v.Status = ""
	}
	if _, ok := models.MemberSorts[v.Sort]; !ok {
		v.Sort = "name"
	}
	if v.Dir != "desc" {
		v.Dir = "asc"
	}
	if v.Page, v.PageNotice = parsePage(c.Query("page")); v.Page > 0 {
		v.After, v.Before = "", ""
	}
	v.Offset, _ = strconv.Atoi(c.Query("from"))
	if v.Offset < 0 || (v.After == "" && v.Before == "") {
		v.Offset = 0
	}
	return v
}

// url renders the view as a members URL; zero values are left out so URLs stay short.
func (v membersView) url(slug string) string {
	q := url.Values{}
	set := func(k, val, def string) {
		if val != def {
			q.Set(k, val)
		}
	}
	set("q", v.Q, "")
	set("status", v.Status, "")
	set("role", v.Role, "")
	set("sort", v.Sort, "name")
	set("dir", v.Dir, "asc")
	set("after", v.After, "")
	set("before", v.Before, "")
	if v.After != "" || v.Before != "" {
		set("from", strconv.Itoa(v.Offset), "0")
	} else if v.Page > 1 {
		q.Set("page", strconv.Itoa(v.Page))
	}
	u := "/w/" + slug + "/members"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// fitsView reports whether m belongs in the members view the page shows
// (htmx tells its URL), so a new or changed row is only swapped in where
// it fits.
func fitsView(c *fiber.Ctx, m *models.Member) bool {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	if err != nil {
		return true
	}
	q := u.Query()
	if !fitsStatus(q.Get("status"), m) {
		return false
	}
	if role := q.Get("role"); role != "" && !slices.ContainsFunc(m.Roles, func(r models.Role) bool { return r.ID == role }) {
		return false
	}
	return q.Get("q") == "" || strings.Contains(m.SearchText, strings.ToLower(strings.TrimSpace(q.Get("q"))))
}

// sortLink is a column header: where clicking it goes, and how it is sorted now.
type sortLink struct {
	URL  string
	Aria string // "ascending", "descending" or "none"
}

func (h *Handler) membersIndex(c *fiber.Ctx) error {
	ws := workspace(c)
	v := parseMembersView(c)
	full := !isHTMX(c) || c.Get("HX-Target") != "members-results"
	// The page's change token is the change counter the page's data was
	// read under (pg.Changes), read by ListMembers before anything else;
	// the "expired" filter reads none, so its token is read first here.
	var poll changesPoll
	if full && v.Status == models.FilterExpired {
		var err error
		if poll, err = h.newChangesPoll(c, "members"); err != nil {
			return err
		}
	}
	counters, _ := c.Locals(localCounters).(*models.Counters) // read by loadWorkspace, if still good
	// The roles, kept under the change counter the page is read under. A
	// role filter is checked against them before listing: a role not of
	// this workspace (any more) is dropped, the view shown without it, and
	// the page listed once. The counter is read here when loadWorkspace's
	// no longer holds, and handed on (ListMembers would read it anyway);
	// the "expired" filter reads none.
	var roles []models.Role
	rolesRead, rolesAt := false, int64(-1) // -1: read afresh, kept under no counter
	if v.Role != "" {
		if counters == nil && v.Status != models.FilterExpired {
			cs, err := h.store.ReadCounters(c.UserContext(), ws.ID)
			if err != nil {
				return err
			}
			counters = &cs
		}
		if counters != nil && v.Status != models.FilterExpired {
			rolesAt = counters.Changes
		}
		var err error
		if roles, err = h.store.RolesAt(c.UserContext(), ws.ID, rolesAt); err != nil {
			return err
		}
		rolesRead = true
		if !slices.ContainsFunc(roles, func(r models.Role) bool { return r.ID == v.Role }) {
			v.Role = ""
		}
	}
	pg, err := h.store.ListMembers(c.UserContext(), ws.ID, models.MemberQuery{
		Search: v.Q, Status: v.Status, RoleID: v.Role, Sort: v.Sort, Desc: v.Dir == "desc",
		After: v.After, Before: v.Before, Offset: max(0, v.Page-1) * membersPerPage, Limit: membersPerPage,
		Counters: counters,
	})
	if err != nil {
		return err
	}
	changes := pg.Changes
	if !rolesRead || changes != rolesAt {
		if roles, err = h.store.RolesAt(c.UserContext(), ws.ID, changes); err != nil {
			return err
		}
	}
	if full && poll.URL == "" {
		poll = changesPollAt(ws.Slug, "members", changes)
	}
	if v.Page > 0 {
		v.Offset = pg.Offset
		if want := v.Page; pg.Offset/membersPerPage+1 != want && v.PageNotice == "" {
			v.PageNotice = fmt.Sprintf("There is no page %s: this is the last one.", number(want))
		}
		v.Page = pg.Offset/membersPerPage + 1
	}
	if pg.Prev == "" {
		v.Offset = 0 // the first page, however we got here
	}
	if err := h.noteRowContextAt(c, changes); err != nil {
		return err
	}

	first := v
	first.After, first.Before, first.Offset, first.Page, first.PageNotice = "", "", 0, 0, ""
	sorts := map[string]sortLink{}
	for col := range models.MemberSorts {
		s := first
		s.Sort, s.Dir = col, "asc"
		link := sortLink{Aria: "none"}
		if v.Sort == col {
			link.Aria = "ascending"
			if v.Dir == "desc" {
				link.Aria = "descending"
			} else {
				s.Dir = "desc"
			}
		}
		link.URL = s.url(ws.Slug)
		sorts[col] = link
	}
	data := fiber.Map{
		"Title": "Members", "View": v, "Page": pg, "Roles": roles, "Sorts": sorts,
		"FirstRow": v.Offset + 1, "LastRow": v.Offset + len(pg.Members),
		"Filtered": v.Q != "" || v.Status != "" || v.Role != "",
		"ClearURL": "/w/" + ws.Slug + "/members",
		// SelfURL reloads this very view when members change elsewhere on the page.
		"SelfURL": v.url(ws.Slug),
		// ExportURL downloads the view (not the page) as CSV (members_export.go).
		"ExportURL": exportURL(ws.Slug, first),
	}
	if pg.Next != "" {
		n := v
		n.After, n.Before, n.Offset = pg.Next, "", v.Offset+len(pg.Members)
		data["NextURL"] = n.url(ws.Slug)
	}
	if pg.Prev != "" {
		p := v
		p.Before, p.After, p.Offset = pg.Prev, "", max(0, v.Offset-membersPerPage)
		data["PrevURL"] = p.url(ws.Slug)
	}
	data["Pager"] = newMembersPager(v, ws.Slug, pg.Total, !pg.TotalCapped, str(data["PrevURL"]), str(data["NextURL"]))
	key := ""
	if pg.Changes == changes { // the page and its roles read under one counter
		key = h.membersShellKey(c, changes, v.Status, roles)
	}
	if !full {
		data["Partial"] = true
		return h.renderMembers(c, key, true, data, pg.Members)
	}
	data["Poll"] = poll
	return h.renderMembers(c, key, false, data, pg.Members)
}

// exportURL is the CSV export of the view v, from its first row.
func exportURL(slug string, v membersView) string {
	prefix := "/w/" + slug + "/members"
	return prefix + "/export.csv" + strings.TrimPrefix(v.url(slug), prefix)
}
