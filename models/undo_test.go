package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// joined invites someone and accepts for them: an active member.
func joined(t *testing.T, s *models.Store, actor models.Actor, ws *models.Workspace, name, email string) *models.Member {
	t.Helper()
	ctx := context.Background()
	roles, err := s.Roles(ctx, ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	var member string
	for _, r := range roles {
		if r.Builtin == "member" {
			member = r.ID
		}
	}
	m, token, err := s.Invite(ctx, actor, ws, models.InviteInput{Name: name, Email: email, RoleID: member})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AcceptInvite(ctx, token, models.AcceptInput{Name: name, Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	return m
}

func conflictMessage(t *testing.T, err error) string {
	t.Helper()
	var c *models.ConflictError
	if !errors.As(err, &c) {
		t.Fatalf("want a ConflictError, got %v", err)
	}
	return c.Message
}

// An Undo of a deactivation works once, only for its own event and its
// own actor, only while nothing happened to the member since, and only
// within the window; it is audited.
func TestUndoDeactivate(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := modelstest.FakeClock(s)
		acc, ws := modelstest.SetUp(t, s)
		adaM, _, err := s.Membership(ctx, ws.ID, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		ada := models.MemberActor(adaM)
		grace := joined(t, s, ada, ws, "Grace Hopper", "grace@example.com")
		alan := joined(t, s, ada, ws, "Alan Turing", "alan@example.com")

		deactivate := func(id string) string {
			t.Helper()
			if _, err := s.Deactivate(ctx, ada, ws, id); err != nil {
				t.Fatal(err)
			}
			ev, err := s.DeactivationToUndo(ctx, ada, ws.ID, id)
			if err != nil || ev == "" {
				t.Fatalf("no event to undo: %v", err)
			}
			return ev
		}
		evGrace := deactivate(grace.ID)
		evAlan := deactivate(alan.ID)

		// Another member's event, or an unknown one, undoes nothing.
		if _, err := s.UndoDeactivate(ctx, ada, ws, grace.ID, evAlan); !strings.Contains(conflictMessage(t, err), "does not belong") {
			t.Errorf("undo with Alan's event: %v", err)
		}
		if _, err := s.UndoDeactivate(ctx, ada, ws, grace.ID, "not-an-event"); err == nil {
			t.Error("undo with a made-up event worked")
		}
		// Someone else cannot use Ada's Undo.
		if _, err := s.UndoDeactivate(ctx, models.MemberActor(alan), ws, grace.ID, evGrace); !strings.Contains(conflictMessage(t, err), "Only who deactivated") {
			t.Errorf("undo by another member: %v", err)
		}

		m, err := s.UndoDeactivate(ctx, ada, ws, grace.ID, evGrace)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != models.StatusActive {
			t.Errorf("after undo Grace is %s", m.Status)
		}
		evs, err := s.AuditEvents(ctx, ws.ID, 1)
		if err != nil || evs[0].Action != models.ActionDeactivationUndone || *evs[0].TargetID != grace.ID || *evs[0].ActorID != adaM.ID {
			t.Errorf("the undo was not audited: %+v %v", evs, err)
		}
		// Twice: refused, and it says why.
		if _, err := s.UndoDeactivate(ctx, ada, ws, grace.ID, evGrace); !strings.Contains(conflictMessage(t, err), "nothing to undo") {
			t.Errorf("second undo: %v", err)
		}
		// Deactivated again: the old Undo does not undo the new deactivation.
		evGrace2 := deactivate(grace.ID)
		if _, err := s.UndoDeactivate(ctx, ada, ws, grace.ID, evGrace); !strings.Contains(conflictMessage(t, err), "changed since") {
			t.Errorf("an old undo after a new deactivation: %v", err)
		}
		// A later change by someone (an edit) blocks the Undo.
		if _, err := s.UpdateMember(ctx, models.SystemActor, ws, grace.ID, models.UpdateInput{Name: "Grace B. Hopper", RoleIDs: roleIDs(m)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UndoDeactivate(ctx, ada, ws, grace.ID, evGrace2); !strings.Contains(conflictMessage(t, err), "changed since") {
			t.Errorf("undo after a later edit: %v", err)
		}
		// Too late.
		clock.Add(models.UndoWindow + time.Second)
		if _, err := s.UndoDeactivate(ctx, ada, ws, alan.ID, evAlan); !strings.Contains(conflictMessage(t, err), "Too late") {
			t.Errorf("undo after the window: %v", err)
		}

		// Many at once: exactly one Undo wins.
		carol := joined(t, s, ada, ws, "Carol Shaw", "carol@example.com")
		ev := deactivate(carol.ID)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.UndoDeactivate(ctx, ada, ws, carol.ID, ev); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else {
					var c *models.ConflictError
					if !errors.As(err, &c) {
						t.Errorf("a losing undo failed with %v", err)
					}
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent undos won, want 1", wins)
		}
	})
}

func roleIDs(m *models.Member) []string {
	var ids []string
	for _, r := range m.Roles {
		ids = append(ids, r.ID)
	}
	return ids
}
