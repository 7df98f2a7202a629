package models

import (
	"context"
	"sync"
	"sync/atomic"
)

// SQLite copies the write-ahead log back into the database file (a
// checkpoint) whenever a COMMIT leaves the log over wal_autocheckpoint
// pages, and it does so inside that COMMIT: on the one writer's path, so
// every group queued behind it waited for a copy and an fsync (8 % of the
// writer's time in a profile of POST /Users). The store checkpoints
// instead on a connection of its own, beside the writer, every
// checkpointEvery group commits; a PASSIVE checkpoint takes no lock a
// writer or reader waits for. wal_autocheckpoint stays on, raised
// (sqliteDSN), as the backstop should this one fall behind.

// walAutocheckpointPages is the backstop's threshold, in pages (16,000:
// 62.5 MiB of log). Under SCIM lookups the readers' snapshots keep a
// PASSIVE checkpoint from copying the log's end, so the log outgrew 4,000
// pages between the store's checkpoints and a writer's COMMIT copied it:
// 4.6 % of the server's CPU in a profile of the bench kit's POST phase at
// 100,000 members, 1.5 % at 16,000. The cost is disk: the -wal file may
// reach this size (SQLite truncates it only on the last close).
const walAutocheckpointPages = 16000

// checkpointEvery is how many group commits pass between checkpoints: a
// POST /Users group writes some 30–100 log pages, so the log stays a few
// MiB.
const checkpointEvery = 32

// checkpointRows is how many members written set-based (insertMembers: a
// /Bulk chunk, an import batch, invitations) make a checkpoint due at the
// next commit however few commits passed. A /Bulk chunk of 1,000 users is
// one commit of thousands of log pages: counted as one commit, the log
// went over wal_autocheckpoint every few chunks and that chunk's COMMIT
// copied it (0.26 s of the 3 s of CPU a /Bulk of 10,000 took, on the
// writer's path).
const checkpointRows = 500

type checkpointer struct {
	mu      sync.Mutex
	commits int
	rows    atomic.Int64 // members written set-based since the last checkpoint began
	running bool
	done    atomic.Int64 // checkpoints run (tests)
}

// wroteRows counts members written set-based for the next checkpoint (a
// transaction rolled back afterwards only brings one forward).
func (s *Store) wroteRows(n int) { s.ckpt.rows.Add(int64(n)) }

// afterCommit counts a group commit and starts a checkpoint when it is due
// and none is running.
func (s *Store) afterCommit() {
	c := &s.ckpt
	c.mu.Lock()
	c.commits++
	if c.running || c.commits < checkpointEvery && c.rows.Load() < checkpointRows {
		c.mu.Unlock()
		return
	}
	c.running, c.commits = true, 0
	c.rows.Store(0)
	c.mu.Unlock()
	go func() {
		// A failure (the database closing) only leaves the work to
		// SQLite's own checkpoint.
		// On the reader pool where there is one: the writer has a single
		// connection, and a checkpoint there would sit on its path again.
		// query_only does not stop a checkpoint.
		_, _ = s.rdb.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		c.done.Add(1)
		c.mu.Lock()
		c.running = false
		c.mu.Unlock()
	}()
}
