package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// SetupInput is the first run: a workspace and the person who runs it.
type SetupInput struct {
	WorkspaceName string
	Name          string
	Email         string
	Password      string
}

// ErrAlreadySetUp: Setup runs once, on an empty installation.
var ErrAlreadySetUp = errors.New("Muster is already set up; sign in instead")

// Setup creates the first account and its workspace, with that account as
// the workspace's Admin. It refuses once any account exists.
func (s *Store) Setup(ctx context.Context, in SetupInput) (*Account, *Workspace, error) {
	in.WorkspaceName = cleanName(in.WorkspaceName)
	v := validator{}
	checkName(v, "workspace", in.WorkspaceName, "a workspace name", 100)
	acc, err := s.newAccount(v, in.Name, in.Email, in.Password)
	if err != nil {
		return nil, nil, err
	}
	var ws *Workspace
	err = s.tx(ctx, func(tx bun.Tx) error {
		// The marker row's primary key makes two racing first runs end with one winner.
		if _, err := tx.NewInsert().Model(&kvEntry{Key: "muster.setup", Value: s.now().Format("2006-01-02T15:04:05Z")}).Exec(ctx); err != nil {
			return ErrAlreadySetUp
		}
		if n, err := tx.NewSelect().Model((*Account)(nil)).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return ErrAlreadySetUp
		}
		if _, err := tx.NewInsert().Model(acc).Exec(ctx); err != nil {
			return err
		}
		ws, err = s.createWorkspace(ctx, tx, acc, in.WorkspaceName)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return acc, ws, nil
}

// CreateWorkspace makes a new workspace with acc as its Admin. Any
// signed-in person may do this.
func (s *Store) CreateWorkspace(ctx context.Context, acc *Account, name string) (*Workspace, error) {
	name = cleanName(name)
	v := validator{}
	checkName(v, "name", name, "a workspace name", 100)
	if err := v.err(); err != nil {
		return nil, err
	}
	var ws *Workspace
	err := s.tx(ctx, func(tx bun.Tx) (err error) {
		ws, err = s.createWorkspace(ctx, tx, acc, name)
		return err
	})
	return ws, err
}

func (s *Store) createWorkspace(ctx context.Context, tx bun.Tx, acc *Account, name string) (*Workspace, error) {
	slug, err := s.freeSlug(ctx, tx, slugify(name))
	if err != nil {
		return nil, err
	}
	now := s.now()
	ws := &Workspace{ID: newID(), Name: name, Slug: slug, InviteExpiryHours: int(s.InviteExpiry / time.Hour), InvitesPerHour: s.InvitesPerHour, SCIMInvites: true, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(ws).Exec(ctx); err != nil {
		return nil, err
	}
	admin := &Role{ID: newID(), WorkspaceID: ws.ID, Name: "Admin", Builtin: "admin", Version: 1,
		Description: "Full access: members, roles, identity providers, audit log and settings.",
		Permissions: joinPermissions(AllPermissions()), CreatedAt: now, UpdatedAt: now}
	member := &Role{ID: newID(), WorkspaceID: ws.ID, Name: "Member", Builtin: "member", Version: 1,
		Description: "Can see who is in the workspace.",
		Permissions: joinPermissions([]Permission{PermViewMembers}), CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&[]*Role{admin, member}).Exec(ctx); err != nil {
		return nil, err
	}
	accID := acc.ID
	m := &Member{ID: newID(), WorkspaceID: ws.ID, AccountID: &accID, Email: acc.Email, UserName: acc.Email,
		DisplayName: acc.Name, Status: StatusActive, Version: 1, LastSeenAt: &now, CreatedAt: now, UpdatedAt: now}
	m.setDerived()
	if err := s.insertRow(ctx, tx, m); err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(&MemberRole{MemberID: m.ID, RoleID: admin.ID}).Exec(ctx); err != nil {
		return nil, err
	}
	actor := MemberActor(m)
	if err := s.audit(ctx, tx, ws.ID, actor, "workspace.created", "workspace", ws.ID, ws.Name, nil); err != nil {
		return nil, err
	}
	return ws, s.audit(ctx, tx, ws.ID, actor, "member.joined", "member", m.ID, m.DisplayName,
		map[string]Change{"roles": {nil, []string{"Admin"}}})
}

// freeSlug returns base, or base-2, base-3 … whichever is not taken yet.
func (s *Store) freeSlug(ctx context.Context, tx bun.IDB, base string) (string, error) {
	var taken []string
	if err := tx.NewSelect().Model((*Workspace)(nil)).Column("slug").
		Where("slug = ? OR slug LIKE ?", base, base+"-%").Scan(ctx, &taken); err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, t := range taken {
		used[t] = true
	}
	slug := base
	for i := 2; used[slug] || reservedSlugs[slug]; i++ {
		slug = fmt.Sprintf("%s-%d", base, i)
	}
	return slug, nil
}

// reservedSlugs are never given out, so workspace URLs stay unambiguous.
var reservedSlugs = map[string]bool{"new": true, "static": true, "api": true, "scim": true}

// WorkspaceBySlug finds a workspace by its URL part.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (*Workspace, error) {
	var ws Workspace
	if err := s.rdb.NewSelect().Model(&ws).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &ws, nil
}

// WorkspacesForAccount lists the workspaces where acc is an active member,
// by name: the header's switcher.
func (s *Store) WorkspacesForAccount(ctx context.Context, accountID string) ([]Workspace, error) {
	// Prepared: the header's switcher is on every page.
	var wss []Workspace
	err := s.queryPrepared(ctx, &wss, "SELECT "+s.modelColumns(Workspace{}, "w")+" FROM workspaces AS w "+
		"JOIN members AS m ON m.workspace_id = w.id WHERE m.account_id = ? AND m.status = ? ORDER BY lower(w.name), w.id",
		accountID, StatusActive)
	return wss, err
}

// Roles lists a workspace's roles: Admin first, then Member, then the rest by name.
func (s *Store) Roles(ctx context.Context, wsID string) ([]Role, error) {
	var roles []Role
	err := s.rdb.NewSelect().Model(&roles).Where("workspace_id = ?", wsID).
		OrderExpr("CASE builtin WHEN 'admin' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, lower(name)").Scan(ctx)
	return roles, err
}
