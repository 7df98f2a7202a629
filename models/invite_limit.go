package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The invite rate limit is a counter per workspace in request_counts, kept
// by one upsert (bumpCount's pattern): concurrent invites, on any replica,
// each see a different count, so the limit holds exactly on both databases
// without locking the workspace. The window is fixed: it starts with the
// first invitation after the last window ended and lasts an hour.
const inviteWindow = time.Hour

func inviteCountKey(wsID string) string { return "invites:" + wsID }

// spendInvites takes up to n invitations from the workspace's hourly budget
// for actor, inside the transaction that sends them (a rollback gives them
// back). It returns how many it took (the first n-taken of the caller's
// invitations are refused) and, when short, how long until the window ends.
// Only links a member issued count (the browser, CSV imports): an identity
// provider's creates are bounded by its token's rate limit instead, and 200
// SCIM pushes must not lock admins out of inviting for an hour.
//
// Callers take it before their other writes, so on PostgreSQL the counter
// row is always the first lock an invitation waits for: two invitations
// can never each hold what the other needs.
func (s *Store) spendInvites(ctx context.Context, tx bun.IDB, ws *Workspace, actor Actor, n int) (int, time.Duration, error) {
	if ws.InvitesPerHour <= 0 || actor.Kind != "member" || n <= 0 { // no limit, or not counted
		return n, 0, nil
	}
	now := s.now()
	old := now.Add(-inviteWindow)
	var row struct {
		Count       int       `bun:"count"`
		WindowStart time.Time `bun:"window_start"`
	}
	err := tx.NewRaw(`INSERT INTO request_counts (key, count, window_start) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN request_counts.window_start <= ? THEN EXCLUDED.count ELSE request_counts.count + EXCLUDED.count END,
  window_start = CASE WHEN request_counts.window_start <= ? THEN EXCLUDED.window_start ELSE request_counts.window_start END
RETURNING count, window_start`, inviteCountKey(ws.ID), n, now, old, old).Scan(ctx, &row)
	if err != nil {
		return 0, 0, err
	}
	over := min(n, row.Count-ws.InvitesPerHour)
	if over <= 0 {
		return n, 0, nil
	}
	// Give back what was refused: the row is still ours (its lock on
	// PostgreSQL, the single writer on SQLite) until the transaction ends.
	if _, err := tx.NewUpdate().TableExpr("request_counts").Set("count = count - ?", over).
		Where("key = ?", inviteCountKey(ws.ID)).Exec(ctx); err != nil {
		return 0, 0, err
	}
	return n - over, row.WindowStart.Add(inviteWindow).Sub(now), nil
}

// inviteLimited is the refusal of an invitation past the hourly budget.
func inviteLimited(ws *Workspace, retry time.Duration) *RateLimitedError {
	return &RateLimitedError{RetryAfter: retry,
		What: fmt.Sprintf("This workspace has sent its %d invitations for this hour.", ws.InvitesPerHour)}
}

// checkInviteRate counts one invitation by actor, refusing it past the
// workspace's hourly budget.
func (s *Store) checkInviteRate(ctx context.Context, tx bun.IDB, ws *Workspace, actor Actor) error {
	took, retry, err := s.spendInvites(ctx, tx, ws, actor, 1)
	if err != nil {
		return err
	}
	if took == 0 {
		return inviteLimited(ws, retry)
	}
	return nil
}
