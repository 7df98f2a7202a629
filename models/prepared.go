package models

import (
	"context"
	"database/sql"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Bun writes argument values into the SQL text, so SQLite parses every
// query anew, and PostgreSQL parses and plans it; for the lookups an
// identity provider sends before nearly every write (token, userName or
// externalId, the member's roles) parsing was half the time of the request
// on SQLite, planning most of the server's on PostgreSQL. queryPrepared
// runs such fixed queries as prepared statements, parsed once per
// connection (prepared_pg.go: what differs on PostgreSQL).

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	once       sync.Once
	inserts    map[reflect.Type]*sql.Stmt // insertRow's, by entity
	memberRole *sql.Stmt                  // memberRoleIn's
	added      []*sql.Stmt                // execAdded's (members_added.go)
	flush      []*sql.Stmt                // flushSearchIndexTx's: the queue's test, then searchFlush
	sets       map[reflect.Type]*setStmt  // insertSet's (members_set_json.go)

	pgTables, pgInserts sync.Map // PostgreSQL's pgInserts: by entity type, by sequence of tables
	pgPreparing         sync.Map // the keys of pgInserts being prepared aside (pgInserts in a transaction)
	pgMemberRole        pgMemberRoleStmt
}

// queryPrepared scans the rows of query (with ? placeholders) into dest,
// a pointer to a slice: unlike Bun's Scan, an empty result is no error.
// Inside a batch's transaction it goes through Bun, and on PostgreSQL
// when an argument is not one to bind as it is (pgBindable).
func (s *Store) queryPrepared(ctx context.Context, dest any, query string, args ...any) error {
	if inBatch(ctx) || s.IsPostgres() && !pgBindable(args) {
		return s.conn(ctx).NewRaw(query, args...).Scan(ctx, dest)
	}
	rows, err := s.rowsPrepared(ctx, query, args...)
	if err != nil {
		return err
	}
	return s.rdb.ScanRows(ctx, rows, dest)
}

// rowsPrepared runs query as queryPrepared does but returns its rows, for
// a caller that scans them itself (without Bun's reflection).
func (s *Store) rowsPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	pg := s.IsPostgres()
	if inBatch(ctx) || pg && !pgBindable(args) {
		return s.conn(ctx).QueryContext(ctx, query, args...)
	}
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		if pg { // not prepared (refused, or the server not reached): through Bun
			return s.rdb.QueryContext(ctx, query, args...)
		}
		return nil, err
	}
	if s.PreparedHook != nil {
		s.PreparedHook(query)
	}
	return stmt.QueryContext(ctx, args...)
}

func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	st, ok := c.stmts[query]
	c.mu.Unlock()
	if ok {
		if st == nil {
			return nil, errPrepareRefused
		}
		return st, nil
	}
	// Prepared outside the lock: on PostgreSQL this waits for a connection
	// of the pool and for the server, and the lookups already prepared
	// must not wait with it.
	text := query
	if s.IsPostgres() {
		text = pgPlaceholders(query)
	}
	st, err := s.rdb.DB.PrepareContext(ctx, text) // reads: on the reader
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.stmts[query]; ok { // another caller's, meanwhile
		if st != nil {
			_ = st.Close()
		}
		if kept == nil {
			return nil, errPrepareRefused
		}
		return kept, nil
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	if err != nil {
		if s.IsPostgres() && pgRefused(err) {
			c.stmts[query] = nil // not asked again on every run
		}
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// insertRow inserts one entity (a pointer to a struct) the way Bun would,
// but on SQLite as a prepared statement: an INSERT into members compiled
// its triggers (search index, counts, change token) each time it was
// prepared, and that was a fifth of the cost of a SCIM create. Values are
// bound as Bun writes them, so both paths store the same text. A member
// then gets its bookkeeping (membersAdded).
func (s *Store) insertRow(ctx context.Context, tx bun.Tx, row any) error {
	v := reflect.ValueOf(row).Elem()
	var err error
	if stmt := s.stmts.inserts[v.Type()]; stmt == nil { // PostgreSQL, or not prepared
		_, err = tx.NewInsert().Model(row).Exec(ctx)
	} else {
		fields := s.db.Table(v.Type()).Fields
		args := make([]any, len(fields))
		for i, f := range fields {
			args[i] = sqliteValue(f.Value(v))
		}
		_, err = tx.Tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	}
	if m, ok := row.(*Member); ok && err == nil {
		err = s.membersAdded(ctx, tx, []*Member{m})
	}
	return err
}

// prepareInserts prepares insertRow's statements once, before the first
// transaction: preparing takes a connection of the pool, which a
// transaction waiting for SQLite's write lock must not wait for.
func (s *Store) prepareInserts(ctx context.Context) {
	// Not the caller's cancellation: a request that went away must not
	// leave the store without its statements for good.
	ctx = context.WithoutCancel(ctx)
	s.stmts.once.Do(func() {
		if s.IsPostgres() {
			return
		}
		s.watchLog(ctx)
		s.stmts.inserts = map[reflect.Type]*sql.Stmt{}
		for _, row := range []any{Member{}, MemberRole{}, Invite{}, OutboxMessage{}, AuditEvent{}, SCIMLogEntry{}} {
			table := s.db.Table(reflect.TypeOf(row))
			cols := make([]string, len(table.Fields))
			for i, f := range table.Fields {
				cols[i] = string(f.SQLName)
			}
			query := "INSERT INTO " + string(table.SQLName) + " (" + strings.Join(cols, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(cols)-1) + ")"
			if stmt, err := s.db.DB.PrepareContext(ctx, query); err == nil {
				s.stmts.inserts[table.Type] = stmt
			}
		}
		s.prepareSetInserts(ctx)
		var cols []string
		for _, f := range s.db.Table(reflect.TypeOf(Role{})).Fields {
			cols = append(cols, string(f.SQLName))
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM roles WHERE " + memberRoleWhere
		if stmt, err := s.db.DB.PrepareContext(ctx, q); err == nil {
			s.stmts.memberRole = stmt
		}
		// Where they are nil, execAdded and flushSearchIndexTx compile
		// their statements each time.
		s.stmts.added = s.prepareAll(ctx, membersAddedStmts...)
		s.stmts.flush = s.prepareAll(ctx, append([]string{searchDue}, searchFlush...)...)
	})
}

// prepareAll prepares queries on the writer's pool: all of them, or none
// (nil) if one fails.
func (s *Store) prepareAll(ctx context.Context, queries ...string) []*sql.Stmt {
	stmts := make([]*sql.Stmt, 0, len(queries))
	for _, q := range queries {
		stmt, err := s.db.DB.PrepareContext(ctx, q)
		if err != nil {
			return nil
		}
		stmts = append(stmts, stmt)
	}
	return stmts
}

// memberRoleIn reads a workspace's built-in Member role in tx, the role a
// SCIM user gets when the identity provider names none: on SQLite as a
// prepared statement on the writer, since compiling the SELECT anew was a
// tenth of a create's CPU. In a group that runs whole (runWhole: SCIM
// creates and log batches, none of which changes an existing role) it is
// read once per workspace and group (groupQueue.memberRoles): the read and
// its scan were 4 % of a POST /Users.
func (s *Store) memberRoleIn(ctx context.Context, tx bun.Tx, wsID string) ([]Role, error) {
	q := &s.writes
	if q.whole {
		if roles, ok := q.memberRoles[wsID]; ok {
			return slices.Clone(roles), nil
		}
	}
	stmt := s.stmts.memberRole
	if stmt == nil { // PostgreSQL, or not prepared
		return memberRole(ctx, tx, wsID)
	}
	var roles []Role
	rows, err := tx.Tx.StmtContext(ctx, stmt).QueryContext(ctx, wsID)
	if err != nil {
		return nil, err
	}
	if err = s.db.ScanRows(ctx, rows, &roles); err == nil && q.whole {
		if q.memberRoles == nil {
			q.memberRoles = map[string][]Role{}
		}
		q.memberRoles[wsID] = slices.Clone(roles)
	}
	return roles, err
}

// memberRoleWhere picks a workspace's built-in Member role from roles.
const memberRoleWhere = "workspace_id = ? AND builtin = 'member'"

// memberRole reads a workspace's built-in Member role through db, with Bun.
func memberRole(ctx context.Context, db bun.IDB, wsID string) ([]Role, error) {
	var roles []Role
	err := db.NewSelect().Model(&roles).Where(memberRoleWhere, wsID).Scan(ctx)
	return roles, err
}

// sqliteValue is a field's value as Bun writes it to SQLite: times as UTC
// text in Bun's layout (they sort and compare as text), booleans as 1 or 0.
func sqliteValue(v reflect.Value) any {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.UTC().Format(sqliteTime)
	case bool:
		if x {
			return 1
		}
		return 0
	default:
		return x
	}
}

// insertRows inserts one entity each (pointers to structs), in order, in
// as few round trips as the database allows. PostgreSQL gets them as one
// prepared statement (pgInserts: the INSERTs after the first are its
// CTEs), so five INSERTs are one round trip instead of five (a create
// waits on the network for each, with the transaction open), parsed once
// per connection. A row refused refuses the statement and its error comes
// back, as with one INSERT at a time. SQLite runs each prepared
// (insertRow): there a round trip is a function call.
func (s *Store) insertRows(ctx context.Context, tx bun.Tx, rows ...any) error {
	// More rows than pgInsertsMaxRows: one at a time, rather than one more
	// statement kept prepared on every connection for good.
	if !s.IsPostgres() || len(rows) == 1 || len(rows) > pgInsertsMaxRows {
		for _, row := range rows {
			if err := s.insertRow(ctx, tx, row); err != nil {
				return err
			}
		}
		return nil
	}
	return s.pgInserts(ctx, &tx, rows, false, nil)
}

// sqliteTime is how Bun writes a time for SQLite.
const sqliteTime = "2006-01-02 15:04:05.999999-07:00"
