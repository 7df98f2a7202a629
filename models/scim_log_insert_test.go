package models_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMLogInsertMatchesBun: the log writer's own INSERTs on SQLite
// (fields bound directly, not through Bun; many rows a statement, and one)
// store every column exactly as
// Bun's INSERT does: same types, same text, NULL for no parent.
func TestSCIMLogInsertMatchesBun(t *testing.T) {
	ctx := context.Background()
	store := modelstest.Open(t, "sqlite")
	parent := "parent-entry"
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.FixedZone("X", 3600))
	// 2 odd entries and 33 more: a chunk of 32 goes as one INSERT, the
	// rest one a row.
	entries := func(prefix string) []models.SCIMLogEntry {
		es := []models.SCIMLogEntry{
			{ID: prefix + "1", WorkspaceID: "ws", TokenID: "tok", TokenName: "Okta é", At: at, Method: "GET",
				Path: "/Users?filter=userName+eq+%22a%22", Status: 200, DurationUS: 1234,
				TargetKind: "member", TargetID: "m1", TargetName: "Grace Hopper"},
			{ID: prefix + "2", WorkspaceID: "ws", ParentID: &parent, TokenID: "tok", TokenName: "Okta", At: at.Add(time.Second),
				Method: "POST", Path: "/Users", Status: 409, DurationUS: 99, Detail: "taken", Request: `{"a":1}`, Response: "{}"},
		}
		for i := 3; i <= 35; i++ {
			e := es[i%2]
			e.ID, e.At, e.Status, e.TargetID = prefix+strconv.Itoa(i), at.Add(time.Duration(i)*time.Millisecond), 200+i, "m"+strconv.Itoa(i)
			es = append(es, e)
		}
		return es
	}
	if err := models.InsertSCIMLogRows(ctx, store, entries("fast-"), false); err != nil {
		t.Fatal(err)
	}
	if err := models.InsertSCIMLogRows(ctx, store, entries("bun-"), true); err != nil {
		t.Fatal(err)
	}
	cols := []string{"workspace_id", "parent_id", "token_id", "token_name", "at", "method", "path", "status", "duration_us",
		"target_kind", "target_id", "target_name", "detail", "request", "response"}
	var quoted []string
	for _, c := range cols {
		quoted = append(quoted, "typeof("+c+") || ':' || quote("+c+")")
	}
	stored := func(id string) string {
		var row string
		if err := store.DB().NewRaw("SELECT "+strings.Join(quoted, " || '|' || ")+" FROM scim_log WHERE id = ?", id).Scan(ctx, &row); err != nil {
			t.Fatal(err)
		}
		return row
	}
	for i := 1; i <= 35; i++ {
		n := strconv.Itoa(i)
		if fast, viaBun := stored("fast-"+n), stored("bun-"+n); fast != viaBun {
			t.Errorf("entry %s stored\n%s\nwant (as Bun stores it)\n%s", n, fast, viaBun)
		}
	}
	got, err := store.SCIMLogEntryByID(ctx, "ws", "fast-2")
	if err != nil || got.ParentID == nil || *got.ParentID != parent || !got.At.Equal(at.Add(time.Second)) || got.Status != 409 {
		t.Errorf("read back: %+v, %v", got, err)
	}
}

// TestSCIMLogChunkInsertNeedsNoStatementJournal: the log writer's many-row
// INSERT on SQLite has no constraint that aborts the statement half way
// (OR IGNORE), so SQLite opens no statement journal for it. With one, each
// chunk of 32 rows copied every page it changed into the journal's 1 KiB
// chunks and freed them at its end: about a quarter of the writer's CPU
// (BenchmarkSCIMLogWrite 35 to 27 cpu-us/entry). Entries' ids are new
// ones, so the only conflict there could be is an entry written twice.
func TestSCIMLogChunkInsertNeedsNoStatementJournal(t *testing.T) {
	ctx := context.Background()
	store := modelstest.Open(t, "sqlite")
	q := "EXPLAIN " + models.SCIMLogChunkInsert(store)
	rows, err := store.DB().DB.QueryContext(ctx, q, make([]any, strings.Count(q, "?"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var addr, p1, p2, p3 int
		var opcode, p4, p5, comment any
		if err := rows.Scan(&addr, &opcode, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
			t.Fatal(err)
		}
		// OE_Abort (2) as a Halt's P2: a constraint that would abort the
		// statement, for which SQLite keeps a statement journal.
		if op := fmt.Sprint(opcode); (op == "Halt" || op == "HaltIfNull") && p2 == 2 {
			t.Errorf("instruction %d: %s %d %d aborts the statement on a constraint", addr, op, p1, p2)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
