package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// demoBatch members go into one transaction, and into one INSERT per
// table. On SQLite each INSERT inside a transaction keeps a statement
// journal of every page it changes that was there before it; filling a
// large workspace, a statement of 1,000 rows changes most pages of every
// index of members, so that journal (and its memory, allocated and freed
// again) was most of the work: 86 s of CPU for 100,000 members in 1,000-row
// statements (5,000 a transaction), 35 s in 10,000-row ones. Larger
// batches measured no faster (20,000: 6.5 s against 5.6 s of CPU at
// 30,000 members), nor did a larger page cache. PostgreSQL keeps no such
// journal and took longer with 10,000-row statements (100,000 members: 36
// to 52 s against 26 to 34 s), so there it stays at 5,000 rows a
// transaction in statements of 1,000 (pgDemoBatch, memberSetChunk).
const (
	demoBatch   = 10000
	pgDemoBatch = 5000
)

var (
	demoGiven  = strings.Fields("Ada Grace Alan Katherine Linus Margaret Dennis Barbara Ken Frances Edsger Radia Tim Hedy John Sophie Donald Shafi Leslie Anita Guido Yukihiro Bjarne Mary Niklaus Joan Ivan Lynn Tony Evelyn Chen Priya Omar Fatima Mateo Aiko Kwame Ingrid Rafael Zoë")
	demoFamily = strings.Fields("Lovelace Hopper Turing Johnson Torvalds Hamilton Ritchie Liskov Thompson Allen Dijkstra Perlman Berners-Lee Lamarr McCarthy Wilson Knuth Goldwasser Lamport Borg Rossum Matsumoto Stroustrup Keller Wirth Clarke Sutherland Conway Hoare Boyd Wei Raman Haddad Nasser García Tanaka Mensah Larsen Oliveira Müller")
	demoPlaces = []string{"Berlin", "London", "New York", "São Paulo", "Tokyo", "Lagos", "Bangalore", "Toronto", "Sydney", "Remote", ""}
	demoRoles  = []struct{ name, desc string }{
		{"Engineering", "Builds and runs the product."},
		{"Customer Success", "Helps customers get value."},
		{"Sales", "Finds new customers."},
	}
)

// SeedDemo adds n made-up members to a workspace: a realistic mix of
// statuses (mostly active, some invited, a few deactivated) and roles,
// written set-based (insertMembers) in transactions of demoBatch rows, then
// the planner's statistics refreshed (Analyze). The same seed gives the
// same people.
func (s *Store) SeedDemo(ctx context.Context, wsID string, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	roles, err := s.Roles(ctx, wsID)
	if err != nil {
		return err
	}
	byName := map[string]Role{}
	for _, r := range roles {
		byName[r.Name] = r
	}
	now := s.now()
	for _, dr := range demoRoles {
		if _, ok := byName[dr.name]; !ok {
			r := Role{ID: newID(), WorkspaceID: wsID, Name: dr.name, Description: dr.desc, Version: 1,
				Permissions: joinPermissions([]Permission{PermViewMembers}), CreatedAt: now, UpdatedAt: now}
			if _, err := s.db.NewInsert().Model(&r).Exec(ctx); err != nil {
				return err
			}
			byName[r.Name] = r
		}
	}
	pick := []string{"Member", "Member", "Member", "Engineering", "Engineering", "Customer Success", "Sales"}
	// A run number keeps emails unique when the command runs twice.
	runTag := fmt.Sprintf("%x", now.UnixNano()%0xfffff)
	ws, err := s.WorkspaceByID(ctx, wsID)
	if err != nil {
		return err
	}
	batch, perStatement := demoBatch, demoBatch
	if s.IsPostgres() {
		batch, perStatement = pgDemoBatch, memberSetChunk
	}
	for start := 0; start < n; start += batch {
		size := min(batch, n-start)
		rows := make([]newMemberRow, 0, size)
		for i := start; i < start+size; i++ {
			given, family := demoGiven[rng.IntN(len(demoGiven))], demoFamily[rng.IntN(len(demoFamily))]
			created := now.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
			m := &Member{ID: newID(), WorkspaceID: wsID, GivenName: given, FamilyName: family,
				DisplayName: given + " " + family, Location: demoPlaces[rng.IntN(len(demoPlaces))],
				Email:   strings.ToLower(fmt.Sprintf("%s.%s.%s-%d@example.com", emailPart(given), emailPart(family), runTag, i)),
				Version: 1, CreatedAt: created, UpdatedAt: created}
			m.UserName = m.Email
			switch p := rng.IntN(100); {
			case p < 80:
				m.Status = StatusActive
				seen := created.Add(time.Duration(rng.Int64N(int64(now.Sub(created)) + 1)))
				m.LastSeenAt = &seen
			case p < 92:
				m.Status = StatusInvited
			default:
				m.Status = StatusDeactivated
			}
			m.setDerived()
			role := byName[pick[rng.IntN(len(pick))]]
			if rng.IntN(200) == 0 {
				role = byName["Admin"]
			}
			m.Roles = []Role{role}
			rows = append(rows, newMemberRow{M: m}) // made up: no links, emails or events of their own
		}
		err := s.tx(ctx, func(tx bun.Tx) error {
			_, err := s.insertMembersBy(ctx, tx, SystemActor, ws, rows, perStatement)
			return err
		})
		if err != nil {
			return err
		}
	}
	if n >= analyzeAfter {
		if err := s.Analyze(ctx); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx bun.Tx) error {
		return s.audit(ctx, tx, wsID, SystemActor, "demo.seeded", "workspace", wsID, "", map[string]Change{"members": {nil, n}})
	})
}

// emailPart makes a name fit an email's local part: "Berners-Lee" → "bernerslee".
func emailPart(s string) string { return nonSlug.ReplaceAllString(strings.ToLower(asciiFold(s)), "") }
