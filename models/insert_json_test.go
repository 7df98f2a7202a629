package models_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestInsertSetStoresAsBun: a member written by the set writers (on SQLite
// through one JSON argument, insertSetJSON) is stored exactly as Bun's own
// INSERT stores it: every column's value and, on SQLite, its type; quotes,
// backslashes, control characters, non-ASCII text and invalid UTF-8
// included (Bun writes each byte of invalid UTF-8 as U+FFFD). A value with
// a NUL, which Bun refuses, goes Bun's way.
func TestInsertSetStoresAsBun(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws1 := modelstest.SetUp(t, s)
		ws2, err := s.CreateWorkspace(ctx, acc, "Other")
		if err != nil {
			t.Fatal(err)
		}
		odd := "O'Brien \"Q\" \\ back\nslash\ttab\x01\x1f é 日本 🚀"
		if !s.IsPostgres() {
			odd += " \xff\xfe" // PostgreSQL refuses invalid UTF-8 itself
		}
		seen := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.FixedZone("x", 3600))
		member := func(wsID, id string) *models.Member {
			ext := "ext'" + odd
			return &models.Member{ID: id, WorkspaceID: wsID, Email: "q@example.com", UserName: "Q'" + odd, DisplayName: odd,
				GivenName: odd, FamilyName: "", Location: "Cork", Status: models.StatusInvited, ExternalID: &ext, SCIMManaged: true,
				Title: `{"a":[1,"\u0000"]}`, SCIMAttributes: `{"x":"y\"z"}`, SortName: "obrien", SearchText: strings.ToLower(odd),
				Version: 7, LastSeenAt: &seen, CreatedAt: seen.Add(-time.Hour), UpdatedAt: seen}
		}
		viaSet, viaBun := member(ws1.ID, "s"+ws1.ID[1:]), member(ws2.ID, "b"+ws2.ID[1:])
		var prepared []string
		s.PreparedHook = func(q string) { prepared = append(prepared, q) }
		if err := models.InsertSet(ctx, s, &[]*models.Member{viaSet}); err != nil {
			t.Fatal(err)
		}
		s.PreparedHook = nil
		if !s.IsPostgres() && (len(prepared) != 1 || !strings.Contains(prepared[0], "json_each")) {
			t.Errorf("the set INSERT did not run through json_each: %q", prepared)
		}
		if _, err := s.DB().NewInsert().Model(viaBun).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		row := func(id string) map[string]any {
			cols := "*"
			if !s.IsPostgres() {
				cols = "*, typeof(created_at) AS t_created, typeof(last_seen_at) AS t_seen, typeof(version) AS t_version, " +
					"typeof(scim_managed) AS t_managed, typeof(account_id) AS t_account, typeof(display_name) AS t_name"
			}
			var out []map[string]any
			if err := s.DB().NewRaw("SELECT "+cols+" FROM members WHERE id = ?", id).Scan(ctx, &out); err != nil || len(out) != 1 {
				t.Fatalf("%s: %v %v", id, out, err)
			}
			delete(out[0], "id")
			delete(out[0], "workspace_id")
			return out[0]
		}
		a, b := row(viaSet.ID), row(viaBun.ID)
		if !reflect.DeepEqual(a, b) {
			for k := range b {
				if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
					t.Errorf("%s: set %q, Bun %q", k, a[k], b[k])
				}
			}
		}
		if want := strings.ToValidUTF8(odd, "\uFFFD\uFFFD"); fmt.Sprint(a["display_name"]) != want {
			t.Errorf("display_name %q, want %q", a["display_name"], want)
		}
		if !s.IsPostgres() { // a NUL: Bun's statement, which refuses it
			nul := member(ws1.ID, "n"+ws1.ID[1:])
			nul.Email, nul.UserName, nul.ExternalID, nul.Title = "nul@example.com", "nul", nil, "a\x00b"
			prepared = nil
			s.PreparedHook = func(q string) { prepared = append(prepared, q) }
			err := models.InsertSet(ctx, s, &[]*models.Member{nul})
			s.PreparedHook = nil
			if len(prepared) != 0 || err == nil {
				t.Errorf("a NUL went through json_each (%q) or was stored (%v)", prepared, err)
			}
		}
	})
}
