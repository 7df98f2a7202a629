package models

import (
	"runtime"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// TestSetQueryCapped: setQuery sizes its buffer from the first row, so a
// first row far longer than the rest (an identity provider's 64 KB of
// attributes) must not have a thousand-row statement allocate for a
// thousand such rows (some 74 MB) when the whole text is well under 1 MB.
func TestSetQueryCapped(t *testing.T) {
	db := bun.NewDB(nil, sqlitedialect.New())
	rows := make([]Member, 1000)
	for i := range rows {
		rows[i] = Member{ID: "m" + strings.Repeat("0", 8), WorkspaceID: "w", DisplayName: "Ada", Email: "ada@example.com"}
	}
	rows[0].SCIMAttributes = strings.Repeat("x", 64<<10)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	query, err := setQuery(db, &rows)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(query, "ada@example.com") {
		t.Fatalf("query %.200q…", query)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 3*setQueryCap {
		t.Errorf("setQuery allocated %d MB for a %d kB statement", got>>20, len(query)>>10)
	}
}
