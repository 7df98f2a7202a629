package models

import (
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Member statuses. A member is invited until they accept, active afterwards,
// and deactivated when an admin or an identity provider turns them off. An
// invitation an admin revoked keeps its row as revoked: not a member, hidden
// from SCIM and the default members view, and invited again in one click
// (models/invites_revoked.go).
const (
	StatusInvited     = "invited"
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
	StatusRevoked     = "revoked"
)

// Workspace is one team's directory.
type Workspace struct {
	bun.BaseModel `bun:"table:workspaces,alias:w"`

	ID                string `bun:"id,pk"`
	Name              string `bun:"name"`
	Slug              string `bun:"slug"`
	InviteExpiryHours int    `bun:"invite_expiry_hours"`
	InvitesPerHour    int    `bun:"invites_per_hour"`
	// SCIMInvites: members an identity provider creates get an invitation email.
	SCIMInvites bool      `bun:"scim_invites"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
	// Require2FA: members who sign in with a password must use a second
	// factor here (models/totp.go).
	Require2FA bool `bun:"require_2fa"`
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

	ID          string  `bun:"id,pk"`
	WorkspaceID string  `bun:"workspace_id"`
	AccountID   *string `bun:"account_id"`
	Email       string  `bun:"email"`
	UserName    string  `bun:"user_name"`
	DisplayName string  `bun:"display_name"`
	GivenName   string  `bun:"given_name"`
	FamilyName  string  `bun:"family_name"`
	Location    string  `bun:"location"`
	Status      string  `bun:"status"`
	ExternalID  *string `bun:"external_id"`
	SCIMManaged bool    `bun:"scim_managed"`
	// SCIM attributes kept for the identity provider.
	EmailType      string     `bun:"email_type"`
	Title          string     `bun:"title"`
	Locale         string     `bun:"locale"`
	EmployeeNumber string     `bun:"employee_number"`
	Department     string     `bun:"department"`
	ManagerID      string     `bun:"manager_id"`
	SCIMAttributes string     `bun:"scim_attributes"`  // the SCIM User as last written (see SCIMUser.Attributes), "" if never
	RevokedRoleIDs string     `bun:"revoked_role_ids"` // a revoked invitation's roles, space-separated ids
	SortName       string     `bun:"sort_name"`
	SearchText     string     `bun:"search_text"`
	Version        int        `bun:"version"`
	LastSeenAt     *time.Time `bun:"last_seen_at"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`

	Roles []Role `bun:"-"`
	// Invite is an invited member's current link, EmailFailed whether its
	// email could not be delivered; both filled for invited members only.
	Invite      *Invite `bun:"-"`
	EmailFailed bool    `bun:"-"`
	// InviteExpired: invited, and the current link has expired.
	InviteExpired bool `bun:"-"`
	// attrs is SCIMAttributes as the map it was marshalled from, set by
	// SCIMUser.apply, so the answer to the write that stored it (UserOf)
	// need not decode it again; nil for a member read from the database.
	attrs map[string]any `bun:"-"`
}

// CanBeInvited: the member has an email address to send a link to. An
// identity provider may create members with only a userName; they stay
// invited without a link until it gives them an address.
func (m *Member) CanBeInvited() bool { return m.Email != "" }

// setDerived fills the columns the members table sorts and searches on, so
// both databases can use plain indexes and LIKE on lower-case text.
func (m *Member) setDerived() {
	if m.EmailType == "" && m.Email != "" {
		m.EmailType = "work"
	}
	m.SortName = foldCase(m.DisplayName)
	m.SearchText = searchText(m)
}

// searchText is what the members search and SCIM's co/sw/ew filters look
// up through the trigram index: the display name, email and location, then
// the userName and name parts where the text does not hold them already.
// Usually it does (the userName is the email, the display name is "given
// family"), so the index grows only for members whose identity provider
// names them otherwise; then an admin's search finds them by login name
// too. migrations/20261203000400_search_text_names.go computes the same
// for existing rows: change both together.
func searchText(m *Member) string {
	s := foldCase(m.DisplayName + " " + m.Email + " " + m.Location)
	for _, part := range [...]string{m.UserName, m.GivenName, m.FamilyName} {
		if f := foldCase(part); f != "" && !strings.Contains(s, f) {
			s += " " + f
		}
	}
	return s
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
	Version     int       `bun:"version"`
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
	ActorKind   string    `bun:"actor_kind"` // "member", "system" or "scim_token"
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

// Invite states. An invite is pending until it is accepted, revoked, or
// superseded by a newer link for the same member; a pending invite past
// its expiry is expired.
const (
	InvitePending    = "pending"
	InviteAccepted   = "accepted"
	InviteRevoked    = "revoked"
	InviteSuperseded = "superseded"
)

// Invite is one invitation link. Only the SHA-256 of its token is stored.
type Invite struct {
	bun.BaseModel `bun:"table:invites,alias:i"`

	ID            string     `bun:"id,pk"`
	WorkspaceID   string     `bun:"workspace_id"`
	MemberID      string     `bun:"member_id"`
	TokenHash     string     `bun:"token_hash"`
	State         string     `bun:"state"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	InvitedByID   *string    `bun:"invited_by_id"`
	InvitedByName string     `bun:"invited_by_name"`
	Emailed       bool       `bun:"emailed"`
	CreatedAt     time.Time  `bun:"created_at"`
	EndedAt       *time.Time `bun:"ended_at"`
}

// OutboxMessage is an email waiting to be sent (or sent, or given up on).
type OutboxMessage struct {
	bun.BaseModel `bun:"table:outbox,alias:o"`

	ID            string     `bun:"id,pk"`
	WorkspaceID   *string    `bun:"workspace_id"`
	InviteID      *string    `bun:"invite_id"`
	Kind          string     `bun:"kind"` // the template: "invite"
	ToAddr        string     `bun:"to_addr"`
	ToName        string     `bun:"to_name"`
	Payload       string     `bun:"payload"` // JSON for the template
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
	ClaimedUntil  *time.Time `bun:"claimed_until"`
	LastError     string     `bun:"last_error"`
	SentAt        *time.Time `bun:"sent_at"`
	FailedAt      *time.Time `bun:"failed_at"`
	CreatedAt     time.Time  `bun:"created_at"`
}

// InvitePayload is what an invitation email says; the outbox keeps it as JSON.
type InvitePayload struct {
	Token         string    `json:"token"`
	InviteeName   string    `json:"invitee_name"`
	WorkspaceName string    `json:"workspace_name"`
	InviterName   string    `json:"inviter_name"`
	RoleNames     []string  `json:"role_names"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// Import statuses.
const (
	ImportPreview   = "preview"
	ImportRunning   = "running"
	ImportDone      = "done"
	ImportCancelled = "cancelled"
)

// Import is one CSV upload or pasted list: previewed, then run.
type Import struct {
	bun.BaseModel `bun:"table:imports,alias:im"`

	ID            string  `bun:"id,pk"`
	WorkspaceID   string  `bun:"workspace_id"`
	CreatedByID   *string `bun:"created_by_id"`
	CreatedByName string  `bun:"created_by_name"`
	Source        string  `bun:"source"`
	Status        string  `bun:"status"`
	ResendPending bool    `bun:"resend_pending"`
	Reactivate    bool    `bun:"reactivate"`
	Total         int     `bun:"total"`
	Processed     int     `bun:"processed"`
	Invited       int     `bun:"invited"`
	Resent        int     `bun:"resent"`
	Reactivated   int     `bun:"reactivated"`
	Skipped       int     `bun:"skipped"`
	Failed        int     `bun:"failed"`
	// Action is set for a bulk action on members (see bulk.go), "" for a
	// CSV import; Changed counts the members it changed.
	Action       string     `bun:"action"`
	Changed      int        `bun:"changed"`
	ClaimedUntil *time.Time `bun:"claimed_until"`
	CreatedAt    time.Time  `bun:"created_at"`
	StartedAt    *time.Time `bun:"started_at"`
	FinishedAt   *time.Time `bun:"finished_at"`
}

// Percent is how far a running import has come, for its progress bar.
func (im *Import) Percent() int {
	if im.Total == 0 {
		return 100
	}
	return im.Processed * 100 / im.Total
}

// ImportRow is one person of an import: what the preview found, and what
// running it did.
type ImportRow struct {
	bun.BaseModel `bun:"table:import_rows,alias:ir"`

	ImportID      string  `bun:"import_id,pk"`
	Line          int     `bun:"line,pk"`
	Email         string  `bun:"email"`
	Name          string  `bun:"name"`
	RoleName      string  `bun:"role_name"`
	Location      string  `bun:"location"`
	RoleID        *string `bun:"role_id"`
	MemberID      *string `bun:"member_id"`
	Outcome       string  `bun:"outcome"`
	Message       string  `bun:"message"`
	Result        string  `bun:"result"`
	ResultMessage string  `bun:"result_message"`
}
