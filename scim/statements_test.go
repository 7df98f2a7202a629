package scim_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"
)

// stmtLog records the statements a store runs.
type stmtLog struct {
	mu    sync.Mutex
	texts []string
}

func (s *stmtLog) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context { return ctx }

func (s *stmtLog) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, e.Query)
}

func (s *stmtLog) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.texts
	s.texts = nil
	return t
}

// TestPostUserStatements counts the statements one POST /Users runs, the
// provisioning log's write included (run with -v to list them).
func TestPostUserStatements(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		log := &stmtLog{}
		e.store.DB().AddQueryHook(log)
		var mu sync.Mutex
		var prepared []string
		e.store.PreparedHook = func(q string) {
			mu.Lock()
			defer mu.Unlock()
			prepared = append(prepared, q)
		}
		e.do("POST", "/scim/v2/Users", benchUser("warm")).want(t, 201)
		e.flushLog()
		log.take()
		e.do("POST", "/scim/v2/Users", benchUser("counted")).want(t, 201)
		e.flushLog()
		texts := log.take()
		for _, s := range texts {
			if len(s) > 200 {
				s = s[:200]
			}
			t.Log(strings.ReplaceAll(s, "\n", " "))
		}
		t.Logf("%d statements", len(texts))
		// Bun's hooks see neither SQLite's prepared INSERTs nor the one
		// multi-statement INSERT of PostgreSQL (insertRows): what they see
		// is the rest.
		// PostgreSQL: the Member role, the INSERTs (unseen: one text that
		// PostgreSQL runs as one implicit transaction, no BEGIN or COMMIT)
		// and the log's INSERT; no uniqueness lookup before the INSERT
		// (the unique indexes refuse a duplicate).
		// SQLite: the Member role is read, and each group flushes the
		// search index, by statements prepared once on the writer, which
		// Bun's hooks do not see (compiling them each time was a tenth and
		// a 25th of a create's CPU).
		if !e.store.IsPostgres() {
			for _, s := range texts {
				if strings.Contains(s, `FROM "roles"`) {
					t.Errorf("the roles read through Bun, compiled anew: %.120s", s)
				}
				if strings.Contains(s, "member_search") { // the group's flush of the search index
					t.Errorf("the search index flushed through Bun, compiled anew: %.120s", s)
				}
			}
		}
		if e.store.IsPostgres() {
			// The INSERTs: one prepared statement (pgInserts, counting its
			// member itself), whose
			// tables PreparedHook names.
			mu.Lock()
			creates := 0
			for _, q := range prepared {
				// The second with the Member role kept from the first
				// (held: its statement checks the role instead of a read).
				if strings.HasPrefix(q, `counted:"members","member_roles",`) || strings.HasPrefix(q, `counted:held:"members","member_roles",`) {
					creates++
				}
			}
			roleReads := 0
			for _, q := range prepared {
				if q == "memberRole" {
					roleReads++
				}
			}
			mu.Unlock()
			if roleReads != 1 {
				t.Errorf("%d reads of the Member role prepared, want 1 (the second create keeps it): %q", roleReads, prepared)
			}
			if creates != 2 {
				t.Errorf("%d creates through the prepared INSERTs, want 2: %q", creates, prepared)
			}
			if len(texts) > 1 {
				t.Errorf("%d statements, want 1 at most (the log's; the roles' read and the create's INSERTs prepared, no lookup before them)", len(texts))
			}
		}
	})
}
