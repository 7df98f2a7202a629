package models_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// bulkLogEntries are n entries as a /Bulk batch logs them: operations
// under parent, every fourth a failure with its detail and bodies, and
// every fifth without a parent (as a request's own entry). Each column's
// value differs from row to row.
func bulkLogEntries(s *models.Store, parent string, n int) []models.SCIMLogEntry {
	es := make([]models.SCIMLogEntry, n)
	for i := range es {
		k := strconv.Itoa(i)
		e := s.NewSCIMLogEntry()
		e.WorkspaceID, e.TokenID, e.TokenName, e.Method, e.Path = "ws", "tok", "Okta "+k, "POST", "/Users/"+k
		e.Status, e.DurationUS, e.TargetKind, e.TargetID, e.TargetName = 201, int64(100+i), "member", "m"+k, "User "+k
		if i%5 != 4 {
			e.ParentID = &parent
		}
		if i%4 == 3 {
			e.Status, e.Detail, e.Request, e.Response = 400, "refused "+k, `{"userName":"`+k+`"}`, `{"status":"400"}`
		}
		es[i] = e
	}
	return es
}

// sameLogEntries fails t unless the workspace's log holds exactly want.
func sameLogEntries(t *testing.T, s *models.Store, want []models.SCIMLogEntry) {
	t.Helper()
	if n := logRows(t, s); n != len(want) {
		t.Errorf("%d rows, want %d", n, len(want))
	}
	for _, w := range want {
		got, err := s.SCIMLogEntryByID(context.Background(), w.WorkspaceID, w.ID)
		if err != nil {
			t.Fatalf("entry %s: %v", w.Path, err)
		}
		if !got.At.Equal(w.At) {
			t.Errorf("entry %s at %v, want %v", w.Path, got.At, w.At)
		}
		got.At = w.At
		if !reflect.DeepEqual(*got, w) {
			t.Errorf("entry stored as\n%+v\nwant\n%+v", *got, w)
		}
	}
}

// writeInBatch logs each of lists with l.WriteInBatch inside one batch
// transaction (Store.InBatch), as /Bulk does.
func writeInBatch(t *testing.T, s *models.Store, l *models.SCIMLog, lists ...[]models.SCIMLogEntry) {
	t.Helper()
	if err := s.InBatch(context.Background(), func(ctx context.Context) error {
		for _, entries := range lists {
			l.WriteInBatch(ctx, entries)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestSCIMLogWriteInBatch: a /Bulk batch's entries are written inside its
// transaction (counted written before any flush of the background writer,
// whose Delay is an hour here), every one, with every column as given.
func TestSCIMLogWriteInBatch(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		l := s.StartSCIMLog(models.SCIMLogOptions{Delay: time.Hour})
		defer l.Close()
		entries := bulkLogEntries(s, "bulk-request", 250)
		want := append([]models.SCIMLogEntry(nil), entries...)
		writeInBatch(t, s, l, entries)
		if l.Written() != 250 || l.Dropped() != 0 {
			t.Fatalf("%d written, %d dropped in the batch; want 250, 0", l.Written(), l.Dropped())
		}
		sameLogEntries(t, s, want)
	})
}

// TestSCIMLogWriteInBatchFallsBack: entries the batch cannot write (one
// of them refused: an id written already) undo only their savepoint; the
// batch's other writes stay, and the background writer writes the
// others, counting the refused one as dropped.
func TestSCIMLogWriteInBatchFallsBack(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		l := s.StartSCIMLog(models.SCIMLogOptions{Delay: time.Hour})
		defer l.Close()
		kept := bulkLogEntries(s, "bulk-request", 40)
		refused := bulkLogEntries(s, "bulk-request", 70)
		refused[10].ID = kept[0].ID
		writeInBatch(t, s, l, kept, refused)
		if l.Written() != 40 {
			t.Fatalf("%d written in the batch, want 40", l.Written())
		}
		if err := l.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if l.Written() != 40+69 || l.Dropped() != 1 {
			t.Errorf("%d written, %d dropped; want 109, 1", l.Written(), l.Dropped())
		}
		sameLogEntries(t, s, append(kept, append(refused[:10:10], refused[11:]...)...))
	})
}
