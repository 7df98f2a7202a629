// Package modelstest gives tests a fresh, migrated store on every database
// Muster supports: SQLite always, PostgreSQL when MUSTER_TEST_POSTGRES_URL is
// set. Each store is private to its test (its own SQLite file or its own
// PostgreSQL database), so tests run independently and in parallel.
package modelstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	neturl "net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/muster-app/muster/models"
)

// PostgresEnv names the variable with the PostgreSQL URL for tests.
const PostgresEnv = "MUSTER_TEST_POSTGRES_URL"

func init() {
	// Real hashes, cheap parameters: tests hash many passwords.
	models.PasswordParams = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Dialects lists the databases tests run on here.
func Dialects() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest on every database, each with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a fresh migrated store on dialect ("sqlite" or "postgres"),
// removed when the test ends.
func Open(t testing.TB, dialect string) *models.Store {
	t.Helper()
	ctx := context.Background()
	var store *models.Store
	switch dialect {
	case "sqlite":
		db, err := models.Open(filepath.Join(t.TempDir(), "muster.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		store = models.NewStore(db)
	case "postgres":
		url := os.Getenv(PostgresEnv)
		if url == "" {
			t.Skip(PostgresEnv + " is not set")
		}
		admin, err := models.Open(url)
		if err != nil {
			t.Fatal(err)
		}
		// A database per test: as isolated as it gets, and extensions such
		// as pg_trgm install into it as they would in production.
		name := "muster_test_" + randomHex(8)
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		u, err := neturl.Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		db, err := models.Open(u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			db.Close()
			if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("drop test database: %v", err)
			}
			admin.Close()
		})
		store = models.NewStore(db)
	default:
		t.Fatalf("unknown dialect %q", dialect)
	}
	if err := models.Migrate(ctx, store.DB()); err != nil {
		t.Fatal(err)
	}
	return store
}

// SetUp runs first-time setup with a standard admin, returning its pieces.
func SetUp(t testing.TB, s *models.Store) (*models.Account, *models.Workspace) {
	t.Helper()
	acc, ws, err := s.Setup(context.Background(), models.SetupInput{
		WorkspaceName: "Acme", Name: "Ada Lovelace", Email: "ada@example.com", Password: AdminPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	return acc, ws
}

// AdminPassword is SetUp's admin's password.
const AdminPassword = "correct horse battery"

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Clock is a store clock a test moves by hand; safe to read from servers
// and workers running in other goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// FakeClock sets s's clock to a fixed time and returns it to move.
func FakeClock(s *models.Store) *Clock {
	c := &Clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s.Now = c.Now
	return c
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Outbox reads one outbox message as it is stored now.
func Outbox(t testing.TB, s *models.Store, id string) *models.OutboxMessage {
	t.Helper()
	var m models.OutboxMessage
	if err := s.DB().NewSelect().Model(&m).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &m
}
