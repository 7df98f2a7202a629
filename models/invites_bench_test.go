package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// BenchmarkInvite measures invitations through the domain layer on SQLite:
// each is one transaction with the member, its role, the invite, the outbox
// email and the audit event. Run it with
//
//	go test ./models -run '^$' -bench Invite -benchtime 5000x -count 5
func BenchmarkInvite(b *testing.B) {
	s := modelstest.Open(b, "sqlite")
	ctx := context.Background()
	acc, ws := modelstest.SetUp(b, s)
	ws.InvitesPerHour = 0 // unlimited: this measures the writes, not the limit
	admin, _, err := s.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		b.Fatal(err)
	}
	roles, _ := s.Roles(ctx, ws.ID)
	actor := models.MemberActor(admin)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, err := s.Invite(ctx, actor, ws, models.InviteInput{Name: "Person", Email: fmt.Sprintf("p%d@example.com", i), RoleID: roles[1].ID})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invites/s")
}
