package models_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestDerivedNamesFit: a name Muster makes up for a member nobody named
// (from the address, the given and family names, the userName) is cut to
// the 200 characters a name may have, never ending in a space, so no one
// is refused for a name they did not type. An address may be 254
// characters long and its local part 230.
func TestDerivedNamesFit(t *testing.T) {
	// "Aaa…a Bbb…b": the 201st character of the made-up name is the space
	// between the two parts.
	longEmail := strings.Repeat("a", 200) + "." + strings.Repeat("b", 30) + "@example.com"
	fits := func(t *testing.T, what, name string) {
		t.Helper()
		if n := utf8.RuneCountInString(name); n == 0 || n > 200 || strings.HasSuffix(name, " ") {
			t.Errorf("%s: name %q (%d characters)", what, name, n)
		}
	}
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		member := f.roles["Member"].ID

		m, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: longEmail, RoleID: member})
		if err != nil {
			t.Fatalf("invite without a name: %v", err)
		}
		fits(t, "invite", m.DisplayName)
		if want := "A" + strings.Repeat("a", 199); m.DisplayName != want {
			t.Errorf("invite: name %q, want %q", m.DisplayName, want)
		}

		results, err := s.InviteMany(f.ctx, f.actor, f.ws, models.InviteManyInput{RoleID: member,
			Addresses: []models.InviteAddress{{Email: "many." + longEmail}}})
		if err != nil || len(results) != 1 || results[0].Outcome != models.InviteResultInvited {
			t.Fatalf("invite many: %+v %v", results, err)
		}
		fits(t, "invite many", results[0].Member.DisplayName)

		p, err := s.PreviewImport(f.ctx, f.actor, f.ws, "people.csv", []models.ImportInput{{Line: 1, Email: "csv." + longEmail}}, member)
		if err != nil || p.Counts[models.OutcomeInvite] != 1 {
			t.Fatalf("import preview: %+v %v", p, err)
		}
		rows, err := s.ImportRows(f.ctx, p.Import.ID, false, 10)
		if err != nil || len(rows) != 1 {
			t.Fatalf("import rows: %+v %v", rows, err)
		}
		fits(t, "import", rows[0].Name)

		for _, tc := range []struct {
			what string
			user models.SCIMUser
			want string
		}{
			{"SCIM, from the address", models.SCIMUser{UserName: "scim-1", Email: "scim." + longEmail}, ""},
			{"SCIM, from given and family names", models.SCIMUser{UserName: "scim-2",
				GivenName: strings.Repeat("g", 100), FamilyName: strings.Repeat("f", 100)},
				strings.Repeat("g", 100) + " " + strings.Repeat("f", 99)},
			{"SCIM, from the userName", models.SCIMUser{UserName: strings.Repeat("u", 230)}, strings.Repeat("u", 200)},
		} {
			tc.user.Active = true
			m, err := s.CreateSCIMUser(f.ctx, f.actor, f.ws, tc.user)
			if err != nil {
				t.Errorf("%s: %v", tc.what, err)
				continue
			}
			fits(t, tc.what, m.DisplayName)
			if tc.want != "" && m.DisplayName != tc.want {
				t.Errorf("%s: name %q, want %q", tc.what, m.DisplayName, tc.want)
			}
		}

		// A displayName that is sent is the IdP's: too long is an error.
		_, err = s.CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: "scim-3", DisplayName: strings.Repeat("d", 201), Active: true})
		if err == nil || !strings.Contains(err.Error(), "displayName must be at most 200 characters") {
			t.Errorf("a displayName of 201 characters: %v", err)
		}
	})
}
