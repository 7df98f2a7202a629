package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestPGInsertsInATxTakeNoSecondConnection: a create inside a transaction
// (a /Bulk batch) whose INSERTs' statement is not prepared yet must not wait
// for a second connection of the pool while it holds the transaction's: with
// every connection held by such transactions none would ever come back.
func TestPGInsertsInATxTakeNoSecondConnection(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("PostgreSQL's prepared creates")
		}
		f := newInviteFixture(t, s)
		was := s.DB().DB.Stats().MaxOpenConnections
		s.DB().DB.SetMaxOpenConns(1) // the batch holds the pool's every connection
		defer s.DB().DB.SetMaxOpenConns(was)
		done := make(chan error, 1)
		go func() {
			done <- s.InBatch(f.ctx, func(ctx context.Context) error {
				_, err := s.CreateSCIMUser(ctx, models.SystemActor, f.ws, models.SCIMUser{UserName: "batched",
					Email: "batched@example.com", Active: true})
				return err
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			// Stuck for good (it waits without the request's
			// cancellation); closing the store at the test's end frees it.
			t.Fatal("the batch's create waited for a second connection of the pool")
		}
		checkCounts(t, s, f.ws.ID)
	})
}
