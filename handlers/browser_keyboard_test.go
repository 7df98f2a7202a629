package handlers_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserKeyboard: a skip link is the first stop of Tab; a row's "…"
// menu works as a WAI-ARIA menu button (open on Enter or Arrow Down, with
// focus on its first item; arrows go round; Home and End; Esc closes it
// and focus returns to its button).
func TestBrowserKeyboard(t *testing.T) {
	bt := newBrowserTest(t)
	crawlFixture(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

	bt.do("Tab from the top", chromedp.Evaluate[chromedp.Void](`document.activeElement?.blur()`), chromedp.KeyEvent(kb.Tab))
	bt.waitTrue("the skip link focused and on screen", `document.activeElement?.matches(".skip-link") && document.activeElement.getBoundingClientRect().top >= 0`)
	bt.do("follow it", chromedp.KeyEvent(kb.Enter))
	bt.waitTrue("focus in the page's content", `document.activeElement?.id === "main"`)

	focused := func() string {
		return browserEval[string](bt, `(document.activeElement?.textContent ?? "").trim()`)
	}
	row := `#members-rows tr:nth-child(2)` // Carla, who has several items
	items := browserEval[[]string](bt, `[...document.querySelectorAll("`+row+` [role=menuitem]")].map(i => i.textContent.trim())`)
	if len(items) < 3 {
		t.Fatalf("Carla's menu has %q", items)
	}
	first, second, last := items[0], items[1], items[len(items)-1]
	bt.do("focus the menu button", chromedp.Focus(chromedp.CSS(row+" .row-menu summary")))
	bt.do("open it", chromedp.KeyEvent(kb.Enter))
	bt.waitTrue("the first item focused", `document.activeElement?.matches("`+row+` [role=menuitem]:first-child")`)
	for _, step := range []struct{ key, want string }{
		{kb.ArrowDown, second}, {kb.End, last}, {kb.ArrowDown, first},
		{kb.ArrowUp, last}, {kb.Home, first},
	} {
		bt.do("press a key", chromedp.KeyEvent(step.key))
		if got := focused(); got != step.want {
			t.Errorf("after %q focus is on %q, want %q", step.key, got, step.want)
		}
	}
	bt.do("Esc", chromedp.KeyEvent(kb.Escape))
	bt.waitTrue("the menu closed, focus on its button", `!document.querySelector("`+row+` details.menu").open && document.activeElement?.matches("`+row+` .row-menu summary")`)
	bt.do("Arrow Down on the closed button", chromedp.KeyEvent(kb.ArrowDown))
	bt.waitTrue("the menu open on its first item", `document.querySelector("`+row+` details.menu").open && document.activeElement?.matches("`+row+` [role=menuitem]:first-child")`)
	bt.expectCleanConsole()
}
