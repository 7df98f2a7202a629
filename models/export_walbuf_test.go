//go:build !sqlite_ncruces && !sqlite_mattn

package models

import sqlite3 "modernc.org/sqlite/lib"

// FailNextWALWrite makes the next write of the WAL file at walPath's
// gathered frames fail with SQLITE_FULL (a full disk), writing nothing.
func FailNextWALWrite(walPath string) (restore func()) {
	walFailNext.Store(&walFailure{name: walPath, rc: sqlite3.SQLITE_FULL})
	return func() { walFailNext.Store(nil) }
}

// WALFailPending tells whether FailNextWALWrite's failure is still to come.
func WALFailPending() bool { return walFailNext.Load() != nil }

// WALLateFlushes counts the times a shared-memory call found WAL writes
// not yet in the file (sqlite_walbuf.go's safety net).
func WALLateFlushes() int64 { return walLateFlushes.Load() }
