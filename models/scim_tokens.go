package models

import (
	"cmp"
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// SCIMToken is a bearer token an identity provider uses to reach one
// workspace's /scim/v2. Only its SHA-256 is stored; Prefix (the first
// characters) lets admins tell tokens apart.
type SCIMToken struct {
	bun.BaseModel `bun:"table:scim_tokens,alias:st"`

	ID            string     `bun:"id,pk"`
	WorkspaceID   string     `bun:"workspace_id"`
	Name          string     `bun:"name"`
	Prefix        string     `bun:"prefix"`
	TokenHash     string     `bun:"token_hash"`
	Permissions   string     `bun:"permissions"` // the creator's, at creation
	CreatedByID   *string    `bun:"created_by_id"`
	CreatedByName string     `bun:"created_by_name"`
	CreatedAt     time.Time  `bun:"created_at"`
	LastUsedAt    *time.Time `bun:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`

	// The owner as they are now (SCIMTokens and AuthenticateSCIM fill
	// these): OwnerStatus is a member status, OwnerRemoved when they left
	// the workspace, "" for a token made from the shell (no owner).
	OwnerStatus string        `bun:"-"`
	OwnerName   string        `bun:"-"`
	OwnerPerms  PermissionSet `bun:"-"`
	// OwnerSCIMManaged: an identity provider manages the owner, so it may
	// itself deactivate them, and with them this token.
	OwnerSCIMManaged bool `bun:"-"`
}

// OwnerRemoved is a token's OwnerStatus when its owner left the workspace.
const OwnerRemoved = "removed"

// HasOwner tells a member's token from one made from the shell.
func (t SCIMToken) HasOwner() bool { return t.CreatedByID != nil }

// Disabled says why a token no longer works although it is not revoked:
// its owner was deactivated or removed. "" while it works.
func (t SCIMToken) Disabled() string {
	switch {
	case !t.HasOwner() || t.OwnerStatus == StatusActive:
		return ""
	case t.OwnerStatus == OwnerRemoved:
		return "Its owner, " + t.CreatedByName + ", was removed from the workspace."
	default:
		return "Its owner, " + t.CreatedByName + ", is " + t.OwnerStatus + "."
	}
}

// Lacks lists the provisioning permissions the owner does not hold, so the
// SCIM page can warn that requests needing them are refused.
func (t SCIMToken) Lacks() []PermissionInfo {
	if !t.HasOwner() || t.Disabled() != "" {
		return nil
	}
	var out []PermissionInfo
	for _, info := range Catalog {
		switch info.Name {
		case PermViewMembers, PermInviteMembers, PermEditMembers, PermRemoveMembers, PermManageRoles:
			if !t.OwnerPerms.Has(info.Name) {
				out = append(out, info)
			}
		}
	}
	return out
}

// TokenRefusedError: a known token that does not work (revoked, or its
// owner deactivated or removed). It carries the token and its workspace so
// the refusal can be written to the workspace's provisioning log.
type TokenRefusedError struct {
	Token     *SCIMToken
	Workspace *Workspace
	Reason    string
}

func (e *TokenRefusedError) Error() string { return e.Reason }

// Unwrap makes a refused token ErrNotFound to callers that only ask
// whether the token works.
func (e *TokenRefusedError) Unwrap() error { return ErrNotFound }

// scimTokenPrefix starts every SCIM token, so a leaked one is recognisable
// (secret scanners, logs) and never mistaken for an invitation link.
const scimTokenPrefix = "muster_scim_"

// lastUsedPrecision bounds how often a token's "last used" time is written:
// at most once a minute per token and replica, so reads never queue behind
// the single writer.
const lastUsedPrecision = time.Minute

// Actor is who the audit log names for what the token does. A token acts
// with its owner's current permissions (see scim_authz.go); one made from
// the shell has no owner and no limit.
func (t *SCIMToken) Actor() Actor {
	a := Actor{Kind: "scim_token", ID: t.ID, Name: t.Name}
	if t.HasOwner() {
		a.Perms = t.OwnerPerms
		if a.Perms == nil {
			a.Perms = PermissionSet{}
		}
	}
	return a
}

// CreateSCIMToken makes a named token for ws. The token itself is returned
// once, here, and never again.
func (s *Store) CreateSCIMToken(ctx context.Context, actor Actor, ws *Workspace, name string) (string, *SCIMToken, error) {
	name = cleanName(name)
	v := validator{}
	checkName(v, "name", name, "a name, such as Okta", 100)
	if err := v.err(); err != nil {
		return "", nil, err
	}
	token := scimTokenPrefix + NewToken()
	t := &SCIMToken{ID: newID(), WorkspaceID: ws.ID, Name: name, Prefix: token[:len(scimTokenPrefix)+4],
		TokenHash: HashToken(token), CreatedByName: actor.Name, CreatedAt: s.now()}
	if actor.Kind == "member" {
		t.CreatedByID = &actor.ID
	}
	if actor.Perms == nil {
		t.Permissions = joinPermissions(AllPermissions())
	} else {
		var ps []Permission
		for _, p := range AllPermissions() {
			if actor.Perms.Has(p) {
				ps = append(ps, p)
			}
		}
		t.Permissions = joinPermissions(ps)
	}
	err := s.tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "scim_token.created", "scim_token", t.ID, t.Name, nil)
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// SCIMTokens lists a workspace's tokens, newest first, revoked ones
// included, each with its owner as they are now.
func (s *Store) SCIMTokens(ctx context.Context, wsID string) ([]SCIMToken, error) {
	var ts []SCIMToken
	if err := s.rdb.NewSelect().Model(&ts).Where("workspace_id = ?", wsID).Order("created_at DESC", "id DESC").Scan(ctx); err != nil {
		return nil, err
	}
	for i := range ts {
		if ts[i].HasOwner() {
			if err := s.fillOwner(ctx, &ts[i]); err != nil {
				return nil, err
			}
		}
	}
	return ts, nil
}

// RevokeSCIMToken stops a token working at once.
func (s *Store) RevokeSCIMToken(ctx context.Context, actor Actor, ws *Workspace, tokenID string) (*SCIMToken, error) {
	var t SCIMToken
	err := s.tx(ctx, func(tx bun.Tx) error {
		if err := tx.NewSelect().Model(&t).Where("id = ? AND workspace_id = ?", tokenID, ws.ID).Scan(ctx); err != nil {
			return notFound(err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := s.now()
		t.RevokedAt = &now
		if _, err := tx.NewUpdate().Model(&t).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "scim_token.revoked", "scim_token", t.ID, t.Name, nil)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// lookupSCIMToken reads what a bearer token reaches from the database
// (AuthenticateSCIM's cache misses). hash is HashToken(token).
func (s *Store) lookupSCIMToken(ctx context.Context, token, hash string) (*SCIMToken, *Workspace, error) {
	if !strings.HasPrefix(token, scimTokenPrefix) {
		return nil, nil, ErrNotFound
	}
	var tokens []SCIMToken
	if err := s.queryPrepared(ctx, &tokens, "SELECT "+s.modelColumns(SCIMToken{}, "t")+" FROM scim_tokens AS t WHERE t.token_hash = ?", hash); err != nil || len(tokens) == 0 {
		return nil, nil, notFound(cmp.Or(err, sql.ErrNoRows))
	}
	t := tokens[0]
	var wss []Workspace
	if err := s.queryPrepared(ctx, &wss, "SELECT "+s.modelColumns(Workspace{}, "w")+" FROM workspaces AS w WHERE w.id = ?", t.WorkspaceID); err != nil || len(wss) == 0 {
		return nil, nil, notFound(cmp.Or(err, sql.ErrNoRows))
	}
	ws := wss[0]
	if t.RevokedAt != nil {
		return nil, nil, &TokenRefusedError{Token: &t, Workspace: &ws,
			Reason: "This SCIM token was revoked. Create a new one on the workspace's SCIM provisioning page."}
	}
	if t.HasOwner() {
		if err := s.fillOwner(ctx, &t); err != nil {
			return nil, nil, err
		}
		if why := t.Disabled(); why != "" {
			return nil, nil, &TokenRefusedError{Token: &t, Workspace: &ws, Reason: "This SCIM token no longer works: " + why +
				" A token works only while the member who made it is active. Create a new token as an active admin."}
		}
	}
	return &t, &ws, nil
}

// fillOwner reads what a token's owner is now.
func (s *Store) fillOwner(ctx context.Context, t *SCIMToken) error {
	owner, perms, found, err := s.ownerPermissions(ctx, t.WorkspaceID, *t.CreatedByID)
	switch {
	case err != nil:
		return err
	case !found:
		t.OwnerStatus, t.OwnerPerms = OwnerRemoved, PermissionSet{}
	default:
		t.OwnerStatus, t.OwnerName, t.OwnerPerms, t.OwnerSCIMManaged = owner.Status, owner.Name, perms, owner.SCIMManaged
	}
	return nil
}

// ActiveSCIMTokensOwnedBy lists the working tokens a member made: what
// deactivating or removing them would turn off.
func (s *Store) ActiveSCIMTokensOwnedBy(ctx context.Context, wsID, memberID string) ([]SCIMToken, error) {
	var ts []SCIMToken
	err := s.rdb.NewSelect().Model(&ts).Where("workspace_id = ? AND created_by_id = ? AND revoked_at IS NULL", wsID, memberID).
		Order("created_at DESC", "id DESC").Scan(ctx)
	return ts, err
}
