package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// The date range keeps events from From (included) until Until (not
// included), on the store's clock, on both databases; it pages and
// combines with the other filters.
func TestListAuditDateRange(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := modelstest.FakeClock(s)
		_, ws := modelstest.SetUp(t, s)
		day := func(d int) time.Time { // midnight UTC, d days after the epoch's day
			e := modelstest.Epoch.UTC()
			return time.Date(e.Year(), e.Month(), e.Day()+d, 0, 0, 0, 0, time.UTC)
		}
		at := func(when time.Time, name string) {
			t.Helper()
			clock.Add(when.Sub(clock.Now()))
			if _, err := s.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: name, Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
				t.Fatal(err)
			}
		}
		at(day(1).Add(-time.Millisecond), "last of day 0")
		at(day(1), "first of day 1")
		at(day(1).Add(12*time.Hour), "noon of day 1")
		at(day(2).Add(-time.Microsecond), "last of day 1")
		at(day(2), "first of day 2")
		at(day(5), "day 5")

		names := func(q models.AuditQuery) []string {
			t.Helper()
			q.Action = "role.created"
			var out []string
			for {
				pg, err := s.ListAudit(ctx, ws.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range pg.Events {
					out = append(out, e.TargetName)
				}
				if pg.Next == "" {
					return out
				}
				q.Before = pg.Next
			}
		}
		for _, c := range []struct {
			name        string
			from, until time.Time
			want        []string
		}{
			{"day 1", day(1), day(2), []string{"last of day 1", "noon of day 1", "first of day 1"}},
			{"day 0 and 1", day(0), day(2), []string{"last of day 1", "noon of day 1", "first of day 1", "last of day 0"}},
			{"from day 2", day(2), time.Time{}, []string{"day 5", "first of day 2"}},
			{"until day 1", time.Time{}, day(1), []string{"last of day 0"}},
			{"days 3 and 4", day(3), day(5), nil},
			{"everything", time.Time{}, time.Time{}, []string{"day 5", "first of day 2", "last of day 1", "noon of day 1", "first of day 1", "last of day 0"}},
		} {
			if got := names(models.AuditQuery{From: c.from, Until: c.until}); !slices.Equal(got, c.want) {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
			// Paged two at a time, the same events.
			if got := names(models.AuditQuery{From: c.from, Until: c.until, Limit: 2}); !slices.Equal(got, c.want) {
				t.Errorf("%s, by twos: %q, want %q", c.name, got, c.want)
			}
		}
		// With another filter: the member or role name.
		if got := names(models.AuditQuery{From: day(1), Until: day(2), Target: "noon"}); !slices.Equal(got, []string{"noon of day 1"}) {
			t.Errorf("range and name: %q", got)
		}
	})
}
