package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"runtime"
	"time"

	"github.com/google/uuid"
	"github.com/muster-app/muster/internal/bounded"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Store runs Muster's domain operations against one database.
type Store struct {
	db *bun.DB
	// rdb is where reads outside a transaction go: on SQLite a read-only
	// pool of its own (UseReader), so a page view or a SCIM GET never waits
	// for a connection the writer holds; otherwise db itself.
	rdb *bun.DB
	// Now is the clock; tests move it to expire sessions and rate limits.
	Now func() time.Time
	// InviteExpiry is how long invitation links last in new workspaces,
	// InvitesPerHour how many invitations a new workspace may send an hour.
	InviteExpiry   time.Duration
	InvitesPerHour int
	// SecretKey (32 bytes) seals secrets kept for later use, such as an
	// identity provider's client secret (secretbox.go).
	SecretKey []byte
	// ListTimeout bounds each list query (members table, SCIM lists):
	// 0 is DefaultListTimeout, negative is none.
	ListTimeout time.Duration

	// WriteGroup is how many write operations one SQLite transaction
	// takes at most (group_commit.go); 1 runs them one by one.
	WriteGroup int
	// WriteWait is how long a group waits at most for the writers about
	// to join it (group_commit.go): 0 is WriteWaitDefault, negative is
	// no wait.
	WriteWait time.Duration

	// PreparedHook, when set, is called with each statement queryPrepared
	// runs as a prepared statement on SQLite, which Bun's query hooks do
	// not see: tests count a request's statements with both.
	PreparedHook func(query string)

	// TokenCacheTTL bounds how long AuthenticateSCIM serves a token from
	// memory (scim_token_cache.go): 0 is DefaultTokenCacheTTL, negative
	// turns the cache off.
	TokenCacheTTL time.Duration

	// NoMemberPageCache reads every members page afresh
	// (members_page_cache.go): for tests that compare a kept page with one
	// read anew.
	NoMemberPageCache bool

	stmts  stmtCache
	writes groupQueue
	// pgCreates queues PostgreSQL's SCIM creates (pg_create_batch.go).
	pgCreates pgCreateQueue
	tokens    tokenCache
	// searchCounts keeps members searches' counts (members_count_cache.go).
	searchCounts *bounded.Map[string, searchCount]
	// scimCounts keeps SCIM lists' totals, scanSlots bounds their scans
	// (scim_count.go).
	scimCounts scimCountCache
	scanSlots  chan struct{}
	// memberPages keeps members pages (members_page_cache.go).
	memberPages *bounded.Map[string, keptMemberPage]
	// kept keeps a workspace's roles and sole Admin for the members page
	// (members_page_kept.go).
	kept *bounded.Map[string, workspaceKept]
	// memberRoles keeps Membership's roles (membership_roles.go).
	memberRoles *bounded.Map[string, keptMemberRoles]
	ckpt        checkpointer
}

// NewStore wraps an open, migrated database.
func NewStore(db *bun.DB) *Store {
	return &Store{db: db, rdb: db, Now: time.Now, InviteExpiry: 7 * 24 * time.Hour, InvitesPerHour: 100,
		WriteGroup: WriteGroupDefault, scanSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))),
		searchCounts: bounded.New[string, searchCount](searchCountCacheMax),
		memberPages:  bounded.New[string, keptMemberPage](memberPageCacheMax),
		kept:         bounded.New[string, workspaceKept](workspaceKeptMax),
		memberRoles:  bounded.New[string, keptMemberRoles](membershipRolesMax)}
}

// DB exposes the handle for tests and tools that need raw access.
func (s *Store) DB() *bun.DB { return s.db }

// UseReader sends the store's reads outside transactions to r, a pool
// OpenReader made on the same SQLite file (nil keeps them on the writer).
// The writer then keeps a single connection: SQLite takes one writer at a
// time anyway, so writers wait their turn in Go (the group commit, then
// each direct write in order) instead of in SQLite's busy handler, and no
// reader ever waits for the writer's connections. In WAL mode a read
// transaction started after a COMMIT returned sees it, whatever its
// connection, so a page read right after a write shows the write.
func (s *Store) UseReader(r *bun.DB) {
	if r == nil || s.IsPostgres() {
		return
	}
	s.rdb = r
	s.db.SetMaxOpenConns(1)
	s.db.SetMaxIdleConns(1)
}

// AddQueryHook adds h to the writer and, if it has one, the reader (for
// tests that count statements).
func (s *Store) AddQueryHook(h bun.QueryHook) {
	s.db.AddQueryHook(h)
	if s.rdb != s.db {
		s.rdb.AddQueryHook(h)
	}
}

// Close closes the store's pools.
func (s *Store) Close() error {
	var err error
	if s.rdb != s.db {
		err = s.rdb.Close()
	}
	return errors.Join(err, s.db.Close())
}

// IsPostgres tells which dialect the store runs on.
func (s *Store) IsPostgres() bool { return s.db.Dialect().Name() == dialect.PG }

// now is the store's clock in UTC, cut to microseconds: both databases keep
// microseconds, so a value read back compares equal to the one written.
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// newID makes a time-ordered UUIDv7.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// tx runs fn in one transaction: every operation commits all of its writes,
// audit event included, or none. Inside a batch (InBatch) it runs in a
// savepoint of the batch's transaction instead, so a failing operation
// undoes only its own writes. On SQLite it joins the write queue and may
// share its transaction with others (group_commit.go). Under a ChangeWatch (WatchChanges) it also
// notes whether its writes were the only ones to the watched workspace.
func (s *Store) tx(ctx context.Context, fn func(tx bun.Tx) error) error {
	if batch, ok := ctx.Value(batchKey{}).(bun.Tx); ok {
		return batch.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
	}
	defer s.tokens.settle(s.tokens.gen.Load()) // after COMMIT (scim_token_cache.go)
	s.prepareInserts(ctx)
	plain, w := s.plainTx(ctx)
	switch {
	case plain:
		return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
	case !s.IsPostgres():
		return s.groupTx(ctx, w, fn)
	}
	return s.watchedTx(ctx, w, fn)
}

// plainTx tells whether tx runs an operation in ctx as a transaction of
// its own on PostgreSQL: not in a batch's (InBatch), not under a
// ChangeWatch (WatchChanges, returned), not on SQLite (the write queue).
// Only then may an operation do without BEGIN, as one statement that
// PostgreSQL runs as one implicit transaction (createSCIMUserAtOnce's
// pgInserts, whose muster.counted then ends with it), or with other such
// statements in one transaction (pg_create_batch.go: each sets
// muster.counted anew before its member's row), and be what tx would have
// made of it.
func (s *Store) plainTx(ctx context.Context) (plain bool, w *ChangeWatch) {
	w, _ = ctx.Value(changeWatchKey{}).(*ChangeWatch)
	return s.IsPostgres() && w == nil && !inBatch(ctx), w
}

type batchKey struct{}

// InBatch runs fn with a context whose domain operations all join one
// transaction, committed when fn returns nil. SCIM /Bulk runs many
// operations this way: one commit for hundreds of changes, where a commit
// each would spend most of the time writing the log.
func (s *Store) InBatch(ctx context.Context, fn func(ctx context.Context) error) error {
	defer s.tokens.settle(s.tokens.gen.Load()) // after COMMIT (scim_token_cache.go)
	s.prepareInserts(ctx)
	if !s.IsPostgres() { // in the write queue, not the busy handler
		return s.groupTx(ctx, nil, func(tx bun.Tx) error { return fn(context.WithValue(ctx, batchKey{}, tx)) })
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(context.WithValue(ctx, batchKey{}, tx))
	})
}

// conn is where an operation reads after its transaction: the batch's
// transaction when there is one (its writes are not committed yet, and on
// SQLite another connection would wait for it), the reader otherwise.
func (s *Store) conn(ctx context.Context) bun.IDB {
	if batch, ok := ctx.Value(batchKey{}).(bun.Tx); ok {
		return batch
	}
	return s.rdb
}

// inBatch tells whether ctx runs inside InBatch's transaction.
func inBatch(ctx context.Context) bool {
	_, ok := ctx.Value(batchKey{}).(bun.Tx)
	return ok
}

// Actor is who performs an operation, as the audit log names them.
type Actor struct {
	Kind string // "member" or "system"
	ID   string
	Name string
	// Perms are what the actor may grant: nobody hands out a permission
	// they do not hold. Nil means no such limit (Muster itself, a shell
	// command, tests of other rules).
	Perms PermissionSet
}

// MemberActor names a member as the actor of an operation.
func MemberActor(m *Member) Actor { return Actor{Kind: "member", ID: m.ID, Name: m.DisplayName} }

// WithPerms limits what the actor may grant to perms.
func (a Actor) WithPerms(perms PermissionSet) Actor {
	a.Perms = perms
	return a
}

// cannotGrant returns the permissions in ps the actor does not hold.
func (a Actor) cannotGrant(ps []Permission) []Permission {
	if a.Perms == nil {
		return nil
	}
	var missing []Permission
	for _, p := range ps {
		if !a.Perms.Has(p) {
			missing = append(missing, p)
		}
	}
	return missing
}

// SystemActor is Muster itself or a shell command.
var SystemActor = Actor{Kind: "system", Name: "Muster"}

// Change is one changed field: before and after.
type Change [2]any

func (s *Store) audit(ctx context.Context, tx bun.IDB, wsID string, actor Actor, action, targetKind, targetID, targetName string, changes map[string]Change) error {
	ev, err := s.auditEvent(wsID, actor, action, targetKind, targetID, targetName, changes)
	if err != nil {
		return err
	}
	if t, ok := tx.(bun.Tx); ok {
		return s.insertRow(ctx, t, ev)
	}
	_, err = tx.NewInsert().Model(ev).Exec(ctx)
	return err
}

// auditEvent builds an audit event for audit, or for a batch insert.
func (s *Store) auditEvent(wsID string, actor Actor, action, targetKind, targetID, targetName string, changes map[string]Change) (*AuditEvent, error) {
	s.tokens.authChange(action, changes)
	body := "{}"
	if len(changes) > 0 {
		b, err := json.Marshal(changes)
		if err != nil {
			return nil, err
		}
		body = string(b)
	}
	return s.auditEventJSON(wsID, actor, action, targetKind, targetID, targetName, body), nil
}

// auditEventJSON is auditEvent with its changes already JSON (body).
func (s *Store) auditEventJSON(wsID string, actor Actor, action, targetKind, targetID, targetName, body string) *AuditEvent {
	ev := &AuditEvent{
		ID: newID(), WorkspaceID: wsID, ActorKind: actor.Kind, ActorName: truncate(actor.Name, 200),
		Action: action, TargetKind: targetKind, TargetName: truncate(targetName, 200), Changes: body, CreatedAt: s.now(),
	}
	if actor.ID != "" {
		ev.ActorID = &actor.ID
	}
	if targetID != "" {
		ev.TargetID = &targetID
	}
	return ev
}

// AuditEvents returns a workspace's newest events first (the audit page grows on this).
func (s *Store) AuditEvents(ctx context.Context, wsID string, limit int) ([]AuditEvent, error) {
	var evs []AuditEvent
	err := s.rdb.NewSelect().Model(&evs).Where("workspace_id = ?", wsID).Order("id DESC").Limit(int64(limit)).Scan(ctx)
	return evs, err
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
