package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkMemberPage measures a member's page at 100,000 members on
// SQLite, server side (session, permission check, the member, their
// roles, invitation, directory fields, manager, status history, source,
// audit history, render), through app.Test. Every member has the audit
// event that created them, so the audit log holds 100,000 events besides
// the member's own. The last case drops the page's two indexes to show
// what they are for. Run it with
//
//	go test ./handlers -run '^$' -bench MemberPage -benchtime 200x -count 3
func BenchmarkMemberPage(b *testing.B) {
	app, store := newApp(b, "sqlite")
	ctx := context.Background()
	acc, ws := modelstest.SetUp(b, store)
	if err := store.SeedDemo(ctx, ws.ID, 100_000, 1); err != nil {
		b.Fatal(err)
	}
	ada, _, err := store.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		b.Fatal(err)
	}
	// One creating event per member, written in batches as an import would.
	var ids []string
	if err := store.DB().NewSelect().Table("members").Column("id").Where("workspace_id = ?", ws.ID).Scan(ctx, &ids); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < len(ids); start += 2000 {
		var evs []models.AuditEvent
		for i, id := range ids[start:min(start+2000, len(ids))] {
			id := id
			evs = append(evs, models.AuditEvent{ID: fmt.Sprintf("00000000-0000-7000-8000-%012d", start+i), WorkspaceID: ws.ID, ActorKind: "member",
				ActorID: &ada.ID, ActorName: "Ada Lovelace", Action: "member.invited", TargetKind: "member", TargetID: &id,
				TargetName: "x", Changes: "{}", CreatedAt: modelstest.Epoch.Add(-time.Hour)})
		}
		if _, err := store.DB().NewInsert().Model(&evs).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// The member looked at: Grace, invited, joined, edited, deactivated
	// and reactivated, with an identity provider's directory fields and a
	// manager among the 100,000.
	gm, token, err := store.Invite(ctx, models.MemberActor(ada), ws, models.InviteInput{Name: "Grace Hopper", Email: "grace@example.com", RoleID: gmRole(b, store, ws.ID)})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace Hopper", Password: "a long enough password"}); err != nil {
		b.Fatal(err)
	}
	grace := gm.ID
	if _, err := store.ChangeSCIMUser(ctx, models.MemberActor(ada), ws, grace, 0, func(u *models.SCIMUser) error {
		u.Title, u.Department, u.EmployeeNumber, u.ManagerID = "Rear Admiral", "Navy", "1906", ids[len(ids)/2]
		u.Attributes = map[string]any{"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}}}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for range 3 {
		if _, err := store.Deactivate(ctx, models.MemberActor(ada), ws, grace); err != nil {
			b.Fatal(err)
		}
		if _, err := store.Reactivate(ctx, models.MemberActor(ada), ws, grace); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := store.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	c := newClient(b, app)
	c.signIn("ada@example.com", modelstest.AdminPassword)
	target := "/w/acme/members/" + grace
	if res := c.get(target); res.StatusCode != http.StatusOK || res.Doc.Find("#member-manager").Length() != 1 || res.Doc.Find("#member-activity li").Length() != 9 { // invited, accepted, the SCIM change, three times off and on
		b.Fatalf("%s: status %d, manager %d, events %d", target, res.StatusCode, res.Doc.Find("#member-manager").Length(), res.Doc.Find("#member-activity li").Length())
	}
	run := func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			benchGet(b, app, c, target)
		}
	}
	b.Run("page", run)
	b.Run("page_without_its_indexes", func(b *testing.B) {
		for _, idx := range []string{"audit_events_target", "import_rows_member"} {
			if _, err := store.DB().ExecContext(ctx, "DROP INDEX IF EXISTS "+idx); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		run(b)
	})
}

// gmRole is the id of the workspace's Member role.
func gmRole(b *testing.B, store *models.Store, wsID string) string {
	roles, err := store.Roles(context.Background(), wsID)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range roles {
		if r.Builtin == "member" {
			return r.ID
		}
	}
	b.Fatal("no Member role")
	return ""
}
