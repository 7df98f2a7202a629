package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func listEmails(t *testing.T, s *models.Store, f *inviteFixture, status string) ([]string, int) {
	t.Helper()
	page, err := s.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{Status: status})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range page.Members {
		out = append(out, m.Email)
	}
	return out, page.Total
}

// TestRevokedInvitationStaysFindable: a revoked invitation keeps its row
// under the Revoked filter (left out of All and its count, of role counts
// and of SCIM), with its roles, and is invited again in one call.
func TestRevokedInvitationStaysFindable(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		g, token := f.invite(t, "Grace Hopper", "grace@example.com", "Admin")
		if _, err := s.RevokeInvite(f.ctx, f.actor, f.ws, g.ID); err != nil {
			t.Fatal(err)
		}
		if all, total := listEmails(t, s, f, ""); len(all) != 1 || total != 1 {
			t.Errorf("All shows %v of %d, want only Ada", all, total)
		}
		if revoked, total := listEmails(t, s, f, models.StatusRevoked); len(revoked) != 1 || revoked[0] != "grace@example.com" || total != 1 {
			t.Errorf("Revoked shows %v of %d", revoked, total)
		}
		m, err := s.MemberByID(f.ctx, f.ws.ID, g.ID)
		if err != nil || m.Status != models.StatusRevoked || len(m.Roles) != 1 || m.Roles[0].Name != "Admin" {
			t.Fatalf("revoked member = %+v, %v", m, err)
		}
		sums, _ := s.RoleSummaries(f.ctx, f.ws.ID)
		for _, r := range sums {
			if r.Name == "Admin" && r.Members != 1 {
				t.Errorf("Admin counts %d members, want 1 (a revoked invitation is nobody)", r.Members)
			}
		}
		if _, _, err := s.AcceptInvite(f.ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err == nil {
			t.Error("a revoked link was accepted")
		}
		// SCIM neither lists nor finds it.
		if users, total, err := s.ListSCIMUsers(f.ctx, f.ws.ID, models.SCIMQuery{StartIndex: 1, Count: 100}); err != nil || total != 1 || len(users) != 1 {
			t.Errorf("SCIM lists %d of %d: %v", len(users), total, err)
		}
		if _, err := s.SCIMUserByID(f.ctx, f.ws.ID, g.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SCIM finds the revoked invitation: %v", err)
		}

		// Invite again: the same row, the same roles, a new link, audited and counted.
		f.ws.InvitesPerHour = 2 // one invitation spent already
		again, err := s.InviteAgain(f.ctx, f.actor, f.ws, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != g.ID || again.Status != models.StatusInvited || len(again.Roles) != 1 || again.Roles[0].Name != "Admin" {
			t.Errorf("invited again = %+v", again)
		}
		if events, _ := s.AuditEvents(f.ctx, f.ws.ID, 1); len(events) != 1 || events[0].Action != "member.reinvited" {
			t.Errorf("last audit event = %+v", events)
		}
		if _, err := s.InviteAgain(f.ctx, f.actor, f.ws, g.ID); conflictCode(err) != models.ConflictState {
			t.Errorf("inviting again a pending invitation: %v", err)
		}
		if _, err := s.RevokeInvite(f.ctx, f.actor, f.ws, g.ID); err != nil {
			t.Fatal(err)
		}
		var rl *models.RateLimitedError
		if _, err := s.InviteAgain(f.ctx, f.actor, f.ws, g.ID); !errors.As(err, &rl) {
			t.Errorf("inviting again past the limit: %v", err)
		}
		// The Invite dialog with the address reuses the row.
		f.clock.Add(61 * time.Minute)
		m2, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "GRACE@example.com", RoleID: f.roles["Member"].ID})
		if err != nil || m2.ID != g.ID || m2.DisplayName != "Grace Hopper" || m2.Roles[0].Name != "Member" {
			t.Errorf("invite of a revoked address = %+v, %v", m2, err)
		}
	})
}

// TestRevokedInvitationGivesWay: an identity provider or a CSV import that
// brings the revoked address gets it; the revoked row goes.
func TestRevokedInvitationGivesWay(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		g, _ := f.invite(t, "Grace Hopper", "grace@example.com", "Member")
		if _, err := s.RevokeInvite(f.ctx, f.actor, f.ws, g.ID); err != nil {
			t.Fatal(err)
		}
		created, err := s.CreateSCIMUser(f.ctx, scimActor, f.ws, models.SCIMUser{UserName: "grace@example.com", Email: "grace@example.com", Active: true})
		if err != nil {
			t.Fatalf("SCIM create of a revoked address: %v", err)
		}
		if created.ID == g.ID {
			t.Error("SCIM took over the revoked row")
		}
		if _, err := s.MemberByID(f.ctx, f.ws.ID, g.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the revoked row is still there: %v", err)
		}
		counts, _ := s.StatusCounts(f.ctx, f.ws.ID)
		if counts[models.StatusRevoked] != 0 || counts[""] != 2 {
			t.Errorf("counts = %v", counts)
		}
	})
}

// TestExpiredFilter: invitations whose link has expired are found under
// their own filter, and a resend takes them out of it.
func TestExpiredFilter(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		old, _ := f.invite(t, "Old", "old@example.com", "Member")
		f.clock.Add(time.Duration(f.ws.InviteExpiryHours)*time.Hour + time.Minute)
		f.invite(t, "New", "new@example.com", "Member")
		if got, total := listEmails(t, s, f, models.FilterExpired); len(got) != 1 || got[0] != "old@example.com" || total != 1 {
			t.Errorf("Expired shows %v of %d", got, total)
		}
		if _, err := s.ResendInvite(f.ctx, f.actor, f.ws, old.ID); err != nil {
			t.Fatal(err)
		}
		if got, total := listEmails(t, s, f, models.FilterExpired); len(got) != 0 || total != 0 {
			t.Errorf("Expired after a resend shows %v of %d", got, total)
		}
	})
}
