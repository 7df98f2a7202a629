package models_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestPostgresKeepsConnections: connections PostgreSQL's pool made for a
// burst of requests stay open for the next one instead of being closed
// (database/sql keeps 2 idle unless told), since each new connection is a
// new backend for the server to start.
func TestPostgresKeepsConnections(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		if !s.IsPostgres() {
			t.Skip("SQLite's pools are sized in Open and OpenReader")
		}
		ctx := context.Background()
		// At most 16, so a machine with many cores does not ask the
		// test server for more connections than it allows.
		n := min(s.DB().Stats().MaxOpenConnections, 16)
		conns := make([]*sql.Conn, n)
		for i := range conns {
			c, err := s.DB().DB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		for _, c := range conns {
			c.Close()
		}
		if st := s.DB().Stats(); st.Idle != n || st.MaxIdleClosed != 0 {
			t.Errorf("%d of %d connections kept, %d closed; want all kept", st.Idle, n, st.MaxIdleClosed)
		}
	})
}
