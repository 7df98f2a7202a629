package models

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// InviteInput is what the Invite dialog sends for one address. Name is
// optional: without one the member is named from the address.
type InviteInput struct {
	Name     string
	Email    string
	RoleID   string
	Location string
}

// Invite adds a person to a workspace as an invited member with one role,
// issues their invitation link and queues the email, all in one
// transaction. It returns the member and the link's token (shown to nobody
// but the caller: the email carries it).
func (s *Store) Invite(ctx context.Context, actor Actor, ws *Workspace, in InviteInput) (*Member, string, error) {
	in.Name, in.Email, in.Location = cleanName(in.Name), NormalizeEmail(in.Email), cleanName(in.Location)
	v := validator{}
	given := in.Name // a revoked invitation invited again keeps its name unless given one
	if msg := checkEmail(in.Email); msg != "" {
		v.add("email", msg)
	} else if in.Name == "" { // optional: named from the address, as the import does
		in.Name = nameFromEmail(in.Email)
	}
	if in.Name != "" || v["email"] == "" {
		checkName(v, "name", in.Name, "a name", maxNameRunes)
	}
	checkLocation(v, in.Location)
	if in.RoleID == "" {
		v.add("role", "Choose a role.")
	}
	if err := v.err(); err != nil {
		return nil, "", err
	}
	var m *Member
	var token string
	err := s.tx(ctx, func(tx bun.Tx) error {
		role, err := roleInWorkspace(ctx, tx, ws.ID, in.RoleID)
		if err != nil {
			return err
		}
		if err := checkGrantable(actor, []Role{*role}); err != nil {
			return err
		}
		if err := s.checkInviteRate(ctx, tx, ws, actor); err != nil {
			return err
		}
		var existing Member
		err = tx.NewSelect().Model(&existing).Where("workspace_id = ? AND email = ?", ws.ID, in.Email).Scan(ctx)
		if err == nil && existing.Status == StatusRevoked { // invited before and revoked: the same row again
			if err := s.loadRoles(ctx, tx, []*Member{&existing}); err != nil {
				return err
			}
			m = &existing
			token, err = s.reinviteTx(ctx, tx, actor, ws, m, given, in.Location, []Role{*role})
			return err
		} else if err == nil {
			return emailTaken(&existing)
		} else if err = notFound(err); !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now()
		m = &Member{ID: newID(), WorkspaceID: ws.ID, Email: in.Email, UserName: in.Email, DisplayName: in.Name,
			Location: in.Location, Status: StatusInvited, Version: 1, CreatedAt: now, UpdatedAt: now, Roles: []Role{*role}}
		m.setDerived()
		tokens, err := s.insertInvited(ctx, tx, actor, ws, []*Member{m})
		if err != nil {
			return err
		}
		token = tokens[0]
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return m, token, nil
}

// emailTaken explains why an email cannot be invited again, by the status
// of the member who has it.
func emailTaken(m *Member) error {
	switch m.Status {
	case StatusActive:
		return &ConflictError{Field: "email", Code: ConflictMember, MemberID: m.ID,
			Message: m.DisplayName + " (" + m.Email + ") is already a member of this workspace."}
	case StatusInvited:
		return &ConflictError{Field: "email", Code: ConflictPending, MemberID: m.ID,
			Message: m.Email + " has already been invited and has not joined yet."}
	default:
		return &ConflictError{Field: "email", Code: ConflictDeactivated, MemberID: m.ID,
			Message: m.DisplayName + " (" + m.Email + ") was a member and is deactivated."}
	}
}

func checkLocation(v validator, location string) {
	if len([]rune(location)) > 200 {
		v.add("location", "Keep the location under 200 characters.")
	} else if msg := checkText(location, true); msg != "" {
		v.add("location", "The location "+msg)
	}
}

// roleInWorkspace loads a role, answering a validation error (not a 404)
// when it is not one of the workspace's: it came from a form.
func roleInWorkspace(ctx context.Context, db bun.IDB, wsID, roleID string) (*Role, error) {
	var r Role
	if err := db.NewSelect().Model(&r).Where("id = ? AND workspace_id = ?", roleID, wsID).Scan(ctx); err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil, &ValidationError{Fields: map[string]string{"role": "Choose one of this workspace's roles."}}
		}
		return nil, err
	}
	return &r, nil
}

// issueInvite gives m a new invitation link, ending any earlier one (so an
// old link stops working), and queues the email when asked to.
func (s *Store) issueInvite(ctx context.Context, tx bun.Tx, ws *Workspace, m *Member, actor Actor, email bool) (string, *Invite, error) {
	if err := s.endInvites(ctx, tx, m.ID, InviteSuperseded); err != nil {
		return "", nil, err
	}
	if email && m.Roles == nil {
		if err := s.loadRoles(ctx, tx, []*Member{m}); err != nil {
			return "", nil, err
		}
	}
	return s.insertInvite(ctx, tx, ws, m, actor, email)
}

// insertInvite writes a new link for m (with its roles loaded) and, when
// asked, its email; the member must have no pending link.
func (s *Store) insertInvite(ctx context.Context, tx bun.Tx, ws *Workspace, m *Member, actor Actor, email bool) (string, *Invite, error) {
	token, inv, msg, err := s.inviteRecords(ws, m, actor, email)
	if err != nil {
		return "", nil, err
	}
	if err := s.insertRow(ctx, tx, inv); err != nil {
		return "", nil, err
	}
	if msg != nil {
		err = s.insertRow(ctx, tx, msg)
	}
	return token, inv, err
}

// inviteRecords builds a new link for m (with its roles loaded) and, when
// asked, the email that carries it, for one insert or a batch.
func (s *Store) inviteRecords(ws *Workspace, m *Member, actor Actor, email bool) (string, *Invite, *OutboxMessage, error) {
	now := s.now()
	id := newID()
	token := newInviteToken(id)
	inv := &Invite{ID: id, WorkspaceID: ws.ID, MemberID: m.ID, TokenHash: inviteKey(token), State: InvitePending,
		ExpiresAt: now.Add(time.Duration(ws.InviteExpiryHours) * time.Hour), InvitedByName: actor.Name, Emailed: email, CreatedAt: now}
	if actor.Kind == "member" {
		inv.InvitedByID = &actor.ID
	}
	if !email {
		return token, inv, nil, nil
	}
	payload, err := json.Marshal(InvitePayload{Token: token, InviteeName: m.DisplayName, WorkspaceName: ws.Name,
		InviterName: actor.Name, RoleNames: roleNames(m.Roles), ExpiresAt: inv.ExpiresAt})
	if err != nil {
		return "", nil, nil, err
	}
	wsID, invID := ws.ID, inv.ID
	msg := &OutboxMessage{ID: newID(), WorkspaceID: &wsID, InviteID: &invID, Kind: "invite", ToAddr: m.Email, ToName: m.DisplayName,
		Payload: string(payload), NextAttemptAt: now, CreatedAt: now}
	return token, inv, msg, nil
}

// insertInvited writes new invited members (each with its Roles set), their
// roles, links, emails and audit events, set-based (insertMembers). It
// returns each member's token, in order.
func (s *Store) insertInvited(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, members []*Member) ([]string, error) {
	rows := make([]newMemberRow, len(members))
	for i, m := range members {
		rows[i] = newMemberRow{M: m, Invite: true, Email: true, Action: "member.invited", Changes: map[string]Change{
			"email": {nil, m.Email}, "name": {nil, m.DisplayName}, "roles": {nil, roleNames(m.Roles)}, "location": {nil, m.Location}}}
	}
	tokens, err := s.insertMembers(ctx, tx, actor, ws, rows)
	if isUniqueViolation(err) { // a concurrent invite of the same email won
		return nil, &ConflictError{Field: "email", Code: ConflictPending, Message: "Someone with this email has just been invited."}
	}
	return tokens, err
}

// endInvites ends a member's pending invitation links with state.
func (s *Store) endInvites(ctx context.Context, tx bun.IDB, memberID, state string) error {
	_, err := tx.NewUpdate().Model((*Invite)(nil)).Set("state = ?", state).Set("ended_at = ?", s.now()).
		Where("member_id = ? AND state = ?", memberID, InvitePending).Exec(ctx)
	return err
}

// memberInWorkspace loads one member of ws for a change.
func memberInWorkspace(ctx context.Context, db bun.IDB, wsID, memberID string) (*Member, error) {
	var m Member
	if err := db.NewSelect().Model(&m).Where("id = ? AND workspace_id = ?", memberID, wsID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

// ResendInvite sends an invited member a new link with a new expiry (also
// after the old one expired); the old link stops working.
func (s *Store) ResendInvite(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	m, _, _, err := s.reissue(ctx, actor, ws, memberID, true, "invite.resent")
	return m, err
}

// NewInviteLink makes a new link for an invited member without emailing it,
// for an admin to pass on themselves. Tokens are stored only as hashes, so
// an earlier link cannot be shown again: the new one replaces it.
func (s *Store) NewInviteLink(ctx context.Context, actor Actor, ws *Workspace, memberID string) (string, *Invite, error) {
	_, token, inv, err := s.reissue(ctx, actor, ws, memberID, false, "invite.link_created")
	return token, inv, err
}

func (s *Store) reissue(ctx context.Context, actor Actor, ws *Workspace, memberID string, email bool, action string) (*Member, string, *Invite, error) {
	var token string
	var inv *Invite
	m, err := s.changeMember(ctx, ws, memberID, StatusInvited, " is not waiting for an invitation.", func(tx bun.Tx, m *Member) error {
		if !m.CanBeInvited() {
			return errNoEmail(m)
		}
		// A link is the invited person's roles: only someone who could give
		// those roles may hand one out.
		if err := checkGrantable(actor, m.Roles); err != nil {
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName +
				" was invited with a role whose permissions you don't have, so you can't send their invitation."}
		}
		if err := s.checkInviteRate(ctx, tx, ws, actor); err != nil {
			return err
		}
		var err error
		token, inv, err = s.reissueTx(ctx, tx, actor, ws, m, email, action)
		return err
	})
	return m, token, inv, err
}

// errNoEmail: a member an identity provider created without an email
// address cannot be invited: there is nowhere to send the link, and
// accepting one makes an account for the member's address.
func errNoEmail(m *Member) error {
	return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: m.DisplayName +
		" has no email address, so Muster cannot invite them. Add one in your identity provider first."}
}

// reissueTx gives an invited member a new link (emailed or not) and records it.
func (s *Store) reissueTx(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, m *Member, email bool, action string) (string, *Invite, error) {
	token, inv, err := s.issueInvite(ctx, tx, ws, m, actor, email)
	if err != nil {
		return "", nil, err
	}
	return token, inv, s.audit(ctx, tx, ws.ID, actor, action, "member", m.ID, m.DisplayName, nil)
}

// RevokeInvite withdraws an invitation: its link stops working and the
// invited person leaves the members table's default view. The row stays as
// revoked, with its roles kept aside, so it can be found under the Revoked
// filter and invited again (see InviteAgain).
func (s *Store) RevokeInvite(ctx context.Context, actor Actor, ws *Workspace, memberID string) (*Member, error) {
	return s.changeMember(ctx, ws, memberID, StatusInvited, " has no pending invitation.", func(tx bun.Tx, m *Member) error {
		if err := s.audit(ctx, tx, ws.ID, actor, "invite.revoked", "member", m.ID, m.DisplayName,
			map[string]Change{"status": {StatusInvited, StatusRevoked}, "email": {m.Email, nil}}); err != nil {
			return err
		}
		if err := s.endInvites(ctx, tx, m.ID, InviteRevoked); err != nil {
			return err
		}
		return s.markRevoked(ctx, tx, m)
	})
}
