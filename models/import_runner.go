package models

import (
	"context"
	"log/slog"
	"time"
)

// ImportRunner works through confirmed imports in the background, a batch
// at a time; a restart picks up where the last batch ended, and several
// replicas share the work through the imports' leases.
type ImportRunner struct {
	store *Store
	log   *slog.Logger
	kick  chan struct{}
	// Interval is how often it looks for work when nobody wakes it.
	Interval time.Duration
	// Batch is how many rows go into one transaction.
	Batch int
}

// NewImportRunner makes a runner for store.
func NewImportRunner(store *Store, log *slog.Logger) *ImportRunner {
	return &ImportRunner{store: store, log: log, kick: make(chan struct{}, 1), Interval: 2 * time.Second, Batch: 500}
}

// Wake makes the runner look for work now.
func (r *ImportRunner) Wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends; afterBatch is called after every batch (the
// batch queued invitation emails).
func (r *ImportRunner) Run(ctx context.Context, afterBatch func()) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			worked, err := r.store.ProcessImports(ctx, r.Batch)
			if err != nil {
				r.log.Error("import batch", "err", err)
				break
			}
			if !worked {
				break
			}
			afterBatch()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}
