package models

import "context"

// BeforeCreateExec runs fn between a PostgreSQL create's read of its roles
// and its INSERTs (createSCIMUserAtOnce).
func BeforeCreateExec(fn func(ctx context.Context)) (restore func()) {
	beforeCreateExec = fn
	return func() { beforeCreateExec = nil }
}
