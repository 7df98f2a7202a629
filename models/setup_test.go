package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func TestSetupCreatesWorkspaceRolesAndAdmin(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws, err := s.Setup(ctx, models.SetupInput{WorkspaceName: "  Acme,   Inc. ", Name: "Ada  Lovelace", Email: " Ada@Example.COM ", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if ws.Name != "Acme, Inc." || ws.Slug != "acme-inc" {
			t.Errorf("workspace = %q / %q, want cleaned name and slug acme-inc", ws.Name, ws.Slug)
		}
		if acc.Email != "ada@example.com" || acc.Name != "Ada Lovelace" || !strings.HasPrefix(acc.PasswordHash, "$argon2id$") {
			t.Errorf("account = %+v", acc)
		}
		roles, err := s.Roles(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(roles) != 2 || roles[0].Name != "Admin" || roles[1].Name != "Member" {
			t.Fatalf("roles = %+v, want Admin and Member", roles)
		}
		if got := len(roles[0].PermissionList()); got != len(models.Catalog) {
			t.Errorf("Admin has %d permissions, want all %d", got, len(models.Catalog))
		}
		m, perms, err := s.Membership(ctx, ws.ID, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != models.StatusActive || !perms.Has(models.PermManageRoles) || len(m.Roles) != 1 || !m.Roles[0].IsAdmin() {
			t.Errorf("admin membership = %+v perms %v", m, perms)
		}
		evs, err := s.AuditEvents(ctx, ws.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Action != "member.joined" || evs[1].Action != "workspace.created" || evs[0].ActorName != "Ada Lovelace" {
			t.Errorf("audit = %+v", evs)
		}

		// Setup runs once.
		_, _, err = s.Setup(ctx, models.SetupInput{WorkspaceName: "Other", Name: "Bob", Email: "bob@example.com", Password: "correct horse battery"})
		if !errors.Is(err, models.ErrAlreadySetUp) {
			t.Errorf("second setup: err = %v, want ErrAlreadySetUp", err)
		}
	})
}

func TestSetupValidation(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		_, _, err := s.Setup(context.Background(), models.SetupInput{WorkspaceName: " ", Name: "", Email: "ada@", Password: "short"})
		var verr *models.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("err = %v, want a ValidationError", err)
		}
		for _, f := range []string{"workspace", "name", "email", "password"} {
			if verr.Fields[f] == "" {
				t.Errorf("no message for field %q in %v", f, verr.Fields)
			}
		}
		if n, _ := s.AccountCount(context.Background()); n != 0 {
			t.Errorf("a failed setup left %d accounts", n)
		}
	})
}

func TestConcurrentSetupHasOneWinner(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = s.Setup(context.Background(), models.SetupInput{WorkspaceName: "Acme", Name: "Ada",
					Email: "ada" + string(rune('a'+i)) + "@example.com", Password: "correct horse battery"})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, models.ErrAlreadySetUp) {
				t.Errorf("unexpected error: %v", err)
			}
		}
		if n, _ := s.AccountCount(context.Background()); ok != 1 || n != 1 {
			t.Errorf("%d setups succeeded and %d accounts exist, want 1 and 1", ok, n)
		}
	})
}

func TestCreateWorkspaceSlugsAndSwitcher(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, first := modelstest.SetUp(t, s)
		second, err := s.CreateWorkspace(ctx, acc, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		third, err := s.CreateWorkspace(ctx, acc, "Ácme!")
		if err != nil {
			t.Fatal(err)
		}
		newWS, err := s.CreateWorkspace(ctx, acc, "New")
		if err != nil {
			t.Fatal(err)
		}
		if first.Slug != "acme" || second.Slug != "acme-2" || third.Slug != "acme-3" || newWS.Slug != "new-2" {
			t.Errorf("slugs = %s %s %s %s, want acme acme-2 acme-3 new-2 (new is reserved)", first.Slug, second.Slug, third.Slug, newWS.Slug)
		}
		if _, err := s.CreateWorkspace(ctx, acc, "   "); err == nil {
			t.Error("a blank workspace name was accepted")
		}
		wss, err := s.WorkspacesForAccount(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(wss) != 4 {
			t.Errorf("switcher lists %d workspaces, want 4", len(wss))
		}
		if _, err := s.WorkspaceBySlug(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown slug: err = %v", err)
		}
	})
}
