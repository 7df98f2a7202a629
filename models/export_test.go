package models

import (
	"context"

	"github.com/uptrace/bun"
)

// SetSearchLookupMax lets tests take both of ListMembers' search plans.
func SetSearchLookupMax(n int) (restore func()) {
	old := searchLookupMax
	searchLookupMax = n
	return func() { searchLookupMax = old }
}

// ImportLeaseForTest is how long a worker holds a running import.
const ImportLeaseForTest = importLease

// SetRetries is how many chunks CreateSCIMUsers has retried one at a time.
func SetRetries() int64 { return setRetries.Load() }

// BeforeSetInsert runs fn between CreateSCIMUsers' checks and its writes.
func BeforeSetInsert(fn func(ctx context.Context, tx bun.Tx) error) (restore func()) {
	beforeSetInsert = fn
	return func() { beforeSetInsert = nil }
}
