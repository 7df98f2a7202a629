package models

import (
	"context"
	"testing"
	"time"
)

// TestBatchContext: a batch runs until the last of its creates' deadlines
// (none if one has none), and a create's cancellation does not end it:
// that would roll back the others' creates too.
func TestBatchContext(t *testing.T) {
	base := time.Now().Add(time.Hour) // deadlines to come, whatever the day
	early, cancelEarly := context.WithDeadline(context.Background(), base)
	defer cancelEarly()
	late, cancelLate := context.WithDeadline(context.Background(), base.Add(time.Minute))
	defer cancelLate()
	ops := []*pgCreateOp{{ctx: early}, {ctx: late}}

	ctx, cancel := batchContext(ops)
	defer cancel()
	if d, ok := ctx.Deadline(); !ok || !d.Equal(base.Add(time.Minute)) {
		t.Errorf("deadline %v %v, want the later one", d, ok)
	}
	cancelEarly()
	if ctx.Err() != nil {
		t.Error("a create's cancellation ended the batch")
	}

	open, cancelOpen := context.WithCancel(context.Background())
	defer cancelOpen()
	ctx, cancel = batchContext(append(ops, &pgCreateOp{ctx: open}))
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a batch with a create without a deadline has one")
	}
	cancel()
	if ctx.Err() == nil {
		t.Error("the batch's own cancel did not end it")
	}
}
