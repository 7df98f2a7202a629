package handlers

import (
	"github.com/muster-app/muster/models"
)

// memberRow is everything one row of the members table shows, worked out
// in Go: a template calling functions for each of 50 rows spends most of
// the page's time in reflection.
type memberRow struct {
	M                      *models.Member
	OOB                    bool // swapped in out of band
	Initials, StatusLabel  string
	Seen, SeenTitle        string
	Base                   string // the member's URL prefix for actions
	Menu                   bool   // the viewer may do anything from the row menu
	CanEdit                bool
	CanInvite, CanRemove   bool // resend/copy/revoke; deactivate/reactivate/remove
	Invited, Active, Deact bool
	LogURL                 string // the member's provisioning history, for who manages SCIM
}

func newMemberRow(m *models.Member, perms models.PermissionSet, ws *models.Workspace, oob bool) memberRow {
	peer := canGiveAll(perms, m.Roles) // only someone who could give these roles may change them
	r := memberRow{M: m, OOB: oob, Initials: initials(m.DisplayName), Seen: ago(m.LastSeenAt), SeenTitle: datetime(m.LastSeenAt),
		Base: "/w/" + ws.Slug + "/members/" + m.ID, CanEdit: perms.Has(models.PermEditMembers),
		CanInvite: peer && perms.Has(models.PermInviteMembers), CanRemove: peer && perms.Has(models.PermRemoveMembers),
		Invited: m.Status == models.StatusInvited, Active: m.Status == models.StatusActive, Deact: m.Status == models.StatusDeactivated}
	r.StatusLabel = title(m.Status)
	if perms.Has(models.PermManageSCIM) {
		r.LogURL = "/w/" + ws.Slug + "/scim/log?member=" + m.ID
	}
	r.Menu = r.CanEdit || perms.Has(models.PermInviteMembers) || perms.Has(models.PermRemoveMembers) || r.LogURL != ""
	return r
}
