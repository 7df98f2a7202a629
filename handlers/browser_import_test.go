package handlers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/models/modelstest"
)

// TestBrowserImportCSV uploads 200 rows with 5 bad ones, checks the
// preview, confirms, watches the progress bar reach 100% and downloads
// the failed rows.
func TestBrowserImportCSV(t *testing.T) {
	bt := newBrowserTest(t)
	modelstest.SetUp(t, bt.store)
	bt.signInAs("ada@example.com", modelstest.AdminPassword, "/w/acme/members")

	var csv strings.Builder
	csv.WriteString("Email;Name;Role;Location\r\n")
	for i := 0; i < 195; i++ {
		fmt.Fprintf(&csv, "person.%03d@example.com;Person %03d;Member;\"Berlin, Mitte\"\r\n", i, i)
	}
	csv.WriteString("not-an-email;Bad One;;\r\n")
	csv.WriteString("also bad@example.com;Bad Two;;\r\n")
	csv.WriteString("@example.com;Bad Three;;\r\n")
	csv.WriteString("astro@example.com;Astro Naut;Astronaut;\r\n")
	csv.WriteString("person.007@example.com;Person Seven Again;;\r\n")
	path := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	bt.click("#import-button")
	bt.waitTrue("the import dialog", `document.querySelector("#import-dialog")?.matches(":modal")`)
	bt.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{path}))
	bt.click("#import-dialog button.save")
	bt.waitTrue("the preview", `!!document.querySelector("#import-counts")`)
	counts := strings.Join(strings.Fields(bt.text("#import-counts")), " ")
	for _, want := range []string{"195 will be invited", "3 invalid", "1 unknown role", "1 duplicates in the file"} {
		if !strings.Contains(counts, want) {
			t.Errorf("preview counts %q lack %q", counts, want)
		}
	}
	if n := browserEval[int](bt, `document.querySelectorAll("#import-rows tbody tr").length`); n != 200 {
		t.Errorf("preview shows %d rows, want 200", n)
	}
	if first := bt.text("#import-rows tbody tr:first-child"); !strings.Contains(first, "not-an-email") {
		t.Errorf("problems are not listed first: %q", first)
	}
	bt.screenshotForDocs("import-preview.png")

	// Nothing is written before confirming.
	if bt.text("#members-count") != "1 member" {
		t.Errorf("count before confirming = %q", bt.text("#members-count"))
	}
	bt.click("#import-confirm")
	bt.waitTrue("the progress bar", `!!document.querySelector("#import-bar")`)
	bt.waitTrue("100%", `document.querySelector("#import-percent")?.textContent.trim().startsWith("100%") && document.querySelector("#import-title").textContent.includes("finished")`)
	summary := strings.Join(strings.Fields(bt.text("#import-summary")), " ")
	if !strings.Contains(summary, "195 invited") || !strings.Contains(summary, "5 failed") {
		t.Errorf("summary = %q", summary)
	}
	href := browserEval[string](bt, `document.querySelector("#import-failed-csv").href`)
	// Download it as the browser would (with its cookies).
	failed := browserEval[string](bt, fmt.Sprintf(`(() => { const x = new XMLHttpRequest(); x.open("GET", %q, false); x.send(); return x.responseText; })()`, href))
	lines := strings.Split(strings.TrimSpace(failed), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "email,name,role,location,line,reason") || !strings.Contains(failed, "Astronaut") {
		t.Errorf("failed rows CSV:\n%s", failed)
	}
	// The new people are in the table behind the dialog.
	bt.waitTrue("196 members", `document.querySelector("#members-count")?.textContent.includes("of 196 members")`)
	bt.click(`#import-progress [data-close-dialog]`)
	bt.waitTrue("the dialog closed", `!document.querySelector("#dialog-slot dialog")`)
	bt.expectCleanConsole()
}
