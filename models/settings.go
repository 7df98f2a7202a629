package models

import (
	"context"
	"regexp"

	"github.com/uptrace/bun"
)

// SettingsInput is what the workspace settings page changes.
type SettingsInput struct {
	Name              string
	Slug              string
	InviteExpiryHours int
	InvitesPerHour    int
	// SCIMInvites: members an identity provider creates get an invitation
	// email (Workspace.SCIMInvites). A pointer because false is a valid
	// choice: nil leaves the setting as it is, so a caller that does not
	// know it cannot turn invitations off by omission.
	SCIMInvites *bool
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// UpdateWorkspace changes a workspace's name, URL slug and invitation
// settings, including whether members an identity provider creates get an
// invitation. A changed slug changes every URL of the workspace.
func (s *Store) UpdateWorkspace(ctx context.Context, actor Actor, ws *Workspace, in SettingsInput) (*Workspace, error) {
	in.Name = cleanName(in.Name)
	v := validator{}
	checkName(v, "name", in.Name, "a workspace name", 100)
	switch {
	case !slugPattern.MatchString(in.Slug) || len(in.Slug) > 48:
		v.add("slug", "Use lower-case letters, digits and single dashes, like acme-inc (at most 48).")
	case reservedSlugs[in.Slug]:
		v.add("slug", "“"+in.Slug+"” is reserved; choose another.")
	}
	if in.InviteExpiryHours < 1 || in.InviteExpiryHours > 30*24 {
		v.add("invite_expiry", "Choose between 1 hour and 30 days.")
	}
	if in.InvitesPerHour < 1 || in.InvitesPerHour > 100000 {
		v.add("invites_per_hour", "Choose a number from 1 to 100,000.")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	updated := *ws
	err := s.tx(ctx, func(tx bun.Tx) error {
		changes := map[string]Change{}
		note := func(field string, before, after any) {
			if before != after {
				changes[field] = Change{before, after}
			}
		}
		note("name", ws.Name, in.Name)
		note("slug", ws.Slug, in.Slug)
		note("invite_expiry_hours", ws.InviteExpiryHours, in.InviteExpiryHours)
		note("invites_per_hour", ws.InvitesPerHour, in.InvitesPerHour)
		scimInvites := ws.SCIMInvites
		if in.SCIMInvites != nil {
			scimInvites = *in.SCIMInvites
		}
		note("scim_invites", ws.SCIMInvites, scimInvites)
		if len(changes) == 0 {
			return nil
		}
		updated.Name, updated.Slug, updated.InviteExpiryHours, updated.InvitesPerHour, updated.SCIMInvites, updated.UpdatedAt =
			in.Name, in.Slug, in.InviteExpiryHours, in.InvitesPerHour, scimInvites, s.now()
		if _, err := tx.NewUpdate().Model(&updated).Column("name", "slug", "invite_expiry_hours", "invites_per_hour", "scim_invites", "updated_at").
			WherePK().Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return &ValidationError{Fields: map[string]string{"slug": "This URL is not available. Choose another."}}
			}
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "workspace.updated", "workspace", ws.ID, updated.Name, changes)
	})
	if err != nil {
		return nil, err
	}
	return &updated, nil
}
