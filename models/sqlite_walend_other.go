//go:build sqlite_ncruces || sqlite_mattn

package models

import "sync/atomic"

// walEnd: only the default driver's VFS (sqlite_walbuf.go) sees the WAL's
// writes; with the others the checkpointer counts commits instead.
func walEnd(string) *atomic.Int64 { return nil }
