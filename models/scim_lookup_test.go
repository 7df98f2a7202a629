package models_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scim2/filter-parser/v2"
	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// lookupCounter records the statements a store runs (prepared ones too,
// through Store.PreparedHook).
type lookupCounter struct {
	mu    sync.Mutex
	texts []string
}

func (c *lookupCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (c *lookupCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) { c.add(e.Query) }
func (c *lookupCounter) add(q string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.texts = append(c.texts, q)
}
func (c *lookupCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.texts
	c.texts = nil
	return t
}

// TestLookupOneStatement: a userName eq or externalId eq lookup reads the
// member and its roles in one statement, and finds what the general path
// does: the member as a SCIM User shows it (lookupView), its roles in
// roleOrder, in this workspace only, a revoked invitation not at all.
func TestLookupOneStatement(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, ws := modelstest.SetUp(t, s)
		other, err := s.CreateWorkspace(ctx, acc, "Other")
		if err != nil {
			t.Fatal(err)
		}
		// Roles made before Grace's, so that the order they were made
		// in (their ids) is not the order of their names.
		if _, err := s.CreateSCIMUser(ctx, scimActor, ws, models.SCIMUser{UserName: "first@example.com", Active: true,
			Roles: []string{"ZZ top", "Éclair"}}); err != nil {
			t.Fatal(err)
		}
		ext := "ext-Grace"
		user := models.SCIMUser{UserName: "Grace.Hopper@example.com", Email: "grace@example.com", ExternalID: &ext,
			DisplayName: "Grace Hopper", Active: true, Roles: []string{"Zeta", "alpha", "Member", "Éclair", "eclair2", "_under", "ZZ top", "Bravo", "b"}}
		m, err := s.CreateSCIMUser(ctx, scimActor, ws, user)
		if err != nil {
			t.Fatal(err)
		}
		// The same userName and externalId in another workspace, with
		// other roles.
		user.Roles = []string{"Beta"}
		if _, err := s.CreateSCIMUser(ctx, scimActor, other, user); err != nil {
			t.Fatal(err)
		}
		want, err := s.SCIMUserByID(ctx, ws.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Roles) != 9 {
			t.Fatalf("roles %+v, want 9", want.Roles)
		}
		counter := &lookupCounter{}
		s.AddQueryHook(counter)
		s.PreparedHook = func(q string) { counter.add("prepared: " + q) }
		lookup := func(wsID, f string) []*models.Member {
			t.Helper()
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatal(err)
			}
			counter.take()
			ms, total, err := s.ListSCIMUsers(ctx, wsID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 100})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if total != len(ms) {
				t.Errorf("%s: totalResults %d for %d members", f, total, len(ms))
			}
			if texts := counter.take(); len(texts) != 1 || !strings.HasPrefix(texts[0], "prepared: ") {
				t.Errorf("%s: %d statements, want 1, prepared: %q", f, len(texts), texts)
			}
			return ms
		}
		want = lookupView(want)
		for _, f := range []string{`userName eq "grace.hopper@EXAMPLE.com"`, `externalId eq "ext-Grace"`} {
			ms := lookup(ws.ID, f)
			if len(ms) != 1 || !reflect.DeepEqual(ms[0], want) {
				t.Errorf("%s found\n%+v\nwant\n%+v", f, ms, want)
			}
		}
		if ms := lookup(ws.ID, `externalId eq "ext-grace"`); len(ms) != 0 { // externalId is caseExact
			t.Errorf("externalId matched in another case: %+v", ms)
		}
		ms := lookup(other.ID, `userName eq "grace.hopper@example.com"`)
		if len(ms) != 1 || ms[0].WorkspaceID != other.ID || len(ms[0].Roles) != 1 || ms[0].Roles[0].Name != "Beta" {
			t.Errorf("in the other workspace found %+v", ms)
		}
		// A revoked invitation is not a User.
		roles, _ := s.Roles(ctx, ws.ID)
		inv, _, err := s.Invite(ctx, models.SystemActor, ws, models.InviteInput{Name: "Revoked", Email: "revoked@example.com", RoleID: roles[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeInvite(ctx, models.SystemActor, ws, inv.ID); err != nil {
			t.Fatal(err)
		}
		if ms := lookup(ws.ID, `userName eq "`+inv.UserName+`"`); len(ms) != 0 {
			t.Errorf("a revoked invitation was found: %+v", ms[0])
		}
	})
}

// TestLookupNoDeadline: a userName eq or externalId eq lookup (one
// member's rows, through a unique index) runs without the list deadline,
// which cost a quarter of its CPU; other lists keep it.
func TestLookupNoDeadline(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		ext := "ext-grace"
		if _, err := s.CreateSCIMUser(ctx, scimActor, ws, models.SCIMUser{UserName: "grace@example.com", ExternalID: &ext, Active: true}); err != nil {
			t.Fatal(err)
		}
		s.ListTimeout = time.Nanosecond // past before any query starts
		defer func() { s.ListTimeout = 0 }()
		list := func(f string) ([]*models.Member, error) {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatal(err)
			}
			ms, _, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 100})
			return ms, err
		}
		for _, f := range []string{`userName eq "GRACE@example.com"`, `externalId eq "ext-grace"`} {
			if ms, err := list(f); err != nil || len(ms) != 1 {
				t.Errorf("%s: %d members, %v", f, len(ms), err)
			}
		}
		if _, err := list(`userName sw "grace"`); !errors.Is(err, models.ErrQueryTimeout) {
			t.Errorf("userName sw: %v, want the deadline's ErrQueryTimeout", err)
		}
	})
}

// lookupView is what a lookup reads of a member (models.lookupColumns): all
// but the columns a SCIM User does not show, and of its roles their id,
// workspace, name and kind. A field the lookup leaves out by mistake shows
// as a difference with it.
func lookupView(m *models.Member) *models.Member {
	v := *m
	v.AccountID, v.SCIMManaged, v.RevokedRoleIDs, v.SortName, v.SearchText, v.LastSeenAt = nil, false, "", "", "", nil
	v.Roles = make([]models.Role, len(m.Roles))
	for i, r := range m.Roles {
		v.Roles[i] = models.Role{ID: r.ID, WorkspaceID: r.WorkspaceID, Name: r.Name, Builtin: r.Builtin}
	}
	return &v
}
