// Package models holds Muster's entities, their persistence through Bun and
// the domain operations that change them. Handlers, CSV import and SCIM call
// these operations; none of them writes SQL of its own.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // pure-Go SQLite: one static binary, no cgo

	"github.com/muster-app/muster/models/migrations"
)

// IsPostgres tells whether a database URL names PostgreSQL.
func IsPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// Open connects to PostgreSQL for postgres:// URLs and to a SQLite file
// otherwise ("muster.db", "file:/data/muster.db" or "sqlite:///data/muster.db").
func Open(dbURL string) (*bun.DB, error) {
	if IsPostgres(dbURL) {
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dbURL)))
		sqldb.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
		db := bun.NewDB(sqldb, pgdialect.New())
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		return db, nil
	}
	sqldb, err := sql.Open("sqlite", sqliteDSN(dbURL))
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

func sqliteDSN(dbURL string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "file:")
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	v, _ := url.ParseQuery(query)
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-16000)", "mmap_size(268435456)", "temp_store(MEMORY)"} {
		v.Add("_pragma", p)
	}
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
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
	return nil
}
