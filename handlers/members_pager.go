package handlers

import (
	"fmt"
	"strconv"
	"strings"
)

// The members table's pager: Previous and Next walk by keyset cursors;
// page numbers and "Go to page" ask for ?page=N, which the store resolves
// to a cursor (models/members_jump.go), so any page is a click away and
// page 2,000 costs about what page 2 does.

// pagerWindow is how many page numbers show on each side of the current one.
const pagerWindow = 2

// pagerLink is one entry of the page list: a page, or a gap ("…").
type pagerLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// pagerField is a hidden field of the "Go to page" form: the view's state.
type pagerField struct{ Name, Value string }

// membersPager is what members/_pager draws.
type membersPager struct {
	PrevURL, NextURL string
	Links            []pagerLink
	Current, Last    int
	// Known is false when the total is a lower bound (a capped count of
	// search matches): the pages after Last are reached by Next only.
	Known  bool
	Action string // the "Go to page" form's action
	Fields []pagerField
}

// parsePage reads ?page=: 0 when absent, else a page of 1 or more, with a
// notice when what the URL said was not a page number.
func parsePage(raw string) (int, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0, ""
	}
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		if len(raw) > 20 {
			raw = raw[:20] + "…"
		}
		return 1, fmt.Sprintf("“%s” is not a page number: this is the first page.", raw)
	case n < 1:
		return 1, "Pages start at 1: this is the first page."
	}
	// Far past any workspace's last page, and no overflow in (n-1)*size.
	return min(n, 1_000_000_000), ""
}

// pageCount is how many pages total rows fill, at least one.
func pageCount(total int) int { return max(1, (total+membersPerPage-1)/membersPerPage) }

// newMembersPager works out the pager of the view v (its page starts at
// v.Offset) with total rows; known says whether total is exact.
func newMembersPager(v membersView, slug string, total int, known bool, prevURL, nextURL string) membersPager {
	p := membersPager{PrevURL: prevURL, NextURL: nextURL, Current: v.Offset/membersPerPage + 1, Last: pageCount(total), Known: known}
	p.Last = max(p.Last, p.Current)
	at := func(n int) string {
		w := v
		w.After, w.Before, w.Offset, w.Page = "", "", 0, n
		return w.url(slug)
	}
	pages := []int{1}
	for n := max(2, p.Current-pagerWindow); n <= min(p.Last, p.Current+pagerWindow); n++ {
		pages = append(pages, n)
	}
	if known && pages[len(pages)-1] != p.Last {
		pages = append(pages, p.Last)
	}
	for i, n := range pages {
		if i > 0 && n > pages[i-1]+1 {
			p.Links = append(p.Links, pagerLink{Gap: true})
		}
		p.Links = append(p.Links, pagerLink{N: n, URL: at(n), Current: n == p.Current})
	}
	p.Action = "/w/" + slug + "/members"
	for _, f := range []pagerField{{"q", v.Q}, {"status", v.Status}, {"role", v.Role}} {
		if f.Value != "" {
			p.Fields = append(p.Fields, f)
		}
	}
	if v.Sort != "name" {
		p.Fields = append(p.Fields, pagerField{"sort", v.Sort})
	}
	if v.Dir != "asc" {
		p.Fields = append(p.Fields, pagerField{"dir", v.Dir})
	}
	return p
}

// str is v if it is a string, else "".
func str(v any) string { s, _ := v.(string); return s }
