package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestCreateSCIMUsersSetWritesAsOneByOne: a chunk of users created
// set-based (/Bulk) is stored exactly as CreateSCIMUser stores each: the
// member's folded sort name and search text (ASCII folded by the shortcut,
// other text by Unicode folding), its stored attributes (marshalled once),
// and its member.provisioned event's changes (appended, not marshalled),
// with names that JSON escapes, HTML characters, line breaks in an
// attribute, non-ASCII text and several or unknown roles.
func TestCreateSCIMUsersSetWritesAsOneByOne(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, bulkWS := modelstest.SetUp(t, s)
		oneWS, err := s.CreateWorkspace(ctx, acc, "One by one")
		if err != nil {
			t.Fatal(err)
		}
		ext := "ext-<1>"
		users := []models.SCIMUser{
			{UserName: "Plain.User@Example.COM", Email: "plain.user@example.com", GivenName: "Plain", FamilyName: "USER", Active: true},
			{UserName: "zoë.ünal@example.com", Email: "zoe@example.com", GivenName: "ZOË", FamilyName: "Ünal", Location: "İstanbul", Active: true},
			{UserName: `q"uote\back@example.com`, DisplayName: `Ann <b>&amp; "Co"`, Email: "ann@example.com", Active: true,
				Roles: []string{"Viewer <x>", "Member", "Ünknown & Co"}, ExternalID: &ext},
			{UserName: "KELVIN\u212a@example.com", Email: "kelvin@example.com", Active: false, Roles: []string{}},
		}
		withAttrs := func(u models.SCIMUser) models.SCIMUser {
			u.Attributes = map[string]any{"displayName": u.DisplayName, "title": "Head of <Ops> & Co",
				"addresses": []any{map[string]any{"formatted": "1 Main St\nSpringfield", "type": "work"}},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "R&D", "costCenter": json.Number("4200")}}
			return u
		}
		chunk := make([]models.SCIMUser, len(users))
		for i, u := range users {
			chunk[i] = withAttrs(u)
		}
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, bulkWS, chunk, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The same chunk prepared ahead, as /Bulk does while the chunk
		// before is written: cleaned once, stored the same.
		preparedWS, err := s.CreateWorkspace(ctx, acc, "Prepared")
		if err != nil {
			t.Fatal(err)
		}
		prepared := make([]models.SCIMUser, len(users))
		for i, u := range users {
			prepared[i] = withAttrs(u)
			prepared[i].Prepare()
		}
		preparedOut, err := s.CreateSCIMUsers(ctx, models.SystemActor, preparedWS, prepared, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range users {
			if out[i].Err != nil || preparedOut[i].Err != nil {
				t.Fatalf("set user %d: %v; prepared: %v", i, out[i].Err, preparedOut[i].Err)
			}
			if _, err := s.CreateSCIMUser(ctx, models.SystemActor, oneWS, withAttrs(u)); err != nil {
				t.Fatalf("user %d one by one: %v", i, err)
			}
		}
		type row struct {
			UserName       string `bun:"user_name"`
			DisplayName    string `bun:"display_name"`
			SortName       string `bun:"sort_name"`
			SearchText     string `bun:"search_text"`
			SCIMAttributes string `bun:"scim_attributes"`
			Status         string `bun:"status"`
			Changes        string `bun:"changes"`
		}
		read := func(wsID string) []row {
			var rows []row
			err := s.DB().NewSelect().TableExpr("members AS m").
				ColumnExpr("m.user_name, m.display_name, m.sort_name, m.search_text, m.scim_attributes, m.status, e.changes").
				Join("JOIN audit_events AS e ON e.target_id = m.id AND e.action = 'member.provisioned'").
				Where("m.workspace_id = ?", wsID).OrderExpr("m.user_name").Scan(ctx, &rows)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		got, want := read(bulkWS.ID), read(oneWS.ID)
		if len(got) != len(users) || !reflect.DeepEqual(got, want) {
			t.Errorf("set-based rows differ from one by one:\n got %+v\nwant %+v", got, want)
		}
		if got := read(preparedWS.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("prepared rows differ from one by one:\n got %+v\nwant %+v", got, want)
		}
	})
}

// TestPreparedUsersKeepTheirErrors: a user prepared ahead (Prepare) that
// fails its checks gets the error a create checking it then would give,
// and the users beside it are created.
func TestPreparedUsersKeepTheirErrors(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		users := setUsers(3, "prep")
		users[1].Email = "not an address"
		users[2].UserName = "  "
		want := make([]string, len(users)) // the errors of users not prepared
		for i := 1; i < len(users); i++ {
			out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, []models.SCIMUser{users[i]}, 0) // a copy: users[i] stays as sent
			if err != nil || out[0].Err == nil {
				t.Fatalf("user %d not prepared: %v, %v", i, err, out[0].Err)
			}
			want[i] = out[0].Err.Error()
		}
		for i := range users {
			users[i].Prepare()
		}
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Err != nil || out[0].Member == nil {
			t.Errorf("valid prepared user: %v", out[0].Err)
		}
		var verr *models.ValidationError
		for i := 1; i < len(users); i++ {
			if !errors.As(out[i].Err, &verr) || out[i].Err.Error() != want[i] {
				t.Errorf("prepared user %d: %v, want the validation error %s", i, out[i].Err, want[i])
			}
		}
	})
}
