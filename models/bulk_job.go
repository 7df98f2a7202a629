package models

import (
	"context"
	"errors"

	"github.com/uptrace/bun"
)

// BulkLabels words each bulk action for its job's progress and the audit log.
var BulkLabels = map[string]string{
	BulkRole:       "Change role",
	BulkResend:     "Resend invitations",
	BulkDeactivate: "Deactivate",
	BulkReactivate: "Reactivate",
	BulkRemove:     "Remove",
}

// startBulkJob stores a bulk action on a large selection as a job of the
// import runner: an import whose action is set, with a row per member
// (member_id; role_id for a role change). The selection is taken now; each
// member is checked again when its batch runs.
func (s *Store) startBulkJob(ctx context.Context, actor Actor, ws *Workspace, req BulkRequest, role *Role) (*Import, error) {
	if actor.Kind != "member" {
		return nil, &ConflictError{Code: ConflictState, Message: "Only a member can start a bulk action."}
	}
	now := s.now()
	source := BulkLabels[req.Action]
	if role != nil {
		source += " to " + role.Name
	}
	im := &Import{ID: newID(), WorkspaceID: ws.ID, CreatedByID: &actor.ID, CreatedByName: actor.Name, Source: truncate(source, 300),
		Status: ImportRunning, Action: req.Action, CreatedAt: now, StartedAt: &now}
	var rows []ImportRow
	err := s.walkSelection(ctx, ws, req.Sel, func(ms []*Member) error {
		for _, m := range ms {
			id := m.ID
			r := ImportRow{ImportID: im.ID, Line: len(rows) + 1, Email: m.Email, Name: truncate(m.DisplayName, 1000),
				Location: truncate(m.Location, 1000), MemberID: &id, Outcome: req.Action}
			if role != nil {
				r.RoleID, r.RoleName = &role.ID, role.Name
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	im.Total = len(rows)
	err = s.tx(ctx, func(tx bun.Tx) error {
		if err := insertImport(ctx, tx, im, rows); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, "bulk.started", "import", im.ID, im.Source, map[string]Change{"members": {nil, im.Total}})
	})
	if err != nil {
		return nil, err
	}
	return im, nil
}

// runJobBatch runs the next batch of a claimed job: a CSV import, or a
// bulk action (import.Action set).
func (s *Store) runJobBatch(ctx context.Context, id string, batch int) error {
	var action string
	if err := s.rdb.NewSelect().Model((*Import)(nil)).Column("action").Where("id = ?", id).Scan(ctx, &action); err != nil {
		return err
	}
	if action == "" {
		var finished *Import
		err := s.tx(ctx, func(tx bun.Tx) error {
			var err error
			finished, err = s.importBatch(ctx, tx, id, batch)
			return err
		})
		if err == nil && finished != nil && finished.Invited >= analyzeAfter {
			err = s.Analyze(ctx) // so many new members change the plans
		}
		return err
	}
	return s.bulkBatch(ctx, id, batch)
}

// bulkBatch acts on the next batch of a bulk job's members in one
// transaction, each member through bulkOne (in a savepoint), as the job's
// creator with the permissions they hold now: a creator who has since lost
// the permission, or left, ends the job, and so does a deleted role.
func (s *Store) bulkBatch(ctx context.Context, id string, batch int) error {
	var im Import
	if err := s.rdb.NewSelect().Model(&im).Where("id = ?", id).Scan(ctx); err != nil {
		return err
	}
	var ws Workspace
	if err := s.rdb.NewSelect().Model(&ws).Where("id = ?", im.WorkspaceID).Scan(ctx); err != nil {
		return err
	}
	var rows []*ImportRow
	if err := s.rdb.NewSelect().Model(&rows).Where("import_id = ? AND result = ''", im.ID).OrderExpr("line").Limit(int64(batch)).Scan(ctx); err != nil {
		return err
	}
	if len(rows) == 0 {
		now := s.now()
		im.Status, im.FinishedAt = ImportDone, &now
		_, err := s.db.NewUpdate().Model(&im).Column("status", "finished_at").WherePK().Exec(ctx)
		return err
	}
	actor := Actor{Kind: "member", Name: im.CreatedByName}
	stop := ""
	if im.CreatedByID == nil {
		stop = "Nobody to act as."
	} else {
		owner, perms, found, err := s.ownerPermissions(ctx, ws.ID, *im.CreatedByID)
		switch {
		case err != nil:
			return err
		case !found || owner.Status != StatusActive:
			stop = im.CreatedByName + " is no longer an active member, so their bulk action stopped."
		case !perms.Has(BulkActions[im.Action]):
			stop = im.CreatedByName + " no longer has the permission for this, so their bulk action stopped."
		}
		actor = actor.WithPerms(perms)
		actor.ID = *im.CreatedByID
	}
	var role *Role
	if im.Action == BulkRole && stop == "" {
		var err error
		if rows[0].RoleID == nil {
			stop = "No role to give."
		} else if role, err = roleByIDTx(ctx, s.rdb, ws.ID, *rows[0].RoleID); err != nil {
			if !errors.Is(err, ErrNotFound) {
				return err
			}
			stop = "The role " + rows[0].RoleName + " was deleted before this change ran."
		}
	}
	return s.InBatch(ctx, func(ctx context.Context) error {
		tx := s.conn(ctx)
		if stop != "" {
			// Every remaining row fails with the reason, at once.
			n, err := tx.NewUpdate().Model((*ImportRow)(nil)).Set("result = ?, result_message = ?", ResultFailed, stop).
				Where("import_id = ? AND result = ''", im.ID).Exec(ctx)
			if err != nil {
				return err
			}
			left, _ := n.RowsAffected()
			im.Failed += int(left)
			im.Processed += int(left)
		} else {
			for _, r := range rows {
				result, msg, err := s.bulkOne(ctx, actor, &ws, im.Action, role, *r.MemberID)
				if err != nil {
					return err
				}
				r.Result, r.ResultMessage = result, msg
				switch result {
				case ResultChanged:
					im.Changed++
				case ResultSkipped:
					im.Skipped++
				default:
					im.Failed++
				}
			}
			if _, err := tx.NewUpdate().Model(&rows).Column("result", "result_message").Bulk().Exec(ctx); err != nil {
				return err
			}
			im.Processed += len(rows)
		}
		_, err := tx.NewUpdate().Model(&im).Column("processed", "changed", "skipped", "failed").WherePK().Exec(ctx)
		return err
	})
}

// BulkJob loads a bulk job of a workspace.
func (s *Store) BulkJob(ctx context.Context, wsID, id string) (*Import, error) {
	im, err := s.ImportByID(ctx, wsID, id)
	if err != nil {
		return nil, err
	}
	if im.Action == "" {
		return nil, ErrNotFound
	}
	return im, nil
}

// BulkJobSkips lists why a bulk job left members out or failed them, the
// most frequent reason first, with how many each.
func (s *Store) BulkJobSkips(ctx context.Context, id string) ([]SkipGroup, error) {
	var rows []struct {
		Message string `bun:"result_message"`
		N       int    `bun:"n"`
	}
	err := s.rdb.NewSelect().Model((*ImportRow)(nil)).ColumnExpr("result_message, count(*) AS n").
		Where("import_id = ? AND result IN (?, ?)", id, ResultSkipped, ResultFailed).
		GroupExpr("result_message").OrderExpr("n DESC").Limit(10).Scan(ctx, &rows)
	out := make([]SkipGroup, len(rows))
	for i, r := range rows {
		out[i] = SkipGroup{Reason: r.Message, Count: r.N}
	}
	return out, err
}
