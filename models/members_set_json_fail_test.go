package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSetJSONFailsWhole: a set INSERT whose last row breaks a unique index
// fails with SQLite's own message (what isUniqueViolation, hence the 409,
// reads) and writes none of its rows, through the JSON statement as
// through the text.
func TestSetJSONFailsWhole(t *testing.T) {
	ctx := context.Background()
	s := modelstest.Open(t, "sqlite")
	_, ws := modelstest.SetUp(t, s)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, viaJSON := range []bool{false, true} {
		var rows []models.Member
		for _, id := range []string{"dup-a", "dup-b", "dup-c"} {
			rows = append(rows, models.Member{ID: id, WorkspaceID: ws.ID, UserName: id, Email: id + "@example.com", Status: models.StatusInvited, CreatedAt: at, UpdatedAt: at})
		}
		rows[2].UserName = "DUP-A" // lower(user_name) is unique in a workspace
		err := models.InsertSetVia(ctx, s, &rows, viaJSON)
		if err == nil || !strings.Contains(err.Error(), "UNIQUE constraint failed") {
			t.Errorf("json %v: %v, want a unique violation", viaJSON, err)
		}
		if got := quotedRows(t, s, "members", " WHERE id LIKE 'dup-%'", "id"); len(got) != 0 {
			t.Errorf("json %v: %d rows written", viaJSON, len(got))
		}
	}
}
