package models

import "context"

// BeforeCreateExec runs fn between a PostgreSQL create's read of its roles
// and its INSERTs (createSCIMUserAtOnce).
func BeforeCreateExec(fn func(ctx context.Context)) (restore func()) {
	beforeCreateExec = fn
	return func() { beforeCreateExec = nil }
}

// BeforeCreateSend calls fn with each text of creates sent to PostgreSQL
// (execCreate: one create's, or several queued together).
func BeforeCreateSend(fn func(text string)) (restore func()) {
	beforeCreateSend = fn
	return func() { beforeCreateSend = nil }
}

// CreatesWaiting is how many PostgreSQL creates wait for a text in flight.
func CreatesWaiting(s *Store) int {
	s.pgCreates.mu.Lock()
	defer s.pgCreates.mu.Unlock()
	return len(s.pgCreates.waiting)
}
