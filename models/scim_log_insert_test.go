package models_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMLogInsertMatchesBun: the log writer's own INSERTs on SQLite
// (fields bound directly, not through Bun; many rows a statement, and one;
// light entries without their parent, detail and body columns, the rest
// with every column) store every column exactly as Bun's INSERT does:
// same types, same text, NULL for no parent, empty text for no detail or body.
func TestSCIMLogInsertMatchesBun(t *testing.T) {
	ctx := context.Background()
	store := modelstest.Open(t, "sqlite")
	parent := "parent-entry"
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.FixedZone("X", 3600))
	// 100 light entries and 10 each of five kinds that are not (each
	// heavy column alone, and all of them), mixed: light and full chunks
	// and rows left over of both. Every column's value differs from
	// every other's, and from row to row where it can, so a value bound
	// to the wrong column shows.
	entries := func(prefix string) []models.SCIMLogEntry {
		var es []models.SCIMLogEntry
		for i := 1; i <= 150; i++ {
			n := strconv.Itoa(i)
			e := models.SCIMLogEntry{ID: prefix + n, WorkspaceID: "ws", TokenID: "tok", TokenName: "Okta é " + n,
				At: at.Add(time.Duration(i) * time.Millisecond), Method: "GET", Path: "/Users?filter=userName+eq+%22a" + n + "%22",
				Status: 200 + i, DurationUS: int64(1000 + i), TargetKind: "member", TargetID: "m" + n, TargetName: "Grace Hopper " + n}
			if i%3 == 0 {
				switch i / 3 % 5 {
				case 0:
					e.ParentID = &parent
				case 1:
					e.Detail = "taken " + n
				case 2:
					e.Request = `{"a":` + n + `}`
				case 3:
					e.Response = `{"b":` + n + `}`
				case 4:
					e.ParentID, e.Detail, e.Request, e.Response, e.Method = &parent, "taken", `{"a":1}`, "{}", "POST"
				}
			}
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
	stored := func(id string) string { return storedSCIMLogRow(t, store, id) }
	for i := 1; i <= 150; i++ {
		n := strconv.Itoa(i)
		if fast, viaBun := stored("fast-"+n), stored("bun-"+n); fast != viaBun {
			t.Errorf("entry %s stored\n%s\nwant (as Bun stores it)\n%s", n, fast, viaBun)
		}
	}
	for id, want := range map[string]string{"fast-15": parent, "fast-1": ""} {
		got, err := store.SCIMLogEntryByID(ctx, "ws", id)
		if err != nil || (got.ParentID == nil) != (want == "") || (got.ParentID != nil && *got.ParentID != want) ||
			got.TargetName != "Grace Hopper "+id[5:] || !got.At.Equal(at.Add(time.Duration(got.Status-200)*time.Millisecond)) {
			t.Errorf("read back %s: %+v, %v", id, got, err)
		}
	}
}

// TestSCIMLogInsertMatchesBunPostgres: on PostgreSQL the log writer's
// INSERT of one array a column stores every column exactly as Bun's
// literal INSERT does: NULL and a parent, empty text and the text NULL,
// quotes, backslashes, braces and commas (an array literal's own
// characters), unicode and control characters, long text, times to the
// microsecond in another zone, in one batch of many rows and in one of one.
func TestSCIMLogInsertMatchesBunPostgres(t *testing.T) {
	ctx := context.Background()
	store := modelstest.Open(t, "postgres")
	parent := "parent-entry"
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.FixedZone("X", 3600))
	var odd []string
	for _, v := range setOdd {
		if utf8.ValidString(v) { // the writer makes text valid first (sanitize), as PostgreSQL requires
			odd = append(odd, v)
		}
	}
	odd = append(odd, "{a,b}", `{"x", NULL}`, "NULL", "a,b", `"`, `\`, "}", "{")
	entries := func(prefix string) []models.SCIMLogEntry {
		var es []models.SCIMLogEntry
		for i, v := range odd {
			n := strconv.Itoa(i)
			e := models.SCIMLogEntry{ID: prefix + n, WorkspaceID: "ws", TokenID: "tok", TokenName: "Okta é " + n,
				At: at.Add(time.Duration(i) * time.Microsecond), Method: "PATCH", Path: "/Users/" + n + "?a=\"b\"",
				Status: 200 + i, DurationUS: int64(1000 + i), TargetKind: "member", TargetID: "m" + n, TargetName: "{" + n + "}",
				Detail: v, Request: v, Response: v}
			if i%2 == 0 {
				e.ParentID = &parent
			}
			es = append(es, e)
		}
		return es
	}
	for _, batch := range [][2]string{{"arrays-", "bun-"}, {"one-arrays-", "one-bun-"}} {
		es, viaBun := entries(batch[0]), entries(batch[1])
		if batch[0] == "one-arrays-" {
			es, viaBun = es[:1], viaBun[:1]
		}
		if err := models.InsertSCIMLogRows(ctx, store, es, false); err != nil {
			t.Fatal(err)
		}
		if err := models.InsertSCIMLogRows(ctx, store, viaBun, true); err != nil {
			t.Fatal(err)
		}
	}
	stored := func(id string) string { return storedSCIMLogRow(t, store, id) }
	for i := range odd {
		n := strconv.Itoa(i)
		if arrays, viaBun := stored("arrays-"+n), stored("bun-"+n); arrays != viaBun {
			t.Errorf("entry %s stored\n%s\nwant (as Bun stores it)\n%s", n, arrays, viaBun)
		}
	}
	if arrays, viaBun := stored("one-arrays-0"), stored("one-bun-0"); arrays != viaBun {
		t.Errorf("a batch of one stored\n%s\nwant\n%s", arrays, viaBun)
	}
}

// storedSCIMLogRow is the log entry id as stored, each column but the id
// with its type and quoted value (NULL apart from empty text).
func storedSCIMLogRow(t *testing.T, store *models.Store, id string) string {
	t.Helper()
	typed := "typeof(%s) || ':' || quote(%[1]s)"
	if store.IsPostgres() {
		typed = "pg_typeof(%s)::text || ':' || quote_nullable(%[1]s)"
	}
	var quoted []string
	for _, c := range []string{"workspace_id", "parent_id", "token_id", "token_name", "at", "method", "path", "status", "duration_us",
		"target_kind", "target_id", "target_name", "detail", "request", "response"} {
		quoted = append(quoted, fmt.Sprintf(typed, c))
	}
	var row string
	q := "SELECT " + strings.Join(quoted, " || '|' || ") + " FROM scim_log WHERE id = ?"
	if err := store.DB().NewRaw(q, id).Scan(context.Background(), &row); err != nil {
		t.Fatalf("entry %s: %v", id, err)
	}
	return row
}

// TestSCIMLogChunkInsertNeedsNoStatementJournal: the log writer's many-row
// INSERT on SQLite has no constraint that aborts the statement half way
// (OR IGNORE), so SQLite opens no statement journal for it. With one, each
// chunk of rows copied every page it changed into the journal's 1 KiB
// chunks and freed them at its end: about a quarter of the writer's CPU
// (BenchmarkSCIMLogWrite 35 to 27 cpu-us/entry). Entries' ids are new
// ones, so the only conflict there could be is an entry written twice.
func TestSCIMLogChunkInsertNeedsNoStatementJournal(t *testing.T) {
	store := modelstest.Open(t, "sqlite")
	for _, light := range []bool{false, true} {
		explainNoAbort(t, store, models.SCIMLogChunkInsert(store, light))
	}
}

func explainNoAbort(t *testing.T, store *models.Store, insert string) {
	ctx := context.Background()
	q := "EXPLAIN " + insert
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
			t.Errorf("%.60s…: instruction %d: %s %d %d aborts the statement on a constraint", insert, addr, op, p1, p2)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
