package models

import (
	"context"
	"errors"

	"github.com/uptrace/bun"
)

// Sessions and single sign-on.
//
// A session opened through workspace W's identity provider opens W only:
// W's admins chose that provider, and it must not vouch for the same
// account in another workspace (where a password, or another provider,
// is the way in). A password session opens every workspace of the
// account, except those that enforce single sign-on, unless the member is
// one of their break-glass admins. So for an account in several
// workspaces, a password sign-in still succeeds, and an enforcing
// workspace then shows "Sign in with SSO" instead of its pages; an account
// whose every workspace enforces SSO is refused at the sign-in form.

// CreateSSOSession signs an account in through workspace wsID's provider.
func (s *Store) CreateSSOSession(ctx context.Context, accountID, wsID, ip, userAgent string) (string, error) {
	token := NewToken()
	now := s.now()
	sess := &Session{ID: HashToken(token), AccountID: accountID, IP: truncate(ip, 64), UserAgent: truncate(userAgent, 300),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(sessionIdle)}
	err := s.tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(sess).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&ssoSession{SessionID: sess.ID, WorkspaceID: wsID}).Exec(ctx)
		return err
	})
	return token, err
}

type ssoSession struct {
	bun.BaseModel `bun:"table:sso_sessions,alias:ss"`

	SessionID   string `bun:"session_id,pk"`
	WorkspaceID string `bun:"workspace_id"`
}

// What SSOGate decides about a session in a workspace.
const (
	SSOGateOpen      = ""
	SSOGateRequired  = "required"  // the workspace enforces SSO; this is a password session
	SSOGateElsewhere = "elsewhere" // the session came from another workspace's provider
)

// SSOGateResult says whether a session may open a workspace, and if not, why.
type SSOGateResult struct {
	Decision string
	// Via is the workspace whose provider opened the session (SSOGateElsewhere).
	Via *Workspace
}

// SSOGate decides whether the session with token may open workspace ws as
// member m (see the note at the top of this file).
func (s *Store) SSOGate(ctx context.Context, token string, ws *Workspace, m *Member) (SSOGateResult, error) {
	// Both questions in one prepared statement (it runs on every page
	// view): which workspace's provider opened the session, if any, and
	// whether ws enforces single sign-on for m.
	var rows []struct {
		Via      *string `bun:"via"`
		Enforced bool    `bun:"enforced"`
	}
	err := s.queryPrepared(ctx, &rows, "SELECT (SELECT workspace_id FROM sso_sessions WHERE session_id = ?) AS via, "+
		"EXISTS (SELECT 1 FROM sso_configs AS sc WHERE sc.workspace_id = ? AND sc.enforced "+
		"AND NOT EXISTS (SELECT 1 FROM sso_break_glass AS sb WHERE sb.workspace_id = sc.workspace_id AND sb.member_id = ?)) AS enforced",
		HashToken(token), ws.ID, m.ID)
	switch {
	case err != nil:
		return SSOGateResult{}, err
	case len(rows) == 0:
		return SSOGateResult{}, errors.New("sso gate: no row")
	case rows[0].Via != nil && *rows[0].Via == ws.ID:
		return SSOGateResult{}, nil
	case rows[0].Via != nil:
		other, err := s.WorkspaceByID(ctx, *rows[0].Via)
		if err != nil {
			return SSOGateResult{}, err
		}
		return SSOGateResult{Decision: SSOGateElsewhere, Via: other}, nil
	case rows[0].Enforced:
		return SSOGateResult{Decision: SSOGateRequired}, nil
	}
	return SSOGateResult{}, nil
}

// ssoEnforcedFor: ws requires single sign-on of member m (m is not break-glass).
func (s *Store) ssoEnforcedFor(ctx context.Context, db bun.IDB, wsID, memberID string) (bool, error) {
	n, err := db.NewSelect().Model((*SSOConfig)(nil)).
		Where("sc.workspace_id = ? AND sc.enforced", wsID).
		Where("NOT EXISTS (SELECT 1 FROM sso_break_glass AS sb WHERE sb.workspace_id = sc.workspace_id AND sb.member_id = ?)", memberID).
		Count(ctx)
	return n > 0, err
}

// PasswordSignInBlocked returns a workspace that requires single sign-on of
// the account when every workspace the account is an active member of
// does (so a password session could open nothing), else nil.
func (s *Store) PasswordSignInBlocked(ctx context.Context, accountID string) (*Workspace, error) {
	var ms []Member
	if err := s.rdb.NewSelect().Model(&ms).Where("account_id = ? AND status = ?", accountID, StatusActive).Scan(ctx); err != nil {
		return nil, err
	}
	var first string
	for _, m := range ms {
		enforced, err := s.ssoEnforcedFor(ctx, s.rdb, m.WorkspaceID, m.ID)
		if err != nil {
			return nil, err
		}
		if !enforced {
			return nil, nil
		}
		if first == "" {
			first = m.WorkspaceID
		}
	}
	if first == "" {
		return nil, nil
	}
	return s.WorkspaceByID(ctx, first)
}
