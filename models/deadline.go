package models

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// DefaultListTimeout bounds every list query (the members table, SCIM
// lists) unless Store.ListTimeout says otherwise.
const DefaultListTimeout = 5 * time.Second

// listCtx gives a list query its deadline. Inside a batch's transaction
// (/Bulk) the batch's own context rules: interrupting one statement there
// could roll back what the batch wrote.
func (s *Store) listCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, inBatch := ctx.Value(batchKey{}).(bun.Tx); inBatch || s.ListTimeout < 0 {
		return ctx, func() {}
	}
	d := s.ListTimeout
	if d == 0 {
		d = DefaultListTimeout
	}
	return context.WithTimeout(ctx, d)
}

// listErr turns the error of a query stopped by listCtx's deadline (each
// driver words it its own way) into ErrQueryTimeout. PostgreSQL's driver
// sets the deadline on its socket, whose read can fail ("i/o timeout")
// before the context's own timer has marked it done: past the deadline is
// a timeout too (it was answered 500 under concurrent SCIM scans).
func listErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrQueryTimeout
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return ErrQueryTimeout
	}
	return err
}
