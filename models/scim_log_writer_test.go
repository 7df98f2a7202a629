package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func logEntry(s *models.Store, i int) models.SCIMLogEntry {
	e := s.NewSCIMLogEntry()
	e.WorkspaceID, e.TokenID, e.TokenName, e.Method, e.Path, e.Status = "ws", "tok", "Okta", "GET", "/Users?count=1", 200
	e.TargetKind, e.TargetID = "member", "m"+string(rune('a'+i%26))
	return e
}

func logRows(t *testing.T, s *models.Store) int {
	t.Helper()
	n, err := s.DB().NewSelect().Model((*models.SCIMLogEntry)(nil)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestSCIMLogWriterDelay: an entry alone, far from filling a batch, is
// written once Delay has passed, without a Flush: the log page shows a
// request promptly however large the batch.
func TestSCIMLogWriterDelay(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		l := s.StartSCIMLog(models.SCIMLogOptions{Delay: 50 * time.Millisecond, Batch: 100000, Buffer: 10})
		defer l.Close()
		start := time.Now()
		l.Add(logEntry(s, 0))
		deadline := time.Now().Add(30 * time.Second)
		for l.Written() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the entry was not written within 30 s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if took := time.Since(start); took < 50*time.Millisecond {
			t.Errorf("written after %v, before the Delay gathered others", took)
		}
		if n := logRows(t, s); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	})
}

// TestSCIMLogWriterClose: Close (the server's graceful shutdown) writes
// every entry still waiting, full batches (of the default size: one
// INSERT of 4,000 rows on PostgreSQL) and the rest alike, however long
// their Delay.
func TestSCIMLogWriterClose(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		l := s.StartSCIMLog(models.SCIMLogOptions{Delay: time.Hour})
		for i := range 4100 {
			l.Add(logEntry(s, i))
		}
		l.Close()
		if n := logRows(t, s); n != 4100 || l.Written() != 4100 || l.Dropped() != 0 {
			t.Errorf("after Close: %d rows, %d written, %d dropped; want 4100 written", n, l.Written(), l.Dropped())
		}
	})
}

// TestSCIMLogWriterCountsRefusedRowInChunk: an entry the database refuses
// (here one whose id is already written) inside a full chunk of the
// SQLite writer's many-row INSERT, which is OR IGNORE, is counted as
// dropped and logged like any refused entry, and the other entries of the
// batch are written: OR IGNORE must not skip a row silently.
func TestSCIMLogWriterCountsRefusedRowInChunk(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		first := logEntry(s, 0)
		l := s.StartSCIMLog(models.SCIMLogOptions{Delay: time.Hour})
		l.Add(first)
		if err := l.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i := range 40 { // two chunks of 16 and 8 rows more
			e := logEntry(s, i+1)
			if i == 5 {
				e.ID = first.ID // written already: the database refuses it
			}
			l.Add(e)
		}
		l.Close()
		if n := logRows(t, s); n != 40 || l.Written() != 40 || l.Dropped() != 1 {
			t.Errorf("%d rows, %d written, %d dropped; want 40 rows, 40 written (1 + 39), 1 dropped", n, l.Written(), l.Dropped())
		}
	})
}

// TestSCIMLogWriterSharesTheWriter: on SQLite, a batch of the log written
// while other operations queue for the writer goes a share at a time, each
// in a group of its own, so no group holds every writer behind the whole
// batch; written alone it is one INSERT (one COMMIT). Every entry is
// written either way.
func TestSCIMLogWriterSharesTheWriter(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	ctx := context.Background()
	const n = 1000 // four shares of 256
	l := s.StartSCIMLog(models.SCIMLogOptions{Delay: time.Hour})
	defer l.Close()

	for i := range n {
		l.Add(logEntry(s, i))
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := models.SCIMLogInserts(l); got != 1 {
		t.Errorf("alone: %d INSERTs, want 1", got)
	}

	// Four writers beside the log's, each writing again as soon as its
	// group commits, until the batch is written.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := models.WriteNothing(ctx, s); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for models.Writers(s) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the other writers never queued")
		}
		time.Sleep(time.Millisecond)
	}
	for i := range n {
		l.Add(logEntry(s, n+i))
	}
	err := l.Flush(ctx)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := models.SCIMLogInserts(l) - 1; got < 4 {
		t.Errorf("beside other writers: %d INSERTs for %d entries, want at least 4 (shares of 256)", got, n)
	}
	if rows := logRows(t, s); rows != 2*n || l.Written() != 2*n || l.Dropped() != 0 {
		t.Errorf("%d rows, %d written, %d dropped; want %d written", rows, l.Written(), l.Dropped(), 2*n)
	}
}
