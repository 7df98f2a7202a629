package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestSCIMTokenCommand runs `muster scim-token create`, `list` and `revoke`
// against a SQLite file, as an admin would from a shell.
func TestSCIMTokenCommand(t *testing.T) {
	ctx := context.Background()
	dbPath, store := commandStore(t)
	_, ws := modelstest.SetUp(t, store)

	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := scimTokenCmd(append(args, "-database-url", dbPath, "-base-url", "https://muster.example.com"), &out)
		return out.String(), err
	}

	out, err := run("create", "--workspace", "acme", "--name", "Okta")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	token := regexp.MustCompile(`(?m)^muster_scim_\S+$`).FindString(out)
	if token == "" || !strings.Contains(out, "SCIM base URL: https://muster.example.com/scim/v2") || !strings.Contains(out, "only this once") {
		t.Fatalf("create printed:\n%s", out)
	}
	tok, gotWS, err := store.AuthenticateSCIM(ctx, token)
	if err != nil || gotWS.ID != ws.ID || tok.Name != "Okta" || tok.CreatedByName != models.SystemActor.Name {
		t.Fatalf("the printed token does not work: %+v %v", tok, err)
	}

	out, err = run("list", "-workspace", "acme")
	if err != nil || !strings.Contains(out, tok.ID) || !strings.Contains(out, tok.Prefix+"…") || !strings.Contains(out, "active") || strings.Contains(out, token) {
		t.Fatalf("list: %v\n%s", err, out)
	}

	out, err = run("revoke", "-workspace", "acme", "-id", tok.ID)
	if err != nil || !strings.Contains(out, `Revoked the SCIM token "Okta"`) {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	// A running server (this store, which checked the token above) refuses
	// it within its cache's bound.
	for deadline := time.Now().Add(10 * models.DefaultTokenCacheTTL); ; {
		_, _, err := store.AuthenticateSCIM(ctx, token)
		if errors.Is(err, models.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked token still works: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if out, _ = run("revoke", "-workspace", "acme", "-id", tok.ID); !strings.Contains(out, "already revoked") {
		t.Errorf("revoking twice: %s", out)
	}
	if out, _ = run("list", "-workspace", "acme"); !strings.Contains(out, "revoked ") {
		t.Errorf("list after revoking:\n%s", out)
	}

	// Mistakes are explained.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "-workspace", "acme", "-name", strings.Repeat("x", 101)}, "under 100"},
		{[]string{"create", "-workspace", "acme"}, "usage"},
		{[]string{"revoke", "-workspace", "acme", "-id", "nope"}, "no SCIM token"},
		{[]string{"list", "-workspace", "nowhere"}, "nowhere"},
		{[]string{"rotate", "-workspace", "acme"}, "unknown"},
		{nil, "usage"},
	} {
		if _, err := run(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	// Every change is in the audit log, by Muster (the shell).
	evs, _ := store.ListAudit(ctx, ws.ID, models.AuditQuery{})
	var actions []string
	for _, e := range evs.Events {
		if strings.HasPrefix(e.Action, "scim_token.") {
			actions = append(actions, e.Action+" by "+e.ActorName)
		}
	}
	if strings.Join(actions, ", ") != "scim_token.revoked by Muster, scim_token.created by Muster" {
		t.Errorf("audit: %v", actions)
	}
}

// commandStore makes a migrated SQLite file for a command to open by its
// path, and a store on it for the test, closed when the test ends. It keeps
// the real clock: the command under test opens its own store, which does.
func commandStore(t *testing.T) (string, *models.Store) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "muster.db")
	db, err := models.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := models.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return dbPath, models.NewStore(db)
}
