package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// The audit log's date range: in the URL, applied to the page, its pages
// and the CSV; a bad date or a to before from gets a clear message (422 on
// the page, 400 for the CSV), never a 500. A revoke reads as one.
func TestAuditDateRangeThroughHandlers(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			app, store := newApp(t, d)
			clock := modelstest.FakeClock(store)
			acc, ws := modelstest.SetUp(t, store)
			ctx := context.Background()
			e := modelstest.Epoch.UTC()
			day0 := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC)
			date := func(d int) string { return day0.AddDate(0, 0, d).Format(time.DateOnly) }
			for i, name := range []string{"Support", "Sales", "Finance"} {
				clock.Add(day0.AddDate(0, 0, 2*i+1).Add(10 * time.Hour).Sub(clock.Now()))
				if _, err := store.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: name, Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
					t.Fatal(err)
				}
			}
			m, _ := inviteGrace(t, store, acc, ws)
			c := newClient(t, app)
			c.signIn("ada@example.com", modelstest.AdminPassword)
			hx := []string{"HX-Request", "true"}
			expectStatus(t, c.post("/w/acme/members/"+m.ID+"/revoke", nil, hx...), 200)

			page := c.get("/w/acme/audit?from=" + date(3) + "&to=" + date(3))
			expectStatus(t, page, 200)
			rows := page.Doc.Find("#audit-rows").Text()
			if !strings.Contains(rows, "Sales") || strings.Contains(rows, "Support") || strings.Contains(rows, "Finance") {
				t.Errorf("day 3 shows %q", strings.Join(strings.Fields(rows), " "))
			}
			if page.Doc.Find("#audit-from").AttrOr("value", "") != date(3) || page.Doc.Find("#audit-to").AttrOr("value", "") != date(3) {
				t.Error("the date fields lost the range")
			}
			csvURL := page.Doc.Find("#audit-csv").AttrOr("href", "")
			if !strings.Contains(csvURL, "from="+date(3)) || !strings.Contains(csvURL, "to="+date(3)) {
				t.Errorf("CSV link %q lacks the range", csvURL)
			}
			csv := c.get(csvURL)
			expectStatus(t, csv, 200)
			if lines := strings.Split(strings.TrimSpace(csv.Body), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "Sales") {
				t.Errorf("CSV of day 3: %q", csv.Body)
			}
			// From day 2 on, as an htmx partial: Sales, Finance, the revoke.
			part := c.get("/w/acme/audit?from="+date(2), append(hx, "HX-Target", "audit-results")...)
			expectStatus(t, part, 200)
			if got := part.Doc.Find("#audit-rows tr").Length(); got != 4 { // Sales, Finance, invited, revoked
				t.Errorf("from day 2: %d events: %s", got, strings.Join(strings.Fields(part.Doc.Find("#audit-rows").Text()), " "))
			}
			// The revoke reads as a revoke.
			if got := strings.Join(strings.Fields(part.Doc.Find("#audit-rows tr").First().Text()), " "); !strings.Contains(got, "Revoked the invitation of grace@example.com") || strings.Contains(got, "(none)") {
				t.Errorf("revoke entry reads %q", got)
			}

			for q, want := range map[string]string{
				"from=2026-13-01":                    "The from date “2026-13-01” is not a date",
				"to=yesterday":                       "The to date “yesterday” is not a date",
				"from=" + date(4) + "&to=" + date(2): "The to date (" + date(2) + ") is before the from date (" + date(4) + ")",
			} {
				res := c.get("/w/acme/audit?" + q)
				expectStatus(t, res, http.StatusUnprocessableEntity)
				if got := res.Doc.Find("#audit-date-error").Text(); !strings.Contains(got, want) {
					t.Errorf("%s: message %q, want %q", q, got, want)
				}
				if res.Doc.Find("#audit-filters [aria-invalid=true]").Length() != 1 {
					t.Errorf("%s: no field marked invalid", q)
				}
				part := c.get("/w/acme/audit?"+q, append(hx, "HX-Target", "audit-results")...)
				expectStatus(t, part, http.StatusUnprocessableEntity)
				if !strings.Contains(part.Doc.Find("#audit-date-error").Text(), want) {
					t.Errorf("%s: partial %s", q, part.Body)
				}
				csv := c.get("/w/acme/audit.csv?" + q)
				expectStatus(t, csv, http.StatusBadRequest)
				if !strings.Contains(csv.Body, strings.ReplaceAll(want, "“", "")[:10]) {
					t.Errorf("%s: CSV answer %q", q, csv.Body)
				}
			}
		})
	}
}
