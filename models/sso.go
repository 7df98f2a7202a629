package models

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// SSOConfig is a workspace's OpenID Connect identity provider.
type SSOConfig struct {
	bun.BaseModel `bun:"table:sso_configs,alias:sc"`

	WorkspaceID string `bun:"workspace_id,pk"`
	Issuer      string `bun:"issuer"`
	ClientID    string `bun:"client_id"`
	// SecretSealed is the client secret sealed with the store's key; it is
	// opened only to talk to the identity provider, never shown again.
	SecretSealed string `bun:"client_secret_sealed"`
	// Domains: the email domains this provider signs in, space-separated
	// (the sso_domains table keeps each domain to one workspace).
	Domains string `bun:"domains"`
	// JIT: people of those domains who are not members yet join on their
	// first sign-in, with JITRoleID.
	JIT       bool    `bun:"jit"`
	JITRoleID *string `bun:"jit_role_id"`
	// Enforced: members may not use a password here, except break-glass admins.
	Enforced bool `bun:"enforced"`
	// TestedAt is when an admin last completed "Test connection";
	// TestClaims what the provider said about them then (JSON).
	TestedAt   *time.Time `bun:"tested_at"`
	TestClaims string     `bun:"test_claims"`
	CreatedAt  time.Time  `bun:"created_at"`
	UpdatedAt  time.Time  `bun:"updated_at"`

	// BreakGlass are the ids of members who keep password sign-in while SSO is enforced.
	BreakGlass []string `bun:"-"`
}

type ssoDomain struct {
	bun.BaseModel `bun:"table:sso_domains,alias:sd"`

	Domain      string `bun:"domain,pk"`
	WorkspaceID string `bun:"workspace_id"`
}

type ssoBreakGlass struct {
	bun.BaseModel `bun:"table:sso_break_glass,alias:sb"`

	WorkspaceID string `bun:"workspace_id,pk"`
	MemberID    string `bun:"member_id,pk"`
}

// DomainList splits Domains.
func (c *SSOConfig) DomainList() []string { return strings.Fields(c.Domains) }

// SSOTestedWithin tells whether "Test connection" succeeded within d of now.
func (s *Store) SSOTestedWithin(c *SSOConfig, d time.Duration) bool {
	return c.TestedAt != nil && s.now().Sub(*c.TestedAt) < d
}

// SSOTestFreshness is how recent a successful test must be to turn enforcement on.
const SSOTestFreshness = time.Hour

// SSOConfigFor loads a workspace's identity provider, ErrNotFound if none.
func (s *Store) SSOConfigFor(ctx context.Context, wsID string) (*SSOConfig, error) {
	return ssoConfigTx(ctx, s.rdb, wsID)
}

func ssoConfigTx(ctx context.Context, db bun.IDB, wsID string) (*SSOConfig, error) {
	var c SSOConfig
	if err := db.NewSelect().Model(&c).Where("workspace_id = ?", wsID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	if err := db.NewSelect().Model((*ssoBreakGlass)(nil)).Column("member_id").
		Where("workspace_id = ?", wsID).Order("member_id").Scan(ctx, &c.BreakGlass); err != nil {
		return nil, err
	}
	return &c, nil
}

// SSOClientSecret opens the stored client secret, to talk to the provider.
func (s *Store) SSOClientSecret(c *SSOConfig) (string, error) {
	return s.open(c.SecretSealed, c.WorkspaceID)
}

// SSOInput is what the single sign-on settings form sends.
type SSOInput struct {
	Issuer   string
	ClientID string
	// ClientSecret: empty keeps the stored one.
	ClientSecret string
	Domains      string // separated by spaces, commas or new lines
	JIT          bool
	JITRoleID    string
}

var domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// CheckIssuer tells what is wrong with an issuer URL, or "". Providers
// must be reached over https; plain http is allowed on loopback only, for
// a provider running beside Muster in development and tests.
func CheckIssuer(issuer string) string {
	u, err := url.Parse(issuer)
	switch {
	case issuer == "":
		return "Enter the issuer URL your identity provider shows."
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return "Enter a URL like https://example.okta.com."
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return ""
	default:
		return "The issuer must be an https:// URL."
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func parseDomains(v validator, raw string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range strings.FieldsFunc(strings.ToLower(raw), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == ';' }) {
		d = strings.TrimPrefix(d, "@")
		if !domainPattern.MatchString(d) || len(d) > 253 {
			v.add("domains", "“"+truncate(d, 60)+"” is not a domain name like example.com.")
			continue
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// SaveSSOConfig sets up or changes a workspace's identity provider. A new
// issuer, client or secret needs a new successful test before enforcement
// can be turned on, so it clears the last test; it does not turn off
// enforcement already on (break-glass admins keep their passwords).
func (s *Store) SaveSSOConfig(ctx context.Context, actor Actor, ws *Workspace, in SSOInput) (*SSOConfig, error) {
	in.Issuer = strings.TrimRight(strings.TrimSpace(in.Issuer), "/")
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret)
	v := validator{}
	if msg := CheckIssuer(in.Issuer); msg != "" {
		v.add("issuer", msg)
	} else if len(in.Issuer) > 500 {
		v.add("issuer", "That URL is too long.")
	}
	if in.ClientID == "" {
		v.add("client_id", "Enter the client ID your identity provider shows.")
	} else if len(in.ClientID) > 255 || checkText(in.ClientID, false) != "" {
		v.add("client_id", "That is not a client ID.")
	}
	if len(in.ClientSecret) > 1000 {
		v.add("client_secret", "That secret is too long.")
	}
	domains := parseDomains(v, in.Domains)
	if in.JIT && len(domains) == 0 {
		v.add("domains", "Name the email domains whose people may join.")
	}
	var updated *SSOConfig
	err := s.tx(ctx, func(tx bun.Tx) error {
		old, err := ssoConfigTx(ctx, tx, ws.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if old == nil && in.ClientSecret == "" {
			v.add("client_secret", "Enter the client secret your identity provider shows.")
		}
		var jitRole *string
		if in.JIT {
			role, rerr := roleInWorkspace(ctx, tx, ws.ID, in.JITRoleID)
			var verr *ValidationError
			switch {
			case errors.As(rerr, &verr):
				v.add("jit_role", "Choose the role people get when they join.")
			case rerr != nil:
				return rerr
			case role.IsAdmin() || roleGrants(role, PermManageWorkspace) || roleGrants(role, PermManageRoles):
				// Anyone the provider vouches for would become an admin.
				v.add("jit_role", "Choose a role that cannot manage the workspace or roles; promote people by hand.")
			case checkGrantable(actor, []Role{*role}) != nil:
				// Nobody hands out, through the provider, what they do not hold.
				v.add("jit_role", "That role has permissions you don't hold, so you can't give it to people who join.")
			default:
				jitRole = &role.ID
			}
		}
		if err := v.err(); err != nil {
			return err
		}
		now := s.now()
		c := &SSOConfig{WorkspaceID: ws.ID, CreatedAt: now}
		if old != nil {
			*c = *old
		}
		c.Issuer, c.ClientID, c.Domains, c.JIT, c.JITRoleID, c.UpdatedAt = in.Issuer, in.ClientID, strings.Join(domains, " "), in.JIT, jitRole, now
		changes := map[string]Change{}
		note := func(field string, before, after any) {
			if before != after {
				changes[field] = Change{before, after}
			}
		}
		if old == nil {
			old = &SSOConfig{}
		}
		note("issuer", old.Issuer, c.Issuer)
		note("client_id", old.ClientID, c.ClientID)
		note("domains", old.Domains, c.Domains)
		note("jit", old.JIT, c.JIT)
		if in.ClientSecret != "" {
			if c.SecretSealed, err = s.seal(in.ClientSecret, ws.ID); err != nil {
				return err
			}
			changes["client_secret"] = Change{nil, "changed"} // never the secret itself
		}
		if old.Issuer != c.Issuer || old.ClientID != c.ClientID || in.ClientSecret != "" {
			c.TestedAt, c.TestClaims = nil, ""
		}
		if len(changes) == 0 && old.WorkspaceID != "" {
			updated = c
			return nil
		}
		if _, err := tx.NewInsert().Model(c).On("CONFLICT (workspace_id) DO UPDATE").
			Set("issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id, client_secret_sealed = EXCLUDED.client_secret_sealed, domains = EXCLUDED.domains, jit = EXCLUDED.jit, jit_role_id = EXCLUDED.jit_role_id, tested_at = EXCLUDED.tested_at, test_claims = EXCLUDED.test_claims, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*ssoDomain)(nil)).Where("workspace_id = ?", ws.ID).Exec(ctx); err != nil {
			return err
		}
		for _, d := range domains {
			if _, err := tx.NewInsert().Model(&ssoDomain{Domain: d, WorkspaceID: ws.ID}).Exec(ctx); err != nil {
				if isUniqueViolation(err) {
					return &ValidationError{Fields: map[string]string{"domains": d + " already signs in through another workspace's identity provider."}}
				}
				return err
			}
		}
		updated = c
		return s.audit(ctx, tx, ws.ID, actor, "sso.configured", "workspace", ws.ID, ws.Name, changes)
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// RecordSSOTest notes that an admin completed a sign-in through the
// provider just now, and what it said about them (claims as JSON).
func (s *Store) RecordSSOTest(ctx context.Context, actor Actor, ws *Workspace, claims string) error {
	return s.tx(ctx, func(tx bun.Tx) error {
		now := s.now()
		res, err := tx.NewUpdate().Model((*SSOConfig)(nil)).Set("tested_at = ?", now).Set("test_claims = ?", truncate(claims, 20000)).
			Where("workspace_id = ?", ws.ID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.audit(ctx, tx, ws.ID, actor, "sso.tested", "workspace", ws.ID, ws.Name, nil)
	})
}

// SetSSOEnforcement turns "require single sign-on" on or off and names the
// break-glass admins, who keep password sign-in. Turning it on needs a
// successful test within the last hour and at least one break-glass
// member who is an active Admin, so nobody is locked out when the provider
// is down or misconfigured.
func (s *Store) SetSSOEnforcement(ctx context.Context, actor Actor, ws *Workspace, enforce bool, breakGlass []string) (*SSOConfig, error) {
	var out *SSOConfig
	err := s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
		}
		c, err := ssoConfigTx(ctx, tx, ws.ID)
		if errors.Is(err, ErrNotFound) {
			return &ValidationError{Fields: map[string]string{"enforced": "Connect an identity provider first."}}
		} else if err != nil {
			return err
		}
		ids := map[string]bool{}
		for _, id := range breakGlass {
			ids[id] = true
		}
		var names []string
		adminKept := false
		if len(ids) > 0 {
			keys := make([]string, 0, len(ids))
			for id := range ids {
				keys = append(keys, id)
			}
			var ms []*Member
			if err := tx.NewSelect().Model(&ms).Where("workspace_id = ? AND id IN (?)", ws.ID, bun.In(keys)).Scan(ctx); err != nil {
				return err
			}
			if len(ms) != len(ids) {
				return &ValidationError{Fields: map[string]string{"break_glass": "One of those members is no longer in the workspace; reload the page."}}
			}
			if err := s.loadRoles(ctx, tx, ms); err != nil {
				return err
			}
			for _, m := range ms {
				names = append(names, m.DisplayName)
				if m.Status == StatusActive && m.AccountID != nil && hasAdminRole(m.Roles) {
					adminKept = true
				}
			}
			sort.Strings(names)
		}
		if enforce {
			v := validator{}
			if !c.Enforced && !s.SSOTestedWithin(c, SSOTestFreshness) {
				v.add("enforced", "Run “Test connection” successfully first (within the last hour).")
			}
			if !adminKept {
				v.add("break_glass", "Keep at least one active Admin with a password, in case the identity provider fails.")
			}
			if err := v.err(); err != nil {
				return err
			}
		}
		var oldNames []string
		if len(c.BreakGlass) > 0 {
			if err := tx.NewSelect().Model((*Member)(nil)).Column("display_name").Where("id IN (?)", bun.In(c.BreakGlass)).
				Order("display_name").Scan(ctx, &oldNames); err != nil {
				return err
			}
		}
		changes := map[string]Change{}
		if c.Enforced != enforce {
			changes["enforced"] = Change{c.Enforced, enforce}
		}
		if strings.Join(oldNames, ", ") != strings.Join(names, ", ") {
			changes["break_glass"] = Change{oldNames, names}
		}
		if _, err := tx.NewDelete().Model((*ssoBreakGlass)(nil)).Where("workspace_id = ?", ws.ID).Exec(ctx); err != nil {
			return err
		}
		c.BreakGlass = nil
		for id := range ids {
			if _, err := tx.NewInsert().Model(&ssoBreakGlass{WorkspaceID: ws.ID, MemberID: id}).Exec(ctx); err != nil {
				return err
			}
			c.BreakGlass = append(c.BreakGlass, id)
		}
		sort.Strings(c.BreakGlass)
		c.Enforced, c.UpdatedAt = enforce, s.now()
		if _, err := tx.NewUpdate().Model(c).Column("enforced", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		out = c
		if len(changes) == 0 {
			return nil
		}
		action := "sso.break_glass_changed"
		if _, ok := changes["enforced"]; ok {
			action = "sso.enforcement_off"
			if enforce {
				action = "sso.enforced"
			}
		}
		return s.audit(ctx, tx, ws.ID, actor, action, "workspace", ws.ID, ws.Name, changes)
	})
	return out, err
}

// SSOWorkspaceForEmail finds the workspace whose identity provider signs in
// an address's domain, for "Continue with SSO". ErrNotFound if none.
func (s *Store) SSOWorkspaceForEmail(ctx context.Context, email string) (*Workspace, error) {
	email = NormalizeEmail(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return nil, ErrNotFound
	}
	var ws Workspace
	err := s.rdb.NewSelect().Model(&ws).Join("JOIN sso_domains AS sd ON sd.workspace_id = w.id").
		Where("sd.domain = ?", email[at+1:]).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return &ws, nil
}

// WorkspaceByID loads one workspace.
func (s *Store) WorkspaceByID(ctx context.Context, id string) (*Workspace, error) {
	var ws Workspace
	if err := s.rdb.NewSelect().Model(&ws).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &ws, nil
}

func roleGrants(r *Role, p Permission) bool {
	for _, q := range r.PermissionList() {
		if q == p {
			return true
		}
	}
	return false
}

// SSOAdmins lists the workspace's active Admins with an account: the
// members who may be named break-glass admins.
func (s *Store) SSOAdmins(ctx context.Context, wsID string) ([]Member, error) {
	var ms []Member
	err := activeAdmins(s.rdb, wsID).Column("m.*").Where("m.account_id IS NOT NULL").Order("m.sort_name", "m.id").Scan(ctx, &ms)
	return ms, err
}
