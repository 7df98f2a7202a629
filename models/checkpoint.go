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
// checkpointPages of log; a PASSIVE checkpoint takes no lock a
// writer or reader waits for. wal_autocheckpoint stays on, raised
// (sqliteDSN), as the backstop should this one fall behind.

// walAutocheckpointPages is the backstop's threshold, in pages (32,000:
// 125 MiB of log). Under SCIM lookups the readers' snapshots keep a
// PASSIVE checkpoint from copying the log's end, so the log outgrew 4,000
// pages between the store's checkpoints and a writer's COMMIT copied it:
// 4.6 % of the server's CPU in a profile of the bench kit's POST phase at
// 100,000 members, 1.5 % at 16,000. It sits well above walRestartPages,
// where the store starts the log over itself. The cost is disk: the -wal
// file may reach this size (SQLite truncates it only on the last close);
// a /Bulk of 10,000, which leaves the log to this backstop, took it to 94
// MiB.
const walAutocheckpointPages = 32000

// checkpointPages is how many pages the log grows by between two
// checkpoints beside the writer (35 MiB). The store reads the log's
// length after each group commit from the VFS that gathers the WAL's
// writes (walEnd, sqlite_walbuf.go), so a checkpoint is due by what the
// groups wrote, whatever their size: a group of POST /Users writes some
// 90 log pages at 8 clients, 150 at 32. Counting commits instead (32 a
// checkpoint), the log grew by 3,000 pages a checkpoint at 8 clients and
// 5,000 at 32, and a run of tiny commits made a checkpoint due for a few
// pages.
const checkpointPages = 9000

// checkpointEvery is how many group commits pass between checkpoints
// where the log's length is not known (the other SQLite drivers, which
// write the WAL themselves).
const checkpointEvery = 32

// walFrameHdr is the size of a WAL frame's header; a frame is one and a
// page.
const walFrameHdr = 24

// walRestartPages is the log's length (in pages: 70 MiB) from which the
// writer, between two groups, finishes a checkpoint the store ran beside
// it (finishCheckpoint), so that SQLite starts the log again from its
// beginning. A checkpoint beside the writer copies nearly all of the
// log, but the writer appends to it meanwhile, and SQLite restarts the
// log only when a write transaction begins with every page of it copied:
// so the log grew to wal_autocheckpoint, and from then on a writer's
// COMMIT copied it (SQLite's own checkpoint). Those COMMITs took 36-160
// ms, every half second under the bench kit's POST /Users (50
// connections), and every operation of their groups waited for them.
// Twice checkpointPages: every second checkpoint is finished. A finish
// holds the writer 8-12 ms however little is left to copy (its two
// syncs), so the longer the log between them the less the writer waits:
// finishing at 4,096 pages, the log started over every ~6,000 pages at 8
// clients, 9 finishes a second. It ends a little past this (what the
// groups wrote during the passes), well short of wal_autocheckpoint.
const walRestartPages = 2 * checkpointPages

// checkpointPasses and checkpointRest: while the writer appends, a
// checkpoint beside it runs again (up to checkpointPasses times) until a
// pass after the first copies fewer than checkpointRest pages, so the
// writer's own finishing checkpoint has little left to copy.
const (
	checkpointPasses = 4
	checkpointRest   = 512
)

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
	// log is where the writer's WAL file ends, in bytes (walEnd; nil:
	// not known), frame the size of one of its frames; mark is the log's
	// length in pages when the last checkpoint began.
	log     atomic.Pointer[atomic.Int64]
	frame   atomic.Int64
	mark    int64
	rows    atomic.Int64 // members written set-based since the last checkpoint began
	running bool
	begun   atomic.Int64 // checkpoints started (tests)
	done    atomic.Int64 // checkpoints run (tests)
	// finish: the last checkpoint beside the writer found the log
	// walRestartPages long or more; the writer finishes it.
	finish   atomic.Bool
	finished atomic.Int64 // checkpoints the writer finished (tests)
	longest  atomic.Int64 // the longest log a checkpoint found, in pages (tests)
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
	// A finish the writer is about to run (finishCheckpoint, right after
	// this group) goes first: a checkpoint started now would take it
	// over, and when every checkpoint outlasted the growth to the next one
	// the log never restarted.
	pending := c.finish.Load() && c.rows.Load() == 0
	pages, known := c.logPages()
	if known && pages < c.mark { // the log started over
		c.mark = 0
	}
	due := c.commits >= checkpointEvery
	if known {
		due = pages-c.mark >= checkpointPages
	}
	if c.running || pending || !due && c.rows.Load() < checkpointRows {
		c.mu.Unlock()
		return
	}
	c.running, c.commits, c.mark = true, 0, pages
	c.begun.Add(1)
	c.rows.Store(0)
	c.finish.Store(false) // this checkpoint tells anew
	c.mu.Unlock()
	go func() {
		// A failure (the database closing) only leaves the work to
		// SQLite's own checkpoint.
		// On the reader pool where there is one: the writer has a single
		// connection, and a checkpoint there would sit on its path again.
		// query_only does not stop a checkpoint.
		// Passes until one after the first copies little (what the
		// writer appended meanwhile), or checkpointPasses of them; then,
		// if the log is long, the writer finishes it (finishCheckpoint).
		var log, copied int64
		for pass := 0; pass < checkpointPasses; pass++ {
			var busy, before = int64(0), copied
			err := s.rdb.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
			if err != nil || busy != 0 {
				log = 0
				break
			}
			if log > c.longest.Load() {
				c.longest.Store(log)
			}
			if log < walRestartPages || copied-before < checkpointRest {
				break
			}
		}
		if log >= walRestartPages {
			c.finish.Store(true)
		}
		c.done.Add(1)
		c.mu.Lock()
		c.running = false
		c.mu.Unlock()
	}()
}

// watchLog finds the writer's WAL file, whose length tells when a
// checkpoint is due (afterCommit): SQLite names it after the database
// file, as pragma_database_list gives it. Nothing for a database in
// memory, or with a driver that writes the WAL itself.
func (s *Store) watchLog(ctx context.Context) {
	var file string
	var pageSize int64
	if s.db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file) != nil || file == "" ||
		s.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize) != nil {
		return
	}
	if end := walEnd(file + "-wal"); end != nil {
		s.ckpt.frame.Store(walFrameHdr + pageSize)
		s.ckpt.log.Store(end)
	}
}

// logPages is the writer's log's length in pages (its header counts as
// none), and whether it is known.
func (c *checkpointer) logPages() (int64, bool) {
	end, frame := c.log.Load(), c.frame.Load()
	if end == nil || frame == 0 {
		return 0, false
	}
	return end.Load() / frame, true
}

// finishCheckpoint runs on the writer between two groups, when the last
// checkpoint beside it found a long log: with no group in between, a
// PASSIVE checkpoint copies what that one left (the pages written since
// its last pass began) and the next group's transaction starts the log
// again. The operations of the group before are already answered; the
// next group waits for it (in a run of the bench kit: median 12.3 ms,
// quartiles 8.6 and 16.3, most 68, against the 36-160 ms COMMITs it
// replaces; after a single pass beside the writer it took 14-27 ms, and
// POST /Users ran 6 % slower). Where a reader's snapshot (or another
// replica's writes) keeps it from copying everything, the log does not
// restart and SQLite's own checkpoint remains the backstop. Not after
// members created set-based (a /Bulk chunk or an import batch): each of
// those commits thousands of pages at once, so the writer would copy
// nearly all of them itself, chunk after chunk (a /Bulk of 10,000 took
// 15 % longer); there the log is left to SQLite's own checkpoint, as
// before.
func (s *Store) finishCheckpoint() {
	c := &s.ckpt
	if !c.finish.Load() || c.rows.Load() > 0 {
		return
	}
	c.finish.Store(false)
	// A failure leaves the log to grow to SQLite's own checkpoint.
	var busy, log, copied int64
	if err := s.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied); err == nil && busy == 0 {
		c.finished.Add(1)
	}
}
