package handlers

import (
	"time"

	"github.com/muster-app/muster/models"
)

// memberRow is everything one row of the members table shows, worked out
// in Go: a template calling functions for each of 50 rows spends most of
// the page's time in reflection.
type memberRow struct {
	M                     *models.Member
	OOB                   bool // swapped in out of band
	New                   bool // added on top, out of the sort, until the view reloads: a badge says so
	Initials, StatusLabel string
	Seen, SeenTitle       string
	Base                  string // the member's URL prefix for actions
	PageURL               string // the member's page, with the way back to this view
	// What the row's "…" menu offers; Menu is false when it would be
	// empty, and then the row shows no menu button at all.
	Menu                           bool
	Edit, InviteActions            bool // edit; resend/copy/revoke
	InviteAgain                    bool // a revoked invitation: invite them again
	Deactivate, Reactivate, Remove bool
	SignIn                         bool // send a reset link, clear two-factor
	// Blocked says why Deactivate and Remove are shown disabled: the
	// server would refuse them (see checkNotSelf and guardLastAdmin).
	Blocked string
	// NotInvited: an identity provider created the invited member without
	// an email address, so there is no invitation to resend, copy or
	// revoke; the menu shows why (NoInvite) and offers Remove instead.
	NoEmail, NotInvited, NoInvite bool
	LogURL                        string // the member's provisioning history, for who manages SCIM
	// Select: the row has a checkbox for bulk actions (members_bulk.go).
	Select bool
}

// newMemberRow works out m's row at time now for the viewer (the member
// viewerID), who holds perms. soleAdmin is the id of the workspace's only
// active Admin, if there is one.
func newMemberRow(now time.Time, m *models.Member, perms models.PermissionSet, ws *models.Workspace, viewerID, soleAdmin string, oob bool) memberRow {
	peer := canGiveAll(perms, m.Roles) // only someone who could give these roles may change them
	canInvite, canRemove := peer && perms.Has(models.PermInviteMembers), peer && perms.Has(models.PermRemoveMembers)
	r := memberRow{M: m, OOB: oob, Initials: initials(m.DisplayName), Seen: ago(now, m.LastSeenAt), SeenTitle: datetime(m.LastSeenAt),
		Base: "/w/" + ws.Slug + "/members/" + m.ID, StatusLabel: title(m.Status),
		Edit:          perms.Has(models.PermEditMembers) && m.Status != models.StatusRevoked,
		NoEmail:       !m.CanBeInvited(),
		InviteActions: canInvite && m.Status == models.StatusInvited && m.CanBeInvited(),
		Deactivate:    canRemove && m.Status == models.StatusActive,
		Reactivate:    canRemove && m.Status == models.StatusDeactivated,
		// An invitation is revoked instead; without an email there is none.
		Remove: canRemove && (m.Status != models.StatusInvited || !m.CanBeInvited()),
	}
	if r.NotInvited = r.NoEmail && m.Status == models.StatusInvited; r.NotInvited {
		r.StatusLabel = "Not invited" // waiting for an address, not for a reply
		r.NoInvite = canInvite
	}
	r.SignIn = peer && r.Edit && m.AccountID != nil && m.Status == models.StatusActive
	r.InviteAgain = canInvite && m.Status == models.StatusRevoked && m.CanBeInvited()
	switch {
	case m.ID == viewerID:
		r.Blocked = "This is you: another admin can deactivate or remove you."
	case m.ID == soleAdmin:
		r.Blocked = "Not possible for the last active Admin: make someone else an Admin first."
	}
	if perms.Has(models.PermManageSCIM) {
		r.LogURL = "/w/" + ws.Slug + "/scim/log?member=" + m.ID
	}
	// The disabled invitation only explains; alone it would be a menu that
	// offers nothing (the status's title says why there is no invitation).
	r.Select = perms.Has(models.PermEditMembers) || perms.Has(models.PermInviteMembers) || perms.Has(models.PermRemoveMembers)
	r.Menu = r.Edit || r.InviteActions || r.InviteAgain || r.Deactivate || r.Reactivate || r.Remove || r.SignIn || r.LogURL != ""
	return r
}
