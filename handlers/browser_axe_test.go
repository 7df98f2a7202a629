package handlers_test

import (
	"context"
	_ "embed"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored from npm (testdata/axe-core/README.md).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// axeViolation is one rule that failed, with where.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// expectAccessible runs axe-core on the page, or on the open dialog when
// one is open, for WCAG 2.2 A and AA and axe's best practices, and fails
// the test on each serious or critical violation.
func (bt *browserTest) expectAccessible(what string) {
	bt.t.Helper()
	if !browserEval[bool](bt, `typeof window.axe === "object"`) {
		browserEval[bool](bt, axeSource+"\n;true")
	}
	ctx, cancel := context.WithTimeout(bt.ctx, 2*browserStepTimeout)
	defer cancel()
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`(async () => {
		const dialog = document.querySelector("#dialog-slot dialog[open]");
		const r = await axe.run(dialog ?? document, {resultTypes: ["violations"],
			runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}});
		return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		bt.t.Fatalf("%s: run axe: %v", what, err)
	}
	for _, v := range vs {
		bt.t.Errorf("%s: axe %s (%s): %s, at %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
	}
}

// expectFitsWidth fails when the page is wider than the window, so that
// a person on a phone would have to scroll sideways.
func (bt *browserTest) expectFitsWidth(what string) {
	bt.t.Helper()
	w := browserEval[[2]int](bt, `[document.documentElement.scrollWidth, window.innerWidth]`)
	if w[0] > w[1] {
		bt.t.Errorf("%s: the page is %d px wide in a %d px window", what, w[0], w[1])
	}
}
