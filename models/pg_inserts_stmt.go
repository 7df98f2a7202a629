package models

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// On PostgreSQL, Bun writes each value into the SQL text and its driver
// sends that text in the simple protocol: the server parses and plans a
// create's five INSERTs anew every time, 15 % of its backend's CPU.
// pgInserts sends them as one prepared statement instead: the other
// INSERTs are data-modifying CTEs of the first, with $n parameters. It is
// parsed once per connection (database/sql prepares a *sql.Stmt on each
// connection it runs on) and each create is one Bind/Execute/Sync: still
// one round trip, and, one statement, still all of it or none. The
// foreign keys between the rows (member_roles → members) are checked at
// the end of the statement, after every CTE has inserted.

// pgInserts runs rows (pointers to entities) as one prepared statement,
// in tx when it is not nil, else on its own (an implicit transaction), or
// with other such creates that queued beside it in one (pgCreate).
// counted (rows[0] a *Member, the only member, tx nil) has the statement
// bump the workspace's change token and add the member to its status
// count itself, as the deferred triggers would at COMMIT, and name the
// member in muster.counted so that they skip it (see the migration
// 20261206000100_counted_creates): their three PL/pgSQL calls at COMMIT,
// each looking the workspace up again, were a fifth of a create's backend
// CPU. held (counted only, with one role link, to it) is a role known from
// an earlier read and not read again: the statement fails with stale (and
// writes nothing) unless the role still has held's name, permissions,
// version and the Member role's place (pgKnownMemberRole).
func (s *Store) pgInserts(ctx context.Context, tx *bun.Tx, rows []any, counted bool, held *Role) error {
	var key strings.Builder
	if counted {
		key.WriteString("counted:")
	}
	if held != nil {
		key.WriteString("held:")
	}
	tables := make([]*pgInsertTable, len(rows))
	n := 0
	for i, row := range rows {
		t := s.pgInsertTable(reflect.TypeOf(row).Elem())
		tables[i] = t
		key.WriteString(t.name)
		key.WriteByte(',')
		n += len(t.fields)
	}
	args := make([]any, 0, n+3)
	for i, row := range rows {
		v := reflect.ValueOf(row).Elem()
		for _, f := range tables[i].fields {
			args = append(args, pgValue(f.Value(v)))
		}
	}
	if held != nil { // the parameters after the rows' (pgInsertsQuery)
		args = append(args, held.Name, held.Permissions, int64(held.Version))
	}
	if s.PreparedHook != nil {
		s.PreparedHook(key.String())
	}
	if tx == nil {
		stmt, err := s.pgInsertsStmt(ctx, key.String(), tables, counted, held != nil)
		if err != nil {
			return err
		}
		return s.pgCreate(ctx, stmt, args, pgCreateLocks(rows)) // alone, or with others (pg_create_batch.go)
	}
	if st, ok := s.stmts.pgInserts.Load(key.String()); ok {
		_, err := tx.Tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
		return err
	}
	// Not prepared yet. Preparing on the pool would wait for a second
	// connection while tx holds one: with every connection held by such
	// transactions (a burst of /Bulk batches after a start) none would
	// ever come back. So this once the statement is prepared on tx's own
	// connection, and the pool's is prepared aside, once a connection is
	// free.
	q, err := pgInsertsQuery(tables, counted, held != nil)
	if err != nil {
		return err
	}
	if _, preparing := s.stmts.pgPreparing.LoadOrStore(key.String(), true); !preparing {
		go func(key string) {
			if _, err := s.pgInsertsStmt(context.WithoutCancel(ctx), key, tables, counted, held != nil); err != nil {
				s.stmts.pgPreparing.Delete(key) // the next miss tries again
			}
		}(key.String())
	}
	stmt, err := tx.Tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer stmt.Close()
	_, err = stmt.ExecContext(ctx, args...)
	return err
}

// pgInsertsMaxRoles bounds the role links of a create that pgInserts
// takes, and pgInsertsMaxRows its rows (the member, its role links, an
// invitation, its email, the audit event): each mix of rows is one more
// statement, prepared on every connection it runs on and kept for good, so
// a client sending users with 1, 2, … 500 roles would otherwise leave
// hundreds of them, each ever larger, on every connection. Creates with
// more roles go one INSERT at a time, counted by the triggers.
const (
	pgInsertsMaxRoles = 8
	pgInsertsMaxRows  = pgInsertsMaxRoles + 4
)

// pgInsertTable is what pgInserts needs of an entity's table.
type pgInsertTable struct {
	name   string
	cols   string // "(a, b, c)"
	fields []*schema.Field
}

func (s *Store) pgInsertTable(typ reflect.Type) *pgInsertTable {
	if t, ok := s.stmts.pgTables.Load(typ); ok {
		return t.(*pgInsertTable)
	}
	table := s.db.Table(typ)
	t := &pgInsertTable{name: string(table.SQLName), fields: table.Fields}
	cols := make([]string, len(table.Fields))
	for i, f := range table.Fields {
		cols[i] = string(f.SQLName)
	}
	t.cols = "(" + strings.Join(cols, ", ") + ")"
	s.stmts.pgTables.Store(typ, t)
	return t
}

// pgInsertsStmt is the prepared statement for one sequence of tables
// (key), made the first time: the first table's INSERT is the statement,
// the others its CTEs.
func (s *Store) pgInsertsStmt(ctx context.Context, key string, tables []*pgInsertTable, counted, held bool) (*sql.Stmt, error) {
	if st, ok := s.stmts.pgInserts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	q, err := pgInsertsQuery(tables, counted, held)
	if err != nil {
		return nil, err
	}
	st, err := s.db.DB.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.pgInserts.LoadOrStore(key, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

// pgInsertsQuery is the text of pgInsertsStmt's statement; held: see
// pgInserts (its three parameters follow the rows').
func pgInsertsQuery(tables []*pgInsertTable, counted, held bool) (string, error) {
	var b strings.Builder
	p := 1
	values := func(t *pgInsertTable) {
		b.WriteString("INSERT INTO " + t.name + " " + t.cols + " VALUES (")
		for i, f := range t.fields {
			if i > 0 {
				b.WriteString(", ")
			}
			param := "$" + strconv.Itoa(p)
			if counted && p == 1 && f.Name == "id" {
				// The member's id, set as muster.counted before its row
				// is inserted and its triggers' WHEN read.
				param = "set_config('muster.counted', " + param + ", true)"
			}
			b.WriteString(param)
			p++
		}
		b.WriteString(")")
	}
	first := tables[0]
	p += len(first.fields)
	var roleIDs []string // the member_roles rows' role_id parameters
	for i, t := range tables[1:] {
		if i == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		if t.name == `"member_roles"` {
			roleIDs = append(roleIDs, "$"+strconv.Itoa(p+pgColumn(t, "role_id")))
		}
		b.WriteString("i" + strconv.Itoa(i) + " AS (")
		values(t)
		b.WriteString(")\n")
	}
	if counted {
		ws, status := pgParam(first, "workspace_id"), pgParam(first, "status")
		if pgParam(first, "id") != "$1" || ws == "" || status == "" {
			return "", errors.New("pgInserts: counted needs a member first")
		}
		if held && len(roleIDs) != 1 {
			return "", errors.New("pgInserts: held needs one role link")
		}
		// As workspace_changes_bump and member_counts_apply do, on the
		// shard of the transaction, in the order every transaction takes
		// its locks: the rows the foreign keys will check (the workspace,
		// the roles) first, as the triggers ran after those checks (a
		// role's or workspace's deletion holds its row, then, at its own
		// COMMIT, a shard row: the other way round they could deadlock),
		// then the change token's shard row, then the count's.
		if len(tables) == 1 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		roles := "NULL"
		if len(roleIDs) > 0 {
			roles = strings.Join(roleIDs, "::varchar, ") + "::varchar"
		}
		afterRoles, checked := "SELECT count(*) FROM held_roles", ""
		if held {
			// The role as the create was built with it, or an error
			// (stale) that undoes the whole statement: an aggregate, so
			// the planner cannot fold the failing cast away beforehand,
			// and tested in bumped's WHERE, else the planner drops the
			// unused column.
			afterRoles = `SELECT (CASE WHEN count(*) = 1 THEN '1' ELSE '` + staleRole + `' END)::int AS ok FROM held_roles
		WHERE workspace_id = ` + ws + `::varchar AND builtin = 'member' AND name = $` + strconv.Itoa(p) + `::varchar
		AND permissions = $` + strconv.Itoa(p+1) + `::varchar AND version = $` + strconv.Itoa(p+2) + `::bigint`
			checked = "\n\tWHERE after_roles.ok = 1"
		}
		b.WriteString(`held_ws AS (SELECT 1 FROM workspaces WHERE id = ` + ws + `::varchar FOR KEY SHARE)
, held_roles AS (SELECT workspace_id, builtin, name, permissions, version FROM roles WHERE id IN (` + roles + `) FOR KEY SHARE)
, bumped AS (INSERT INTO workspace_changes (workspace_id, shard, n, last_tx)
	SELECT ` + ws + `::varchar, txid_current() % 16, 1, txid_current()
	FROM (SELECT count(*) FROM held_ws) AS after_ws, (` + afterRoles + `) AS after_roles` + checked + `
	ON CONFLICT (workspace_id, shard) DO UPDATE SET n = workspace_changes.n + 1, last_tx = EXCLUDED.last_tx
	WHERE workspace_changes.last_tx <> EXCLUDED.last_tx RETURNING 1)
, counted AS (INSERT INTO member_counts (workspace_id, status, shard, n)
	SELECT ` + ws + `::varchar, ` + status + `::varchar, txid_current() % 16, 1 FROM (SELECT count(*) FROM bumped) AS after_bump
	ON CONFLICT (workspace_id, status, shard) DO UPDATE SET n = member_counts.n + 1)
`)
	}
	p = 1
	values(first)
	return b.String(), nil
}

// staleRole is the text of the error a held role's create fails with
// when the role changed since it was read (isStaleRole).
const staleRole = "muster: the held role changed"

// isStaleRole tells the error of a create whose held role changed.
func isStaleRole(err error) bool {
	return err != nil && strings.Contains(err.Error(), staleRole)
}

// pgParam is the parameter ("$n") of t's column col in its INSERT, the
// statement's first.
func pgParam(t *pgInsertTable, col string) string {
	if i := pgColumn(t, col); i >= 0 {
		return "$" + strconv.Itoa(i+1)
	}
	return ""
}

// pgColumn is the index of t's column col, -1 if it has none.
func pgColumn(t *pgInsertTable, col string) int {
	for i, f := range t.fields {
		if f.Name == col {
			return i
		}
	}
	return -1
}

// pgValue is a field's value for the driver, as Bun would write it into
// the text: times in UTC in Bun's layout (a zero time too, which the
// driver would send as NULL), nil pointers as NULL.
func pgValue(v reflect.Value) any {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.UTC().Format(pgTime)
	case int:
		return int64(x)
	default:
		return x
	}
}

// pgTime is how Bun writes a time for PostgreSQL.
const pgTime = "2006-01-02 15:04:05.999999-07:00"
