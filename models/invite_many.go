package models

import (
	"context"
	"errors"
	"strconv"

	"github.com/uptrace/bun"
)

// MaxInviteAddresses is the most addresses one Invite submit may hold; more
// belong in an import, which previews them and runs in the background.
const MaxInviteAddresses = 100

// InviteAddress is one address of a pasted list, with the name written
// beside it ("Ada Lovelace <ada@example.com>"), if any.
type InviteAddress struct{ Email, Name string }

// InviteManyInput is several addresses invited with one role and location.
type InviteManyInput struct {
	Addresses []InviteAddress
	RoleID    string
	Location  string
}

// What became of one address of InviteMany.
const (
	InviteResultInvited     = "invited"
	InviteResultMember      = "member"      // already an active member
	InviteResultPending     = "pending"     // invited already, not joined yet: resend?
	InviteResultDeactivated = "deactivated" // a deactivated member: reactivate?
	InviteResultInvalid     = "invalid"     // the address (or the name beside it) is not usable
	InviteResultLimited     = "limited"     // over the workspace's hourly invitation limit
)

// InviteResult is one distinct address of InviteMany and what became of it.
type InviteResult struct {
	Email   string // normalised when it is a valid address, else as written
	Name    string
	Outcome string
	Message string  // why, for every outcome but invited
	Member  *Member // the invited member, or the one who has the address

	named bool // the name came with the address (not made from it)
}

// InviteMany invites several people with one role and location, each
// address on its own: the usable ones are invited (named from the address
// when no name came with it), the others come back with why. Addresses are
// compared case-insensitively and repeats collapse into the first. Every
// invitation counts against the hourly limit; past it the rest come back
// as limited. The invitations are written in one transaction. Errors are
// about the whole request: no addresses, too many, the role or location.
func (s *Store) InviteMany(ctx context.Context, actor Actor, ws *Workspace, in InviteManyInput) ([]InviteResult, error) {
	in.Location = cleanName(in.Location)
	v := validator{}
	switch {
	case len(in.Addresses) == 0:
		v.add("email", "Enter an email address.")
	case len(in.Addresses) > MaxInviteAddresses:
		v.add("email", "Invite at most "+strconv.Itoa(MaxInviteAddresses)+" addresses at once ("+strconv.Itoa(len(in.Addresses))+
			" here); import a list for more.")
	}
	checkLocation(v, in.Location)
	if in.RoleID == "" {
		v.add("role", "Choose a role.")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	role, err := roleInWorkspace(ctx, s.rdb, ws.ID, in.RoleID)
	if err != nil {
		return nil, err
	}
	if err := checkGrantable(actor, []Role{*role}); err != nil {
		return nil, err
	}
	results := inviteAddresses(in.Addresses)
	// A concurrent invitation of one of these addresses makes the batch's
	// insert fail; the next attempt sees that member and reports it.
	for attempt := 0; ; attempt++ {
		out := append([]InviteResult(nil), results...)
		err = s.tx(ctx, func(tx bun.Tx) error { return s.inviteManyTx(ctx, tx, actor, ws, role, in.Location, out) })
		var conflict *ConflictError
		if err == nil {
			return out, nil
		} else if !errors.As(err, &conflict) || attempt == 2 {
			return nil, err
		}
	}
}

// inviteAddresses checks each address on its own and collapses repeats.
func inviteAddresses(addrs []InviteAddress) []InviteResult {
	var out []InviteResult
	seen := map[string]bool{}
	for _, a := range addrs {
		r := InviteResult{Email: NormalizeEmail(a.Email), Name: cleanName(a.Name)}
		r.named = r.Name != ""
		if msg := checkEmail(r.Email); msg != "" {
			r.Email = truncate(cleanName(a.Email), 254)
			if r.Email == "" || seen[foldCase(r.Email)] {
				continue
			}
			seen[foldCase(r.Email)] = true
			r.Outcome, r.Message = InviteResultInvalid, msg
			out = append(out, r)
			continue
		}
		if seen[r.Email] {
			continue
		}
		seen[r.Email] = true
		if r.Name == "" {
			r.Name = nameFromEmail(r.Email)
		}
		v := validator{}
		if checkName(v, "name", r.Name, "the name", maxNameRunes); v["name"] != "" {
			r.Outcome, r.Message = InviteResultInvalid, v["name"]
		}
		out = append(out, r)
	}
	return out
}

// inviteManyTx invites the results still without an outcome, filling in
// each one's outcome.
func (s *Store) inviteManyTx(ctx context.Context, tx bun.Tx, actor Actor, ws *Workspace, role *Role, location string, results []InviteResult) error {
	var emails []string
	for _, r := range results {
		if r.Outcome == "" {
			emails = append(emails, r.Email)
		}
	}
	existing, err := membersByEmail(ctx, tx, ws.ID, emails)
	if err != nil {
		return err
	}
	var todo []int // results to invite, in the order written
	for i := range results {
		r := &results[i]
		if r.Outcome != "" {
			continue
		}
		m := existing[r.Email]
		switch {
		case m == nil || m.Status == StatusRevoked:
			todo = append(todo, i)
			r.Member = m
		default:
			r.Member = m
			var conflict *ConflictError
			errors.As(emailTaken(m), &conflict)
			r.Outcome, r.Message = map[string]string{StatusActive: InviteResultMember, StatusInvited: InviteResultPending}[m.Status], conflict.Message
			if r.Outcome == "" {
				r.Outcome = InviteResultDeactivated
			}
			if m.Status == StatusInvited && !m.CanBeInvited() {
				r.Outcome = InviteResultMember
			}
		}
	}
	took, retry, err := s.spendInvites(ctx, tx, ws, actor, len(todo))
	if err != nil {
		return err
	}
	var fresh []*Member
	now := s.now()
	for n, i := range todo {
		r := &results[i]
		if n >= took {
			r.Outcome, r.Message, r.Member = InviteResultLimited, inviteLimited(ws, retry).Error(), nil
			continue
		}
		r.Outcome = InviteResultInvited
		if r.Member != nil { // a revoked invitation: the same row is invited again
			name := r.Name
			if !r.named {
				name = ""
			}
			if _, err := s.reinviteTx(ctx, tx, actor, ws, r.Member, name, location, []Role{*role}); err != nil {
				return err
			}
			r.Name = r.Member.DisplayName
			continue
		}
		m := &Member{ID: newID(), WorkspaceID: ws.ID, Email: r.Email, UserName: r.Email, DisplayName: r.Name,
			Location: location, Status: StatusInvited, Version: 1, CreatedAt: now, UpdatedAt: now, Roles: []Role{*role}}
		m.setDerived()
		fresh, r.Member = append(fresh, m), m
	}
	_, err = s.insertInvited(ctx, tx, actor, ws, fresh)
	return err
}
