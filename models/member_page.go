package models

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// MemberDetails is what a member's page shows besides the member itself:
// the directory fields an identity provider sent, where the member came
// from, how their status changed, and what happened to them. All of it is
// read from the member's own rows and audit events, by index.
type MemberDetails struct {
	Directory Directory
	Source    MemberSource
	// History is the member's status changes, newest first: invited,
	// resent, accepted, deactivated, reactivated.
	History []AuditEvent
	// Events is the member's audit history, newest first; More says
	// there are older ones than the limit asked for.
	Events []AuditEvent
	More   bool
}

// Directory is the profile an identity provider keeps for a member (SCIM's
// core and enterprise User attributes).
type Directory struct {
	Title, Department, EmployeeNumber, Phone string
	// ManagerValue is the manager as the identity provider named them (an
	// id or an externalId); Manager is that member of the workspace, when
	// one matches, and ManagerName the name to show either way.
	ManagerValue, ManagerName string
	Manager                   *Member
}

// Empty: the identity provider sent none of the directory fields.
func (d Directory) Empty() bool {
	return d.Title == "" && d.Department == "" && d.EmployeeNumber == "" && d.Phone == "" && d.ManagerValue == ""
}

// Where a member came from (MemberSource.Kind).
const (
	SourceInvited = "invited" // a person invited them
	SourceImport  = "import"  // a CSV import invited them
	SourceSCIM    = "scim"    // an identity provider created them
	SourceSSO     = "sso"     // single sign-on let them join just in time
	SourceFounder = "founder" // they created the workspace
	SourceUnknown = "unknown" // no event says (demo data, say)
)

// MemberSource is how a member came into the workspace: the event that
// created them, and for an import its file.
type MemberSource struct {
	Kind      string
	ActorKind string // "member", "scim_token" or "system"
	ActorName string
	At        time.Time
	Import    string // the import's file (or "pasted list"), for SourceImport
}

// memberHistoryActions are the audit actions that change a member's status.
var memberHistoryActions = []string{"member.joined", "member.invited", "member.provisioned", "invite.resent",
	"invite.link_created", "invite.accepted", "sso.activated", "sso.jit_joined", "member.deactivated", "member.reactivated"}

// memberCreatedActions are the audit actions that bring a member in.
var memberCreatedActions = []string{"member.joined", "member.invited", "member.provisioned", "sso.jit_joined"}

// historyLimit bounds the status history a page shows.
const historyLimit = 50

// MemberDetails reads what m's page shows (m as MemberByID returns it);
// limit bounds the audit events, newest first.
func (s *Store) MemberDetails(ctx context.Context, m *Member, limit int) (*MemberDetails, error) {
	d := &MemberDetails{Directory: directoryOf(m)}
	if err := s.findManager(ctx, m.WorkspaceID, &d.Directory); err != nil {
		return nil, err
	}
	events := func(actions []string, asc bool, n int) ([]AuditEvent, error) {
		var evs []AuditEvent
		q := s.rdb.NewSelect().Model(&evs).Where("workspace_id = ? AND target_id = ? AND target_kind = 'member'", m.WorkspaceID, m.ID)
		if actions != nil {
			q = q.Where("action IN (?)", bun.In(actions))
		}
		order := "id DESC"
		if asc {
			order = "id ASC"
		}
		return evs, q.Order(order).Limit(int64(n)).Scan(ctx)
	}
	var err error
	if limit > 0 {
		if d.Events, err = events(nil, false, limit+1); err != nil {
			return nil, err
		}
		if len(d.Events) > limit {
			d.Events, d.More = d.Events[:limit], true
		}
	}
	if d.History, err = events(memberHistoryActions, false, historyLimit); err != nil {
		return nil, err
	}
	created, err := events(memberCreatedActions, true, 1)
	if err != nil {
		return nil, err
	}
	d.Source = MemberSource{Kind: SourceUnknown}
	if len(created) == 1 {
		if d.Source, err = s.sourceOf(ctx, m, &created[0]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// sourceOf reads where m came from off the event that created them. An
// import invites through the same event as a person does: the import's
// row that invited m tells them apart.
func (s *Store) sourceOf(ctx context.Context, m *Member, ev *AuditEvent) (MemberSource, error) {
	src := MemberSource{ActorKind: ev.ActorKind, ActorName: ev.ActorName, At: ev.CreatedAt}
	switch ev.Action {
	case "member.joined":
		src.Kind = SourceFounder
	case "member.provisioned":
		src.Kind = SourceSCIM
	case "sso.jit_joined":
		src.Kind = SourceSSO
	default:
		src.Kind = SourceInvited
		var im Import
		err := s.rdb.NewSelect().Model(&im).Column("im.source", "im.created_by_name").
			Join("JOIN import_rows AS ir ON ir.import_id = im.id").
			Where("ir.member_id = ? AND ir.result = ? AND im.workspace_id = ?", m.ID, ResultInvited, m.WorkspaceID).
			Limit(1).Scan(ctx)
		switch {
		case err == nil:
			src.Kind, src.Import = SourceImport, im.Source
		case !errors.Is(notFound(err), ErrNotFound):
			return src, err
		}
	}
	return src, nil
}

// directoryOf reads the directory fields: the columns SCIM fills, and the
// phone number and manager's name, which only the stored User holds.
func directoryOf(m *Member) Directory {
	d := Directory{Title: m.Title, Department: m.Department, EmployeeNumber: m.EmployeeNumber, ManagerValue: m.ManagerID}
	if m.SCIMAttributes == "" {
		return d
	}
	var u struct {
		Title        string `json:"title"`
		PhoneNumbers []struct {
			Value   string `json:"value"`
			Type    string `json:"type"`
			Primary any    `json:"primary"`
		} `json:"phoneNumbers"`
		Enterprise struct {
			EmployeeNumber string `json:"employeeNumber"`
			Department     string `json:"department"`
			Manager        struct {
				Value       string `json:"value"`
				DisplayName string `json:"displayName"`
			} `json:"manager"`
		} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	}
	if json.Unmarshal([]byte(m.SCIMAttributes), &u) != nil {
		return d // the columns still hold what Muster uses
	}
	first := func(a, b string) string {
		if a != "" {
			return a
		}
		return strings.TrimSpace(b)
	}
	d.Title, d.Department = first(d.Title, u.Title), first(d.Department, u.Enterprise.Department)
	d.EmployeeNumber, d.ManagerValue = first(d.EmployeeNumber, u.Enterprise.EmployeeNumber), first(d.ManagerValue, u.Enterprise.Manager.Value)
	d.ManagerName = strings.TrimSpace(u.Enterprise.Manager.DisplayName)
	// The primary number, else a work one, else the first.
	best, bestScore := -1, 0
	for i, p := range u.PhoneNumbers {
		score := 1
		switch {
		case strings.TrimSpace(p.Value) == "":
			continue
		case p.Primary == true || p.Primary == "true" || p.Primary == "True":
			score = 3
		case strings.EqualFold(p.Type, "work"):
			score = 2
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best >= 0 {
		d.Phone = strings.TrimSpace(u.PhoneNumbers[best].Value)
	}
	return d
}

// findManager looks the manager up among the workspace's members: SCIM's
// manager.value is the manager's id, and some identity providers send
// their own id for the manager, which Muster keeps as externalId.
func (s *Store) findManager(ctx context.Context, wsID string, d *Directory) error {
	if d.ManagerValue == "" {
		return nil
	}
	for _, col := range []string{"id", "external_id"} {
		var m Member
		err := s.rdb.NewSelect().Model(&m).Column("id", "display_name", "status").
			Where("workspace_id = ? AND "+col+" = ?", wsID, d.ManagerValue).Limit(1).Scan(ctx)
		if err == nil {
			d.Manager = &m
			d.ManagerName = m.DisplayName
			return nil
		}
		if !errors.Is(notFound(err), ErrNotFound) {
			return err
		}
	}
	if d.ManagerName == "" {
		d.ManagerName = d.ManagerValue
	}
	return nil
}
