package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestEveryRouteChecksItsPermission runs every workspace route as a member
// holding only the Member role: each route that needs more must answer 403.
func TestEveryRouteChecksItsPermission(t *testing.T) {
	app, store := newApp(t, "sqlite")
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, store)
	admin, _, _ := store.Membership(ctx, ws.ID, acc.ID)
	_, token := inviteGrace(t, store, acc, ws)
	if _, _, err := store.AcceptInvite(ctx, token, models.AcceptInput{Name: "Grace", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, app)
	c.signIn("grace@example.com", "a long enough password")
	c.get("/w/acme/members")
	routes := handlers.WorkspaceRoutes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		if r.Perm == "" {
			t.Errorf("%s %s declares no permission", r.Method, r.Path)
			continue
		}
		path := strings.NewReplacer(":slug", "acme", ":id", admin.ID).Replace(r.Path)
		var res *response
		if r.Method == http.MethodGet {
			res = c.get(path, "HX-Request", "true")
		} else {
			res = c.post(path, nil, "HX-Request", "true")
		}
		want := http.StatusForbidden
		if r.Perm == models.PermViewMembers {
			want = http.StatusOK
			if strings.Contains(path, ":") { // a made-up id of something else (a bulk job): allowed, and not found
				want = http.StatusNotFound
			}
		}
		if res.StatusCode != want {
			t.Errorf("%s %s as a Member: %d, want %d", r.Method, path, res.StatusCode, want)
		}
	}
	// Nothing changed for the admin.
	if m, _ := store.MemberByID(ctx, ws.ID, admin.ID); m.Status != models.StatusActive {
		t.Errorf("admin is %s", m.Status)
	}
}
