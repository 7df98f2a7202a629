package models

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Undo: Deactivate acts at once, and the toast that says so offers Undo for
// a few seconds. The Undo names the audit event of the deactivation; it
// works only while that event is the newest about the member, for the
// member who deactivated them, within UndoWindow. So it works once (the
// undo is itself a newer event) and never undoes anyone's later change.

// UndoWindow is how long after a deactivation its Undo is accepted: the
// toast shows for 8 seconds, longer while focused or hovered.
const UndoWindow = 2 * time.Minute

// ActionDeactivationUndone is the audit action of an Undo of a deactivation.
const ActionDeactivationUndone = "member.deactivation_undone"

// DeactivationToUndo returns the id of the event in which actor deactivated
// the member, the newest such event: what the toast's Undo names.
func (s *Store) DeactivationToUndo(ctx context.Context, actor Actor, wsID, memberID string) (string, error) {
	var id string
	err := s.rdb.NewSelect().Model((*AuditEvent)(nil)).Column("id").
		Where("workspace_id = ? AND target_id = ? AND action = ? AND actor_id = ?", wsID, memberID, "member.deactivated", actor.ID).
		Order("id DESC").Limit(1).Scan(ctx, &id)
	return id, notFound(err)
}

// UndoDeactivate makes the member active again, as they were before the
// deactivation recorded by eventID, and records that as its own event.
// Refused with a ConflictError saying why when the Undo no longer applies.
func (s *Store) UndoDeactivate(ctx context.Context, actor Actor, ws *Workspace, memberID, eventID string) (*Member, error) {
	return s.changeMember(ctx, ws, memberID, StatusDeactivated, " is not deactivated any more: there is nothing to undo.", func(tx bun.Tx, m *Member) error {
		refuse := func(why string) error {
			return &ConflictError{Code: ConflictState, MemberID: m.ID, Message: why}
		}
		var ev AuditEvent
		err := tx.NewSelect().Model(&ev).Where("id = ? AND workspace_id = ? AND target_id = ?", eventID, ws.ID, m.ID).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return refuse("This Undo does not belong to " + m.DisplayName + "'s deactivation.")
		case err != nil:
			return err
		case ev.Action != "member.deactivated" || ev.ActorID == nil || *ev.ActorID != actor.ID:
			return refuse("Only who deactivated " + m.DisplayName + " can undo it: reactivate them from their row instead.")
		case s.now().Sub(ev.CreatedAt) > UndoWindow:
			return refuse("Too late to undo: reactivate " + m.DisplayName + " from their row instead.")
		}
		// Anything since (an edit, a role, another deactivation) is someone's
		// later change, which an Undo must not undo.
		later, err := tx.NewSelect().Model((*AuditEvent)(nil)).
			Where("workspace_id = ? AND id > ? AND target_id = ?", ws.ID, ev.ID, m.ID).Exists(ctx)
		if err != nil {
			return err
		}
		if later {
			return refuse(m.DisplayName + " has changed since: reactivate them from their row instead.")
		}
		if err := checkRemovable(actor, m); err != nil {
			return err
		}
		m.Status = StatusActive
		if err := s.saveMember(ctx, tx, m, "status"); err != nil {
			return err
		}
		return s.audit(ctx, tx, ws.ID, actor, ActionDeactivationUndone, "member", m.ID, m.DisplayName,
			map[string]Change{"status": {StatusDeactivated, StatusActive}})
	})
}
