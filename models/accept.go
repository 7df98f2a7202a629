package models

import (
	"context"
	"errors"

	"github.com/uptrace/bun"
)

// Link states as the accept page names them.
const (
	LinkValid      = "valid"
	LinkExpired    = "expired"
	LinkRevoked    = "revoked"    // withdrawn, or the member was removed
	LinkSuperseded = "superseded" // a newer link was sent
	LinkAccepted   = "accepted"
	LinkUnknown    = "unknown"
)

// InviteDetails is what an invitation link leads to.
type InviteDetails struct {
	State     string
	Invite    *Invite
	Member    *Member
	Workspace *Workspace
	// HasAccount: someone can already sign in with the invited email, so
	// accepting means signing in rather than creating an account.
	HasAccount bool
}

// LookupInvite reads what a link is for without changing anything: mail
// scanners open links, so only an explicit accept may use one.
func (s *Store) LookupInvite(ctx context.Context, token string) (*InviteDetails, error) {
	return s.lookupInvite(ctx, s.rdb, token, false)
}

// lookupInvite reads a link's invite; with lock (inside a transaction) it
// holds the invite row on PostgreSQL so two accepts cannot both see it
// pending. SQLite's writers already run one at a time.
func (s *Store) lookupInvite(ctx context.Context, db bun.IDB, token string, lock bool) (*InviteDetails, error) {
	d := &InviteDetails{State: LinkUnknown}
	if token == "" || len(token) > 100 {
		return d, nil
	}
	var inv Invite
	q := db.NewSelect().Model(&inv).Where("token_hash = ?", inviteKey(token))
	if lock && s.IsPostgres() {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if err = notFound(err); errors.Is(err, ErrNotFound) {
			return d, nil
		}
		return nil, err
	}
	d.Invite = &inv
	var ws Workspace
	if err := db.NewSelect().Model(&ws).Where("id = ?", inv.WorkspaceID).Scan(ctx); err != nil {
		return nil, err
	}
	d.Workspace = &ws
	m, err := memberInWorkspace(ctx, db, inv.WorkspaceID, inv.MemberID)
	if errors.Is(err, ErrNotFound) {
		d.State = LinkRevoked // the member was removed, or the invitation revoked
		if inv.State == InviteAccepted {
			d.State = LinkAccepted
		}
		return d, nil
	} else if err != nil {
		return nil, err
	}
	if err := s.loadRoles(ctx, db, []*Member{m}); err != nil {
		return nil, err
	}
	d.Member = m
	n, err := db.NewSelect().Model((*Account)(nil)).Where("email = ?", m.Email).Count(ctx)
	if err != nil {
		return nil, err
	}
	d.HasAccount = n > 0
	switch {
	case inv.State == InviteAccepted:
		d.State = LinkAccepted
	case inv.State == InviteSuperseded:
		d.State = LinkSuperseded
	case inv.State == InviteRevoked || m.Status != StatusInvited || !m.CanBeInvited():
		d.State = LinkRevoked
	case !s.now().Before(inv.ExpiresAt):
		d.State = LinkExpired
	default:
		d.State = LinkValid
	}
	return d, nil
}

// InviteLinkError: the link cannot be used; State says why.
type InviteLinkError struct{ State string }

func (e *InviteLinkError) Error() string { return "invitation link is " + e.State }

// AcceptInput is who accepts: a signed-in account (whose email must be the
// invited one), or a new person's name and password.
type AcceptInput struct {
	Account  *Account
	Name     string
	Password string
}

// AcceptInvite uses a link once: the member becomes active with the role
// they were given, linked to the account, which is created here for a
// person new to Muster. The link can never be used again.
func (s *Store) AcceptInvite(ctx context.Context, token string, in AcceptInput) (*Account, *Workspace, error) {
	first, err := s.LookupInvite(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if first.State != LinkValid {
		return nil, nil, &InviteLinkError{State: first.State}
	}
	var newAcc *Account
	if in.Account == nil {
		if newAcc, err = s.newAccount(validator{}, in.Name, first.Member.Email, in.Password); err != nil {
			return nil, nil, err
		}
	}
	var acc *Account
	var ws *Workspace
	err = s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, first.Workspace.ID); err != nil {
			return err
		}
		d, err := s.lookupInvite(ctx, tx, token, true)
		if err != nil {
			return err
		}
		if d.State != LinkValid {
			return &InviteLinkError{State: d.State}
		}
		m, now := d.Member, s.now()
		if in.Account != nil {
			if in.Account.Email != m.Email {
				return &ConflictError{Code: ConflictAccount, Message: "This invitation is for " + m.Email +
					", but you are signed in as " + in.Account.Email + ". Sign out, then open the link again."}
			}
			acc = in.Account
		} else {
			if d.HasAccount {
				return &ConflictError{Code: ConflictAccount, Field: "password",
					Message: "There is already an account for " + m.Email + ". Sign in to accept."}
			}
			if _, err := tx.NewInsert().Model(newAcc).Exec(ctx); err != nil {
				if isUniqueViolation(err) { // created a moment ago by another invitation
					return &ConflictError{Code: ConflictAccount, Field: "password",
						Message: "There is already an account for " + m.Email + ". Open the link again and sign in to accept."}
				}
				return err
			}
			acc = newAcc
		}
		name := m.DisplayName
		if in.Account == nil {
			name = newAcc.Name // the person may put their name better than the admin did
		}
		before := m.DisplayName
		m.AccountID, m.Status, m.DisplayName, m.LastSeenAt = &acc.ID, StatusActive, name, &now
		m.setDerived()
		m.Version++
		m.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(m).Column("account_id", "status", "display_name", "sort_name", "search_text", "version", "updated_at", "last_seen_at").
			WherePK().Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return &ConflictError{Code: ConflictAccount, Message: "You are already a member of " + d.Workspace.Name + "."}
			}
			return err
		}
		if _, err := tx.NewUpdate().Model(d.Invite).Set("state = ?", InviteAccepted).Set("ended_at = ?", now).WherePK().Exec(ctx); err != nil {
			return err
		}
		ws = d.Workspace
		changes := map[string]Change{"status": {StatusInvited, StatusActive}}
		if before != name {
			changes["name"] = Change{before, name}
		}
		return s.audit(ctx, tx, ws.ID, MemberActor(m), "invite.accepted", "member", m.ID, m.DisplayName, changes)
	})
	if err != nil {
		return nil, nil, err
	}
	return acc, ws, nil
}
