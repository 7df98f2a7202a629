package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// The text rule of models/text.go holds wherever a name or an address
// comes from: the invite dialog, a CSV import, an identity provider.

var scimActor = models.Actor{Kind: "scim_token", ID: "0196f0e0-0000-7000-8000-0000000000aa", Name: "Okta"}

// Invisible and direction-changing characters, invalid UTF-8 and NUL.
var badText = map[string]string{
	"zero-width space":     "Ada\u200bLovelace",
	"BOM":                  "\ufeffAda",
	"word joiner":          "Ada\u2060Lovelace",
	"right-to-left mark":   "Ada\u200fLovelace",
	"RTL override":         "Ada \u202egnp.exe",
	"bidi isolate":         "Ada \u2067x\u2069",
	"joiner between ASCII": "Ada\u200dLovelace",
	"non-joiner at start":  "\u200cAda",
	"soft hyphen":          "Ada\u00adLovelace",
	"invalid UTF-8":        "Ada \xff Lovelace",
	"NUL":                  "Ada\x00Lovelace",
	"control":              "Ada\x07Lovelace",
}

func TestTextRuleInBrowserInvite(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		member := f.roles["Member"].ID
		for what, bad := range badText {
			_, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: bad, Email: "n@example.com", RoleID: member})
			if fieldError(err, "name") == "" {
				t.Errorf("name with %s: %v", what, err)
			}
			_, _, err = s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Ada", Email: strings.ReplaceAll(bad, " ", "") + "@example.com", RoleID: member})
			if fieldError(err, "email") == "" {
				t.Errorf("email with %s: %v", what, err)
			}
			_, _, err = s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Ada", Email: "l@example.com", RoleID: member, Location: bad})
			if fieldError(err, "location") == "" {
				t.Errorf("location with %s: %v", what, err)
			}
		}
		// Scripts and emoji that need a joiner keep it.
		for i, name := range []string{"می\u200cخواهم", "क्\u200dष", "Dev 👩\u200d💻"} {
			m, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: name, Email: "j" + string(rune('a'+i)) + "@example.com", RoleID: member})
			if err != nil || m.DisplayName != name {
				t.Errorf("name %q: %+v %v", name, m, err)
			}
		}
		// Nothing refused was written.
		if n, _ := s.DB().NewSelect().Model((*models.Member)(nil)).Where("workspace_id = ?", f.ws.ID).Count(f.ctx); n != 4 {
			t.Errorf("%d members, want Ada and the three names", n)
		}
	})
}

// josé typed with a composed é and with e + U+0301 is one address and one
// userName.
func TestNFCBeforeUniqueness(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		composed, decomposed := "jos\u00e9", "jose\u0301"
		m, _ := f.invite(t, "Jos\u00e9", composed+"@example.com", "Member")
		if m.Email != composed+"@example.com" {
			t.Fatalf("email stored as %q", m.Email)
		}
		_, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Jose", Email: decomposed + "@example.com", RoleID: f.roles["Member"].ID})
		if conflictCode(err) != models.ConflictPending {
			t.Errorf("decomposed email: %v", err)
		}
		// A decomposed name is stored composed.
		g, _ := f.invite(t, "Rene\u0301e", "renee@example.com", "Member")
		if g.DisplayName != "Ren\u00e9e" {
			t.Errorf("name stored as %q", g.DisplayName)
		}

		u, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: decomposed, Email: "jose.scim@example.com", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if u.UserName != composed {
			t.Errorf("userName stored as %q", u.UserName)
		}
		_, err = s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: composed, Email: "other@example.com", Active: true})
		var cerr *models.ConflictError
		if !errors.As(err, &cerr) || cerr.Code != models.ConflictUniqueness || cerr.Field != "userName" {
			t.Errorf("composed userName after decomposed: %v", err)
		}
		_, err = s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "jose2", Email: decomposed + "@example.com", Active: true})
		if !errors.As(err, &cerr) || cerr.Field != "emails" {
			t.Errorf("decomposed email over SCIM: %v", err)
		}
	})
}

func TestTextRuleInSCIMUsers(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		for what, bad := range badText {
			for field, u := range map[string]models.SCIMUser{
				"userName":       {UserName: bad, Email: "a1@example.com"},
				"emails":         {UserName: "a1", Email: strings.ReplaceAll(bad, " ", "") + "@example.com"},
				"displayName":    {UserName: "a1", Email: "a1@example.com", DisplayName: bad},
				"name.givenName": {UserName: "a1", Email: "a1@example.com", GivenName: bad},
				"roles":          {UserName: "a1", Email: "a1@example.com", Roles: []string{bad}},
			} {
				u.Active = true
				if _, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, u); fieldError(err, field) == "" {
					t.Errorf("%s with %s: %v", field, what, err)
				}
			}
		}
		// Joiners are identifiers' enemies even after a non-ASCII letter.
		if _, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "می\u200cخواهم", Email: "fa@example.com", Active: true}); fieldError(err, "userName") == "" {
			t.Errorf("userName with a non-joiner: %v", err)
		}
		if n, _ := s.DB().NewSelect().Model((*models.Member)(nil)).Where("workspace_id = ?", f.ws.ID).Count(f.ctx); n != 1 {
			t.Errorf("%d members, want only Ada", n)
		}
	})
}

// A CSV row with an invisible character in its name or address is a row
// error in the preview, not a failed import.
func TestTextRuleInImportPreview(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		p, err := s.PreviewImport(f.ctx, f.actor, f.ws, "people.csv", []models.ImportInput{
			{Line: 2, Email: "rtl@example.com", Name: "Mallory \u202eevil"},
			{Line: 3, Email: "zw\u200b@example.com", Name: "Zed"},
			{Line: 4, Email: "fine@example.com", Name: "Fine", Location: "Oslo\u200b"},
			{Line: 5, Email: "ok@example.com", Name: "Ok"},
		}, f.roles["Member"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Counts[models.OutcomeInvalid] != 3 || p.Counts[models.OutcomeInvite] != 1 {
			t.Fatalf("counts %v", p.Counts)
		}
		rows, err := s.ImportRows(f.ctx, p.Import.ID, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[:3] {
			if r.Outcome != models.OutcomeInvalid || !strings.Contains(r.Message, "invisible") {
				t.Errorf("line %d: %s %q", r.Line, r.Outcome, r.Message)
			}
		}
	})
}
