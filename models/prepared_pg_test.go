package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

func TestPGPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                              "SELECT 1",
		"a = ? AND b = ?":                       "a = $1 AND b = $2",
		"x = '?' AND y = ?":                     "x = '?' AND y = $1",
		`"we?rd" = ? OR z = 'it''s ?' OR w = ?`: `"we?rd" = $1 OR z = 'it''s ?' OR w = $2`,
		"? ? ? ? ? ? ? ? ? ?":                   "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10",
	} {
		if got := models.PGPlaceholders(in); got != want {
			t.Errorf("PGPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPGRefused: a refusal of the query's text is kept, an error that may
// pass is not (pgdriver writes "SQLSTATE=…", pgx "SQLSTATE …").
func TestPGRefused(t *testing.T) {
	for msg, want := range map[string]bool{
		"ERROR: could not determine data type of parameter $1 (SQLSTATE=42P18)":       true,
		"ERROR: column \"x\" does not exist (SQLSTATE 42703)":                         true,
		"FATAL: sorry, too many clients already (SQLSTATE=53300)":                     false,
		"ERROR: canceling statement due to lock timeout (SQLSTATE 55P03)":             false,
		"FATAL: terminating connection due to administrator command (SQLSTATE=57P01)": false,
		"dial tcp 127.0.0.1:5432: connect: connection refused":                        false,
	} {
		if got := models.PGRefused(errors.New(msg)); got != want {
			t.Errorf("PGRefused(%q) = %v, want %v", msg, got, want)
		}
	}
}

// TestPreparedReads: the reads every request makes (rowsPrepared) go as
// prepared statements on both databases. A query PostgreSQL will not
// prepare, or whose arguments Bun writes its own way, goes through Bun
// and answers all the same, and the refusal is not asked again.
func TestPreparedReads(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		var prepared []string
		s.PreparedHook = func(q string) { prepared = append(prepared, q) }
		counter := &lookupCounter{}
		s.AddQueryHook(counter)
		one := func(q string, args ...any) string {
			t.Helper()
			rows, err := models.RowsPrepared(ctx, s, q, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			defer rows.Close()
			var got string
			if !rows.Next() {
				t.Fatalf("%s: no row (%v)", q, rows.Err())
			}
			if err := rows.Scan(&got); err != nil {
				t.Fatal(err)
			}
			return got
		}
		for range 2 {
			prepared = nil
			counter.take()
			if got := one("SELECT name FROM workspaces WHERE id = ? AND slug = ?", ws.ID, ws.Slug); got != ws.Name {
				t.Errorf("found %q, want %q", got, ws.Name)
			}
			if len(prepared) != 1 || len(counter.take()) != 0 {
				t.Errorf("the workspace by id: prepared %q, want it prepared", prepared)
			}
		}
		// PostgreSQL cannot tell the parameter's type here.
		const untyped = "SELECT CASE WHEN ? IS NULL THEN 'null' ELSE 'set' END"
		for range 2 {
			prepared = nil
			counter.take()
			if got := one(untyped, "x"); got != "set" {
				t.Errorf("%s: %q", untyped, got)
			}
			if s.IsPostgres() {
				if texts := counter.take(); len(prepared) != 0 || len(texts) != 1 {
					t.Errorf("%s: prepared %q, through Bun %q; want it through Bun once", untyped, prepared, texts)
				}
				if !models.PrepareRefused(s, untyped) {
					t.Errorf("%s: the refusal is not kept: it would be asked again on every run", untyped)
				}
			} else if len(prepared) != 1 {
				t.Errorf("%s: prepared %q on SQLite", untyped, prepared)
			}
		}
		if s.IsPostgres() { // a list is Bun's to write
			prepared = nil
			if got := one("SELECT name FROM workspaces WHERE id IN (?)", bun.In([]string{ws.ID, "x"})); got != ws.Name || len(prepared) != 0 {
				t.Errorf("IN list: found %q, prepared %q", got, prepared)
			}
		}
	})
}

// TestPreparedReadsAfterAddedColumn: another replica's migration adds a
// column to the tables the prepared reads of every request select from,
// while this one runs. PostgreSQL refuses to run a prepared statement whose
// result would change shape ("cached plan must not change result type"),
// so they name their columns instead of selecting *; they still answer.
func TestPreparedReadsAfterAddedColumn(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		s.NoMemberPageCache = true
		s.TokenCacheTTL = -1 // every request reads its token
		token, _, err := s.CreateSCIMToken(f.ctx, f.actor, f.ws, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		reads := func() {
			t.Helper()
			if _, ws, err := s.AuthenticateSCIM(f.ctx, token); err != nil || ws.ID != f.ws.ID {
				t.Fatalf("AuthenticateSCIM: %v, %v", ws, err)
			}
			m, _, err := s.Membership(f.ctx, f.ws.ID, f.adminA.ID)
			if err != nil || len(m.Roles) != 1 || m.Roles[0].Name != "Admin" {
				t.Fatalf("Membership: %+v, %v", m, err)
			}
		}
		reads()
		reads()
		for _, table := range []string{"scim_tokens", "workspaces", "roles", "members", "accounts"} {
			if _, err := s.DB().ExecContext(f.ctx, "ALTER TABLE "+table+" ADD COLUMN from_a_later_release TEXT"); err != nil {
				t.Fatal(err)
			}
		}
		reads()
	})
}
