package handlers_test

import (
	"context"
	"path"
	"testing"
)

// crawlMemberPagesJS lists member pages to crawl from the members table:
// one per kind of row (status, badges, what its "…" menu offers, so the
// viewer's own page and the last Admin's count as kinds of their own).
const crawlMemberPagesJS = `(() => {
	const text = e => (e?.textContent ?? "").replace(/\s+/g, " ").trim();
	const seen = new Set(), out = [];
	for (const tr of document.querySelectorAll("#members-rows tr")) {
		const a = tr.querySelector("a.name");
		if (!a) continue;
		const kind = tr.className + "|" + [...tr.querySelectorAll(".badge")].map(text).join(",") + "|" +
			[...tr.querySelectorAll("[role=menuitem]")].map(m => text(m) + (m.matches("[aria-disabled=true]") ? "(off)" : "")).join(",");
		if (seen.has(kind)) continue;
		seen.add(kind);
		out.push(new URL(a.href).pathname);
	}
	return out;
})()`

// crawlMemberPages crawls members' pages as crawl does the navigation's:
// every control, each from a freshly loaded page, every dialog checked by
// axe and submitted. A page whose member an action removed (Revoke,
// Remove) ends there. done and checked are the crawl's; it returns how
// many controls it clicked.
func (bt *browserTest) crawlMemberPages(done, checked map[string]bool) int {
	bt.t.Helper()
	bt.crawlLoad("/w/acme/members")
	pages := browserEval[[]string](bt, crawlMemberPagesJS)
	if len(pages) < 3 {
		bt.t.Errorf("only %d kinds of member page to crawl: %v", len(pages), pages)
	}
	// Asked of the database, not the browser: a page that is gone would
	// leave a 404 in the console.
	alive := func(page string) bool {
		n, err := bt.store.DB().NewSelect().Table("members").Where("id = ?", path.Base(page)).Count(context.Background())
		if err != nil {
			bt.t.Fatal(err)
		}
		return n == 1
	}
	clicked := 0
	for _, page := range pages {
		if !alive(page) {
			continue // removed by the crawl of the members table
		}
		if !checked[page] {
			bt.crawlLoad(page)
			bt.expectAccessible(page)
			checked[page] = true
		}
		var submits []*crawlControl
		for alive(page) {
			controls := bt.crawlLoad(page)
			var next *crawlControl
			for i := range controls {
				if !done[controls[i].Key] && (next == nil || controls[i].order() < next.order()) {
					next = &controls[i]
				}
			}
			if next == nil {
				if len(submits) == 0 {
					break
				}
				next, submits = submits[0], submits[1:]
				if done[next.Key] {
					continue
				}
			}
			done[next.Key] = true
			clicked++
			if testing.Verbose() {
				bt.t.Logf("%s: %s", page, next.Key)
			}
			if next.Kind == "submit" {
				bt.crawlSubmit(page, next)
				continue
			}
			out := bt.crawlAct(page, next)
			if out.Dialog && !checked[out.DialogID] {
				checked[out.DialogID] = true
				bt.expectAccessible(page + " " + out.DialogID)
			}
			if out.Dialog {
				if forms := browserEval[int](bt, `document.querySelectorAll("#dialog-slot dialog form[hx-post]").length`); forms > 0 {
					submits = append(submits, &crawlControl{Kind: "submit", Key: "submit " + out.DialogID + " from " + next.Key, Opener: next})
				}
				bt.crawlCloseDialog(page, next.Key)
			}
		}
	}
	bt.t.Logf("the crawl clicked %d controls on %d member pages", clicked, len(pages))
	return clicked
}
