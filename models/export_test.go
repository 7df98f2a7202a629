package models

import (
	"context"
	"reflect"
	"time"

	"github.com/uptrace/bun"
)

// RareTerm is rareTerm: whether a SCIM co filter on term is looked up
// through the trigram index (SQLite).
func (s *Store) RareTerm(ctx context.Context, term string) bool { return s.rareTerm(ctx, term) }

// SCIMRareMax is the most matches a rare term has.
const SCIMRareMax = scimRareMax

// SetSearchLookupMax lets tests take both of ListMembers' search plans.
func SetSearchLookupMax(n int) (restore func()) {
	old := searchLookupMax
	searchLookupMax = n
	return func() { searchLookupMax = old }
}

// ImportLeaseForTest is how long a worker holds a running import.
const ImportLeaseForTest = importLease

// HoldWrites makes s's SQLite write operations queue without running, as
// they do while a group runs; run runs what has queued, in groups.
// A group still finishing the caller's last write would otherwise run what
// queues next itself, so HoldWrites waits (up to 10 s) until none runs.
func HoldWrites(s *Store) (queued func() int, run func()) {
	for deadline := time.Now().Add(10 * time.Second); ; {
		s.writes.mu.Lock()
		if !s.writes.running {
			s.writes.running = true
			s.writes.mu.Unlock()
			break
		}
		s.writes.mu.Unlock()
		if time.Now().After(deadline) {
			panic("HoldWrites: a group is still running after 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	queued = func() int {
		s.writes.mu.Lock()
		defer s.writes.mu.Unlock()
		return len(s.writes.ops)
	}
	return queued, s.runGroups
}

// Tx runs fn as one of s's write operations (Store.tx).
func Tx(ctx context.Context, s *Store, fn func(tx bun.Tx) error) error { return s.tx(ctx, fn) }

// SetRetries is how many chunks CreateSCIMUsers has retried one at a time.
func SetRetries() int64 { return setRetries.Load() }

// BeforeSetInsert runs fn between CreateSCIMUsers' checks and its writes.
func BeforeSetInsert(fn func(ctx context.Context, tx bun.Tx) error) (restore func()) {
	beforeSetInsert = fn
	return func() { beforeSetInsert = nil }
}

// SetMemberCountCap lowers how far ListMembers counts a search's matches.
func SetMemberCountCap(n int) (restore func()) {
	old := memberCountCap
	memberCountCap = n
	return func() { memberCountCap = old }
}

// SetSCIMNarrowing turns the trigram index's part in SCIM co/sw/ew filters
// on or off.
func SetSCIMNarrowing(on bool) (restore func()) {
	old := scimNarrowing
	scimNarrowing = on
	return func() { scimNarrowing = old }
}

// SearchTextOf is what members.search_text holds for m.
func SearchTextOf(m *Member) string { return searchText(m) }

// Checkpoints is how many checkpoints the store has run beside its writer.
func Checkpoints(s *Store) int64 { return s.ckpt.done.Load() }

// CheckpointsFinished is how many checkpoints the writer finished between
// groups, and LongestLog the longest log (pages) a checkpoint found.
func CheckpointsFinished(s *Store) int64 { return s.ckpt.finished.Load() }
func LongestLog(s *Store) int64          { return s.ckpt.longest.Load() }

const WALRestartPages, WALAutocheckpointPages, CheckpointPages = walRestartPages, walAutocheckpointPages, checkpointPages

// CheckpointsBegun is how many checkpoints the store started, and LogPages
// the writer's log's length as the checkpointer reads it (false: not
// known, as with the other SQLite drivers).
func CheckpointsBegun(s *Store) int64 { return s.ckpt.begun.Load() }
func LogPages(s *Store) (int64, bool) { return s.ckpt.logPages() }

// FlushSearchIndex moves queued search text into the index, as a group
// commit or Migrate does, for tests that write members with raw SQL.
func FlushSearchIndex(ctx context.Context, s *Store) error { return flushSearchIndex(ctx, s.DB()) }

// SetDemoThresholds lowers how many demo members make SeedDemo rebuild the
// members indexes after the fill (SQLite) and run ANALYZE.
func SetDemoThresholds(rebuild, analyze int) (restore func()) {
	oldRebuild, oldAnalyze := demoRebuildMin, analyzeAfter
	demoRebuildMin, analyzeAfter = rebuild, analyze
	return func() { demoRebuildMin, analyzeAfter = oldRebuild, oldAnalyze }
}

// SetSCIMCountCaching turns keeping SCIM list totals on or off.
func SetSCIMCountCaching(on bool) (restore func()) {
	old := scimCountCaching
	scimCountCaching = on
	return func() { scimCountCaching = old }
}

// SetSCIMCoveredCounts turns counting SCIM totals through a covering
// index on or off.
func SetSCIMCoveredCounts(on bool) (restore func()) {
	old := scimCoveredCounts
	scimCoveredCounts = on
	return func() { scimCoveredCounts = old }
}

// HoldScanSlots takes every SCIM scan slot of s until release.
func HoldScanSlots(s *Store) (release func()) {
	slots := s.scanSlots
	n := 0
	for full := false; !full; {
		select {
		case slots <- struct{}{}:
			n++
		default:
			full = true
		}
	}
	return func() {
		for range n {
			<-slots
		}
	}
}

// SetDefaulted is setDefaulted, the columns set INSERTs leave out when zero.
var SetDefaulted = setDefaulted

// NonZeroColumns are those of cols that row (a pointer to a model) holds a
// non-zero value in, and "no such column" for any it does not have.
func NonZeroColumns(s *Store, row any, cols []string) []string {
	table := s.db.Dialect().Tables().Get(reflect.TypeOf(row).Elem())
	var bad []string
	for _, c := range cols {
		f, err := table.Field(c)
		if err != nil {
			bad = append(bad, "no such column "+c)
		} else if !f.Value(reflect.ValueOf(row).Elem()).IsZero() {
			bad = append(bad, c)
		}
	}
	return bad
}

// TxAgain is Tx for a function that may run twice (mayRunAgain).
func TxAgain(ctx context.Context, s *Store, fn func(tx bun.Tx) error) error {
	return s.tx(mayRunAgain(ctx), fn)
}

// GroupReruns is how many groups ran again in savepoints (runWhole).
func GroupReruns(s *Store) int64 { return s.writes.reruns.Load() }

// InsertSCIMLogRows writes rows as the provisioning log's writer does (on
// SQLite its bound chunks, on PostgreSQL its arrays), or, with viaBun, as
// Bun's INSERT does.
func InsertSCIMLogRows(ctx context.Context, s *Store, rows []SCIMLogEntry, viaBun bool) error {
	if !s.IsPostgres() {
		s.prepareInserts(ctx)
	}
	return s.tx(ctx, func(tx bun.Tx) error {
		if viaBun {
			_, err := tx.NewInsert().Model(&rows).Exec(ctx)
			return err
		}
		if s.IsPostgres() {
			return s.insertSCIMLogPG(ctx, tx, rows)
		}
		return s.insertSCIMLogRows(ctx, tx, rows)
	})
}

// SCIMLogChunkInsert is the SQL of the log writer's many-row INSERT on
// SQLite.
func SCIMLogChunkInsert(s *Store, light bool) string {
	return s.scimLogInsert(scimLogRowsPerInsert, light)
}

// SearchQueued is how many entries wait in SQLite's search queue (0 on
// PostgreSQL).
func SearchQueued(ctx context.Context, s *Store) int {
	if s.IsPostgres() {
		return 0
	}
	var n int
	if err := s.DB().NewRaw("SELECT count(*) FROM member_search_queue").Scan(ctx, &n); err != nil {
		panic(err)
	}
	return n
}

// SearchFlushAt is how many queued entries make a group commit move the
// search queue into the index.
const SearchFlushAt = searchFlushAt

// HashSlots is the password hashes' slots (TestSignInMemoryIsBounded
// bounds memory by their number).
func HashSlots() chan struct{} { return hashSlots }
