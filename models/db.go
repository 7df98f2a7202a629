// Package models holds Muster's entities, their persistence through Bun and
// the domain operations that change them. Handlers, CSV import and SCIM call
// these operations; none of them writes SQL of its own.
package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"

	"github.com/muster-app/muster/models/migrations"
)

// IsPostgres tells whether a database URL names PostgreSQL.
func IsPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// conformingStrings is asked for on every PostgreSQL connection, whatever
// the server or the URL says: Bun writes values into the query text,
// doubling quotes and leaving backslashes as they are, which is a string
// literal's exact text only with standard_conforming_strings on
// (PostgreSQL's default since 9.1). With it off a value ending in a
// backslash would end its literal early.
const conformingStrings = "on"

// Open connects to PostgreSQL for postgres:// URLs and to a SQLite file
// otherwise ("muster.db", "file:/data/muster.db" or "sqlite:///data/muster.db").
func Open(dbURL string) (*bun.DB, error) {
	if IsPostgres(dbURL) {
		sqldb, err := openPostgres(dbURL)
		if err != nil {
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		sqldb.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
		// Every connection stays open once made: database/sql's default
		// keeps 2 idle, so with more requests than that at once a
		// connection given back was closed and soon opened again, and each
		// new one is a new PostgreSQL backend (a fork, authentication, its
		// caches filled anew: milliseconds of the server's CPU). One
		// unused for a minute is closed, so a burst does not hold a
		// replica's whole pool of the server's connections for good.
		sqldb.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
		sqldb.SetConnMaxIdleTime(time.Minute)
		db := bun.NewDB(sqldb, pgdialect.New())
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		return db, nil
	}
	if i := strings.Index(dbURL, "://"); i > 0 && !strings.HasPrefix(dbURL, "sqlite://") && !strings.HasPrefix(dbURL, "file:") {
		return nil, fmt.Errorf("the database URL %q is for %s, which Muster does not run on: give a SQLite file (such as muster.db) or a postgres:// URL", redactURL(dbURL), dbURL[:i])
	}
	if err := checkSQLitePath(sqlitePath(dbURL)); err != nil {
		return nil, err
	}
	sqldb, err := openSQLite(sqliteDSN(dbURL))
	if err != nil {
		return nil, err
	}
	// WAL lets readers run beside the one writer; _txlock=immediate makes a
	// writing transaction take the lock up front, so two writers queue on
	// busy_timeout instead of failing with SQLITE_BUSY half way through.
	sqldb.SetMaxOpenConns(runtime.GOMAXPROCS(0) + 2)
	sqldb.SetMaxIdleConns(runtime.GOMAXPROCS(0) + 2)
	sqldb.SetConnMaxLifetime(0)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite %q: %w", dbURL, err)
	}
	return db, nil
}

// OpenReader opens a read-only pool on the SQLite database dbURL names,
// for Store.UseReader: reads then never queue for a connection behind the
// writer (see UseReader). It returns nil for PostgreSQL, whose one pool
// serves reads and writes alike, and for an in-memory database, which a
// second pool would not share. Open the writer (and migrate) first: the
// reader neither creates the file nor sets WAL mode.
func OpenReader(dbURL string) (*bun.DB, error) {
	if IsPostgres(dbURL) {
		return nil, nil
	}
	if p := sqlitePath(dbURL); p == "" || strings.HasPrefix(p, ":memory:") || strings.Contains(dbURL, "mode=memory") {
		return nil, nil
	}
	sqldb, err := openSQLite(sqliteReaderDSN(dbURL))
	if err != nil {
		return nil, err
	}
	// Readers run on every core at once; two more than cores lets a
	// request that waits (on the network, on its deadline) hold one.
	n := runtime.GOMAXPROCS(0) + 2
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxLifetime(0)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite %q for reading: %w", dbURL, err)
	}
	return db, nil
}

// sqlitePath is the file a SQLite database URL names.
func sqlitePath(dbURL string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "file:"), "?")
	return path
}

// checkSQLitePath says plainly what would stop SQLite from opening path
// for writing (SQLite itself says "out of memory" for a missing folder):
// the folder missing or not writable (SQLite writes its journal beside the
// file), or the file read-only.
func checkSQLitePath(path string) error {
	if path == "" || strings.HasPrefix(path, ":memory:") {
		return nil
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the folder %s for the database %s does not exist: create it, or set MUSTER_DATABASE_URL to a file in another folder", dir, path)
	} else if err != nil {
		return fmt.Errorf("the folder %s of the database cannot be reached by this user (%w)", dir, unwrapPathError(err))
	} else if !fi.IsDir() {
		return fmt.Errorf("the database %s cannot be created: %s is not a folder", path, dir)
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("the database %s is a folder, not a file", path)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("the database file %s is read-only for this user: Muster needs to write to it (%w)", path, unwrapPathError(err))
		}
		f.Close()
	}
	// The journal (WAL) files go beside the database, so the folder must
	// take new files too.
	f, err := os.CreateTemp(dir, ".muster-write-check-*")
	if err != nil {
		return fmt.Errorf("the folder %s of the database is not writable for this user: Muster keeps its journal beside the database (%w)", dir, unwrapPathError(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// unwrapPathError drops the path an *os.PathError repeats.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// redactURL hides a password in a URL for messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

func sqliteDSN(dbURL string) string {
	path, v := splitSQLiteURL(dbURL)
	addDefaultPragmas(v, "busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-16000)", "mmap_size(0)", "temp_store(MEMORY)",
		// The store checkpoints beside the writer (checkpoint.go); SQLite's
		// own checkpoint, inside a COMMIT, is the backstop.
		fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpointPages))
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// sqliteReaderDSN is the reader pool's: query_only, so a write sent there
// by mistake fails instead of taking the lock; deferred transactions, so a
// read transaction takes no write lock; WAL is already set in the file.
func sqliteReaderDSN(dbURL string) string {
	path, v := splitSQLiteURL(dbURL)
	// Memory: no map and 4 MB of page cache per reader. Each connection
	// maps the file on its own, and mapped pages count in the server's
	// RSS once per connection that touched them: eight SCIM clients
	// scanning members (100,000, a 190 MiB file) took VmHWM from 98 to
	// 417–513 MiB with 64 MiB maps and 16 MB caches, 127 MiB without, and
	// the scans ran no slower (the kernel's page cache serves the reads).
	addDefaultPragmas(v, "busy_timeout(10000)", "query_only(1)", "cache_size(-4000)", "mmap_size(0)", "temp_store(MEMORY)")
	v.Del("_txlock")
	return "file:" + path + "?" + v.Encode()
}

// addDefaultPragmas adds each default pragma the URL does not set itself
// (…?_pragma=mmap_size(67108864)): the memory settings are the operator's
// to tune.
//
// mmap_size is 0 on the writer too: mapped pages count in the server's
// RSS, and the writer's reads are an operation's few pages, not scans (those
// run on the reader pool), so the map bought no speed. With 64 MiB, the
// bench kit's POSTs and lookups and a /Bulk of 10,000 from a 2,000-member
// start (the file's first 64 MiB all touched) peaked at 185 MiB, 70 of them
// the map; with none, 133–136 MiB. A SCIM DELETE of a group of 28,000
// members at 100,000 took 0.73 s either way and peaked at 135 MiB with the
// map, 86 without. POST /Users at 8 clients, /Bulk of 10,000 and the demo
// fill ran as fast (paired runs within noise).
func addDefaultPragmas(v url.Values, defaults ...string) {
	given := map[string]bool{}
	for _, p := range v["_pragma"] {
		name, _, _ := strings.Cut(p, "(")
		given[strings.ToLower(strings.TrimSpace(name))] = true
	}
	for _, p := range defaults {
		if name, _, _ := strings.Cut(p, "("); !given[name] { // the defaults are lower case
			v.Add("_pragma", p)
		}
	}
}

func splitSQLiteURL(dbURL string) (string, url.Values) {
	path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "file:")
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	v, _ := url.ParseQuery(query)
	return path, v
}

// Migrate brings the schema up to date. The migrations are embedded, so the
// binary alone can create a database. Replicas starting at once take turns:
// Bun's lock fails rather than waits, so Migrate retries it for a while.
func Migrate(ctx context.Context, db *bun.DB) error {
	m := migrate.NewMigrator(db, migrations.Migrations)
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("init migrations: %w", err)
	}
	var err error
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		if err = m.Lock(ctx); err == nil {
			break
		}
		if wait > 10*time.Second {
			return fmt.Errorf("lock migrations (if no other Muster is starting, a crashed one left the lock: "+
				"delete the row in bun_migration_locks): %w", err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
	defer m.Unlock(ctx) //nolint:errcheck
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// A migration that rewrote search text left it queued for the index.
	return flushSearchIndex(ctx, db)
}
