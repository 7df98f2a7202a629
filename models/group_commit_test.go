package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// groupOf queues one write operation per fn on a SQLite store held still,
// then runs them: they share one transaction. It returns each one's error.
func groupOf(t *testing.T, s *models.Store, fns ...func(tx bun.Tx) error) []error {
	t.Helper()
	return groupThrough(t, s, models.Tx, fns...)
}

// groupThrough is groupOf with each operation written through write.
func groupThrough(t *testing.T, s *models.Store, write func(context.Context, *models.Store, func(bun.Tx) error) error, fns ...func(tx bun.Tx) error) []error {
	t.Helper()
	return heldGroup(t, s, len(fns), func(i int) error { return write(context.Background(), s, fns[i]) })
}

// heldGroup starts n write operations, op(0) to op(n-1), on a SQLite store
// held still, each queued before the next starts, then runs them: they
// share one group, in order. It returns each one's error.
func heldGroup(t *testing.T, s *models.Store, n int, op func(i int) error) []error {
	t.Helper()
	queued, run := models.HoldWrites(s)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = op(i)
		}()
		waitQueued(t, queued, i+1)
	}
	run()
	wg.Wait()
	return errs
}

// waitQueued waits until n operations have queued on a held store
// (HoldWrites), failing t after 10 s.
func waitQueued(t *testing.T, queued func() int, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); queued() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("operation %d never queued", n-1)
		}
		time.Sleep(time.Millisecond)
	}
}

func putKV(key string) func(tx bun.Tx) error {
	return func(tx bun.Tx) error {
		_, err := tx.ExecContext(context.Background(), "INSERT INTO kv_entries (key, value) VALUES (?, 'v')", key)
		return err
	}
}

func kvKeys(t *testing.T, s *models.Store) map[string]bool {
	t.Helper()
	var keys []string
	if err := s.DB().NewSelect().Table("kv_entries").Column("key").Where("key LIKE 'gc-%'").Scan(context.Background(), &keys); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, k := range keys {
		out[k] = true
	}
	return out
}

// A failing operation in a group undoes its own writes only and gets its
// own error; the others commit, and see each other's writes as if run one
// after another.
func TestGroupCommitFailingOperation(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	boom := errors.New("boom")
	var sawFirst int
	errs := groupOf(t, s,
		putKV("gc-a"),
		func(tx bun.Tx) error {
			if err := putKV("gc-b")(tx); err != nil {
				return err
			}
			return boom
		},
		putKV("gc-a"), // the first one's key: a unique violation of its own
		func(tx bun.Tx) error {
			if err := tx.QueryRowContext(context.Background(), "SELECT count(*) FROM kv_entries WHERE key = 'gc-a'").Scan(&sawFirst); err != nil {
				return err
			}
			return putKV("gc-c")(tx)
		},
	)
	if errs[0] != nil || errs[3] != nil {
		t.Errorf("the good operations failed: %v, %v", errs[0], errs[3])
	}
	if !errors.Is(errs[1], boom) {
		t.Errorf("the failing operation got %v, want its own error", errs[1])
	}
	if errs[2] == nil {
		t.Error("the duplicate key was taken")
	}
	if sawFirst != 1 {
		t.Errorf("the last operation saw %d rows of the first one's, want 1", sawFirst)
	}
	if got := kvKeys(t, s); !got["gc-a"] || got["gc-b"] || !got["gc-c"] || len(got) != 2 {
		t.Errorf("stored %v, want gc-a and gc-c", got)
	}
}

// A COMMIT that fails fails every operation of the group, and keeps none
// of their writes. A foreign key checked at COMMIT (defer_foreign_keys)
// makes one operation's write refuse the whole transaction there.
func TestGroupCommitFailingCommit(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	errs := groupOf(t, s,
		putKV("gc-a"),
		func(tx bun.Tx) error {
			ctx := context.Background()
			if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO member_roles (member_id, role_id) VALUES ('no-member', 'no-role')")
			return err
		},
		putKV("gc-c"),
	)
	for i, err := range errs {
		if err == nil {
			t.Errorf("operation %d succeeded though the COMMIT failed", i)
		}
	}
	if got := kvKeys(t, s); len(got) != 0 {
		t.Errorf("stored %v after a failed COMMIT", got)
	}
	// No connection is left inside the failed transaction.
	for i := range 10 {
		if err := models.Tx(context.Background(), s, putKV("gc-after-"+string(rune('a'+i)))); err != nil {
			t.Fatalf("write %d after the failed COMMIT: %v", i, err)
		}
	}
}

// An operation whose caller gave up before its turn never runs.
func TestGroupCommitCancelledBeforeItsTurn(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	queued, run := models.HoldWrites(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- models.Tx(ctx, s, putKV("gc-late")) }()
	for deadline := time.Now().Add(10 * time.Second); queued() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("never queued")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	run()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if got := kvKeys(t, s); len(got) != 0 {
		t.Errorf("stored %v", got)
	}
}

// A group of operations that may run again runs without savepoints; when
// one fails, the group runs again in savepoints: the failing one gets its
// own error and leaves nothing, the others commit once.
func TestGroupCommitAgainFailingOperation(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	boom := errors.New("boom")
	runs := make([]int, 4)
	counted := func(i int, fn func(tx bun.Tx) error) func(tx bun.Tx) error {
		return func(tx bun.Tx) error { runs[i]++; return fn(tx) }
	}
	errs := groupOfAgain(t, s,
		counted(0, putKV("gc-a")),
		counted(1, func(tx bun.Tx) error {
			if err := putKV("gc-b")(tx); err != nil {
				return err
			}
			return boom
		}),
		counted(2, putKV("gc-a")), // a unique violation
		counted(3, putKV("gc-c")),
	)
	if errs[0] != nil || errs[3] != nil || !errors.Is(errs[1], boom) || errs[2] == nil {
		t.Errorf("errors %v, want nil, boom, a unique violation, nil", errs)
	}
	if got := kvKeys(t, s); !got["gc-a"] || got["gc-b"] || !got["gc-c"] || len(got) != 2 {
		t.Errorf("stored %v, want gc-a and gc-c", got)
	}
	if n := models.GroupReruns(s); n != 1 {
		t.Errorf("%d groups ran again, want 1", n)
	}
	// The first run stopped at the failing operation; the second ran all.
	if runs[0] != 2 || runs[1] != 2 || runs[3] != 1 {
		t.Errorf("runs %v, want [2 2 1 1]", runs)
	}
	// A clean group of them commits in one run, without savepoints: the
	// next groups run carefully for a while, so this checks the writes only.
	if errs := groupOfAgain(t, s, putKV("gc-d"), putKV("gc-e")); errs[0] != nil || errs[1] != nil {
		t.Fatalf("clean group: %v", errs)
	}
	if got := kvKeys(t, s); !got["gc-d"] || !got["gc-e"] {
		t.Errorf("stored %v, want gc-d and gc-e too", got)
	}
}

// A group of operations that may run again and all succeed runs once each
// and commits together.
func TestGroupCommitAgainClean(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	runs := 0
	errs := groupOfAgain(t, s,
		func(tx bun.Tx) error { runs++; return putKV("gc-a")(tx) },
		func(tx bun.Tx) error {
			runs++
			var n int
			if err := tx.QueryRowContext(context.Background(), "SELECT count(*) FROM kv_entries WHERE key = 'gc-a'").Scan(&n); err != nil || n != 1 {
				return fmt.Errorf("saw %d of the first one's rows (%v)", n, err)
			}
			return putKV("gc-b")(tx)
		})
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if got := kvKeys(t, s); len(got) != 2 || runs != 2 || models.GroupReruns(s) != 0 {
		t.Errorf("stored %v in %d runs, %d reruns; want gc-a, gc-b in 2, 0", got, runs, models.GroupReruns(s))
	}
}

// groupOfAgain is groupOf for operations that may run again (TxAgain).
func groupOfAgain(t *testing.T, s *models.Store, fns ...func(tx bun.Tx) error) []error {
	t.Helper()
	return groupThrough(t, s, models.TxAgain, fns...)
}
