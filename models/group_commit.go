package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// SQLite has one writer at a time. Left to SQLite, concurrent writers wait
// in its busy handler, which sleeps 1, 2, 5 … 100 ms between tries while
// the lock may long be free, and each pays a BEGIN and a COMMIT of its own.
// So on SQLite a Store runs its write transactions itself, one group at a
// time: operations queue, and whoever finds no group running starts one
// that takes every operation queued (up to WriteGroup) into one
// transaction, each in a savepoint of its own. An operation that fails
// rolls back to its savepoint and gets its own error; the others go on, and
// commit together. Savepoints of one transaction see each other's writes,
// so a group is what running its operations one after another would be:
// every rule an operation checks inside its transaction still holds. A
// failed COMMIT fails every operation of the group.
//
// Before COMMIT the group moves the search queue into the index once it
// holds searchFlushAt rows (search_index.go); searches read the queue too.
//
// Writes outside Store.tx (the provisioning log, the outbox worker's
// marks) join the queue through writeSQLite, so they do not wait in the
// busy handler either. Other processes on the same file (replicas) still
// meet at SQLite's lock, through busy_timeout.

// WriteGroupDefault is how many operations one SQLite transaction takes at
// most (Store.WriteGroup): enough to share a COMMIT among every client of a
// busy identity provider, few enough that one group stays short.
const WriteGroupDefault = 32

type groupOp struct {
	ctx   context.Context
	fn    func(tx bun.Tx) error
	watch *ChangeWatch
	// again: fn may run twice, its first run rolled back (it changes
	// nothing outside the transaction and keeps nothing from a run that
	// failed), so a group of such operations may skip the savepoints
	// (runWhole).
	again bool
	// set by the group
	err      error
	panicked any
	before   int64
	after    int64
	done     chan struct{}
}

type groupQueue struct {
	mu      sync.Mutex
	ops     []*groupOp
	running bool
	// writers is how many operations were running or waiting when the
	// last group ended, or one fewer than the time before if more: how
	// many writers are about, so how many the next group may wait for
	// (gather).
	writers int
	// arrived wakes a gathering runner when an operation queues.
	arrived chan struct{}
	groups  atomic.Int64 // groups run, for tests
	// careful is how many groups more run in savepoints whatever their
	// operations, after a group that ran without them had one fail.
	careful atomic.Int32
	reruns  atomic.Int64 // groups run again in savepoints, for tests
	// busyRetries counts BEGINs tried again after SQLITE_BUSY, for tests.
	busyRetries atomic.Int64
	// whole: the running group runs whole (runWhole), so no operation of
	// it changes an existing role, and memberRoles may keep each
	// workspace's built-in Member role for the rest of the group
	// (memberRoleIn). Only the goroutine running the group touches them.
	whole       bool
	memberRoles map[string][]Role
	// addLater is the transaction of a group that runs whole with no
	// ChangeWatch, and added the members its operations inserted:
	// membersAdded keeps them there, and runWhole writes their
	// bookkeeping once at the end (members_added.go).
	addLater atomic.Pointer[sql.Tx]
	added    []*Member
}

// carefulGroups: after a failure in a group without savepoints, so many
// groups run in savepoints: an identity provider that sends users that
// exist already (a 409 each) does not have every group run twice.
const carefulGroups = 32

// WriteWaitDefault is how long a group waits at most for the writers that
// were about when the last group ended (Store.WriteWait). On 2 cores a
// POST /Users spent 40 % of its CPU in COMMIT and the search index's flush,
// paid once per group whatever its size; with 8 clients groups held ~3
// operations, because the writer started on whatever had queued the moment
// it was free. Waiting up to 1 ms for the others grew them to ~7 and cut
// the CPU per create by about a quarter; p99 latency moves by the wait at
// most (see gather).
const WriteWaitDefault = time.Millisecond

// errGroupBroken: SQLite ended the group's transaction under an operation
// (an interrupted statement rolls the whole transaction back).
var errGroupBroken = errors.New("the write transaction ended early; retry")

// groupTx runs fn as one operation of a group transaction (SQLite only)
// and returns once the group has committed or failed.
func (s *Store) groupTx(ctx context.Context, w *ChangeWatch, fn func(tx bun.Tx) error) error {
	op := &groupOp{ctx: ctx, fn: fn, watch: w, again: runsAgain(ctx), done: make(chan struct{})}
	q := &s.writes
	q.mu.Lock()
	q.ops = append(q.ops, op)
	start := !q.running
	q.running = true
	if q.arrived != nil {
		select {
		case q.arrived <- struct{}{}:
		default: // already signalled
		}
	}
	q.mu.Unlock()
	if start {
		go s.runGroups()
	}
	<-op.done
	if op.panicked != nil {
		panic(op.panicked)
	}
	if op.err == nil && w != nil {
		w.observe(op.before, op.after, true)
	}
	return op.err
}

// runGroups runs groups until the queue is empty.
func (s *Store) runGroups() {
	q := &s.writes
	for {
		s.gather()
		q.mu.Lock()
		n := min(len(q.ops), max(s.WriteGroup, 1))
		if n == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		group := q.ops[:n:n]
		q.ops = q.ops[n:]
		if len(q.ops) == 0 {
			q.ops = nil // let the backing array go
		}
		q.mu.Unlock()
		q.groups.Add(1)
		s.runGroup(group)
		s.finishCheckpoint()
		q.mu.Lock()
		// One fewer than before at least: a group that found one or two
		// operations (their clients slow to come back, the cores busy) is
		// no sign the others went away, and counting only those would
		// start every later group without waiting, alone: over HTTP a
		// third of the creates ran in groups of one, each paying a COMMIT.
		q.writers = max(n+len(q.ops), q.writers-1)
		q.mu.Unlock()
	}
}

// othersWriting tells whether other operations queue for the SQLite
// writer or did when its last group ended (always false on PostgreSQL).
func (s *Store) othersWriting() bool {
	q := &s.writes
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.writers > 1 || len(q.ops) > 0
}

// gather waits, up to WriteWait, until as many operations have queued as
// there were writers about when the last group ended (capped at
// WriteGroup): the operations that group answered come back soon with
// their clients' next writes, and a group that waits for them shares its
// COMMIT among them instead of starting with the one or two that queued
// first. A lone writer (one operation about) never waits, nor does the
// first group after the queue has been empty for a whole wait; writers
// that have gone away are counted one fewer by each group after (so a
// lone writer just after a burst of 32 may wait up to WriteWait on each of
// its next 31 operations), and not at all once the queue stays empty for a
// whole wait.
func (s *Store) gather() {
	wait := s.WriteWait
	if wait == 0 {
		wait = WriteWaitDefault
	}
	q := &s.writes
	q.mu.Lock()
	want := min(q.writers, max(s.WriteGroup, 1))
	if wait < 0 || want <= 1 || len(q.ops) >= want {
		q.mu.Unlock()
		return
	}
	if q.arrived == nil {
		q.arrived = make(chan struct{}, 1)
	}
	q.mu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-q.arrived:
		case <-timer.C:
			q.mu.Lock()
			if len(q.ops) == 0 {
				q.writers = 0 // nobody came: the next one starts at once
			}
			q.mu.Unlock()
			return
		}
		q.mu.Lock()
		enough := len(q.ops) >= want
		q.mu.Unlock()
		if enough {
			return
		}
	}
}

// runGroup runs the operations of group in one transaction.
func (s *Store) runGroup(group []*groupOp) {
	defer func() {
		for _, op := range group {
			close(op.done)
		}
	}()
	live := stillWaiting(group) // who gave up waiting never runs
	if len(live) == 0 {
		return
	}
	// The transaction's own context is not any operation's: one request
	// going away must not roll back the others.
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		failRest(live, err)
		return
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	for isBusy(err) {
		// Another process on the file (a replica) held the write lock
		// through all of busy_timeout: nothing of the group has run, so
		// it waits again for whoever still waits, instead of failing
		// their work (30 Admins' bulk deactivations at once, half on each
		// replica, did under load).
		s.writes.busyRetries.Add(1)
		live = stillWaiting(live)
		if len(live) == 0 {
			return
		}
		tx, err = conn.BeginTx(ctx, nil)
	}
	if err != nil {
		failRest(live, err)
		return
	}
	// A COMMIT SQLite refuses (a deferred foreign key) leaves the
	// transaction open on the connection: roll it back before the
	// connection goes back to the pool.
	commit := func() error {
		err := tx.Commit()
		if err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
		} else {
			s.afterCommit()
		}
		return err
	}
	if len(live) == 1 { // alone: no savepoint, a failure rolls back
		op := live[0]
		op.err = s.runOp(tx, op)
		if op.err == nil {
			op.err = s.flushSearchIndexTx(ctx, tx)
		}
		if op.err != nil {
			_ = tx.Rollback()
			return
		}
		if err := commit(); err != nil {
			op.err = err
		}
		return
	}
	if ran, over := s.runWhole(ctx, conn, &tx, live); over {
		return
	} else if ran {
		if err := s.flushSearchIndexTx(ctx, tx); err != nil {
			failRest(live, err)
			_ = tx.Rollback()
			return
		}
		if err := commit(); err != nil {
			failRest(live, err)
		}
		return
	}
	var ok []*groupOp
	for i, op := range live {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			failRest(live[i:], err)
			break
		}
		op.err = s.runOp(tx, op)
		var err error
		if op.err != nil {
			_, err = tx.ExecContext(ctx, "ROLLBACK TO op")
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, "RELEASE op")
		}
		if err != nil {
			// The transaction is gone (SQLite rolled it back): what ran
			// in it is undone, and nothing more may run outside it.
			failRest(ok, errGroupBroken)
			failRest(live[i:], errGroupBroken)
			ok = nil
			break
		}
		if op.err == nil {
			ok = append(ok, op)
		}
	}
	if len(ok) > 0 {
		if err := s.flushSearchIndexTx(ctx, tx); err != nil {
			failRest(ok, err)
			ok = nil
		}
	}
	if len(ok) == 0 {
		_ = tx.Rollback()
		return
	}
	if err := commit(); err != nil {
		failRest(ok, err)
	}
}

// runWhole runs a group whose operations may all run again (again)
// without a savepoint each: in a POST /Users group, the savepoints' copies
// of every page an operation changed (SQLite's sub-journal) and their
// statements were some 6 % of the CPU. ran: every operation succeeded in
// *tx, which the caller commits. When one fails, its statements may be
// half done in *tx: it is rolled back, the operations' results reset, a
// new transaction begun in *tx, and the caller runs the group as usual,
// in savepoints, as if this had never run (ran and over false). over:
// that new transaction could not begin; every operation has its error.
func (s *Store) runWhole(ctx context.Context, conn bun.Conn, tx *bun.Tx, live []*groupOp) (ran, over bool) {
	if s.writes.careful.Load() > 0 {
		s.writes.careful.Add(-1)
		return false, false
	}
	for _, op := range live {
		if !op.again {
			return false, false
		}
	}
	failed := false
	q := &s.writes
	q.whole, q.memberRoles = true, nil
	if !slices.ContainsFunc(live, func(op *groupOp) bool { return op.watch != nil }) {
		q.addLater.Store(tx.Tx)
	}
	for _, op := range live {
		if err := s.runOp(*tx, op); err != nil {
			failed = true
			break
		}
	}
	added := q.added
	q.whole, q.memberRoles, q.added = false, nil, nil
	q.addLater.Store(nil)
	// Should this fail, the group runs again in savepoints, where each
	// operation writes its members' at once and gets its own error.
	if !failed && len(added) > 0 {
		failed = s.writeMembersAdded(ctx, *tx, added) != nil
	}
	if !failed {
		return true, false
	}
	s.writes.careful.Store(carefulGroups)
	s.writes.reruns.Add(1)
	_ = tx.Rollback()
	for _, op := range live {
		op.err, op.panicked, op.before, op.after = nil, nil, 0, 0
	}
	next, err := conn.BeginTx(ctx, nil)
	if err != nil {
		failRest(live, err)
		return false, true
	}
	*tx = next
	return false, false
}

// stillWaiting is ops less those whose callers gave up (each gets its
// context's error).
func stillWaiting(ops []*groupOp) []*groupOp {
	live := ops[:0:0]
	for _, op := range ops {
		if err := op.ctx.Err(); err != nil {
			op.err = err
			continue
		}
		live = append(live, op)
	}
	return live
}

func failRest(ops []*groupOp, err error) {
	for _, op := range ops {
		if op.err == nil {
			op.err = err
		}
	}
}

// runOp runs one operation's function, reading the change counter around
// it when a ChangeWatch follows it; a panic is handed to its caller.
func (s *Store) runOp(tx bun.Tx, op *groupOp) (err error) {
	defer func() {
		if p := recover(); p != nil {
			op.panicked = p
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if op.watch != nil {
		if op.before, _, err = readChanges(op.ctx, tx, op.watch.wsID, false); err != nil {
			return err
		}
	}
	if err := op.fn(tx); err != nil {
		return err
	}
	if op.watch != nil {
		op.after, _, err = readChanges(op.ctx, tx, op.watch.wsID, false)
	}
	return err
}

// writeSQLite runs a write that needs no transaction of its own: on
// SQLite in the write queue (so it does not wait in the busy handler beside
// the group), on PostgreSQL straight on the pool.
func (s *Store) writeSQLite(ctx context.Context, fn func(db bun.IDB) error) error {
	if s.IsPostgres() {
		return fn(s.db)
	}
	return s.groupTx(ctx, nil, func(tx bun.Tx) error { return fn(tx) })
}

type againKey struct{}

// mayRunAgain marks the write operation ctx is for as one whose function
// may run twice (groupOp.again). Only for ctx given to Store.tx or
// writeSQLite itself: the function must not pass it on to other writes.
func mayRunAgain(ctx context.Context) context.Context {
	return context.WithValue(ctx, againKey{}, true)
}

func runsAgain(ctx context.Context) bool {
	again, _ := ctx.Value(againKey{}).(bool)
	return again
}
