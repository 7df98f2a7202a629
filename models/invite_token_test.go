package models_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
	"github.com/uptrace/bun"
)

// TestInviteKeysInOrder: a link's token starts with its invitation's time,
// and so does the key invites keep, so keys made later sort later (the
// index takes them at its end, as it takes ids); every link is found by its
// token and by nothing else; and a link sent before, keyed by its token's
// SHA-256, still works.
func TestInviteKeysInOrder(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		var tokens []string
		var members []*models.Member
		for i := range 12 {
			m, token := f.invite(t, fmt.Sprint("Person ", i), fmt.Sprintf("person-%d@example.com", i), "Member")
			members, tokens = append(members, m), append(tokens, token)
		}
		var invs []models.Invite
		if err := s.DB().NewSelect().Model(&invs).Where("member_id IN (?)", bun.In(memberIDs(members))).Order("id").Scan(f.ctx); err != nil || len(invs) != len(tokens) {
			t.Fatalf("invites: %d, %v", len(invs), err)
		}
		for i, inv := range invs {
			time := strings.ReplaceAll(inv.ID, "-", "")[:12]
			token := tokens[i]
			if inv.MemberID != members[i].ID || len(token) != 55 || !strings.HasPrefix(token, time) || len(inv.TokenHash) != 64 || !strings.HasPrefix(inv.TokenHash, time) {
				t.Errorf("invite %d: id %s, token %q, key %q: want both to start with %s", i, inv.ID, token, inv.TokenHash, time)
			}
			if strings.Contains(inv.TokenHash, token[12:]) || inv.TokenHash == models.HashToken(token) {
				t.Errorf("invite %d: the key %q holds the token %q or its plain hash", i, inv.TokenHash, token)
			}
			if i > 0 && inv.TokenHash[:12] < invs[i-1].TokenHash[:12] {
				t.Errorf("invite %d's key %q sorts before the one made before it, %q", i, inv.TokenHash, invs[i-1].TokenHash)
			}
			if d, err := s.LookupInvite(f.ctx, token); err != nil || d.State != models.LinkValid || d.Member.ID != members[i].ID {
				t.Errorf("invite %d: lookup = %+v, %v", i, d, err)
			}
		}
		// Neither another secret after the right time nor the right secret
		// after another time opens a link.
		token := tokens[0]
		last := "A"
		if token[54:] == "A" {
			last = "B"
		}
		for _, wrong := range []string{token[:54] + last, "000000000000" + token[12:], token[:12], token[12:]} {
			if d, err := s.LookupInvite(f.ctx, wrong); err != nil || d.State != models.LinkUnknown {
				t.Errorf("lookup(%q) = %+v, %v; want unknown", wrong, d, err)
			}
		}

		// A link sent before: 43 characters, kept as their SHA-256.
		old := models.NewToken()
		if _, err := s.DB().NewUpdate().Model((*models.Invite)(nil)).Set("token_hash = ?", models.HashToken(old)).
			Where("member_id = ?", members[1].ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if d, err := s.LookupInvite(f.ctx, tokens[1]); err != nil || d.State != models.LinkUnknown {
			t.Errorf("the replaced token: %+v, %v", d, err)
		}
		if d, err := s.LookupInvite(f.ctx, old); err != nil || d.State != models.LinkValid || d.Member.ID != members[1].ID {
			t.Fatalf("a link sent before: lookup = %+v, %v", d, err)
		}
		acc, ws, err := s.AcceptInvite(f.ctx, old, models.AcceptInput{Name: "Person 1", Password: "a long enough password"})
		if err != nil || ws.ID != f.ws.ID || acc.Email != "person-1@example.com" {
			t.Fatalf("accepting a link sent before: %v", err)
		}
		// And a new one accepts as well.
		if _, _, err := s.AcceptInvite(f.ctx, tokens[2], models.AcceptInput{Name: "Person 2", Password: "a long enough password"}); err != nil {
			t.Fatalf("accept: %v", err)
		}
	})
}

func memberIDs(ms []*models.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}
