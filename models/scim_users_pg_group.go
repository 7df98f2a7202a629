package models

import (
	"context"
	"strings"
	"sync"
)

// On PostgreSQL most of a create's cost is the database's, and a good part
// of that is per transaction, not per row: the commit's WAL flush, the
// deferred triggers' change token, a round trip. So concurrent creates
// that go at once (createSCIMUserAtOnce) are sent together: whoever finds
// fewer than pgCreateFlights texts in flight sends its own; the texts that
// arrive meanwhile wait and go, all of them, as one multi-statement text,
// which PostgreSQL runs as one implicit transaction (all of it or none).
// If that text fails (a unique index refused one create, a role went
// away), nothing of it stays, and each create is sent again alone and gets
// its own answer: one create's error never fails another. Each create's
// caller returns only after the text holding it committed, so an answered
// create is as durable as before (synchronous_commit untouched).

// pgCreateFlights is how many create texts go to PostgreSQL at once: two,
// so that one is written while the next is being sent, and both cores
// serve the database.
const pgCreateFlights = 2

// pgCreateMax bounds the creates one text holds.
const pgCreateMax = 32

// pgCreateQueue holds the creates waiting for a text in flight to end.
type pgCreateQueue struct {
	mu      sync.Mutex
	flights int
	waiting []*pgCreate
}

// pgCreate is one create's INSERTs waiting to be sent; done gets its
// error, or the group it must send itself (lead).
type pgCreate struct {
	ctx  context.Context
	text string
	done chan pgCreateTurn
}

type pgCreateTurn struct {
	err  error
	lead []*pgCreate
}

// execCreate runs one create's INSERT text (statements separated by ";")
// on PostgreSQL, with other creates' texts when some are waiting.
func (s *Store) execCreate(ctx context.Context, text string) error {
	c := &pgCreate{ctx: ctx, text: text, done: make(chan pgCreateTurn, 1)}
	q := &s.pgCreates
	q.mu.Lock()
	if q.flights >= pgCreateFlights {
		q.waiting = append(q.waiting, c)
		q.mu.Unlock()
		t := <-c.done
		if t.lead == nil {
			return t.err
		}
		s.sendCreates(t.lead)
	} else {
		q.flights++
		q.mu.Unlock()
		s.sendCreates([]*pgCreate{c})
	}
	return (<-c.done).err
}

// sendCreates sends group, answers each of its creates, then hands the
// creates that queued meanwhile to the first of them to send, or ends the
// flight.
func (s *Store) sendCreates(group []*pgCreate) {
	live := group[:0]
	for _, c := range group {
		if err := c.ctx.Err(); err != nil {
			c.done <- pgCreateTurn{err: err} // gave up before its turn: never runs
		} else {
			live = append(live, c)
		}
	}
	group = live
	switch {
	case len(group) == 1:
		group[0].done <- pgCreateTurn{err: s.execCreateText(group[0].ctx, group[0].text)}
	case len(group) > 1:
		texts := make([]string, len(group))
		for i, c := range group {
			texts[i] = c.text
		}
		// On no one caller's context: one leaving does not undo the others.
		err := s.execCreateText(context.WithoutCancel(group[0].ctx), strings.Join(texts, ";\n"))
		for _, c := range group {
			if err != nil {
				c.done <- pgCreateTurn{err: s.execCreateText(c.ctx, c.text)}
			} else {
				c.done <- pgCreateTurn{}
			}
		}
	}
	q := &s.pgCreates
	q.mu.Lock()
	if len(q.waiting) == 0 {
		q.flights--
		q.mu.Unlock()
		return
	}
	next := q.waiting[:min(len(q.waiting), pgCreateMax)]
	q.waiting = append([]*pgCreate(nil), q.waiting[len(next):]...)
	q.mu.Unlock()
	next[0].done <- pgCreateTurn{lead: next}
}

// execCreateText sends text straight to the driver, as insertRows: one
// simple-protocol query, one implicit transaction.
func (s *Store) execCreateText(ctx context.Context, text string) error {
	if beforeCreateSend != nil {
		beforeCreateSend(text)
	}
	_, err := s.db.DB.ExecContext(ctx, text)
	return err
}

// beforeCreateSend, for tests, sees each text execCreate sends.
var beforeCreateSend func(text string)
