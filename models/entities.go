package models

import (
	"time"

	"github.com/uptrace/bun"
)

// Member statuses. A member is invited until they accept, active afterwards,
// and deactivated when an admin or an identity provider turns them off.
const (
	StatusInvited     = "invited"
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
)

// Workspace is one team's directory.
type Workspace struct {
	bun.BaseModel `bun:"table:workspaces,alias:w"`

	ID                string    `bun:"id,pk"`
	Name              string    `bun:"name"`
	Slug              string    `bun:"slug"`
	InviteExpiryHours int       `bun:"invite_expiry_hours"`
	InvitesPerHour    int       `bun:"invites_per_hour"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
}

// Account is a person who can sign in; it may belong to several workspaces.
type Account struct {
	bun.BaseModel `bun:"table:accounts,alias:a"`

	ID           string     `bun:"id,pk"`
	Email        string     `bun:"email"`
	Name         string     `bun:"name"`
	PasswordHash string     `bun:"password_hash"`
	CreatedAt    time.Time  `bun:"created_at"`
	LastLoginAt  *time.Time `bun:"last_login_at"`
}

// Member is a person inside one workspace. Profile data lives here, not on
// the account, so one workspace's identity provider never changes what
// another workspace sees.
type Member struct {
	bun.BaseModel `bun:"table:members,alias:m"`

	ID          string     `bun:"id,pk"`
	WorkspaceID string     `bun:"workspace_id"`
	AccountID   *string    `bun:"account_id"`
	Email       string     `bun:"email"`
	UserName    string     `bun:"user_name"`
	DisplayName string     `bun:"display_name"`
	GivenName   string     `bun:"given_name"`
	FamilyName  string     `bun:"family_name"`
	Location    string     `bun:"location"`
	Status      string     `bun:"status"`
	ExternalID  *string    `bun:"external_id"`
	SCIMManaged bool       `bun:"scim_managed"`
	SortName    string     `bun:"sort_name"`
	SearchText  string     `bun:"search_text"`
	Version     int        `bun:"version"`
	LastSeenAt  *time.Time `bun:"last_seen_at"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`

	Roles []Role `bun:"-"`
}

// setDerived fills the columns the members table sorts and searches on, so
// both databases can use plain indexes and LIKE on lower-case text.
func (m *Member) setDerived() {
	m.SortName = foldCase(m.DisplayName)
	m.SearchText = foldCase(m.DisplayName + " " + m.Email + " " + m.Location)
}

// Role is a named set of permissions in one workspace.
type Role struct {
	bun.BaseModel `bun:"table:roles,alias:r"`

	ID          string    `bun:"id,pk"`
	WorkspaceID string    `bun:"workspace_id"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Permissions string    `bun:"permissions"` // space-separated Permission names
	Builtin     string    `bun:"builtin"`     // "admin", "member" or ""
	ExternalID  *string   `bun:"external_id"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// MemberRole links a member to one of their roles.
type MemberRole struct {
	bun.BaseModel `bun:"table:member_roles,alias:mr"`

	MemberID string `bun:"member_id,pk"`
	RoleID   string `bun:"role_id,pk"`
}

// Session is a signed-in browser. ID is the SHA-256 of the cookie's token,
// so a leaked database does not leak usable sessions.
type Session struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	ID         string    `bun:"id,pk"`
	AccountID  string    `bun:"account_id"`
	IP         string    `bun:"ip"`
	UserAgent  string    `bun:"user_agent"`
	CreatedAt  time.Time `bun:"created_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	ExpiresAt  time.Time `bun:"expires_at"`
}

// AuditEvent records who did what to whom. IDs are UUIDv7, so ordering by
// id is ordering by time.
type AuditEvent struct {
	bun.BaseModel `bun:"table:audit_events,alias:ae"`

	ID          string    `bun:"id,pk"`
	WorkspaceID string    `bun:"workspace_id"`
	ActorKind   string    `bun:"actor_kind"` // "member", "system"; later "scim_token"
	ActorID     *string   `bun:"actor_id"`
	ActorName   string    `bun:"actor_name"`
	Action      string    `bun:"action"`
	TargetKind  string    `bun:"target_kind"`
	TargetID    *string   `bun:"target_id"`
	TargetName  string    `bun:"target_name"`
	Changes     string    `bun:"changes"` // JSON: {"field": ["before", "after"]}
	CreatedAt   time.Time `bun:"created_at"`
}

type loginAttempt struct {
	bun.BaseModel `bun:"table:login_attempts"`

	Key         string    `bun:"key,pk"`
	Failures    int       `bun:"failures"`
	WindowStart time.Time `bun:"window_start"`
}

type kvEntry struct {
	bun.BaseModel `bun:"table:kv_entries,alias:kv"`

	Key       string     `bun:"key,pk"`
	Value     string     `bun:"value"`
	ExpiresAt *time.Time `bun:"expires_at"`
}
