package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// scimMixedMembers seeds demo members and some named with non-ASCII
// letters and in other cases.
func scimMixedMembers(t *testing.T, s *models.Store, ws *models.Workspace) {
	t.Helper()
	ctx := context.Background()
	if err := s.SeedDemo(ctx, ws.ID, 150, 21); err != nil {
		t.Fatal(err)
	}
	for _, u := range []models.SCIMUser{
		{UserName: "ZOË.MÜLLER@example.com", Email: "zoe.mueller@straße.example", DisplayName: "Zoë MÜLLER", GivenName: "Zoë", FamilyName: "MÜLLER"},
		{UserName: "ıŞıK", GivenName: "IŞIK", FamilyName: "Ünlü", DisplayName: "I. Ü.", Email: "isik@example.tr"},
		{UserName: "ἈΘΗΝΑ", GivenName: "Ἀθηνᾶ", FamilyName: "ΣΟΦΊΑ", DisplayName: "Α. Σ."},
		{UserName: "Mx.MIXED@Example.COM", Email: "MIXED@EXAMPLE.COM", DisplayName: "mIxEd CaSe", GivenName: "mIxEd", FamilyName: "Mäx"},
		{UserName: "x_%@example.com", Email: "x_%@example.com", DisplayName: "50% Off_Sale", FamilyName: "M"},
	} {
		u.Active = true
		if _, err := s.CreateSCIMUser(ctx, scimActor, ws, u); err != nil {
			t.Fatal(err)
		}
	}
	// Revoked invitations are not Users, whatever they match.
	roles, _ := s.Roles(ctx, ws.ID)
	for _, p := range []models.InviteInput{
		{Name: "Revoked Xavier", Email: "xavier.revoked@example.com"},
		{Name: "Revoked Mäx", Email: "max.revoked@example.com"},
	} {
		p.RoleID = roles[0].ID
		m, _, err := s.Invite(ctx, models.SystemActor, ws, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeInvite(ctx, models.SystemActor, ws, m.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSCIMFastPathSameResults: the kept counts, the scan slots and the
// trigram narrowing change nothing a list returns: the same members in the
// same order and the same totalResults, page by page, in every sort, as
// the plain path (no narrowing, every count made afresh), on a data set
// with non-ASCII letters and case differences.
func TestSCIMFastPathSameResults(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		scimMixedMembers(t, s, ws)
		list := func(f, sortBy string, desc bool, start, count int) string {
			var expr filter.Expression
			if f != "" {
				var err error
				if expr, err = filter.ParseFilter([]byte(f)); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
			ms, total, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, SortBy: sortBy, Descending: desc, StartIndex: start, Count: count})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			ids := make([]string, len(ms))
			for i, m := range ms {
				ids[i] = m.ID
			}
			return fmt.Sprintf("total %d: %s", total, strings.Join(ids, ","))
		}
		for _, f := range []string{
			"", `emails.value co "x"`, `emails co "X"`, `userName co "a"`, `userName co "A"`, `displayName co "e"`,
			`name.familyName sw "M"`, `name.familyName sw "m"`, `name.familyName sw "mä"`, `name.familyName ew "r"`,
			`userName co "ü"`, `userName co "Ü"`, `displayName co "ë"`, `userName sw "ı"`, `name.givenName co "Ἀθ"`,
			`emails.value co "%"`, `emails.value co "_"`, `userName co "zz"`, `emails.value co "example.com"`,
			`userName co "lovelace"`, `displayName co "ov" or emails co "x"`, `not (userName co "a")`,
			`userName co "a" and active eq true`, `emails[value co "mixed"]`, `emails.value co "revoked"`,
			`userName co "revoked"`, `emails.value ew ".com"`, `userName sw "x"`, `emails.type eq "work"`,
		} {
			for _, o := range []struct {
				sortBy string
				desc   bool
			}{{"", false}, {"userName", false}, {"displayName", true}, {"name.familyName", false}} {
				for _, page := range [][2]int{{1, 7}, {8, 7}, {1, 1000}, {150, 20}, {1, 0}} {
					fast1 := list(f, o.sortBy, o.desc, page[0], page[1])
					fast2 := list(f, o.sortBy, o.desc, page[0], page[1]) // the count kept by fast1
					restoreN := models.SetSCIMNarrowing(false)
					restoreC := models.SetSCIMCountCaching(false)
					restoreI := models.SetSCIMCoveredCounts(false)
					plain := list(f, o.sortBy, o.desc, page[0], page[1])
					restoreI()
					restoreC()
					restoreN()
					if fast1 != plain || fast2 != plain {
						t.Errorf("%s sortBy %q desc %v page %v:\nfast  %s\nagain %s\nplain %s", f, o.sortBy, o.desc, page, fast1, fast2, plain)
					}
				}
			}
		}
	})
}

// TestSCIMCountFollowsChanges: a kept totalResults is made afresh after
// any change that may move it: a new member, a deactivation, a rename, a
// role given; concurrent lists of one filter all get the right count.
func TestSCIMCountFollowsChanges(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 30, 3); err != nil {
			t.Fatal(err)
		}
		total := func(f string) int {
			t.Helper()
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatal(err)
			}
			_, n, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 1})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		plain := func(f string) int {
			defer models.SetSCIMCountCaching(false)()
			return total(f)
		}
		const many, active, role = `emails.value co "e"`, `active eq true and userName co "e"`, `roles.value eq "Auditor"`
		check := func(step string) {
			t.Helper()
			for _, f := range []string{many, active, role} {
				if got, want := total(f), plain(f); got != want {
					t.Errorf("after %s: %s totalResults %d, want %d", step, f, got, want)
				}
			}
		}
		check("seeding")
		before := total(many)
		m, err := s.CreateSCIMUser(ctx, scimActor, ws, models.SCIMUser{UserName: "new.e@example.com", Email: "new.e@example.com", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := total(many); got != before+1 {
			t.Errorf("after a create: %d, want %d", got, before+1)
		}
		check("a create")
		if _, err := s.ChangeSCIMUser(ctx, scimActor, ws, m.ID, m.Version, func(u *models.SCIMUser) error {
			u.Active = false
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		check("a deactivation")
		m, err = s.MemberByID(ctx, ws.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ChangeSCIMUser(ctx, scimActor, ws, m.ID, m.Version, func(u *models.SCIMUser) error {
			u.Roles = []string{"Auditor"}
			u.UserName, u.Email = "nobody@xyz.test", "nobody@xyz.test"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := total(role); got != 1 {
			t.Errorf("after a role given: %s %d, want 1", role, got)
		}
		check("a rename and a role")

		// Concurrent lists of one filter share one count.
		var wg sync.WaitGroup
		want := plain(many)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				expr, _ := filter.ParseFilter([]byte(`emails.value co "e" and active eq true`))
				_, n, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 1})
				if err != nil {
					t.Error(err)
				}
				if n > want {
					t.Errorf("concurrent count %d, more than %d", n, want)
				}
			}()
		}
		wg.Wait()
		if got, want := total(`emails.value co "e" and active eq true`), plain(`emails.value co "e" and active eq true`); got != want {
			t.Errorf("concurrent count kept %d, want %d", got, want)
		}
	})
}

// TestSCIMScanSlots: while every scan slot is taken, a filter that may
// read every member waits and ends in ErrQueryTimeout at its deadline;
// lookups and filters the trigram index confines run as usual; with a
// slot free it runs.
func TestSCIMScanSlots(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 30, 3); err != nil {
			t.Fatal(err)
		}
		list := func(f string) error {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 10})
			return err
		}
		release := models.HoldScanSlots(s)
		s.ListTimeout = 50 * time.Millisecond
		start := time.Now()
		if err := list(`emails.value co "x"`); !errors.Is(err, models.ErrQueryTimeout) {
			t.Errorf("a scan with no slot free: %v, want ErrQueryTimeout", err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("the waiting scan took %v", d)
		}
		s.ListTimeout = 0
		for _, f := range []string{`userName eq "ada@example.com"`, `userName co "lovelace"`, `emails co "lovelace" and active eq true`} {
			if err := list(f); err != nil {
				t.Errorf("%s with no scan slot free: %v", f, err)
			}
		}
		release()
		if err := list(`emails.value co "x"`); err != nil {
			t.Errorf("a scan with slots free: %v", err)
		}
	})
}
