package models

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// SCIMLogEntry is one row of the provisioning log: a SCIM request, or one
// operation of a /Bulk request (ParentID is then the /Bulk request's entry).
type SCIMLogEntry struct {
	bun.BaseModel `bun:"table:scim_log,alias:sl"`

	ID          string    `bun:"id,pk"`
	WorkspaceID string    `bun:"workspace_id"`
	ParentID    *string   `bun:"parent_id"`
	TokenID     string    `bun:"token_id"`
	TokenName   string    `bun:"token_name"`
	At          time.Time `bun:"at"`
	Method      string    `bun:"method"`
	Path        string    `bun:"path"` // below /scim/v2, with the query
	Status      int       `bun:"status"`
	DurationUS  int64     `bun:"duration_us"`
	TargetKind  string    `bun:"target_kind"` // "member", "role" or ""
	TargetID    string    `bun:"target_id"`
	TargetName  string    `bun:"target_name"`
	Detail      string    `bun:"detail"`   // a failure's SCIM error detail
	Request     string    `bun:"request"`  // a failure's body, secrets masked
	Response    string    `bun:"response"` // a failure's answer
}

// Failed tells a refused or failed request from a successful one.
func (e *SCIMLogEntry) Failed() bool { return e.Status >= 400 }

// Duration is how long Muster took to answer.
func (e *SCIMLogEntry) Duration() time.Duration {
	return time.Duration(e.DurationUS) * time.Microsecond
}

// NewSCIMLogEntry starts an entry for a request arriving now: its id (time
// ordered) and time come from the store, so they follow the store's clock.
func (s *Store) NewSCIMLogEntry() SCIMLogEntry {
	return SCIMLogEntry{ID: newID(), At: s.now()}
}

// SCIMLogOptions tune the provisioning log's writer. Zero values take the
// defaults.
type SCIMLogOptions struct {
	// Buffer is how many entries may wait to be written. When it is full
	// (the database has fallen far behind) new entries are dropped and
	// counted rather than slowing provisioning down.
	Buffer int
	// Batch is the most rows one INSERT writes.
	Batch int
	// Delay is how long the first waiting entry waits for others to share
	// its INSERT: a trickle of requests costs one write per Delay, not one
	// each.
	Delay time.Duration
	// MaxAge and MaxRows (per workspace) bound what is kept; PruneEvery is
	// how often the writer applies them.
	MaxAge     time.Duration
	MaxRows    int
	PruneEvery time.Duration
	Logger     *slog.Logger
}

// Defaults for SCIMLogOptions.
const (
	DefaultSCIMLogMaxAge  = 30 * 24 * time.Hour
	DefaultSCIMLogMaxRows = 100000
)

func (o *SCIMLogOptions) defaults() {
	if o.Buffer <= 0 {
		o.Buffer = 32768 // three /Bulk requests of 10,000 operations
	}
	if o.Batch <= 0 {
		// Each entry of a lookup names its member, a random place in
		// the by-target index: a batch writes about a page per entry,
		// fewer the more entries share the batch's pages. 4,000 (the
		// Delay's worth at 8,000 requests a second) cost a third less
		// CPU an entry than 500 (BenchmarkSCIMLogWrite: 68 to 38-46
		// cpu-us), and a commit every Delay rather than 20 a second
		// drops readers' page caches less often. The batch holds the
		// writer for ~0.1-0.2 s on 2 busy cores.
		o.Batch = 4000
	}
	if o.Delay <= 0 {
		o.Delay = 500 * time.Millisecond
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultSCIMLogMaxAge
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultSCIMLogMaxRows
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// SCIMLog writes the provisioning log in the background: Add hands an entry
// to a buffered channel and returns at once; one goroutine writes what
// gathers there in multi-row INSERTs. A request never waits for the log
// and never fails because of it. Every replica runs its own writer; all of
// them write to the one database, so the log page shows every replica's
// requests. A nil *SCIMLog logs nothing (logging off).
type SCIMLog struct {
	store   *Store
	opts    SCIMLogOptions
	ch      chan SCIMLogEntry
	flushc  chan chan struct{}
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Int64
	written atomic.Int64
	inserts atomic.Int64 // INSERTs queued for the writer, for tests
}

// StartSCIMLog starts the provisioning log's writer. Close it on shutdown:
// it writes what is still waiting.
func (s *Store) StartSCIMLog(opts SCIMLogOptions) *SCIMLog {
	opts.defaults()
	l := &SCIMLog{store: s, opts: opts, ch: make(chan SCIMLogEntry, opts.Buffer), flushc: make(chan chan struct{}),
		quit: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l
}

// Add queues an entry. It never blocks: with the buffer full the entry is
// dropped and counted (Dropped).
func (l *SCIMLog) Add(e SCIMLogEntry) {
	if l == nil {
		return
	}
	select {
	case l.ch <- e:
	default:
		if l.dropped.Add(1)%1000 == 1 {
			l.opts.Logger.Warn("scim log: buffer full, entries dropped", "dropped", l.dropped.Load())
		}
	}
}

// Dropped counts the entries never written: the buffer was full, or their
// INSERT failed.
func (l *SCIMLog) Dropped() int64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Written counts the entries written so far.
func (l *SCIMLog) Written() int64 {
	if l == nil {
		return 0
	}
	return l.written.Load()
}

// WriteInBatch writes entries inside the batch transaction ctx carries
// (Store.InBatch), in a savepoint of their own: /Bulk records its
// operations this way, with no commit and no wait for SQLite's write lock
// of its own, where the background writer would contend with the batches
// for it. On SQLite they go through the background writer's prepared
// chunks (insertSCIMLogRows), not one multi-row INSERT that SQLite parsed
// and compiled anew for every batch; on PostgreSQL as one INSERT of an
// array a column (insertSCIMLogPG), as the background writer does. If the
// INSERT fails, only the savepoint is undone and the entries go to the
// background writer instead.
func (l *SCIMLog) WriteInBatch(ctx context.Context, entries []SCIMLogEntry) {
	if l == nil || len(entries) == 0 {
		return
	}
	for i := range entries {
		entries[i].sanitize()
	}
	err := l.store.tx(ctx, func(tx bun.Tx) error {
		if !l.store.IsPostgres() {
			return l.store.insertSCIMLogRows(ctx, tx, entries)
		}
		return l.store.insertSCIMLogPG(ctx, tx, entries)
	})
	if err != nil {
		for _, e := range entries {
			l.Add(e)
		}
		return
	}
	l.written.Add(int64(len(entries)))
}

// Flush returns once every entry added before it was called is written
// (or ctx ends).
func (l *SCIMLog) Flush(ctx context.Context) error {
	if l == nil {
		return nil
	}
	ack := make(chan struct{})
	select {
	case l.flushc <- ack:
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is waiting and stops the writer.
func (l *SCIMLog) Close() {
	if l == nil {
		return
	}
	l.once.Do(func() { close(l.quit) })
	<-l.done
}

func (l *SCIMLog) run() {
	defer close(l.done)
	batch := make([]SCIMLogEntry, 0, l.opts.Batch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	prune := time.NewTicker(l.opts.PruneEvery)
	defer prune.Stop()
	write := func() {
		if len(batch) > 0 {
			l.write(batch)
			batch = batch[:0]
		}
	}
	add := func(e SCIMLogEntry) {
		batch = append(batch, e)
		if len(batch) >= l.opts.Batch {
			write()
		}
	}
	drain := func() {
		for {
			select {
			case e := <-l.ch:
				add(e)
			default:
				write()
				return
			}
		}
	}
	for {
		select {
		case e := <-l.ch:
			if len(batch) == 0 {
				timer.Reset(l.opts.Delay)
			}
			add(e)
		case <-timer.C:
			write()
		case ack := <-l.flushc:
			drain()
			close(ack)
		case <-prune.C:
			drain()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := l.store.PruneSCIMLog(ctx, l.opts.MaxAge, l.opts.MaxRows); err != nil {
				l.opts.Logger.Warn("scim log: prune", "err", err)
			}
			cancel()
		case <-l.quit:
			drain()
			return
		}
	}
}

// write inserts one batch. A failure is logged and the batch counted as
// dropped: the log is a record, and the requests it describes are done.
func (l *SCIMLog) write(batch []SCIMLogEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range batch {
		batch[i].sanitize()
	}
	insert := func(rows []SCIMLogEntry) error {
		l.inserts.Add(1)
		if !l.store.IsPostgres() {
			l.store.prepareInserts(ctx)
		}
		// Inserts only: they may run twice (mayRunAgain).
		return l.store.writeSQLite(mayRunAgain(ctx), func(db bun.IDB) error {
			// On SQLite one prepared INSERT a row: a multi-row INSERT
			// of 500 entries was parsed and compiled anew each time,
			// which with the row writes took a quarter of the server's
			// CPU under userName eq lookups (one entry each).
			if l.store.IsPostgres() {
				return l.store.insertSCIMLogPG(ctx, db, rows)
			}
			if tx, ok := db.(bun.Tx); ok {
				return l.store.insertSCIMLogRows(ctx, tx, rows)
			}
			// Not reached: on SQLite writeSQLite hands a transaction.
			_, err := db.NewInsert().Model(&rows).Exec(ctx)
			return err
		})
	}
	for len(batch) > 0 {
		// While other writers queue on SQLite, a share at a time: each
		// waits for its group's COMMIT, so the batch spreads over that
		// many groups. Whole, it held the one writer 14-24 ms (2,000
		// entries) and every POST queued behind it waited that long; and
		// the bench kit's server peaked 20-30 MiB higher, holding the
		// batch's dirty pages at once. Alone (lookups only), it goes
		// whole: one COMMIT, not one a share.
		n := len(batch)
		if l.store.othersWriting() {
			n = min(n, scimLogShare)
		}
		rows := batch[:n]
		batch = batch[n:]
		if err := insert(rows); err == nil {
			l.written.Add(int64(len(rows)))
			continue
		}
		// One row the database refuses must not lose the others: row by row.
		for i := range rows {
			if err := insert(rows[i : i+1]); err != nil {
				l.dropped.Add(1)
				l.opts.Logger.Warn("scim log: write failed", "path", rows[i].Path, "err", err)
				continue
			}
			l.written.Add(1)
		}
	}
}

// scimLogShare is how many entries of a batch join one group while
// others write: about 2 ms of the writer on 2 busy cores, a multiple of
// scimLogRowsPerInsert.
const scimLogShare = 256

// sanitize makes what a client sent storable: neither database takes a NUL
// in text (it is kept visible as \u0000), nor PostgreSQL invalid UTF-8.
func (e *SCIMLogEntry) sanitize() {
	for _, f := range []*string{&e.Path, &e.TokenName, &e.TargetID, &e.TargetName, &e.Detail, &e.Request, &e.Response} {
		if !utf8.ValidString(*f) {
			*f = strings.ToValidUTF8(*f, "\uFFFD")
		}
		if strings.IndexByte(*f, 0) >= 0 {
			*f = strings.ReplaceAll(*f, "\x00", `\u0000`)
		}
	}
}

// PruneSCIMLog deletes entries older than maxAge and, in each workspace,
// all but the newest maxRows. Replicas may prune at once: deleting is
// idempotent.
func (s *Store) PruneSCIMLog(ctx context.Context, maxAge time.Duration, maxRows int) error {
	if _, err := s.db.NewDelete().Model((*SCIMLogEntry)(nil)).Where("at < ?", s.now().Add(-maxAge)).Exec(ctx); err != nil {
		return err
	}
	var wsIDs []string
	if err := s.rdb.NewSelect().Model((*Workspace)(nil)).Column("id").Scan(ctx, &wsIDs); err != nil {
		return err
	}
	for _, ws := range wsIDs {
		// The newest row past the limit, found through the time index.
		var edge []SCIMLogEntry
		if err := s.rdb.NewSelect().Model(&edge).Column("at", "id").Where("workspace_id = ?", ws).
			OrderExpr("at DESC, id DESC").Offset(int64(maxRows)).Limit(1).Scan(ctx); err != nil {
			return err
		}
		if len(edge) == 0 {
			continue
		}
		e := edge[0]
		if _, err := s.db.NewDelete().Model((*SCIMLogEntry)(nil)).
			Where("workspace_id = ? AND (at < ? OR (at = ? AND id <= ?))", ws, e.At, e.At, e.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
