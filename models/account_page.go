package models

import (
	"context"
	"errors"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"
)

// What a person changes about their own account (the account page), and
// where those changes are recorded.
//
// An account is global, but the audit log belongs to workspaces. A change
// to an account (its name, password, second factor, sessions) is recorded in
// the audit log of every workspace the account has joined (active or
// deactivated), with that workspace's member as the target, so each
// workspace's admins see what happened to their member's sign-in. An
// account that belongs to no workspace has no audit log; nothing is
// recorded for it.

// auditAccount records action in every workspace accountID has joined.
// actor is who did it; a zero Actor means the person themselves, named as
// each workspace knows them. An actor from one workspace (an admin) appears
// under their own name there, and as "Name (admin of Workspace)" elsewhere.
func (s *Store) auditAccount(ctx context.Context, tx bun.IDB, accountID string, actor Actor, actorWS *Workspace, action string, changes map[string]Change) error {
	var ms []Member
	if err := tx.NewSelect().Model(&ms).Where("account_id = ? AND status <> ?", accountID, StatusInvited).Scan(ctx); err != nil {
		return err
	}
	for _, m := range ms {
		a := actor
		switch {
		case actor.Kind == "":
			a = MemberActor(&m)
		case actorWS != nil && actorWS.ID != m.WorkspaceID:
			a = Actor{Kind: "system", Name: actor.Name + " (admin of " + actorWS.Name + ")"}
		}
		if err := s.audit(ctx, tx, m.WorkspaceID, a, action, "member", m.ID, m.DisplayName, changes); err != nil {
			return err
		}
	}
	return nil
}

// AccountSession is one signed-in browser as the account page lists it.
type AccountSession struct {
	ID         string    `bun:"id"`
	IP         string    `bun:"ip"`
	UserAgent  string    `bun:"user_agent"`
	CreatedAt  time.Time `bun:"created_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	Current    bool      `bun:"-"`
}

// AccountSessions lists an account's live sessions, most recently seen
// first; the one whose token is current is marked.
func (s *Store) AccountSessions(ctx context.Context, accountID, current string) ([]AccountSession, error) {
	var out []AccountSession
	err := s.rdb.NewSelect().Model((*Session)(nil)).Column("id", "ip", "user_agent", "created_at", "last_seen_at").
		Where("account_id = ? AND expires_at > ?", accountID, s.now()).Order("last_seen_at DESC", "id").Scan(ctx, &out)
	for i := range out {
		out[i].Current = out[i].ID == HashToken(current)
	}
	return out, err
}

// EndOtherSessions signs the account out everywhere but the browser holding
// current, and says how many sessions ended.
func (s *Store) EndOtherSessions(ctx context.Context, acc *Account, current string) (int, error) {
	var n int
	err := s.tx(ctx, func(tx bun.Tx) error {
		var err error
		n, err = endSessions(ctx, tx, acc.ID, current)
		if err != nil || n == 0 {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, Actor{}, nil, "account.sessions_ended", map[string]Change{"sessions": {n, 0}})
	})
	return n, err
}

// endSessions deletes an account's sessions except the one holding keep
// ("" keeps none), and its unfinished second sign-in steps.
func endSessions(ctx context.Context, tx bun.IDB, accountID, keep string) (int, error) {
	q := tx.NewDelete().Model((*Session)(nil)).Where("account_id = ?", accountID)
	if keep != "" {
		q = q.Where("id <> ?", HashToken(keep))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := tx.NewDelete().Model((*signinChallenge)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// RenameAccount changes the account's own name: the one in the header and
// the one new workspaces and invitations start from. Each workspace keeps
// its own profile of the member (an identity provider may own it), so
// names inside workspaces do not change.
func (s *Store) RenameAccount(ctx context.Context, acc *Account, name string) (*Account, error) {
	name = cleanName(name)
	v := validator{}
	checkName(v, "name", name, "your name", 200)
	if err := v.err(); err != nil {
		return nil, err
	}
	if name == acc.Name {
		return acc, nil
	}
	updated := *acc
	updated.Name = name
	err := s.tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("name = ?", name).Where("id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, acc.ID, Actor{}, nil, "account.name_changed", map[string]Change{"account_name": {acc.Name, name}})
	})
	if err != nil {
		return nil, err
	}
	return &updated, nil
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the account (the browser holding current
// stays signed in).
func (s *Store) ChangePassword(ctx context.Context, acc *Account, current, currentPassword, newPassword, confirm string) error {
	v := validator{}
	if currentPassword == "" {
		v.add("current_password", "Enter your current password.")
	}
	checkPassword(v, "new_password", newPassword)
	if newPassword != confirm {
		v.add("confirm_password", "The two new passwords differ.")
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := s.checkOwnPassword(ctx, acc.ID, currentPassword, "current_password", "That is not your current password."); err != nil {
		return err
	}
	newHash, err := hashPassword(newPassword)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx bun.Tx) error {
		return s.setPassword(ctx, tx, acc.ID, newHash, current, "account.password_changed")
	})
}

// Wrong passwords given on the account page (to change the password or turn
// two-factor off) are limited per account, so a session left open is no way
// to guess the password.
const (
	wrongPasswordsPerAccount = 10
	wrongPasswordWindow      = 15 * time.Minute
)

// checkOwnPassword checks a signed-in person's password, answering a field
// error (or, past the limit, a RateLimitedError without checking).
func (s *Store) checkOwnPassword(ctx context.Context, accountID, password, field, msg string) error {
	// Counted before the hash, in one statement, as sign-in attempts are:
	// concurrent guesses cannot outrun the limit, and hashes take turns.
	key := "password:" + accountID
	n, start, err := s.bumpCount(ctx, s.db, key, wrongPasswordWindow)
	if err != nil {
		return err
	}
	if n > wrongPasswordsPerAccount {
		return &RateLimitedError{RetryAfter: start.Add(wrongPasswordWindow).Sub(s.now())}
	}
	var hash string
	if err := s.rdb.NewSelect().Model((*Account)(nil)).Column("password_hash").Where("id = ?", accountID).Scan(ctx, &hash); err != nil {
		return notFound(err)
	}
	var ok bool
	if err := withHashSlot(ctx, func() (e error) { ok, e = argon2id.ComparePasswordAndHash(password, hash); return e }); err != nil && ctx.Err() != nil {
		return err
	}
	if !ok {
		return &ValidationError{Fields: map[string]string{field: msg}}
	}
	// The right password: its own attempt does not count against them.
	_, err = s.db.NewUpdate().TableExpr("request_counts").Set("count = count - 1").Where("key = ? AND count > 0", key).Exec(ctx)
	return err
}

// setPassword stores a new hash, ends the account's sessions but keep, ends
// its unused reset links, and records action.
func (s *Store) setPassword(ctx context.Context, tx bun.Tx, accountID, hash, keep, action string) error {
	if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("password_hash = ?", hash).Where("id = ?", accountID).Exec(ctx); err != nil {
		return err
	}
	n, err := endSessions(ctx, tx, accountID, keep)
	if err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*passwordReset)(nil)).Set("used_at = ?", s.now()).
		Where("account_id = ? AND used_at IS NULL", accountID).Exec(ctx); err != nil {
		return err
	}
	var changes map[string]Change
	if n > 0 {
		changes = map[string]Change{"sessions_ended": {nil, n}}
	}
	return s.auditAccount(ctx, tx, accountID, Actor{}, nil, action, changes)
}

// accountByEmail finds an account by its (normalised) email.
func accountByEmail(ctx context.Context, db bun.IDB, email string) (*Account, error) {
	var acc Account
	if err := db.NewSelect().Model(&acc).Where("email = ?", NormalizeEmail(email)).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &acc, nil
}

// memberAccount loads the account behind a member of ws, for an admin's
// action on their sign-in. Only an active member who has joined has one;
// and only someone who could give all of the member's roles may act on it,
// as with every other change to a member.
func (s *Store) memberAccount(ctx context.Context, tx bun.IDB, actor Actor, ws *Workspace, memberID, what string) (*Member, *Account, error) {
	m, err := memberInWorkspace(ctx, tx, ws.ID, memberID)
	if err != nil {
		return nil, nil, err
	}
	if m.AccountID == nil || m.Status != StatusActive {
		return nil, nil, &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName + " has no active account here to " + what + "."}
	}
	if err := s.loadRoles(ctx, tx, []*Member{m}); err != nil {
		return nil, nil, err
	}
	if err := checkGrantable(actor, m.Roles); err != nil {
		return nil, nil, &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName +
			" has a role whose permissions you don't have, so you can't " + what + "."}
	}
	var acc Account
	if err := tx.NewSelect().Model(&acc).Where("id = ?", *m.AccountID).Scan(ctx); err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil, nil, &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName + " has no account to " + what + "."}
		}
		return nil, nil, err
	}
	return m, &acc, nil
}
