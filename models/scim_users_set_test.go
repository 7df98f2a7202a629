package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func setUsers(n int, prefix string) []models.SCIMUser {
	users := make([]models.SCIMUser, n)
	for i := range users {
		name := fmt.Sprintf("%s%d@example.com", prefix, i)
		users[i] = models.SCIMUser{UserName: name, Email: name, GivenName: "Set", FamilyName: fmt.Sprint(i), Active: true}
	}
	return users
}

func countWhere(t *testing.T, s *models.Store, table, wsID, where string) int {
	t.Helper()
	n, err := s.DB().NewSelect().Table(table).Where("workspace_id = ?", wsID).Where(where).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestCreateSCIMUsersSet: a chunk is checked in Go, each user against the
// workspace and the users before it, without falling back to one at a time;
// what it writes is what CreateSCIMUser writes for each.
func TestCreateSCIMUsersSet(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		users := setUsers(6, "c")
		users[3].UserName = "C1@EXAMPLE.COM" // op 1's userName, as the database folds it
		users[3].Email = "other3@example.com"
		users[4].Email = "ada@example.com" // Ada's
		users[5].Active = false            // starts deactivated, no invitation
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 6 || models.SetRetries() != retries {
			t.Fatalf("%d results, %d retries", len(out), models.SetRetries()-retries)
		}
		var cerr *models.ConflictError
		for i, r := range out {
			switch i {
			case 3, 4:
				if !errors.As(r.Err, &cerr) || cerr.Code != models.ConflictUniqueness || cerr.MemberID == "" {
					t.Errorf("user %d: want a uniqueness conflict naming the holder, got %v", i, r.Err)
				}
			default:
				if r.Err != nil || r.Member == nil {
					t.Errorf("user %d: %v", i, r.Err)
				}
			}
		}
		if errors.As(out[3].Err, &cerr) && cerr.MemberID != out[1].Member.ID {
			t.Errorf("user 3's conflict names %s, want user 1 %s", cerr.MemberID, out[1].Member.ID)
		}
		if out[5].Member.Status != models.StatusDeactivated {
			t.Errorf("inactive user: %s", out[5].Member.Status)
		}
		for table, where := range map[string]string{"members": "user_name LIKE 'c%'", "invites": "member_id IN (SELECT id FROM members WHERE user_name LIKE 'c%')",
			"outbox": "kind = 'invite' AND to_addr LIKE 'c%'"} {
			want := map[string]int{"members": 4, "invites": 3, "outbox": 3}[table] // three invited, one deactivated
			if n := countWhere(t, s, table, ws.ID, where); n != want {
				t.Errorf("%s: %d rows, want %d", table, n, want)
			}
		}
		if n := countWhere(t, s, "audit_events", ws.ID, "action = 'member.provisioned'"); n != 4 {
			t.Errorf("%d member.provisioned events, want 4", n)
		}
		counts, err := s.StatusCounts(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[models.StatusInvited] != 3 || counts[models.StatusDeactivated] != 1 || counts[models.StatusActive] != 1 {
			t.Errorf("member_counts: %v", counts)
		}
		m, err := s.SCIMUserByID(ctx, ws.ID, out[0].Member.ID)
		if err != nil || len(m.Roles) != 1 || m.Roles[0].Name != "Member" || !m.SCIMManaged {
			t.Errorf("user 0 as read back: %+v, %v", m, err)
		}
	})
}

// raceSetInsert writes a member holding userName (as its address too)
// between CreateSCIMUsers' checks and its INSERTs, as a concurrent writer
// would, until the returned function is called.
func raceSetInsert(wsID, id, userName string) (restore func()) {
	return models.BeforeSetInsert(func(ctx context.Context, tx bun.Tx) error {
		now := modelstest.Epoch
		_, err := tx.NewInsert().Model(&models.Member{ID: id, WorkspaceID: wsID, UserName: userName, Email: userName,
			DisplayName: "Racer", Status: models.StatusActive, Version: 1, CreatedAt: now, UpdatedAt: now}).Exec(ctx)
		return err
	})
}

// TestCreateSCIMUsersFallsBack: when the database refuses the chunk (here
// a row written between the checks and the INSERTs, as a concurrent writer
// would), the chunk is undone and each user runs on its own.
func TestCreateSCIMUsersFallsBack(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		defer raceSetInsert(ws.ID, "01937a00-0000-7000-8000-000000000001", "f1@example.com")()
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, setUsers(3, "f"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if models.SetRetries() != retries+1 {
			t.Errorf("retries: %d", models.SetRetries()-retries)
		}
		for i, r := range out {
			if r.Err != nil {
				t.Errorf("user %d: %v", i, r.Err)
			}
		}
		if n := countWhere(t, s, "members", ws.ID, "user_name LIKE 'f%'"); n != 3 || len(out) != 3 {
			t.Errorf("%d members, %d results: the undone chunk left rows, or the retry missed some", n, len(out))
		}
		if n := countWhere(t, s, "audit_events", ws.ID, "action = 'member.provisioned'"); n != 3 {
			t.Errorf("%d events, want 3", n)
		}
	})
}

// TestPreparedUsersRetriedAlone: a prepared chunk (/Bulk's) that the
// database refuses is retried one user at a time from the prepared users,
// which are not cleaned again: a display name cut from a long userName at
// a space keeps it, as the set-based and single creates store it.
func TestPreparedUsersRetriedAlone(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		other, err := s.CreateWorkspace(ctx, acc, "Other")
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("a", 199) + " b"
		single, err := s.CreateSCIMUser(ctx, models.SystemActor, other, models.SCIMUser{UserName: long, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		defer raceSetInsert(ws.ID, "01937a00-0000-7000-8000-000000000002", "r1@example.com")()
		users := setUsers(2, "r")
		users[0] = models.SCIMUser{UserName: long, Active: true}
		for i := range users {
			users[i].Prepare()
		}
		retries := models.SetRetries()
		out, err := s.CreateSCIMUsers(ctx, models.SystemActor, ws, users, 0)
		if err != nil {
			t.Fatal(err)
		}
		if models.SetRetries() != retries+1 {
			t.Fatalf("retries: %d, want the chunk retried", models.SetRetries()-retries)
		}
		if out[0].Err != nil || out[0].Member.DisplayName != single.DisplayName {
			t.Errorf("retried user: %v, display name %q, want %q as a single create stores it", out[0].Err, out[0].Member.DisplayName, single.DisplayName)
		}
	})
}
