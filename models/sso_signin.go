package models

import (
	"context"
	"errors"
	"strings"

	"github.com/uptrace/bun"
)

// SSOIdentity is what a workspace's identity provider vouched for in a
// verified ID token.
type SSOIdentity struct {
	Subject string
	Email   string
	// EmailVerified: the provider says it checked Email. An unverified
	// address is never used to find anyone.
	EmailVerified bool
	// UserNames are the provider's login names (preferred_username, upn):
	// matched against the userName SCIM provisioned, as Entra's UPN is.
	UserNames []string
	Name      string
}

// SSORefusal reasons.
const (
	SSONotConfigured = "not_configured"
	SSODeactivated   = "deactivated"
	SSONotMember     = "not_member"
	SSOUnverified    = "unverified"
	SSOAccountExists = "account_exists"
)

// SSORefusedError: the provider vouched for someone this workspace does not admit.
type SSORefusedError struct {
	Reason  string
	Message string
}

func (e *SSORefusedError) Error() string { return e.Message }

// SSOSignIn finds who a workspace's identity provider signed in, only among
// that workspace's members: by verified email, by the account with that
// email, or by the SCIM userName the provider gave. An invited member
// becomes active (no emailed link needed) with an account made for them
// if they have none; with just-in-time membership on, a person of an
// allowed domain joins with the chosen role. A deactivated member, or
// anybody else, is refused. Everything, audit event included, is one
// transaction.
func (s *Store) SSOSignIn(ctx context.Context, ws *Workspace, id SSOIdentity) (*Account, *Member, error) {
	email := ""
	if id.EmailVerified {
		email = NormalizeEmail(id.Email)
		if checkEmail(email) != "" {
			email = ""
		}
	}
	var acc *Account
	var member *Member
	err := s.tx(ctx, func(tx bun.Tx) error {
		cfg, err := ssoConfigTx(ctx, tx, ws.ID)
		if errors.Is(err, ErrNotFound) {
			return &SSORefusedError{Reason: SSONotConfigured, Message: ws.Name + " has no single sign-on set up."}
		} else if err != nil {
			return err
		}
		m, err := s.findSSOMember(ctx, tx, ws.ID, email, id.UserNames)
		if err != nil {
			return err
		}
		if m == nil || m.Status == StatusInvited || m.AccountID == nil {
			// A join or an activation: hold the workspace (on PostgreSQL)
			// and look again, so two sign-ins of one person at the same
			// moment do not both create. Signing in an active member,
			// the usual case, takes no lock.
			if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
				return err
			}
			if m, err = s.findSSOMember(ctx, tx, ws.ID, email, id.UserNames); err != nil {
				return err
			}
		}
		now := s.now()
		switch {
		case m == nil && cfg.JIT && email != "" && cfg.JITRoleID != nil && domainIn(email, cfg.DomainList()):
			acc, err = s.ssoAccount(ctx, tx, email, firstNonEmpty(id.Name, email))
			if err != nil {
				return err
			}
			accID := acc.ID
			m = &Member{ID: newID(), WorkspaceID: ws.ID, AccountID: &accID, Email: email, UserName: email,
				DisplayName: truncate(cleanName(firstNonEmpty(id.Name, acc.Name)), 200), Status: StatusActive, Version: 1,
				LastSeenAt: &now, CreatedAt: now, UpdatedAt: now}
			if checkText(m.DisplayName, true) != "" || m.DisplayName == "" {
				m.DisplayName = email
			}
			m.setDerived()
			if _, err := s.freeRevoked(ctx, tx, ws.ID, email, email, nil); err != nil {
				return err
			}
			if err := s.insertRow(ctx, tx, m); err != nil {
				if isUniqueViolation(err) {
					return &ConflictError{Code: ConflictMember, Message: "You are already a member of " + ws.Name + "."}
				}
				return err
			}
			role, err := roleByIDTx(ctx, tx, ws.ID, *cfg.JITRoleID)
			if err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&MemberRole{MemberID: m.ID, RoleID: role.ID}).Exec(ctx); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, ws.ID, MemberActor(m), "sso.jit_joined", "member", m.ID, m.DisplayName,
				map[string]Change{"roles": {nil, []string{role.Name}}}); err != nil {
				return err
			}
		case m == nil && !id.EmailVerified && id.Email != "" && len(id.UserNames) == 0:
			return &SSORefusedError{Reason: SSOUnverified, Message: "Your identity provider did not confirm your email address (" +
				truncate(id.Email, 254) + "), so Muster cannot tell which member you are. Ask your administrator to mark it verified."}
		case m == nil:
			who := firstNonEmpty(email, firstNonEmpty(strings.Join(id.UserNames, ", "), id.Email))
			return &SSORefusedError{Reason: SSONotMember, Message: truncate(who, 254) + " is not a member of " + ws.Name +
				". If you were removed, or have not been added yet, ask one of its admins."}
		case m.Status == StatusDeactivated:
			return &SSORefusedError{Reason: SSODeactivated, Message: "Your access to " + ws.Name +
				" has been deactivated. Ask one of its admins if this is a mistake."}
		case m.Status == StatusInvited || m.AccountID == nil:
			if acc, err = s.ssoAccount(ctx, tx, firstNonEmpty(m.Email, email), firstNonEmpty(m.DisplayName, id.Name)); err != nil {
				return err
			}
			before := m.Status
			m.AccountID, m.Status, m.LastSeenAt, m.UpdatedAt = &acc.ID, StatusActive, &now, now
			m.Version++
			if _, err := tx.NewUpdate().Model(m).Column("account_id", "status", "version", "updated_at", "last_seen_at").WherePK().Exec(ctx); err != nil {
				if isUniqueViolation(err) {
					return &ConflictError{Code: ConflictAccount, Message: acc.Email + " already belongs to another member of " + ws.Name + "."}
				}
				return err
			}
			if err := s.endInvites(ctx, tx, m.ID, InviteAccepted); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, ws.ID, MemberActor(m), "sso.activated", "member", m.ID, m.DisplayName,
				map[string]Change{"status": {before, StatusActive}}); err != nil {
				return err
			}
		default:
			if acc, err = accountByIDTx(ctx, tx, *m.AccountID); err != nil {
				return err
			}
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("last_login_at = ?", now).Where("id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		acc.LastLoginAt, member = &now, m
		return s.audit(ctx, tx, ws.ID, MemberActor(m), "sso.signed_in", "member", m.ID, m.DisplayName, nil)
	})
	if err != nil {
		return nil, nil, err
	}
	return acc, member, nil
}

// findSSOMember looks for the member in one workspace only: by verified
// email, then by the account with that email, then by userName.
func (s *Store) findSSOMember(ctx context.Context, tx bun.IDB, wsID, email string, userNames []string) (*Member, error) {
	try := func(q func(*bun.SelectQuery) *bun.SelectQuery) (*Member, error) {
		var m Member
		// A revoked invitation is nobody's membership (invites_revoked.go).
		err := q(tx.NewSelect().Model(&m).Where("m.workspace_id = ?", wsID).Where("m.status <> 'revoked'")).Limit(1).Scan(ctx)
		if errors.Is(notFound(err), ErrNotFound) {
			return nil, nil
		}
		return &m, err
	}
	if email != "" {
		if m, err := try(func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("m.email = ?", email) }); m != nil || err != nil {
			return m, err
		}
		if m, err := try(func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Join("JOIN accounts AS a ON a.id = m.account_id").Where("a.email = ?", email)
		}); m != nil || err != nil {
			return m, err
		}
	}
	for _, u := range userNames {
		u = NormalizeIdentifier(u)
		if u == "" || len(u) > 254 {
			continue
		}
		if m, err := try(func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("lower(m.user_name) = ?", dbLower(s.IsPostgres(), u))
		}); m != nil || err != nil {
			return m, err
		}
	}
	return nil, nil
}

// ssoAccount returns the account with email, or makes one without a
// password: the person signs in through their provider (or sets a
// password later, if Muster lets them).
func (s *Store) ssoAccount(ctx context.Context, tx bun.IDB, email, name string) (*Account, error) {
	email = NormalizeEmail(email)
	if checkEmail(email) != "" {
		return nil, &SSORefusedError{Reason: SSONotMember, Message: "Your identity provider gave no usable email address for you; ask your administrator."}
	}
	var acc Account
	err := tx.NewSelect().Model(&acc).Where("email = ?", email).Scan(ctx)
	if err == nil {
		// Never hand an existing account to a workspace's provider: the
		// workspace's admins choose that provider, so it would let them
		// sign in as anyone who already uses Muster. The person links the
		// account themselves, by accepting their invitation (signed in
		// with their password); after that SSO signs them in.
		return nil, &SSORefusedError{Reason: SSOAccountExists, Message: email + " already has a Muster account. Sign in with its password " +
			"and accept your invitation from the email; from then on you can sign in to this workspace with single sign-on."}
	}
	if !errors.Is(notFound(err), ErrNotFound) {
		return nil, err
	}
	name = truncate(cleanName(name), 200)
	if name == "" || checkText(name, true) != "" {
		name = email
	}
	acc = Account{ID: newID(), Email: email, Name: name, CreatedAt: s.now()}
	if _, err := tx.NewInsert().Model(&acc).Exec(ctx); err != nil {
		return nil, err
	}
	return &acc, nil
}

func accountByIDTx(ctx context.Context, db bun.IDB, id string) (*Account, error) {
	var acc Account
	if err := db.NewSelect().Model(&acc).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &acc, nil
}

func domainIn(email string, domains []string) bool {
	d := email[strings.LastIndexByte(email, '@')+1:]
	for _, x := range domains {
		if d == x {
			return true
		}
	}
	return false
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
