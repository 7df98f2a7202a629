package mail

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/muster-app/muster/models"
)

// Worker defaults.
const (
	DefaultInterval    = 2 * time.Second
	DefaultBatch       = 10
	DefaultLease       = 5 * time.Minute
	DefaultMaxAttempts = 6
	DefaultSendTimeout = time.Minute
)

// DefaultBackoff waits 30s after the first failure and twice as long after
// each further one, an hour at most.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 8 { // 30s·2^7 > 1h already
		return time.Hour
	}
	return min(30*time.Second<<(attempt-1), time.Hour)
}

// Worker sends what the outbox holds: it claims due messages, renders and
// sends each, and marks it sent, or failed to be tried again after a
// backoff, or failed for good after MaxAttempts attempts (or at once when
// the error is permanent). Several workers, on several replicas, may run
// against one database: each message is claimed by one of them at a time.
//
// Delivery is at least once: a worker that stops between sending a message
// and marking it sent (a crash, a lost database connection) leaves it to be
// sent again when its lease ends.
type Worker struct {
	Store   *models.Store
	Sender  Sender
	BaseURL string // for links in emails
	Log     *slog.Logger

	Interval    time.Duration // between polls when idle; DefaultInterval if 0
	Batch       int           // messages claimed at once; DefaultBatch if 0
	Lease       time.Duration // how long a claim holds; DefaultLease if 0
	MaxAttempts int           // attempts before giving up; DefaultMaxAttempts if 0
	// Backoff is the wait after the attempt-th failed attempt (1, 2, …);
	// DefaultBackoff if nil.
	Backoff func(attempt int) time.Duration
	// MinGap is the least time between two sends (0: no limit), for mail
	// servers that throttle bulk senders, such as after a CSV import.
	MinGap time.Duration
	// SendTimeout bounds one message's delivery; DefaultSendTimeout if 0.
	SendTimeout time.Duration

	once     sync.Once
	wake     chan struct{}
	lastSend time.Time
}

func (w *Worker) init() {
	w.once.Do(func() { w.wake = make(chan struct{}, 1) })
}

// Wake makes a running worker poll now rather than at its next interval:
// call it after queueing an email. It never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends messages until ctx is done. A message being sent when ctx ends
// is finished and marked (within SendTimeout); claimed messages not yet
// attempted are released for other workers.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		n, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log().Error("outbox: claim messages", "err", err)
		}
		if err == nil && n == w.batch() {
			continue // a full batch: more may be due
		}
		timer.Reset(w.interval())
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// RunOnce claims one batch of due messages and attempts each, returning how
// many it attempted. It must not run concurrently with Run or itself on the
// same Worker (use another Worker for that).
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	lease := w.lease()
	msgs, err := w.Store.ClaimOutbox(ctx, w.batch(), lease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	start := time.Now()
	for i, m := range msgs {
		// Stop while the claim still holds: a message attempted after its
		// lease ended could be sent twice by two workers.
		if ctx.Err() != nil || time.Since(start) > lease/2 || !w.waitGap(ctx) {
			w.release(ctx, msgs[i:])
			return i, nil
		}
		w.attempt(ctx, m)
	}
	return len(msgs), nil
}

// waitGap sleeps until MinGap has passed since the last send; false if ctx
// ended first.
func (w *Worker) waitGap(ctx context.Context) bool {
	if w.MinGap <= 0 || w.lastSend.IsZero() {
		return true
	}
	wait := time.Until(w.lastSend.Add(w.MinGap))
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// attempt renders, sends and marks one message. It outlives ctx: once
// started, a send is finished and recorded.
func (w *Worker) attempt(ctx context.Context, m models.OutboxMessage) {
	ctx = context.WithoutCancel(ctx)
	log := w.log().With("outbox_id", m.ID, "kind", m.Kind, "to", m.ToAddr)
	obsolete, err := w.checkObsolete(ctx, &m)
	if err == nil && obsolete != "" {
		if err := w.mark(ctx, func(ctx context.Context) error {
			return w.Store.MarkOutboxFailed(ctx, m.ID, "not sent: "+obsolete, nil)
		}); err != nil {
			log.Error("outbox: marking an obsolete email failed", "err", err)
			return
		}
		log.Info("email not sent: " + obsolete)
		return
	}
	if err == nil {
		var msg Message
		if msg, err = Render(m, w.BaseURL); err == nil {
			sendCtx, cancel := context.WithTimeout(ctx, w.sendTimeout())
			err = w.Sender.Send(sendCtx, msg)
			cancel()
			w.lastSend = time.Now()
		}
	}
	if err == nil {
		if err := w.mark(ctx, func(ctx context.Context) error { return w.Store.MarkOutboxSent(ctx, m.ID) }); err != nil {
			log.Error("outbox: email sent, but marking it sent failed: it may be sent again", "err", err)
			return
		}
		log.Info("email sent")
		return
	}
	attempt := m.Attempts + 1
	var retryAt *time.Time
	if !IsPermanent(err) && attempt < w.maxAttempts() {
		t := w.Store.Now().Add(w.backoff(attempt))
		retryAt = &t
	}
	if markErr := w.mark(ctx, func(ctx context.Context) error {
		return w.Store.MarkOutboxFailed(ctx, m.ID, err.Error(), retryAt)
	}); markErr != nil {
		log.Error("outbox: marking a failed email failed", "err", markErr, "send_err", err)
		return
	}
	if retryAt != nil {
		log.Warn("email not sent; will try again", "attempt", attempt, "retry_at", retryAt.UTC(), "err", err)
	} else {
		log.Error("email not sent; giving up", "attempt", attempt, "err", err)
	}
}

// checkObsolete asks the store whether the message should still be sent.
func (w *Worker) checkObsolete(ctx context.Context, m *models.OutboxMessage) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	return w.Store.OutboxObsolete(ctx, m)
}

// mark runs one store update with its own deadline.
func (w *Worker) mark(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	return fn(ctx)
}

// dbTimeout bounds the worker's bookkeeping queries.
const dbTimeout = 30 * time.Second

// release gives back claims this worker will not attempt.
func (w *Worker) release(ctx context.Context, msgs []models.OutboxMessage) {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
	defer cancel()
	if err := w.Store.ReleaseOutbox(ctx, ids); err != nil {
		w.log().Warn("outbox: release claimed messages (they are due again when the lease ends)", "err", err)
	}
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

func (w *Worker) interval() time.Duration { return orDefault(w.Interval, DefaultInterval) }
func (w *Worker) lease() time.Duration    { return orDefault(w.Lease, DefaultLease) }
func (w *Worker) batch() int              { return orDefault(w.Batch, DefaultBatch) }
func (w *Worker) maxAttempts() int        { return orDefault(w.MaxAttempts, DefaultMaxAttempts) }
func (w *Worker) sendTimeout() time.Duration {
	return orDefault(w.SendTimeout, DefaultSendTimeout)
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
