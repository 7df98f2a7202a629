package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

type inviteFixture struct {
	s      *models.Store
	admin  *models.Member
	actor  models.Actor
	ws     *models.Workspace
	roles  map[string]models.Role
	clock  *modelstest.Clock
	ctx    context.Context
	adminA *models.Account
}

func newInviteFixture(t *testing.T, s *models.Store) *inviteFixture {
	ctx := context.Background()
	clock := modelstest.FakeClock(s)
	acc, ws := modelstest.SetUp(t, s)
	admin, _, err := s.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	roles, _ := s.Roles(ctx, ws.ID)
	byName := map[string]models.Role{}
	for _, r := range roles {
		byName[r.Name] = r
	}
	return &inviteFixture{s: s, admin: admin, actor: models.MemberActor(admin), ws: ws, roles: byName, clock: clock, ctx: ctx, adminA: acc}
}

func (f *inviteFixture) invite(t *testing.T, name, email, role string) (*models.Member, string) {
	t.Helper()
	m, token, err := f.s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: name, Email: email, RoleID: f.roles[role].ID, Location: "Berlin"})
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	return m, token
}

func conflictCode(err error) string {
	var c *models.ConflictError
	if errors.As(err, &c) {
		return c.Code
	}
	return ""
}

func TestInviteAndAccept(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		m, token := f.invite(t, " Grace  Hopper ", "Grace@Example.com", "Member")
		if m.Status != models.StatusInvited || m.Email != "grace@example.com" || m.DisplayName != "Grace Hopper" {
			t.Fatalf("invited member = %+v", m)
		}
		// The email is queued in the same transaction.
		var msgs []models.OutboxMessage
		if err := s.DB().NewSelect().Model(&msgs).Scan(f.ctx); err != nil || len(msgs) != 1 || msgs[0].ToAddr != "grace@example.com" || msgs[0].Kind != "invite" {
			t.Fatalf("outbox = %+v, %v", msgs, err)
		}
		// Looking at the link changes nothing.
		d, err := s.LookupInvite(f.ctx, token)
		if err != nil || d.State != models.LinkValid || d.Workspace.ID != f.ws.ID || d.HasAccount || d.Member.Roles[0].Name != "Member" {
			t.Fatalf("lookup = %+v, %v", d, err)
		}
		// Validation happens before anything is written.
		if _, _, err := s.AcceptInvite(f.ctx, token, models.AcceptInput{Name: "Grace", Password: "short"}); err == nil {
			t.Fatal("a short password was accepted")
		}
		acc, ws, err := s.AcceptInvite(f.ctx, token, models.AcceptInput{Name: "Grace M. Hopper", Password: "a long enough password"})
		if err != nil || ws.ID != f.ws.ID || acc.Email != "grace@example.com" {
			t.Fatalf("accept: %v", err)
		}
		got, perms, err := s.Membership(f.ctx, f.ws.ID, acc.ID)
		if err != nil || got.Status != models.StatusActive || got.DisplayName != "Grace M. Hopper" || !perms.Has(models.PermViewMembers) || perms.Has(models.PermManageRoles) {
			t.Fatalf("after accept: %+v %v %v", got, perms, err)
		}
		// Single use.
		if _, _, err := s.AcceptInvite(f.ctx, token, models.AcceptInput{Name: "X", Password: "a long enough password"}); !isLinkState(err, models.LinkAccepted) {
			t.Errorf("second accept: %v", err)
		}
		if d, _ := s.LookupInvite(f.ctx, "no-such-token"); d.State != models.LinkUnknown {
			t.Errorf("unknown token: %s", d.State)
		}
	})
}

func isLinkState(err error, state string) bool {
	var le *models.InviteLinkError
	return errors.As(err, &le) && le.State == state
}

func TestInviteRules(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		// Bad input names each field (the name is optional).
		_, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "", Email: "nope", RoleID: ""})
		var verr *models.ValidationError
		if !errors.As(err, &verr) || verr.Fields["name"] != "" || verr.Fields["email"] == "" || verr.Fields["role"] == "" {
			t.Fatalf("validation: %v", err)
		}
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "A\u200bB", Email: "nope", RoleID: ""}); !errors.As(err, &verr) || verr.Fields["name"] == "" {
			t.Errorf("a bad name: %v", err)
		}
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "A", Email: "a@example.com", RoleID: "not-a-role"}); !errors.As(err, &verr) || verr.Fields["role"] == "" {
			t.Errorf("unknown role: %v", err)
		}
		// The admin's own email, any case: already a member.
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Ada", Email: "ADA@example.com", RoleID: f.roles["Member"].ID}); conflictCode(err) != models.ConflictMember {
			t.Errorf("active member: %v", err)
		}
		m, _ := f.invite(t, "Grace", "grace@example.com", "Member")
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Grace", Email: "Grace@example.com", RoleID: f.roles["Member"].ID}); conflictCode(err) != models.ConflictPending {
			t.Errorf("pending invite: %v", err)
		}
		// A deactivated member is offered reactivation.
		acc2, _ := s.CreateAccount(f.ctx, "Linus", "linus@example.com", "a long enough password")
		_, tok := f.invite(t, "Linus", "linus@example.com", "Member")
		if _, _, err := s.AcceptInvite(f.ctx, tok, models.AcceptInput{Account: acc2}); err != nil {
			t.Fatal(err)
		}
		linus, _, _ := s.Membership(f.ctx, f.ws.ID, acc2.ID)
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, linus.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Linus", Email: "linus@example.com", RoleID: f.roles["Member"].ID}); conflictCode(err) != models.ConflictDeactivated {
			t.Errorf("deactivated: %v", err)
		}
		if got, err := s.Reactivate(f.ctx, f.actor, f.ws, linus.ID); err != nil || got.Status != models.StatusActive {
			t.Errorf("reactivate: %v %v", got, err)
		}
		// Revoking keeps the row as revoked (see TestRevokedInvitationStaysFindable).
		if _, err := s.RevokeInvite(f.ctx, f.actor, f.ws, m.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.MemberByID(f.ctx, f.ws.ID, m.ID); err != nil || got.Status != models.StatusRevoked {
			t.Errorf("revoked member: %v, %v", got, err)
		}
	})
}

func TestResendExpiresOldLink(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		m, old := f.invite(t, "Grace", "grace@example.com", "Member")
		f.clock.Add(8 * 24 * time.Hour)
		if d, _ := s.LookupInvite(f.ctx, old); d.State != models.LinkExpired {
			t.Fatalf("after 8 days: %s", d.State)
		}
		if _, _, err := s.AcceptInvite(f.ctx, old, models.AcceptInput{Name: "G", Password: "a long enough password"}); !isLinkState(err, models.LinkExpired) {
			t.Errorf("accepting an expired link: %v", err)
		}
		listed, _ := s.MemberByID(f.ctx, f.ws.ID, m.ID)
		if !listed.InviteExpired {
			t.Error("the members table does not see the expiry")
		}
		if _, err := s.ResendInvite(f.ctx, f.actor, f.ws, m.ID); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.LookupInvite(f.ctx, old); d.State != models.LinkSuperseded {
			t.Errorf("old link after resend: %s", d.State)
		}
		link, inv, err := s.NewInviteLink(f.ctx, f.actor, f.ws, m.ID)
		if err != nil || !inv.ExpiresAt.After(f.clock.Now()) {
			t.Fatal(err)
		}
		if _, _, err := s.AcceptInvite(f.ctx, link, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err != nil {
			t.Errorf("accepting the new link: %v", err)
		}
		var outbox int
		n, _ := s.DB().NewSelect().Model((*models.OutboxMessage)(nil)).Count(f.ctx)
		outbox = int(n)
		if outbox != 2 {
			t.Errorf("%d emails queued, want 2 (invite and resend; a copied link sends none)", outbox)
		}
	})
}

func TestLastAdminIsProtected(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		id := f.admin.ID
		memberRole := []string{f.roles["Member"].ID}
		if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, id, models.UpdateInput{Name: "Ada", RoleIDs: memberRole}); conflictCode(err) != models.ConflictLastAdmin {
			t.Errorf("demote: %v", err)
		}
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, id); conflictCode(err) != models.ConflictLastAdmin {
			t.Errorf("deactivate: %v", err)
		}
		if _, err := s.RemoveMember(f.ctx, f.actor, f.ws, id); conflictCode(err) != models.ConflictLastAdmin {
			t.Errorf("remove: %v", err)
		}
		// With a second active admin, the first may step down.
		acc2, _ := s.CreateAccount(f.ctx, "Grace", "grace@example.com", "a long enough password")
		_, tok := f.invite(t, "Grace", "grace@example.com", "Admin")
		if _, _, err := s.AcceptInvite(f.ctx, tok, models.AcceptInput{Account: acc2}); err != nil {
			t.Fatal(err)
		}
		m, err := s.UpdateMember(f.ctx, f.actor, f.ws, id, models.UpdateInput{Name: "Ada L.", RoleIDs: memberRole, Location: "London"})
		if err != nil || m.Roles[0].Name != "Member" || m.Location != "London" {
			t.Fatalf("demote with another admin: %+v %v", m, err)
		}
		evs, _ := s.AuditEvents(f.ctx, f.ws.ID, 1)
		if evs[0].Action != "member.updated" || evs[0].Changes == "{}" {
			t.Errorf("audit = %+v", evs[0])
		}
		// Nobody deactivates or removes themselves, even when they are not
		// the last Admin: another admin (or the identity provider) can.
		for name, op := range map[string]func(models.Actor) (*models.Member, error){
			"deactivate": func(a models.Actor) (*models.Member, error) { return s.Deactivate(f.ctx, a, f.ws, id) },
			"remove":     func(a models.Actor) (*models.Member, error) { return s.RemoveMember(f.ctx, a, f.ws, id) },
		} {
			if _, err := op(f.actor); conflictCode(err) != models.ConflictState || !strings.Contains(err.Error(), "yourself") {
				t.Errorf("%s yourself: %v", name, err)
			}
		}
		if _, err := s.Deactivate(f.ctx, models.SystemActor, f.ws, id); err != nil {
			t.Errorf("another actor deactivating Ada: %v", err)
		}
	})
}

func TestDeactivateEndsSessions(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		acc, _ := s.CreateAccount(f.ctx, "Grace", "grace@example.com", "a long enough password")
		_, tok := f.invite(t, "Grace", "grace@example.com", "Member")
		if _, _, err := s.AcceptInvite(f.ctx, tok, models.AcceptInput{Account: acc}); err != nil {
			t.Fatal(err)
		}
		session, _ := s.CreateSession(f.ctx, acc.ID, "", "")
		m, _, _ := s.Membership(f.ctx, f.ws.ID, acc.ID)
		if _, err := s.Deactivate(f.ctx, f.actor, f.ws, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionAccount(f.ctx, session); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("session survived deactivation: %v", err)
		}
	})
}

func TestConcurrentInvitesOfOneEmail(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "Grace", Email: "grace@example.com", RoleID: f.roles["Member"].ID})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if conflictCode(err) != models.ConflictPending {
				t.Errorf("unexpected: %v", err)
			}
		}
		n, _ := s.DB().NewSelect().Model((*models.Member)(nil)).Where("email = ?", "grace@example.com").Count(f.ctx)
		if ok != 1 || n != 1 {
			t.Errorf("%d invites succeeded, %d members exist; want 1 and 1", ok, n)
		}
	})
}

func TestInviteRateLimit(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		f.ws.InvitesPerHour = 3
		for i := 0; i < 3; i++ {
			f.invite(t, "P", string(rune('a'+i))+"@example.com", "Member")
		}
		_, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Name: "P", Email: "d@example.com", RoleID: f.roles["Member"].ID})
		var rl *models.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
			t.Fatalf("fourth invite: %v", err)
		}
		f.clock.Add(61 * time.Minute)
		f.invite(t, "P", "d@example.com", "Member")
	})
}
