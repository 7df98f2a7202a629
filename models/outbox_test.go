package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// addOutbox inserts a message as an operation would queue it.
func addOutbox(t *testing.T, s *models.Store, wsID string, due time.Time, inviteID *string) *models.OutboxMessage {
	t.Helper()
	m := &models.OutboxMessage{
		ID: uuid.NewString(), WorkspaceID: &wsID, InviteID: inviteID, Kind: "invite",
		ToAddr: "grace@example.com", ToName: "Grace Hopper", Payload: `{"token":"secret-token"}`,
		NextAttemptAt: due, CreatedAt: s.Now().UTC(),
	}
	if _, err := s.DB().NewInsert().Model(m).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

func claimIDs(t *testing.T, s *models.Store, n int, lease time.Duration) []string {
	t.Helper()
	msgs, err := s.ClaimOutbox(context.Background(), n, lease)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

func TestClaimOutboxDueTimeAndLease(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		_, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		t0 := clock.Now()
		late := addOutbox(t, s, ws.ID, t0.Add(time.Minute), nil)
		now := addOutbox(t, s, ws.ID, t0, nil)
		early := addOutbox(t, s, ws.ID, t0.Add(-time.Minute), nil)

		if got := claimIDs(t, s, 1, 5*time.Minute); fmt.Sprint(got) != fmt.Sprint([]string{early.ID}) {
			t.Fatalf("claim 1 = %v, want the earliest due %s", got, early.ID)
		}
		if got := claimIDs(t, s, 10, 5*time.Minute); fmt.Sprint(got) != fmt.Sprint([]string{now.ID}) {
			t.Fatalf("claim = %v, want only %s (the other due one is leased, the third not due)", got, now.ID)
		}
		m := modelstest.Outbox(t, s, now.ID)
		if m.ClaimedUntil == nil || !m.ClaimedUntil.Equal(t0.Add(5*time.Minute)) {
			t.Errorf("claimed_until = %v, want %v", m.ClaimedUntil, t0.Add(5*time.Minute))
		}
		if got := claimIDs(t, s, 10, 5*time.Minute); len(got) != 0 {
			t.Fatalf("claim while leased = %v, want none", got)
		}

		clock.Add(time.Minute) // the late one is due; the others still leased
		if got := claimIDs(t, s, 10, 5*time.Minute); fmt.Sprint(got) != fmt.Sprint([]string{late.ID}) {
			t.Fatalf("claim after 1m = %v, want %s", got, late.ID)
		}
		clock.Add(4 * time.Minute) // exactly at the end of the first leases: still held
		if got := claimIDs(t, s, 10, 5*time.Minute); len(got) != 0 {
			t.Fatalf("claim at lease end = %v, want none", got)
		}
		clock.Add(time.Second) // leases over: claimable again, in due order
		if got := claimIDs(t, s, 10, 5*time.Minute); fmt.Sprint(got) != fmt.Sprint([]string{early.ID, now.ID}) {
			t.Fatalf("claim after lease = %v, want %v", got, []string{early.ID, now.ID})
		}

		// A released claim is due again at once.
		if err := s.ReleaseOutbox(context.Background(), []string{early.ID}); err != nil {
			t.Fatal(err)
		}
		if got := claimIDs(t, s, 10, 5*time.Minute); fmt.Sprint(got) != fmt.Sprint([]string{early.ID}) {
			t.Fatalf("claim after release = %v, want %s", got, early.ID)
		}
	})
}

func TestClaimOutboxConcurrentClaimersNeverShareARow(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		_, ws := modelstest.SetUp(t, s)
		t0 := s.Now()
		const rows = 50
		for i := range rows {
			addOutbox(t, s, ws.ID, t0.Add(-time.Duration(i)*time.Second), nil)
		}
		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, 4)
		)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					msgs, err := s.ClaimOutbox(context.Background(), 3, time.Hour)
					if err != nil {
						errs <- fmt.Errorf("claimer %d: %w", w, err)
						return
					}
					if len(msgs) == 0 {
						return
					}
					mu.Lock()
					for _, m := range msgs {
						claimed[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(claimed) != rows {
			t.Errorf("claimed %d distinct rows, want %d", len(claimed), rows)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("row %s claimed %d times", id, n)
			}
		}
	})
}

func TestMarkOutboxSentEmptiesPayload(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		msg := addOutbox(t, s, ws.ID, clock.Now(), nil)
		if got := claimIDs(t, s, 10, time.Minute); len(got) != 1 {
			t.Fatalf("claimed %v", got)
		}
		clock.Add(time.Second)
		if err := s.MarkOutboxSent(ctx, msg.ID); err != nil {
			t.Fatal(err)
		}
		m := modelstest.Outbox(t, s, msg.ID)
		if m.SentAt == nil || !m.SentAt.Equal(clock.Now()) || m.ClaimedUntil != nil || m.Payload != "{}" || m.FailedAt != nil {
			t.Errorf("after MarkOutboxSent: %+v", m)
		}
		clock.Add(time.Hour)
		if got := claimIDs(t, s, 10, time.Minute); len(got) != 0 {
			t.Errorf("a sent message was claimed again: %v", got)
		}
		if err := s.MarkOutboxSent(ctx, "no-such-id"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("MarkOutboxSent(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestMarkOutboxFailedRetryAndPermanent(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		msg := addOutbox(t, s, ws.ID, clock.Now(), nil)
		claimIDs(t, s, 10, time.Hour)

		// A temporary failure: due again at retryAt, not before, even though
		// the lease would have lasted an hour.
		retryAt := clock.Now().Add(30 * time.Second)
		long := strings.Repeat("é", 900) // 1,800 bytes
		if err := s.MarkOutboxFailed(ctx, msg.ID, "451 try later "+long, &retryAt); err != nil {
			t.Fatal(err)
		}
		m := modelstest.Outbox(t, s, msg.ID)
		if m.Attempts != 1 || !m.NextAttemptAt.Equal(retryAt) || m.ClaimedUntil != nil || m.FailedAt != nil || m.Payload == "{}" {
			t.Errorf("after a temporary failure: %+v", m)
		}
		if !strings.HasPrefix(m.LastError, "451 try later") || len(m.LastError) > 1000 || !strings.HasSuffix(m.LastError, "é") {
			t.Errorf("last_error = %d bytes %q…, want ≤1000 bytes, cut on a character", len(m.LastError), m.LastError[:20])
		}
		clock.Add(29 * time.Second)
		if got := claimIDs(t, s, 10, time.Hour); len(got) != 0 {
			t.Fatalf("claimed before retryAt: %v", got)
		}
		clock.Add(time.Second)
		if got := claimIDs(t, s, 10, time.Hour); len(got) != 1 {
			t.Fatalf("claim at retryAt = %v, want the message", got)
		}

		// A permanent failure: never again, and the token is gone.
		if err := s.MarkOutboxFailed(ctx, msg.ID, "550 no such user", nil); err != nil {
			t.Fatal(err)
		}
		m = modelstest.Outbox(t, s, msg.ID)
		if m.Attempts != 2 || m.FailedAt == nil || !m.FailedAt.Equal(clock.Now()) || m.Payload != "{}" || m.LastError != "550 no such user" || m.ClaimedUntil != nil {
			t.Errorf("after a permanent failure: %+v", m)
		}
		clock.Add(24 * time.Hour)
		if got := claimIDs(t, s, 10, time.Hour); len(got) != 0 {
			t.Errorf("a failed message was claimed: %v", got)
		}
		if err := s.MarkOutboxFailed(ctx, "no-such-id", "x", nil); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("MarkOutboxFailed(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestOutboxStatus(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		admin, _, err := s.Membership(ctx, ws.ID, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		invite := func(n int) string {
			inv := &models.Invite{
				ID: uuid.NewString(), WorkspaceID: ws.ID, MemberID: admin.ID,
				TokenHash: models.HashToken(fmt.Sprint("token-", n)), State: models.InvitePending,
				ExpiresAt: clock.Now().Add(7 * 24 * time.Hour), InvitedByName: "Ada Lovelace", Emailed: true,
				CreatedAt: clock.Now(),
			}
			if _, err := s.DB().NewInsert().Model(inv).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			return inv.ID
		}
		resent, pending, failed, none := invite(1), invite(2), invite(3), invite(4)

		// resent: its first email failed for good, the newer one went out.
		old := addOutbox(t, s, ws.ID, clock.Now(), &resent)
		if err := s.MarkOutboxFailed(ctx, old.ID, "550 rejected", nil); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Second)
		sent := addOutbox(t, s, ws.ID, clock.Now(), &resent)
		if err := s.MarkOutboxSent(ctx, sent.ID); err != nil {
			t.Fatal(err)
		}
		p := addOutbox(t, s, ws.ID, clock.Now(), &pending)
		retryAt := clock.Now().Add(time.Minute)
		if err := s.MarkOutboxFailed(ctx, p.ID, "451 greylisted", &retryAt); err != nil {
			t.Fatal(err)
		}
		f := addOutbox(t, s, ws.ID, clock.Now(), &failed)
		if err := s.MarkOutboxFailed(ctx, f.ID, "dial tcp: connection refused", nil); err != nil {
			t.Fatal(err)
		}

		got, err := s.OutboxStatus(ctx, []string{resent, pending, failed, none})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]models.OutboxState{
			resent:  {Sent: true},
			pending: {Pending: true, Attempts: 1, LastError: "451 greylisted", NextAttemptAt: retryAt},
			failed:  {Failed: true, Attempts: 1, LastError: "dial tcp: connection refused"},
		}
		if len(got) != len(want) {
			t.Errorf("OutboxStatus = %+v, want %d entries", got, len(want))
		}
		for id, w := range want {
			g, ok := got[id]
			if !ok || g.Sent != w.Sent || g.Failed != w.Failed || g.Pending != w.Pending || g.Attempts != w.Attempts ||
				g.LastError != w.LastError || !g.NextAttemptAt.Equal(w.NextAttemptAt) {
				t.Errorf("OutboxStatus[%s] = %+v (present %v), want %+v", id, g, ok, w)
			}
		}
		if empty, err := s.OutboxStatus(ctx, nil); err != nil || len(empty) != 0 {
			t.Errorf("OutboxStatus(nil) = %v, %v", empty, err)
		}
	})
}

func TestOutboxObsolete(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		clock := modelstest.FakeClock(s)
		admin, _, err := s.Membership(ctx, ws.ID, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		actor := models.MemberActor(admin)
		roles, err := s.Roles(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		invite := func(email string) *models.Member {
			m, _, err := s.Invite(ctx, actor, ws, models.InviteInput{Name: "Someone", Email: email, RoleID: roles[1].ID})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		emails := func(to string) []*models.OutboxMessage {
			var msgs []*models.OutboxMessage
			if err := s.DB().NewSelect().Model(&msgs).Where("to_addr = ?", to).Order("created_at", "id").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		obsolete := func(m *models.OutboxMessage) string {
			t.Helper()
			why, err := s.OutboxObsolete(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return why
		}

		grace := invite("grace@example.com")
		first := emails("grace@example.com")[0]
		if why := obsolete(first); why != "" {
			t.Errorf("a fresh invitation's email is obsolete: %q", why)
		}
		clock.Add(time.Second)
		if _, err := s.ResendInvite(ctx, actor, ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		msgs := emails("grace@example.com")
		if len(msgs) != 2 {
			t.Fatalf("%d emails after resending, want 2", len(msgs))
		}
		if why := obsolete(msgs[0]); why != "the invitation was superseded" {
			t.Errorf("the first email after a resend: %q", why)
		}
		if why := obsolete(msgs[1]); why != "" {
			t.Errorf("the resent email is obsolete: %q", why)
		}
		clock.Add(time.Duration(ws.InviteExpiryHours) * time.Hour)
		if why := obsolete(msgs[1]); why != "the invitation expired" {
			t.Errorf("after expiry: %q", why)
		}

		bob := invite("bob@example.com")
		if _, err := s.RevokeInvite(ctx, actor, ws, bob.ID); err != nil {
			t.Fatal(err)
		}
		if why := obsolete(emails("bob@example.com")[0]); why != "the invitation was revoked" {
			t.Errorf("after revoking: %q", why)
		}
		if why := obsolete(&models.OutboxMessage{Kind: "digest"}); why != "" {
			t.Errorf("other kinds: %q", why)
		}
	})
}
