package models

import (
	"context"
	"strconv"

	"github.com/uptrace/bun"
)

// ChangeToken is a workspace's change token: it moves whenever anything the
// members table or the roles page shows changes (a member, their roles, a
// role), whoever changed it: an admin, an identity provider over SCIM, an
// import, a person accepting an invitation. Open pages poll it and reload
// when it moved. Triggers keep it (the workspace_changes migration); this
// is one primary-key read.
func (s *Store) ChangeToken(ctx context.Context, wsID string) (string, error) {
	n, _, err := readChanges(ctx, s.rdb, wsID, false)
	return strconv.FormatInt(n, 10), err
}

// readChanges reads a workspace's counter, and with txid (PostgreSQL only)
// the id of the transaction reading it, or the one that bumped it last
// when outside a transaction.
func readChanges(ctx context.Context, db bun.IDB, wsID string, txid bool) (n, tx int64, err error) {
	// PostgreSQL spreads the counter over shards (migration
	// 20261203000310): the token is their sum.
	q := `SELECT COALESCE((SELECT sum(n) FROM workspace_changes WHERE workspace_id = ?), 0)`
	if txid {
		q += `, txid_current()`
	}
	row := db.QueryRowContext(ctx, q, wsID)
	if txid {
		err = row.Scan(&n, &tx)
	} else {
		err = row.Scan(&n)
	}
	return n, tx, err
}

// ChangeWatch follows one request's own writes to a workspace, so the page
// that made them can move its change token past them and not reload its
// table for changes it has already swapped in itself. It only ever moves
// the token when nothing else changed the workspace in between: at worst
// the page reloads once too often, it never misses a change.
type ChangeWatch struct {
	wsID   string
	token  int64 // the page's token, moved past each of this request's writes
	moved  bool
	broken bool // something else changed the workspace too
}

type changeWatchKey struct{}

// WatchChanges returns ctx with a watch over the writes of the operations run
// with it to workspace wsID, starting from the token the page has (since).
func WatchChanges(ctx context.Context, wsID, since string) (context.Context, *ChangeWatch) {
	n, err := strconv.ParseInt(since, 10, 64)
	w := &ChangeWatch{wsID: wsID, token: n, broken: err != nil}
	return context.WithValue(ctx, changeWatchKey{}, w), w
}

// Token returns the page's new change token, and whether it may take it:
// the operations watched changed the workspace and nothing else did
// since the page's token.
func (w *ChangeWatch) Token() (string, bool) {
	return strconv.FormatInt(w.token, 10), w.moved && !w.broken
}

// observe records one committed transaction that found the counter at
// before and left it at after, with nothing else in between.
func (w *ChangeWatch) observe(before, after int64, alone bool) {
	if w.broken || !alone || before != w.token {
		w.broken = true
		return
	}
	w.moved = w.moved || after != before
	w.token = after
}

// watchedTx is Store.tx under a ChangeWatch: the counter is read when the
// transaction starts and once its writes are counted, which tells whether
// its own writes were the only ones.
//
//   - SQLite: not used; the group commit (runOp) reads the counter at the
//     start and end of the operation's savepoint. The group's transaction
//     holds the write lock from its BEGIN (_txlock=immediate) and runs its
//     operations one after another, so the difference is the operation's
//     own writes.
//   - PostgreSQL: the counter moves at COMMIT (deferred triggers), once per
//     transaction, stamped with its transaction id (on the shard of that
//     id, counterShards). Read after the commit,
//     the counter is ours alone if it carries our stamp (nobody bumped it
//     since) and is one more than at our start (nobody bumped it before).
func (s *Store) watchedTx(ctx context.Context, w *ChangeWatch, fn func(tx bun.Tx) error) error {
	pg := s.IsPostgres()
	var before, after, txid int64
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if before, txid, err = readChanges(ctx, tx, w.wsID, pg); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		if !pg {
			after, _, err = readChanges(ctx, tx, w.wsID, false)
		}
		return err
	})
	if err != nil {
		return err
	}
	if !pg {
		w.observe(before, after, true)
		return nil
	}
	// The operation has committed: a failed read only costs the page a
	// reload, it must not report the operation as failed.
	// Our bump went to the shard of our transaction id: read its stamp
	// with the sum.
	var stamp int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE(sum(n), 0), COALESCE(max(CASE WHEN shard = ? THEN last_tx END), 0) FROM workspace_changes WHERE workspace_id = ?`,
		txid%counterShards, w.wsID).Scan(&after, &stamp); err != nil {
		w.broken = true
		return nil
	}
	w.observe(before, after, after == before || (after == before+1 && stamp == txid))
	return nil
}

// counterShards is how many rows PostgreSQL spreads a workspace's change
// token and per-status counts over (migration 20261203000310): a
// transaction bumps the shard txid % counterShards.
const counterShards = 16
