package models

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// What the preview found for a row.
const (
	OutcomeInvite      = "invite"      // new: will be invited
	OutcomeMember      = "member"      // already an active member: skipped
	OutcomePending     = "pending"     // invited already: resend or skip
	OutcomeDeactivated = "deactivated" // deactivated: reactivate or skip
	OutcomeInvalid     = "invalid"     // a bad email address
	OutcomeUnknownRole = "unknown_role"
	OutcomeDuplicate   = "duplicate" // the same email earlier in the file
)

// What running did with a row.
const (
	ResultInvited     = "invited"
	ResultResent      = "resent"
	ResultReactivated = "reactivated"
	ResultSkipped     = "skipped"
	ResultFailed      = "failed"
)

// ImportInput is one person from a file or a pasted list.
type ImportInput struct {
	Line                        int
	Email, Name, Role, Location string
	TooLong                     bool // a cell was longer than the parser keeps
}

// PreviewResult is a stored preview with its counts per outcome.
type PreviewResult struct {
	Import *Import
	Counts map[string]int
}

// PreviewImport classifies every row and stores the result; nothing else
// is written until StartImport. Rows without a role take defaultRoleID;
// rows without a name are named after their email ("ada.lovelace@…" → Ada
// Lovelace), since pasted lists have only addresses.
func (s *Store) PreviewImport(ctx context.Context, actor Actor, ws *Workspace, source string, inputs []ImportInput, defaultRoleID string) (*PreviewResult, error) {
	roles, err := s.Roles(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	byName := map[string]Role{}
	var defaultRole *Role
	for i, r := range roles {
		byName[foldCase(r.Name)] = r
		if r.ID == defaultRoleID {
			defaultRole = &roles[i]
		}
	}
	if defaultRole == nil {
		return nil, &ValidationError{Fields: map[string]string{"role": "Choose one of this workspace's roles."}}
	}
	emails := make([]string, len(inputs))
	for i, in := range inputs {
		emails[i] = NormalizeEmail(in.Email)
	}
	existing, err := membersByEmail(ctx, s.rdb, ws.ID, emails)
	if err != nil {
		return nil, err
	}
	now := s.now()
	im := &Import{ID: newID(), WorkspaceID: ws.ID, CreatedByName: actor.Name, Source: truncate(source, 300),
		Status: ImportPreview, Total: len(inputs), CreatedAt: now}
	if actor.Kind == "member" {
		im.CreatedByID = &actor.ID
	}
	counts := map[string]int{}
	seen := map[string]int{}
	rows := make([]ImportRow, len(inputs))
	for i, in := range inputs {
		email := NormalizeEmail(in.Email)
		row := ImportRow{ImportID: im.ID, Line: in.Line, Email: truncate(email, 1000), Name: truncate(cleanName(in.Name), 1000),
			RoleName: truncate(cleanName(in.Role), 1000), Location: truncate(cleanName(in.Location), 1000)}
		role := defaultRole
		if row.RoleName != "" {
			if r, ok := byName[foldCase(row.RoleName)]; ok {
				role = &r
			} else {
				role = nil
			}
		}
		m := existing[email]
		if m != nil && m.Status == StatusRevoked { // a withdrawn invitation: invite them afresh
			m = nil
		}
		switch {
		case in.TooLong:
			row.Outcome, row.Message = OutcomeInvalid, "A cell in this row is too long (over 1,000 characters)."
		case checkEmail(email) != "":
			row.Outcome, row.Message = OutcomeInvalid, checkEmail(email)
		case seen[email] != 0:
			row.Outcome, row.Message = OutcomeDuplicate, "Same email as line "+strconv.Itoa(seen[email])+"."
		case m != nil && m.Status == StatusActive:
			row.Outcome, row.Message, row.MemberID = OutcomeMember, "Already a member.", &m.ID
		case m != nil && m.Status == StatusInvited:
			row.Outcome, row.Message, row.MemberID = OutcomePending, "Invited already, not joined yet.", &m.ID
		case m != nil:
			row.Outcome, row.Message, row.MemberID = OutcomeDeactivated, "Deactivated member.", &m.ID
		case role == nil:
			row.Outcome, row.Message = OutcomeUnknownRole, "No role called “"+row.RoleName+"” in this workspace."
		case checkGrantable(actor, []Role{*role}) != nil:
			row.Outcome, row.Message = OutcomeUnknownRole, "You can't give the role "+role.Name+"."
		default:
			row.Outcome = OutcomeInvite
			if row.Name == "" {
				row.Name = nameFromEmail(email)
			}
			v := validator{}
			checkName(v, "name", row.Name, "a name", maxNameRunes)
			checkLocation(v, row.Location)
			if msg := v["name"] + v["location"]; msg != "" {
				row.Outcome, row.Message = OutcomeInvalid, msg
			}
		}
		if row.Outcome == OutcomeInvite {
			row.RoleID, row.RoleName = &role.ID, role.Name
		}
		if checkEmail(email) == "" && seen[email] == 0 {
			seen[email] = in.Line
		}
		counts[row.Outcome]++
		rows[i] = row
	}
	err = s.tx(ctx, func(tx bun.Tx) error { return insertImport(ctx, tx, im, rows) })
	if err != nil {
		return nil, err
	}
	return &PreviewResult{Import: im, Counts: counts}, nil
}

// nameFromEmail guesses a display name from an address's local part.
func nameFromEmail(email string) string {
	local := email[:max(strings.IndexByte(email, '@'), 0)]
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, p := range parts {
		r, size := utf8.DecodeRuneInString(p)
		parts[i] = string(unicode.ToUpper(r)) + p[size:]
	}
	if len(parts) == 0 {
		return derivedName(email)
	}
	return derivedName(strings.Join(parts, " "))
}

// membersByEmail finds a workspace's members with these (normalised) emails.
func membersByEmail(ctx context.Context, db bun.IDB, wsID string, emails []string) (map[string]*Member, error) {
	out := map[string]*Member{}
	for start := 0; start < len(emails); start += 500 {
		var ms []*Member
		if err := db.NewSelect().Model(&ms).Where("workspace_id = ? AND email IN (?)", wsID, bun.In(emails[start:min(start+500, len(emails))])).Scan(ctx); err != nil {
			return nil, err
		}
		for _, m := range ms {
			out[m.Email] = m
		}
	}
	return out, nil
}

// ImportByID loads one import of a workspace.
// insertImport writes an import (a CSV import, or a bulk action's job) and
// its rows, 500 to an INSERT.
func insertImport(ctx context.Context, tx bun.Tx, im *Import, rows []ImportRow) error {
	if _, err := tx.NewInsert().Model(im).Exec(ctx); err != nil {
		return err
	}
	for start := 0; start < len(rows); start += 500 {
		chunk := rows[start:min(start+500, len(rows))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) ImportByID(ctx context.Context, wsID, id string) (*Import, error) {
	var im Import
	if err := s.rdb.NewSelect().Model(&im).Where("id = ? AND workspace_id = ?", id, wsID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &im, nil
}

// ImportRows lists an import's rows in file order, those with a result of
// failed (or, before running, an outcome other than invite) first when
// problemsFirst; at most limit.
func (s *Store) ImportRows(ctx context.Context, importID string, problemsFirst bool, limit int) ([]ImportRow, error) {
	var rows []ImportRow
	q := s.rdb.NewSelect().Model(&rows).Where("import_id = ?", importID)
	if problemsFirst {
		q = q.OrderExpr("CASE WHEN outcome = 'invite' THEN 1 ELSE 0 END")
	}
	err := q.OrderExpr("line").Limit(int64(limit)).Scan(ctx)
	return rows, err
}

// FailedImportRows lists the rows that did not turn into an invitation for
// a reason the admin can fix (bad email, unknown role, or an error).
func (s *Store) FailedImportRows(ctx context.Context, importID string) ([]ImportRow, error) {
	var rows []ImportRow
	err := s.rdb.NewSelect().Model(&rows).Where("import_id = ? AND result = ?", importID, ResultFailed).OrderExpr("line").Scan(ctx)
	return rows, err
}

// StartImport confirms a previewed import: a background job runs it (see
// ProcessImports). resendPending and reactivate say what to do with
// invited and deactivated people in the file; otherwise they are skipped.
func (s *Store) StartImport(ctx context.Context, actor Actor, ws *Workspace, id string, resendPending, reactivate bool) (*Import, error) {
	var im *Import
	err := s.tx(ctx, func(tx bun.Tx) error {
		var err error
		if im, err = s.ImportByID(ctx, ws.ID, id); err != nil {
			return err
		}
		if im.Status != ImportPreview {
			return &ConflictError{Code: ConflictState, Message: "This import has already been started."}
		}
		if im.CreatedByID != nil && actor.Kind == "member" && *im.CreatedByID != actor.ID {
			return &ConflictError{Code: ConflictState, Message: "Only the person who uploaded this file can start its import."}
		}
		if err := s.checkImportGrants(ctx, tx, actor, im, reactivate); err != nil {
			return err
		}
		now := s.now()
		im.Status, im.ResendPending, im.Reactivate, im.StartedAt = ImportRunning, resendPending, reactivate, &now
		if _, err := tx.NewUpdate().Model(im).Column("status", "resend_pending", "reactivate", "started_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "import.started", "import", im.ID, im.Source, map[string]Change{"rows": {nil, im.Total}})
	})
	return im, err
}

// checkImportGrants re-checks, with the actor's permissions now, the roles
// the import would give: those of its new rows and, when reactivating,
// those of the deactivated members (which needs the right to reactivate).
func (s *Store) checkImportGrants(ctx context.Context, tx bun.Tx, actor Actor, im *Import, reactivate bool) error {
	if actor.Perms == nil {
		return nil
	}
	if reactivate && !actor.Perms.Has(PermRemoveMembers) {
		return &ConflictError{Code: ConflictState, Message: "Reactivating members needs the permission to deactivate and remove members."}
	}
	var roles []Role
	err := tx.NewSelect().Model(&roles).Where("id IN (?)", tx.NewSelect().Model((*ImportRow)(nil)).Column("role_id").
		Where("import_id = ? AND outcome = ?", im.ID, OutcomeInvite)).Scan(ctx)
	if err != nil {
		return err
	}
	if reactivate {
		var held []Role
		if err := tx.NewSelect().Model(&held).Join("JOIN member_roles AS mr ON mr.role_id = r.id").
			Where("mr.member_id IN (?)", tx.NewSelect().Model((*ImportRow)(nil)).Column("member_id").
				Where("import_id = ? AND outcome = ?", im.ID, OutcomeDeactivated)).Scan(ctx); err != nil {
			return err
		}
		roles = append(roles, held...)
	}
	if err := checkGrantable(actor, roles); err != nil {
		return &ConflictError{Code: ConflictState, Message: "This import gives or restores a role whose permissions you don't have."}
	}
	return nil
}

// importLease is how long a worker owns a running import between batches;
// a worker that dies leaves it to another after this.
const importLease = 2 * time.Minute

// ProcessImports runs the next batch of rows of a running import: all of
// a batch's members, roles, links, emails, audit events and row results in
// one transaction, so a restart never leaves a half-done row and resumes at
// the first row without a result. It reports whether it found work.
func (s *Store) ProcessImports(ctx context.Context, batch int) (bool, error) {
	now := s.now()
	var ids []string
	if err := s.rdb.NewSelect().Model((*Import)(nil)).Column("id").
		Where("status = ? AND (claimed_until IS NULL OR claimed_until < ?)", ImportRunning, now).
		OrderExpr("created_at").Limit(1).Scan(ctx, &ids); err != nil || len(ids) == 0 {
		return false, err
	}
	res, err := s.db.NewUpdate().Model((*Import)(nil)).Set("claimed_until = ?", now.Add(importLease)).
		Where("id = ? AND status = ? AND (claimed_until IS NULL OR claimed_until < ?)", ids[0], ImportRunning, now).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return true, nil // another replica took it
	}
	err = s.runJobBatch(ctx, ids[0], batch) // an import, or a bulk action (bulk_job.go)
	if _, uerr := s.db.NewUpdate().Model((*Import)(nil)).Set("claimed_until = NULL").Where("id = ?", ids[0]).Exec(ctx); err == nil {
		err = uerr
	}
	return true, err
}

// importBatch runs a batch; it returns the import when it has finished.
func (s *Store) importBatch(ctx context.Context, tx bun.Tx, importID string, batch int) (*Import, error) {
	var im Import
	if err := tx.NewSelect().Model(&im).Where("id = ?", importID).Scan(ctx); err != nil {
		return nil, err
	}
	if err := s.lockWorkspace(ctx, tx, im.WorkspaceID); err != nil {
		return nil, err
	}
	var ws Workspace
	if err := tx.NewSelect().Model(&ws).Where("id = ?", im.WorkspaceID).Scan(ctx); err != nil {
		return nil, err
	}
	// Limits were checked at preview; the hourly invite limit does not apply
	// to an import an admin confirmed (its emails go out at the mail rate).
	actor := Actor{Kind: "member", Name: im.CreatedByName}
	if im.CreatedByID != nil {
		actor.ID = *im.CreatedByID
	} else {
		actor.Kind = "system"
	}
	var rows []*ImportRow
	if err := tx.NewSelect().Model(&rows).Where("import_id = ? AND result = ''", im.ID).OrderExpr("line").Limit(int64(batch)).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		now := s.now()
		im.Status, im.FinishedAt = ImportDone, &now
		if _, err := tx.NewUpdate().Model(&im).Column("status", "finished_at").WherePK().Exec(ctx); err != nil {
			return nil, err
		}
		return &im, s.audit(ctx, tx, ws.ID, actor, "import.completed", "import", im.ID, im.Source, map[string]Change{
			"invited": {nil, im.Invited}, "resent": {nil, im.Resent}, "reactivated": {nil, im.Reactivated},
			"skipped": {nil, im.Skipped}, "failed": {nil, im.Failed}})
	}
	// Who is in the workspace now (the preview may be old).
	emails := make([]string, len(rows))
	for i, r := range rows {
		emails[i] = r.Email
	}
	current, err := membersByEmail(ctx, tx, ws.ID, emails)
	if err != nil {
		return nil, err
	}
	var newMembers []*Member
	now := s.now()
	roles := map[string]*Role{}
	for _, r := range rows {
		m := current[r.Email]
		if m != nil && m.Status == StatusRevoked && r.Outcome == OutcomeInvite {
			// A withdrawn invitation gives way to the new one.
			if _, err := s.freeRevoked(ctx, tx, ws.ID, m.Email, m.Email, nil); err != nil {
				return nil, err
			}
			m = nil
		}
		switch {
		case r.Outcome == OutcomeInvalid || r.Outcome == OutcomeUnknownRole || r.Outcome == OutcomeDuplicate:
			r.Result, r.ResultMessage = ResultFailed, r.Message
		case r.Outcome == OutcomeInvite && m == nil:
			role := roles[*r.RoleID]
			if role == nil {
				var err error
				if role, err = roleByIDTx(ctx, tx, ws.ID, *r.RoleID); errors.Is(err, ErrNotFound) {
					r.Result, r.ResultMessage = ResultFailed, "The role "+r.RoleName+" was deleted before the import ran."
					continue
				} else if err != nil {
					return nil, err
				}
				roles[role.ID] = role
			}
			nm := &Member{ID: newID(), WorkspaceID: ws.ID, Email: r.Email, UserName: r.Email, DisplayName: r.Name, Location: r.Location,
				Status: StatusInvited, Version: 1, CreatedAt: now, UpdatedAt: now, Roles: []Role{*role}}
			nm.setDerived()
			newMembers = append(newMembers, nm)
			r.Result, r.MemberID = ResultInvited, &nm.ID
		case m == nil:
			r.Result, r.ResultMessage = ResultSkipped, "No longer in the workspace."
		case r.Outcome == OutcomePending && m.Status == StatusInvited && im.ResendPending:
			if _, _, err := s.reissueTx(ctx, tx, actor, &ws, m, true, "invite.resent"); err != nil {
				return nil, err
			}
			r.Result = ResultResent
		case r.Outcome == OutcomeDeactivated && m.Status == StatusDeactivated && im.Reactivate:
			if err := s.reactivateTx(ctx, tx, actor, &ws, m); err != nil {
				return nil, err
			}
			r.Result = ResultReactivated
		default:
			r.Result, r.ResultMessage = ResultSkipped, map[string]string{
				StatusActive: "Already a member.", StatusInvited: "Invited already.", StatusDeactivated: "Deactivated; not reactivated.",
				StatusRevoked: "Invitation revoked since the preview."}[m.Status]
		}
	}
	if _, err := s.insertInvited(ctx, tx, actor, &ws, newMembers); err != nil {
		return nil, err
	}
	for _, r := range rows {
		switch r.Result {
		case ResultInvited:
			im.Invited++
		case ResultResent:
			im.Resent++
		case ResultReactivated:
			im.Reactivated++
		case ResultSkipped:
			im.Skipped++
		default:
			im.Failed++
		}
	}
	if _, err := tx.NewUpdate().Model(&rows).Column("result", "result_message", "member_id").Bulk().Exec(ctx); err != nil {
		return nil, err
	}
	im.Processed += len(rows)
	_, err = tx.NewUpdate().Model(&im).Column("processed", "invited", "resent", "reactivated", "skipped", "failed").WherePK().Exec(ctx)
	return nil, err
}
