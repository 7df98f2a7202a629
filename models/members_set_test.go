package models_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSetInsertKeepsText: the multi-row INSERT's text is written by Bun and
// executed without arguments, so nothing in it is read as a placeholder:
// values holding '?' (also as Bun's '?0', '?TableName' and escaped '\?'),
// quotes and any script come back exactly as given.
func TestSetInsertKeepsText(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		odd := []string{"q?mark@example.com", "it's?@example.com", "?0@example.com", "a?TableName@example.com", `back\?slash@example.com`,
			"zoë?élan@example.com", "名前?@example.com", `quote"?'?@example.com`}
		users := make([]models.SCIMUser, len(odd))
		for i, name := range odd {
			users[i] = models.SCIMUser{UserName: name, GivenName: "Gi?ven'" + name, FamilyName: "Fam?" + name, Active: true}
		}
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := models.SetRetries() - retries; n != 0 { // the one-at-a-time path would hide a broken INSERT
			t.Errorf("the chunk was run again one user at a time (%d)", n)
		}
		for i, r := range out {
			if r.Err != nil {
				t.Fatalf("user %d (%q): %v", i, odd[i], r.Err)
			}
			var m models.Member
			if err := s.DB().NewSelect().Model(&m).Where("id = ?", r.Member.ID).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if m.UserName != odd[i] || m.GivenName != "Gi?ven'"+odd[i] || m.FamilyName != "Fam?"+odd[i] || m.DisplayName != r.Member.DisplayName {
				t.Errorf("stored %q %q %q %q, want %q and its names", m.UserName, m.GivenName, m.FamilyName, m.DisplayName, odd[i])
			}
			var changes string
			if err := s.DB().NewSelect().Table("audit_events").Column("changes").Where("target_id = ? AND action = 'member.provisioned'", m.ID).Scan(ctx, &changes); err != nil {
				t.Fatal(err)
			}
			var got map[string][2]any
			if err := json.Unmarshal([]byte(changes), &got); err != nil || got["userName"][1] != odd[i] {
				t.Errorf("audit changes %s (%v): want userName %q", changes, err, odd[i])
			}
		}
	})
}
