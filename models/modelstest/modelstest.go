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
	var dsn string
	switch dialect {
	case "sqlite":
		dsn = filepath.Join(t.TempDir(), "muster.db")
		db, err := models.Open(dsn)
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
		dsn = u.String()
		db, err := models.Open(dsn)
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
	useReader(t, store, dsn)
	useClock(t, store)
	dsns.Store(store, dsn)
	t.Cleanup(func() { dsns.Delete(store) })
	t.Cleanup(func() { checkBookkeeping(t, store) })
	return store
}

var dsns sync.Map // *models.Store → where its database is

// Replica opens a second store on s's database, as another server process
// would (its own connection pool; on SQLite, its own writer), reading the
// same clock. It closes when the test ends.
func Replica(t testing.TB, s *models.Store) *models.Store {
	t.Helper()
	dsn, ok := dsns.Load(s)
	if !ok {
		t.Fatal("modelstest: the store was not made by modelstest.Open")
	}
	db, err := models.Open(dsn.(string))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := models.NewStore(db)
	useReader(t, r, dsn.(string))
	r.Now = ClockOf(s).Now
	return r
}

// useReader gives a SQLite store its read-only pool, as the server has.
func useReader(t testing.TB, s *models.Store, dsn string) {
	t.Helper()
	r, err := models.OpenReader(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		t.Cleanup(func() { r.Close() })
		s.UseReader(r)
	}
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

// Epoch is what every test store's clock reads first. Fixtures and code
// share that one clock, so a test gives the same answer on any day it runs:
// nothing a test makes carries today's date. MUSTER_TEST_EPOCH (RFC 3339)
// moves it, to show that no test depends on the date it is either.
var Epoch = epoch()

func epoch() time.Time {
	if v := os.Getenv("MUSTER_TEST_EPOCH"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			panic("MUSTER_TEST_EPOCH: " + err.Error())
		}
		return t.UTC()
	}
	return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
}

// Clock is the clock Open gives every store: it reads Epoch the first time
// it is read and runs in real time from then on, so that things made one
// after another keep their order; Stop freezes it and Add moves it. It is
// safe to read from servers and workers running in other goroutines.
type Clock struct {
	mu      sync.Mutex
	at      time.Time // the reading at the real instant since
	since   time.Time // zero until the clock is first read
	stopped bool
}

var clocks sync.Map // *models.Store → *Clock

// useClock gives s a fresh clock at Epoch.
func useClock(t testing.TB, s *models.Store) {
	c := &Clock{at: Epoch}
	s.Now = c.Now
	clocks.Store(s, c)
	t.Cleanup(func() { clocks.Delete(s) })
}

// ClockOf returns the clock of a store made by Open.
func ClockOf(s *models.Store) *Clock {
	c, ok := clocks.Load(s)
	if !ok {
		panic("modelstest: the store was not made by modelstest.Open")
	}
	return c.(*Clock)
}

// FakeClock stops s's clock where it is (at Epoch if nothing has read it
// yet) and returns it, to be moved by hand with Add.
func FakeClock(s *models.Store) *Clock {
	c := ClockOf(s)
	s.Now = c.Now // in case a test replaced it
	c.Stop()
	return c
}

// read is the time now; c.mu is held.
func (c *Clock) read() time.Time {
	switch {
	case c.stopped:
		return c.at
	case c.since.IsZero():
		c.since = time.Now()
		return c.at
	default:
		// Monotonic, so immune to steps of the wall clock; whole
		// microseconds, as the databases keep them.
		return c.at.Add(time.Since(c.since)).Truncate(time.Microsecond)
	}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read()
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.read().Add(d)
	if !c.stopped {
		c.since = time.Now()
	}
}

// Stop freezes the clock at its current reading.
func (c *Clock) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.read()
	c.stopped = true
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
