package models_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMUserWithoutEmail: an identity provider may create a member with
// only a userName (RFC 7643 §4.1). Such members are kept side by side,
// are never invited (no link, no email, no resend or copied link) and get
// their invitation once they have an address; taking the address away
// ends the link.
func TestSCIMUserWithoutEmail(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		kim, err := s.CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: "kim", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if kim.Email != "" || kim.DisplayName != "kim" || kim.Status != models.StatusInvited || kim.CanBeInvited() {
			t.Fatalf("kim: %+v", kim)
		}
		// A second member without an address does not collide with kim.
		if _, err := s.CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: "lee", Active: true}); err != nil {
			t.Fatalf("a second member without an email: %v", err)
		}
		queued, err := s.ClaimOutbox(f.ctx, 100, time.Minute)
		if err != nil || len(queued) != 0 {
			t.Fatalf("emails queued for members without an address: %+v %v", queued, err)
		}
		if m, _ := s.MemberByID(f.ctx, f.ws.ID, kim.ID); m.Invite != nil {
			t.Fatalf("kim has a link: %+v", m.Invite)
		}

		// Nobody can send kim an invitation or copy a link for them.
		_, err = s.ResendInvite(f.ctx, f.actor, f.ws, kim.ID)
		if conflictCode(err) != models.ConflictState || !strings.Contains(err.Error(), "no email address") {
			t.Errorf("resend: %v", err)
		}
		if _, _, err := s.NewInviteLink(f.ctx, f.actor, f.ws, kim.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("copy link: %v", err)
		}
		// Deactivated by the IdP and reactivated in the browser, kim is
		// invited again without a link.
		if _, err := s.ChangeSCIMUser(f.ctx, f.actor, f.ws, kim.ID, 0, func(u *models.SCIMUser) error { u.Active = false; return nil }); err != nil {
			t.Fatal(err)
		}
		if m, err := s.Reactivate(f.ctx, f.actor, f.ws, kim.ID); err != nil || m.Status != models.StatusInvited {
			t.Fatalf("reactivate: %+v %v", m, err)
		}
		if m, _ := s.MemberByID(f.ctx, f.ws.ID, kim.ID); m.Invite != nil {
			t.Error("reactivating a member without an email made a link")
		}

		// The identity provider sends an address: kim is invited.
		setEmail := func(email string) *models.Member {
			t.Helper()
			m, err := s.ChangeSCIMUser(f.ctx, f.actor, f.ws, kim.ID, 0, func(u *models.SCIMUser) error {
				u.Email, u.EmailType = email, "work"
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			m, _ = s.MemberByID(f.ctx, f.ws.ID, m.ID)
			return m
		}
		if m := setEmail("Kim@Example.com"); m.Email != "kim@example.com" || m.Invite == nil {
			t.Fatalf("with an email: %+v", m)
		}
		queued, _ = s.ClaimOutbox(f.ctx, 100, time.Minute)
		if len(queued) != 1 || queued[0].ToAddr != "kim@example.com" {
			t.Errorf("invitation emails: %+v", queued)
		}
		token, _, err := s.NewInviteLink(f.ctx, f.actor, f.ws, kim.ID)
		if err != nil {
			t.Fatal(err)
		}
		// …and the address is taken away again: the link stops working.
		if m := setEmail(""); m.Email != "" || m.Invite != nil || m.EmailType != "" {
			t.Fatalf("without the email: %+v", m)
		}
		if d, err := s.LookupInvite(f.ctx, token); err != nil || d.State != models.LinkRevoked {
			t.Errorf("the old link: %+v %v", d, err)
		}
		_, _, err = s.AcceptInvite(f.ctx, token, models.AcceptInput{Name: "Kim", Password: modelstest.AdminPassword})
		var linkErr *models.InviteLinkError
		if !errors.As(err, &linkErr) {
			t.Errorf("accepting the old link: %v", err)
		}
	})
}

// TestSCIMUserAttributes: the attributes Muster only keeps are stored as
// given, changes to them are audited by name, and writing the same ones
// again is no change at all.
func TestSCIMUserAttributes(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		attrs := map[string]any{"nickName": "Amy", "phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}}}
		m, err := s.CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: "amy", Email: "amy@example.com", Active: true, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.SCIMUserByID(f.ctx, f.ws.ID, m.ID)
		if u := models.UserOf(got); u.Attributes["nickName"] != "Amy" || len(u.Attributes["phoneNumbers"].([]any)) != 1 {
			t.Fatalf("stored attributes: %v", u.Attributes)
		}
		change := func(fn func(u *models.SCIMUser)) *models.Member {
			t.Helper()
			m, err := s.ChangeSCIMUser(f.ctx, f.actor, f.ws, m.ID, 0, func(u *models.SCIMUser) error { fn(u); return nil })
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		same := change(func(u *models.SCIMUser) {
			u.Attributes = map[string]any{"phoneNumbers": []any{map[string]any{"type": "work", "value": "+1 555 0100"}}, "nickName": "Amy"}
		})
		if same.Version != got.Version {
			t.Errorf("the same attributes again changed the member: version %d → %d", got.Version, same.Version)
		}
		changed := change(func(u *models.SCIMUser) { u.Attributes["nickName"] = "Ames" })
		if changed.Version == got.Version {
			t.Error("a changed attribute was not saved")
		}
		evs, _ := s.ListAudit(f.ctx, f.ws.ID, models.AuditQuery{Action: "member.updated"})
		if len(evs.Events) != 1 || !slices.ContainsFunc(evs.Events[0].ChangeList(), func(c models.FieldChange) bool { return c.Field == "nickName" }) {
			t.Errorf("audited: %+v", evs.Events)
		}
		// A stored User is bounded.
		huge := map[string]any{"nickName": strings.Repeat("x", 70<<10)}
		if _, err := s.CreateSCIMUser(f.ctx, f.actor, f.ws, models.SCIMUser{UserName: "huge", Active: true, Attributes: huge}); fieldError(err, "attributes") == "" {
			t.Errorf("a huge User: %v", err)
		}
	})
}
