package models

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// Bulk actions on members: the members table's selection, or every member
// of a view, acted on one member at a time through the same operations as
// a single member's menu (UpdateMember, ResendInvite, Deactivate,
// Reactivate, RemoveMember), each with its own audit event.
const (
	BulkRole       = "role" // replace each member's roles with one role
	BulkResend     = "resend"
	BulkDeactivate = "deactivate"
	BulkReactivate = "reactivate"
	BulkRemove     = "remove"
)

// BulkActions is the permission each bulk action needs: the one its
// single-member route needs.
var BulkActions = map[string]Permission{
	BulkRole:       PermEditMembers,
	BulkResend:     PermInviteMembers,
	BulkDeactivate: PermRemoveMembers,
	BulkReactivate: PermRemoveMembers,
	BulkRemove:     PermRemoveMembers,
}

// Why a member of a selection is left out. The order is the order the
// confirmation lists them in.
const (
	SkipLastAdmin     = "last_admin"
	SkipSelf          = "self"
	SkipPermission    = "permission"
	SkipNotApplicable = "not_applicable"
)

var skipOrder = []string{SkipLastAdmin, SkipSelf, SkipPermission, SkipNotApplicable}

const (
	// BulkInlineMax is the largest selection acted on within the request;
	// more, or a whole view, runs as a background job.
	BulkInlineMax = 200
	// bulkMaxIDs bounds a selection sent as ids (a whole view is sent as
	// its query instead).
	bulkMaxIDs = 10000
)

// ResultChanged: a bulk job changed the member.
const ResultChanged = "changed"

// BulkSelection is who a bulk action is for: members by id, or (All)
// every member the view matches now.
type BulkSelection struct {
	IDs  []string
	All  bool
	View MemberQuery
}

// BulkRequest is one bulk action on a selection; RoleID is the role for BulkRole.
type BulkRequest struct {
	Action string
	RoleID string
	Sel    BulkSelection
}

// SkipGroup is the members a bulk action leaves out for one reason.
type SkipGroup struct {
	Reason string
	Count  int
	Names  []string // the first few, to recognise them by
}

// BulkPlan is what confirming a bulk action would do, counted before
// anything changes.
type BulkPlan struct {
	Action   string
	Role     *Role
	Selected int
	Apply    int // members it will act on
	// SCIMManaged of those are managed by an identity provider: changed
	// here (roles and access stay Muster's to change, as in the Edit
	// dialog), though its next push may set them back.
	SCIMManaged int
	Skips       []SkipGroup
}

// Skipped is how many members the plan leaves out.
func (p *BulkPlan) Skipped() int { return p.Selected - p.Apply }

// BulkResult is what a bulk action did inline, or the job running it.
type BulkResult struct {
	Changed, Skipped, Failed int
	Job                      *Import
}

// checkBulk validates a request and loads its role.
func (s *Store) checkBulk(ctx context.Context, ws *Workspace, req *BulkRequest) (*Role, error) {
	if _, ok := BulkActions[req.Action]; !ok {
		return nil, &ValidationError{Fields: map[string]string{"action": "Choose what to do."}}
	}
	ids := req.Sel.IDs[:0:0]
	seen := map[string]bool{}
	for _, id := range req.Sel.IDs {
		if id = strings.TrimSpace(id); id != "" && len(id) <= 64 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	req.Sel.IDs = ids
	switch {
	case !req.Sel.All && len(ids) == 0:
		return nil, &ValidationError{Fields: map[string]string{"selection": "Select at least one member."}}
	case !req.Sel.All && len(ids) > bulkMaxIDs:
		return nil, &ValidationError{Fields: map[string]string{"selection": "Select at most 10,000 members, or all members of a view."}}
	}
	if req.Action != BulkRole {
		return nil, nil
	}
	if req.RoleID == "" {
		return nil, &ValidationError{Fields: map[string]string{"role": "Choose a role."}}
	}
	return roleInWorkspace(ctx, s.rdb, ws.ID, req.RoleID)
}

// walkSelection calls fn with the selected members, with their roles, a
// page at a time: by name for ids, in the view's order for a whole view.
func (s *Store) walkSelection(ctx context.Context, ws *Workspace, sel BulkSelection, fn func([]*Member) error) error {
	if sel.All {
		return s.WalkMembers(ctx, ws.ID, sel.View, fn)
	}
	var all []*Member
	for start := 0; start < len(sel.IDs); start += 500 {
		var ms []*Member
		if err := s.rdb.NewSelect().Model(&ms).Where("workspace_id = ? AND id IN (?)", ws.ID, bun.In(sel.IDs[start:min(start+500, len(sel.IDs))])).Scan(ctx); err != nil {
			return err
		}
		all = append(all, ms...)
	}
	slices.SortFunc(all, func(a, b *Member) int {
		if c := strings.Compare(a.SortName, b.SortName); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for start := 0; start < len(all); start += walkPage {
		page := all[start:min(start+walkPage, len(all))]
		if err := s.loadRoles(ctx, s.rdb, page); err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
	}
	return nil
}

// bulkSkip says why action leaves m out, by the rules of the member
// operation it calls ("" when it applies), except the last active Admin,
// which depends on the rest of the selection (see PlanBulk). It answers
// before anything is written, for the confirmation and for the run alike.
func bulkSkip(actor Actor, action string, role *Role, m *Member) (reason, message string) {
	self := actor.Kind == "member" && actor.ID == m.ID
	switch action {
	case BulkRole:
		// The Edit dialog lets you change your own roles; a bulk change
		// does not take your own Admin role away along with everyone's.
		if self {
			return SkipSelf, "You: change your own role with Edit."
		}
		if len(m.Roles) == 1 && m.Roles[0].ID == role.ID {
			return SkipNotApplicable, "Has this role already."
		}
		if checkGrantable(actor, roleDiff(m.Roles, []Role{*role})) != nil {
			return SkipPermission, "Holds a role with permissions you don't have."
		}
	case BulkResend:
		switch {
		case m.Status != StatusInvited:
			return SkipNotApplicable, "Not waiting for an invitation."
		case !m.CanBeInvited():
			return SkipNotApplicable, "No email address to send to."
		case checkGrantable(actor, m.Roles) != nil:
			return SkipPermission, "Invited with a role whose permissions you don't have."
		}
	case BulkDeactivate, BulkReactivate, BulkRemove:
		want := map[string]string{BulkDeactivate: StatusActive, BulkReactivate: StatusDeactivated}[action]
		if want != "" && m.Status != want {
			return SkipNotApplicable, map[string]string{StatusActive: "Not active.", StatusDeactivated: "Not deactivated."}[want]
		}
		if checkRemovable(actor, m) != nil {
			return SkipPermission, "Holds a role with permissions you don't have."
		}
		if action != BulkReactivate && self {
			return SkipSelf, "You: another admin can do this to you."
		}
	}
	return "", ""
}

// losesAdmin: acting on m would take an active Admin away, which
// guardLastAdmin refuses for the last one.
func losesAdmin(action string, role *Role, m *Member) bool {
	if m.Status != StatusActive || !hasAdminRole(m.Roles) {
		return false
	}
	return action == BulkDeactivate || action == BulkRemove || (action == BulkRole && !role.IsAdmin())
}

// PlanBulk counts what a bulk action would do to each selected member, and
// why it would leave some out, without changing anything. The last active
// Admin is counted across the selection: of several Admins deactivated
// together, the one who would be last is kept (the run keeps them too:
// guardLastAdmin).
func (s *Store) PlanBulk(ctx context.Context, actor Actor, ws *Workspace, req BulkRequest) (*BulkPlan, error) {
	role, err := s.checkBulk(ctx, ws, &req)
	if err != nil {
		return nil, err
	}
	admins, err := activeAdmins(s.rdb, ws.ID).Count(ctx)
	if err != nil {
		return nil, err
	}
	plan := &BulkPlan{Action: req.Action, Role: role}
	groups := map[string]*SkipGroup{}
	skip := func(reason string, m *Member) {
		g := groups[reason]
		if g == nil {
			g = &SkipGroup{Reason: reason}
			groups[reason] = g
		}
		g.Count++
		if len(g.Names) < 3 {
			g.Names = append(g.Names, m.DisplayName)
		}
	}
	err = s.walkSelection(ctx, ws, req.Sel, func(ms []*Member) error {
		for _, m := range ms {
			plan.Selected++
			if reason, _ := bulkSkip(actor, req.Action, role, m); reason != "" {
				skip(reason, m)
				continue
			}
			if losesAdmin(req.Action, role, m) {
				if admins <= 1 {
					skip(SkipLastAdmin, m)
					continue
				}
				admins--
			}
			plan.Apply++
			if m.SCIMManaged {
				plan.SCIMManaged++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range skipOrder {
		if g := groups[r]; g != nil {
			plan.Skips = append(plan.Skips, *g)
		}
	}
	return plan, nil
}

// RunBulk confirms a bulk action. A selection of up to BulkInlineMax
// members is acted on now, in one transaction (each member's operation in
// a savepoint of it); a larger one, or a whole view, becomes a background
// job that the import runner works through (see ProcessImports).
func (s *Store) RunBulk(ctx context.Context, actor Actor, ws *Workspace, req BulkRequest) (*BulkResult, error) {
	role, err := s.checkBulk(ctx, ws, &req)
	if err != nil {
		return nil, err
	}
	if req.Sel.All || len(req.Sel.IDs) > BulkInlineMax {
		job, err := s.startBulkJob(ctx, actor, ws, req, role)
		return &BulkResult{Job: job}, err
	}
	var ids []string
	if err := s.walkSelection(ctx, ws, req.Sel, func(ms []*Member) error {
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	res := &BulkResult{Skipped: len(req.Sel.IDs) - len(ids)} // not (or no longer) in the workspace
	err = s.InBatch(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			result, _, err := s.bulkOne(ctx, actor, ws, req.Action, role, id)
			if err != nil {
				return err
			}
			res.count(result)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (r *BulkResult) count(result string) {
	switch result {
	case ResultChanged:
		r.Changed++
	case ResultSkipped:
		r.Skipped++
	default:
		r.Failed++
	}
}

// bulkOne acts on one member through the operation a single member's
// menu calls, and says how it went: changed, skipped (with the rule that
// refused it) or failed (the invitation limit). Only errors that are no
// refusal end the batch.
func (s *Store) bulkOne(ctx context.Context, actor Actor, ws *Workspace, action string, role *Role, memberID string) (result, message string, err error) {
	db := s.conn(ctx)
	m, err := memberInWorkspace(ctx, db, ws.ID, memberID)
	if errors.Is(err, ErrNotFound) {
		return ResultSkipped, "No longer in the workspace.", nil
	} else if err != nil {
		return "", "", err
	}
	if err := s.loadRoles(ctx, db, []*Member{m}); err != nil {
		return "", "", err
	}
	if reason, msg := bulkSkip(actor, action, role, m); reason != "" {
		return ResultSkipped, msg, nil
	}
	switch action {
	case BulkRole:
		_, err = s.UpdateMember(ctx, actor, ws, m.ID, UpdateInput{Name: m.DisplayName, RoleIDs: []string{role.ID}, Location: m.Location})
	case BulkResend:
		_, err = s.ResendInvite(ctx, actor, ws, m.ID)
	case BulkDeactivate:
		_, err = s.Deactivate(ctx, actor, ws, m.ID)
	case BulkReactivate:
		_, err = s.Reactivate(ctx, actor, ws, m.ID)
	case BulkRemove:
		_, err = s.RemoveMember(ctx, actor, ws, m.ID)
	}
	var conflict *ConflictError
	var invalid *ValidationError
	var limited *RateLimitedError
	switch {
	case err == nil:
		return ResultChanged, "", nil
	case errors.As(err, &conflict):
		return ResultSkipped, conflict.Message, nil
	case errors.As(err, &invalid):
		return ResultSkipped, invalid.Error(), nil
	case errors.Is(err, ErrNotFound):
		return ResultSkipped, "No longer in the workspace.", nil
	case errors.As(err, &limited):
		return ResultFailed, limited.Error(), nil
	}
	return "", "", err
}
