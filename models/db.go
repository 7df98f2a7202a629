// Package models holds Muster's entities, their persistence through Bun and
// the domain operations that change them. Handlers, CSV import and SCIM call
// these operations; none of them writes SQL of its own.
package models

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // pure-Go SQLite: one static binary, no cgo
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// OpenOption adjusts how Open connects; tests use it to give each test its
// own PostgreSQL schema.
type OpenOption func(*openConfig)

type openConfig struct{ pgParams map[string]any }

// WithPostgresParams sets run-time parameters (for example search_path) on
// every PostgreSQL connection.
func WithPostgresParams(params map[string]any) OpenOption {
	return func(c *openConfig) { c.pgParams = params }
}

// IsPostgres tells whether a database URL names PostgreSQL.
func IsPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// Open connects to PostgreSQL for postgres:// URLs and to a SQLite file
// otherwise ("muster.db", "file:/data/muster.db" or "sqlite:///data/muster.db").
func Open(dbURL string, opts ...OpenOption) (*bun.DB, error) {
	var cfg openConfig
	for _, o := range opts {
		o(&cfg)
	}
	if IsPostgres(dbURL) {
		pgOpts := []pgdriver.Option{pgdriver.WithDSN(dbURL)}
		if cfg.pgParams != nil {
			pgOpts = append(pgOpts, pgdriver.WithConnParams(cfg.pgParams))
		}
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgOpts...))
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
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		v.Add("_pragma", p)
	}
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// Migrate brings the schema up to date. The SQL files are embedded, so the
// binary alone can create a database; several replicas starting at once are
// serialised by Bun's migration lock.
func Migrate(ctx context.Context, db *bun.DB) error {
	migrations := migrate.NewMigrations()
	if err := migrations.Discover(migrationFiles); err != nil {
		return err
	}
	m := migrate.NewMigrator(db, migrations)
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("init migrations: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer m.Unlock(ctx) //nolint:errcheck
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
