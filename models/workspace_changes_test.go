package models_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestChangeTokenFollowsWrites: the workspace_changes triggers move a
// workspace's token on every write to its members, member_roles and roles
// (raw writes too, as any future operation might make them), not on a
// last-seen update, and never another workspace's token.
func TestChangeTokenFollowsWrites(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		other, err := s.CreateWorkspace(ctx, acc, "Other")
		if err != nil {
			t.Fatal(err)
		}
		token := func(wsID string) int64 {
			t.Helper()
			tok, err := s.ChangeToken(ctx, wsID)
			if err != nil {
				t.Fatal(err)
			}
			n, err := strconv.ParseInt(tok, 10, 64)
			if err != nil {
				t.Fatalf("token %q: %v", tok, err)
			}
			return n
		}
		if token(ws.ID) == 0 || token(other.ID) == 0 {
			t.Errorf("a new workspace's token did not move with its first members and roles: %d, %d", token(ws.ID), token(other.ID))
		}
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := s.DB().ExecContext(ctx, query, args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		otherBefore := token(other.ID)
		// moves runs a write and returns by how much it moved the token.
		moves := func(what string, write func()) int64 {
			t.Helper()
			before := token(ws.ID)
			write()
			d := token(ws.ID) - before
			if d <= 0 {
				t.Errorf("%s: the token moved by %d", what, d)
			}
			return d
		}

		roles, err := s.Roles(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		var adminRole, memberRole string
		for _, r := range roles {
			if r.Builtin == "admin" {
				adminRole = r.ID
			} else {
				memberRole = r.ID
			}
		}
		var grace *models.Member
		moves("an invitation", func() {
			if grace, _, err = s.Invite(ctx, models.SystemActor, ws, models.InviteInput{Name: "Grace Hopper", Email: "grace@example.com", RoleID: memberRole}); err != nil {
				t.Fatal(err)
			}
		})
		before := token(ws.ID)
		exec(`UPDATE members SET last_seen_at = ? WHERE id = ?`, s.Now(), grace.ID)
		if token(ws.ID) != before {
			t.Error("an update of last_seen_at alone moved the token")
		}
		moves("a raw update of a member", func() { exec(`UPDATE members SET location = 'Arlington' WHERE id = ?`, grace.ID) })
		moves("an edit", func() {
			if _, err := s.UpdateMember(ctx, models.SystemActor, ws, grace.ID, models.UpdateInput{Name: "Grace B. Hopper", RoleIDs: []string{memberRole}}); err != nil {
				t.Fatal(err)
			}
		})
		moves("a member_roles insert", func() { exec(`INSERT INTO member_roles (member_id, role_id) VALUES (?, ?)`, grace.ID, adminRole) })
		moves("a member_roles delete", func() { exec(`DELETE FROM member_roles WHERE member_id = ? AND role_id = ?`, grace.ID, adminRole) })
		moves("a member_roles update", func() {
			exec(`UPDATE member_roles SET role_id = ? WHERE member_id = ? AND role_id = ?`, adminRole, grace.ID, memberRole)
		})
		var role *models.Role
		moves("a new role", func() {
			if role, err = s.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: "Support", Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
				t.Fatal(err)
			}
		})
		moves("a raw update of a role", func() { exec(`UPDATE roles SET description = 'Answers customers' WHERE id = ?`, role.ID) })
		moves("a deleted role", func() {
			if _, _, err := s.DeleteRole(ctx, models.SystemActor, ws, role.ID, ""); err != nil {
				t.Fatal(err)
			}
		})
		moves("a raw status change", func() { exec(`UPDATE members SET status = 'active' WHERE id = ?`, grace.ID) })
		moves("a deactivation", func() {
			if _, err := s.Deactivate(ctx, models.SystemActor, ws, grace.ID); err != nil {
				t.Fatal(err)
			}
		})
		moves("a raw delete of a member", func() { exec(`DELETE FROM members WHERE id = ?`, grace.ID) })

		// Bulk writes work, and on PostgreSQL one transaction moves the
		// token once however many rows it writes.
		moves("seeding 300 members", func() {
			if err := s.SeedDemo(ctx, ws.ID, 300, 4); err != nil {
				t.Fatal(err)
			}
		})
		d := moves("one statement updating every member", func() { exec(`UPDATE members SET location = 'Remote' WHERE workspace_id = ?`, ws.ID) })
		if s.IsPostgres() && d != 1 {
			t.Errorf("on PostgreSQL one transaction moved the token by %d, want 1", d)
		}
		if got := token(other.ID); got != otherBefore {
			t.Errorf("writes to Acme moved the other workspace's token from %d to %d", otherBefore, got)
		}
	})
}

// TestChangeWatch: a watched request learns the token after its own writes
// when they were the only ones since the page's token, and not otherwise.
func TestChangeWatch(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		since, err := s.ChangeToken(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		newRole := func(ctx context.Context, name string) {
			t.Helper()
			if _, err := s.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: name, Permissions: []models.Permission{models.PermViewMembers}}); err != nil {
				t.Fatal(err)
			}
		}

		// Two operations of one request, nothing else: the page may move on.
		wctx, w := models.WatchChanges(ctx, ws.ID, since)
		newRole(wctx, "Support")
		newRole(wctx, "Sales")
		got, ok := w.Token()
		now, _ := s.ChangeToken(ctx, ws.ID)
		if !ok || got != now || got == since {
			t.Errorf("own writes only: token %q ok %v, want %q (was %q)", got, ok, now, since)
		}

		// Someone else wrote after the page's token: the page must reload.
		newRole(ctx, "Finance")
		wctx, w = models.WatchChanges(ctx, ws.ID, now)
		if _, err := s.CreateRole(ctx, models.SystemActor, ws, models.RoleInput{Name: "Legal"}); err != nil {
			t.Fatal(err)
		}
		newRole(wctx, "Marketing")
		if got, ok := w.Token(); ok {
			t.Errorf("after another writer the watch offers token %q", got)
		}

		// An operation that failed wrote nothing: nothing to move past.
		now, _ = s.ChangeToken(ctx, ws.ID)
		wctx, w = models.WatchChanges(ctx, ws.ID, now)
		if _, err := s.CreateRole(wctx, models.SystemActor, ws, models.RoleInput{Name: "Support"}); err == nil {
			t.Fatal("a second role called Support was created")
		}
		if got, ok := w.Token(); ok {
			t.Errorf("a failed operation offers token %q", got)
		}
		// A token that is not one never matches.
		wctx, w = models.WatchChanges(ctx, ws.ID, "nonsense")
		newRole(wctx, "Ops")
		if got, ok := w.Token(); ok {
			t.Errorf("a malformed page token led to %q", got)
		}
	})
}
