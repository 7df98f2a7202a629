package models

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The outbox holds the emails that operations queue in their own
// transaction; the mail worker claims them, sends them, and marks each sent
// or failed. A claim is a lease: a worker that dies mid-batch leaves its rows
// claimed until the lease ends, and then any worker (on any replica) may take
// them again.

// emptyPayload replaces a message's payload once it no longer needs it: an
// invitation's payload holds the link's token, which must not linger in the
// database after the email went out (or was given up on).
const emptyPayload = "{}"

// maxLastError bounds the error text kept per message.
const maxLastError = 1000

// outboxDue is the condition for a message that may be claimed now; its
// three arguments are the current time.
const outboxDue = "sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)"

// ClaimOutbox claims up to n due messages, oldest due first, for lease: no
// other caller claims them again until the lease ends or they are marked.
//
// It is one UPDATE … RETURNING. On PostgreSQL the inner SELECT locks the rows
// it picks with FOR UPDATE SKIP LOCKED, so workers on several replicas claim
// disjoint sets without waiting for each other. SQLite has a single writer,
// so the statement alone is atomic there.
func (s *Store) ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]OutboxMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	now := s.now()
	// Most polls find nothing: look first with a read, so an idle worker
	// never takes SQLite's write lock (nor writes anything on PostgreSQL).
	due, err := s.rdb.NewSelect().Model((*OutboxMessage)(nil)).Where(outboxDue, now, now).Limit(1).Exists(ctx)
	if err != nil || !due {
		return nil, err
	}
	lock := ""
	if s.IsPostgres() {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var msgs []OutboxMessage
	err = s.writeSQLite(ctx, func(db bun.IDB) error {
		return db.NewRaw("UPDATE outbox SET claimed_until = ? WHERE id IN ("+
			"SELECT id FROM outbox WHERE "+outboxDue+" ORDER BY next_attempt_at, id LIMIT ?"+lock+
			") RETURNING *", now.Add(lease), now, now, n).Scan(ctx, &msgs)
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	// RETURNING promises no order.
	sort.Slice(msgs, func(i, j int) bool {
		a, b := msgs[i], msgs[j]
		if !a.NextAttemptAt.Equal(b.NextAttemptAt) {
			return a.NextAttemptAt.Before(b.NextAttemptAt)
		}
		return a.ID < b.ID
	})
	return msgs, nil
}

// ReleaseOutbox gives up claims on messages that were claimed but not
// attempted (a worker shutting down, or running out of its lease), so they
// are due again at once instead of when the lease ends.
func (s *Store) ReleaseOutbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.writeSQLite(ctx, func(db bun.IDB) error {
		_, err := db.NewUpdate().Model((*OutboxMessage)(nil)).
			Set("claimed_until = NULL").
			Where("id IN (?) AND sent_at IS NULL AND failed_at IS NULL", bun.In(ids)).
			Exec(ctx)
		return err
	})
}

// MarkOutboxSent records that a message went out and empties its payload.
func (s *Store) MarkOutboxSent(ctx context.Context, id string) error {
	return s.writeSQLite(ctx, func(db bun.IDB) error {
		res, err := db.NewUpdate().Model((*OutboxMessage)(nil)).
			Set("sent_at = ?", s.now()).
			Set("claimed_until = NULL").
			Set("payload = ?", emptyPayload).
			Where("id = ?", id).
			Exec(ctx)
		return affectedOne(res, err)
	})
}

// MarkOutboxFailed records a failed attempt. With retryAt the message is due
// again then; without it the failure is permanent: the message is never
// tried again and its payload is emptied.
func (s *Store) MarkOutboxFailed(ctx context.Context, id, errText string, retryAt *time.Time) error {
	return s.writeSQLite(ctx, func(db bun.IDB) error {
		q := db.NewUpdate().Model((*OutboxMessage)(nil)).
			Set("attempts = attempts + 1").
			Set("last_error = ?", truncate(errText, maxLastError)).
			Set("claimed_until = NULL").
			Where("id = ?", id)
		if retryAt == nil {
			q = q.Set("failed_at = ?", s.now()).Set("payload = ?", emptyPayload)
		} else {
			q = q.Set("next_attempt_at = ?", retryAt.UTC().Truncate(time.Microsecond))
		}
		res, err := q.Exec(ctx)
		return affectedOne(res, err)
	})
}

// OutboxObsolete tells why a queued message should no longer be sent, or ""
// if it should. An invitation email is obsolete once its link cannot be
// used: the invitation was revoked, superseded by a newer link, accepted or
// deleted (revoked, or the member removed), it expired, or the member is no longer
// invited. The worker asks just before sending, so an email that waited out
// a mail server's outage does not arrive with a dead link.
func (s *Store) OutboxObsolete(ctx context.Context, m *OutboxMessage) (string, error) {
	if m.Kind != "invite" {
		return "", nil
	}
	const gone = "the invitation no longer exists (revoked, or the member removed)"
	if m.InviteID == nil {
		return gone, nil
	}
	var row struct {
		State        string    `bun:"state"`
		ExpiresAt    time.Time `bun:"expires_at"`
		MemberStatus string    `bun:"member_status"`
	}
	err := s.rdb.NewSelect().TableExpr("invites AS i").
		ColumnExpr("i.state, i.expires_at, m.status AS member_status").
		Join("JOIN members AS m ON m.id = i.member_id").
		Where("i.id = ?", *m.InviteID).Scan(ctx, &row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return gone, nil
	case err != nil:
		return "", err
	case row.State != InvitePending:
		return "the invitation was " + row.State, nil
	case !s.now().Before(row.ExpiresAt):
		return "the invitation expired", nil
	case row.MemberStatus != StatusInvited:
		return "the member is " + row.MemberStatus, nil
	}
	return "", nil
}

// OutboxState is where an invitation's email stands.
type OutboxState struct {
	Sent     bool // delivered to the mail server
	Failed   bool // given up on: the link has to reach them another way
	Pending  bool // not sent yet, and still being tried
	Attempts int  // failed attempts so far
	// LastError is the last attempt's error ("" if none failed).
	LastError string
	// NextAttemptAt is when a pending message is tried next.
	NextAttemptAt time.Time
}

// OutboxStatus reports, for each invite id that has an email, the state of
// its newest email. Invites without one are absent from the map.
func (s *Store) OutboxStatus(ctx context.Context, inviteIDs []string) (map[string]OutboxState, error) {
	out := make(map[string]OutboxState, len(inviteIDs))
	if len(inviteIDs) == 0 {
		return out, nil
	}
	// Prepared (one statement per number of ids): the members page asks
	// on every view that shows invitations.
	var rows []OutboxMessage
	from, args := s.fromIDs(inviteIDs, "outbox", "o", "invite_id", "")
	if err := s.queryPrepared(ctx, &rows, "SELECT o.id, o.invite_id, o.attempts, o.last_error, o.next_attempt_at, o.sent_at, o.failed_at, o.created_at "+
		"FROM "+from, args...); err != nil {
		return nil, err
	}
	// Sorted here: ORDER BY would build a temporary b-tree on SQLite.
	slices.SortFunc(rows, func(a, b OutboxMessage) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, r := range rows { // oldest first: the newest wins
		st := OutboxState{
			Sent: r.SentAt != nil, Failed: r.SentAt == nil && r.FailedAt != nil,
			Attempts: r.Attempts, LastError: r.LastError,
		}
		st.Pending = !st.Sent && !st.Failed
		if st.Pending {
			st.NextAttemptAt = r.NextAttemptAt
		}
		out[*r.InviteID] = st
	}
	return out, nil
}

// affectedOne turns "no row matched" into ErrNotFound.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}
