package models_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestPGInsertsMixesBounded: users created with 1 to 12 roles get them all
// and are counted, but no prepared INSERTs statement links more than
// pgInsertsMaxRoles (8) roles: each mix of rows is a statement kept on every
// connection, so their number must not grow with what clients send.
func TestPGInsertsMixesBounded(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		var mu sync.Mutex
		most := 0
		s.PreparedHook = func(key string) {
			mu.Lock()
			defer mu.Unlock()
			most = max(most, strings.Count(key, `"member_roles"`))
		}
		var names []string
		for i := range 12 {
			names = append(names, fmt.Sprintf("Team %d", i))
			if _, err := s.CreateRole(f.ctx, models.SystemActor, f.ws, models.RoleInput{Name: names[i]}); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("many-%d", i)
			m, err := s.CreateSCIMUser(f.ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: name,
				Email: name + "@example.com", Active: true, Roles: names})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Roles) != i+1 {
				t.Fatalf("%d roles, want %d", len(m.Roles), i+1)
			}
		}
		if most > 8 {
			t.Errorf("a prepared statement links %d roles, want 8 at most", most)
		}
		checkCounts(t, s, f.ws.ID)
	})
}
