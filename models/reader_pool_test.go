package models_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestReadsDoNotWaitForTheWriter: while a write transaction holds the
// writer (on SQLite its one connection and the write lock), the reads a
// page view or a SCIM GET makes still answer.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		token, _, err := s.CreateSCIMToken(f.ctx, f.actor, f.ws, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		holding, release, written := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			written <- s.InBatch(f.ctx, func(ctx context.Context) error {
				// A write of its own, so the transaction holds the lock.
				if _, _, err := s.Invite(ctx, f.actor, f.ws, models.InviteInput{Email: "held@example.com", RoleID: f.roles["Member"].ID}); err != nil {
					return err
				}
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding
		reads := make(chan error, 1)
		go func() {
			reads <- func() error {
				if _, _, err := s.Membership(f.ctx, f.ws.ID, f.adminA.ID); err != nil {
					return err
				}
				if _, _, err := s.AuthenticateSCIM(f.ctx, token); err != nil {
					return err
				}
				page, err := s.ListMembers(f.ctx, f.ws.ID, models.MemberQuery{})
				if err != nil {
					return err
				}
				for _, m := range page.Members {
					if m.Email == "held@example.com" {
						t.Errorf("a read saw the uncommitted invitation")
					}
				}
				return nil
			}()
		}()
		select {
		case err := <-reads:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(30 * time.Second): // a deadline, not a measure: blocked reads never answer
			t.Error("reads waited for the writer")
		}
		close(release)
		if err := <-written; err != nil {
			t.Fatal(err)
		}
	})
}

// TestReadYourWrites: what a store operation wrote is there for the next
// read through the store (on SQLite through the other pool), each time.
func TestReadYourWrites(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		f := newInviteFixture(t, s)
		for i := range 30 {
			m, _, err := s.Invite(f.ctx, f.actor, f.ws, models.InviteInput{Email: "p" + strconv.Itoa(i) + "@example.com", RoleID: f.roles["Member"].ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.MemberByID(f.ctx, f.ws.ID, m.ID); err != nil {
				t.Fatalf("invite %d not read back: %v", i, err)
			}
			name := "Person " + strconv.Itoa(i)
			if _, err := s.UpdateMember(f.ctx, f.actor, f.ws, m.ID, models.UpdateInput{Name: name, RoleIDs: []string{f.roles["Admin"].ID}}); err != nil {
				t.Fatal(err)
			}
			got, err := s.MemberByID(f.ctx, f.ws.ID, m.ID)
			if err != nil || got.DisplayName != name || len(got.Roles) != 1 || got.Roles[0].Name != "Admin" {
				t.Fatalf("update %d not read back: %v %+v", i, err, got)
			}
		}
	})
}

// TestReaderIsReadOnly: the reader pool refuses writes, so one sent there
// by mistake fails at once instead of competing with the writer.
func TestReaderIsReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	db, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := models.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	r, err := models.OpenReader(path)
	if err != nil || r == nil {
		t.Fatalf("reader: %v", err)
	}
	defer r.Close()
	if _, err := r.ExecContext(context.Background(), "DELETE FROM workspaces"); err == nil {
		t.Fatal("the reader wrote")
	}
	if r, err := models.OpenReader(":memory:"); r != nil || err != nil {
		t.Errorf("in-memory database: reader %v, %v; want none", r, err)
	}
	if r, err := models.OpenReader("postgres://x@127.0.0.1/none"); r != nil || err != nil {
		t.Errorf("PostgreSQL: reader %v, %v; want none", r, err)
	}
}
