package scim_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models/modelstest"
)

// statements counts what a store's database runs, prepared statements
// included.
type statements struct {
	mu    sync.Mutex
	texts []string
}

func (s *statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (s *statements) AfterQuery(_ context.Context, e *bun.QueryEvent)                    { s.add(e.Query) }
func (s *statements) add(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, q)
}
func (s *statements) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.texts
	s.texts = nil
	return t
}

// TestLookupStatements: the lookups an identity provider sends before
// nearly every write (userName eq, externalId eq) read the member and its
// roles in one statement, and nothing else: the token comes from the
// cache (it took three more before), and nothing is written.
func TestLookupStatements(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnvLog(t, d, false)
			counter := &statements{}
			e.store.AddQueryHook(counter)
			e.store.PreparedHook = counter.add
			e.do("POST", "/scim/v2/Users", benchUser("grace")).want(t, 201)
			for _, filter := range []string{`userName eq "grace@bench.example.com"`, `externalId eq "ext-grace"`} {
				path := "/scim/v2/Users?filter=" + url.QueryEscape(filter)
				e.do("GET", path, "").want(t, 200) // the first notes the token's use
				counter.take()
				if r := e.do("GET", path, "").want(t, 200); r.num("totalResults") != 1 {
					t.Fatalf("%s: %s", filter, r.Raw)
				}
				texts := counter.take()
				for _, q := range texts {
					if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "SELECT") {
						t.Errorf("%s wrote: %s", filter, q)
					}
				}
				if len(texts) > 1 {
					t.Errorf("%s: %d statements, want at most 1:\n%s", filter, len(texts), strings.Join(texts, "\n"))
				}
			}
		})
	}
}
