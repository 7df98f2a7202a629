package models

import (
	"context"

	"github.com/uptrace/bun"
)

// SetWriters makes s's next write group wait for n operations
// (group_commit.go's gather), as if n writers were about.
func SetWriters(s *Store, n int) {
	s.writes.mu.Lock()
	s.writes.writers = n
	s.writes.mu.Unlock()
}

// Queued is how many write operations wait for a group.
func Queued(s *Store) int {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	return len(s.writes.ops)
}

// GroupsRun is how many write groups s has run.
func GroupsRun(s *Store) int64 { return s.writes.groups.Load() }

// BusyRetries is how many group BEGINs were tried again after SQLITE_BUSY.
func BusyRetries(s *Store) int64 { return s.writes.busyRetries.Load() }

// Writers is how many writers the next group may wait for.
func Writers(s *Store) int {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	return s.writes.writers
}

// SCIMLogInserts is how many INSERTs l's writer has queued.
func SCIMLogInserts(l *SCIMLog) int64 { return l.inserts.Load() }

// WriteNothing runs an operation that writes nothing through s's write
// queue (writeSQLite): a writer beside others, for tests of how they share.
func WriteNothing(ctx context.Context, s *Store) error {
	return s.writeSQLite(ctx, func(db bun.IDB) error {
		_, err := db.ExecContext(ctx, "SELECT 1")
		return err
	})
}
