package models

// BeforePGBatch runs fn before a runner runs a batch of n PostgreSQL
// creates (pg_create_batch.go).
func BeforePGBatch(fn func(n int)) (restore func()) {
	beforePGBatch = fn
	return func() { beforePGBatch = nil }
}

// OnePGCreateRunner has s run one batch at a time (pgCreateRunners).
func (s *Store) OnePGCreateRunner() {
	s.pgCreates.mu.Lock()
	s.pgCreates.maxRunners = 1
	s.pgCreates.mu.Unlock()
}

// PGCreatesQueued is how many PostgreSQL creates wait for a runner.
func (s *Store) PGCreatesQueued() int {
	s.pgCreates.mu.Lock()
	defer s.pgCreates.mu.Unlock()
	return len(s.pgCreates.ops)
}

// PGCreateBatches: the batches of two or more creates committed, and the
// creates of failed batches run again alone.
func (s *Store) PGCreateBatches() (batches, alone int64) {
	return s.pgCreates.batches.Load(), s.pgCreates.alone.Load()
}
